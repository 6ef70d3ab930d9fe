/* irq_vectored: mtvec MODE = 1. Interrupts jump to BASE + 4*cause (MSI -> +12,
 * MTI -> +28); synchronous exceptions always jump to BASE, whatever their
 * cause number (ecall 11, illegal 2, breakpoint 3 — not to +12). Each table
 * entry records its index in TA_USER and continues in the common handler, so
 * mcause is still recorded as usual. */
#include "trap_test.h"

/* expect exactly one trap through vector entry idx */
.macro CHECK_VECTOR idx
    ld t0, TA_USER(tp)
    ASSERT_IMM t0, \idx
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    li s0, CLINT_MSIP(0)
    li s1, CLINT_MTIMECMP(0)
    li t0, -1
    sd t0, TA_USER(tp)

    TEST 1                      /* vectored mtvec reads back */
    la s2, vec_table
    ori s2, s2, 1
    csrw mtvec, s2
    csrr t0, mtvec
    ASSERT_EQ t0, s2
    TEST 2                      /* ecall -> base */
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    CHECK_VECTOR 0
    TEST 3                      /* illegal -> base */
    EXPECT_ILLEGAL .word 0x0000000b
    CHECK_VECTOR 0
    TEST 4                      /* ebreak (cause 3) -> base, not base + 12 */
    EXPECT_EXC CAUSE_BREAKPOINT, c.ebreak
    CHECK_VECTOR 0
    TEST 5                      /* load access fault (cause 5) -> base */
    li t1, UNMAPPED_ADDR
    EXPECT_EXC CAUSE_LOAD_ACCESS, lw t0, 0(t1)
    CHECK_VECTOR 0
    TEST 6                      /* MSI -> base + 12 */
    li t0, 1
    sw t0, 0(s0)
    csrsi mie, MIE_MSIE
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
1:  nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TRAP CAUSE_MSI
    CHECK_EPC 1b
    CHECK_VECTOR 3
    sw zero, 0(s0)
    TEST 7                      /* MTI -> base + 28 */
    sd zero, 0(s1)
    li t0, MIE_MTIE
    csrs mie, t0
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
2:  nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TRAP CAUSE_MTI
    CHECK_EPC 2b
    CHECK_VECTOR 7
    li t0, -1
    sd t0, 0(s1)
    TEST 8                      /* back to direct mode: an interrupt goes to base */
    la t0, vec_table            /* MODE = 0, same base: entry 0 */
    csrw mtvec, t0
    li t0, 1
    sw t0, 0(s0)
    csrsi mie, MIE_MSIE
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TRAP CAUSE_MSI
    CHECK_VECTOR 0
    sw zero, 0(s0)
    la t0, trap_handler
    csrw mtvec, t0
    j pass

/* entry k: TA_USER = k, then the common handler (mscratch holds t0 briefly) */
.macro VEC_STUB k
vec_stub_\k:
    csrw mscratch, t0
    li t0, \k
    sd t0, TA_USER(tp)
    csrr t0, mscratch
    j trap_handler
.endm
    VEC_STUB 0
    VEC_STUB 1
    VEC_STUB 2
    VEC_STUB 3
    VEC_STUB 4
    VEC_STUB 5
    VEC_STUB 6
    VEC_STUB 7
    VEC_STUB 8
    VEC_STUB 9
    VEC_STUB 10
    VEC_STUB 11
    VEC_STUB 12
    VEC_STUB 13
    VEC_STUB 14
    VEC_STUB 15

    .balign 256
vec_table:
    .option push
    .option norvc
    .irp k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    j vec_stub_\k
    .endr
    .option pop
