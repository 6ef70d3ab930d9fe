/* csr_mscratch: mscratch holds any 64-bit value (walking one, patterns),
 * and traps do not touch it. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* reset-independent patterns */
    .irp v, 0, -1, 0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x8000000000000000, 1, 0x00000000ffffffff, 0xffffffff00000000
    li s1, \v
    csrw mscratch, s1
    csrr s0, mscratch
    ASSERT_EQ s0, s1
    .endr
    TEST 2                      /* walking one over all 64 bits */
    li s1, 1
1:  csrw mscratch, s1
    csrr s0, mscratch
    ASSERT_EQ s0, s1
    slli s1, s1, 1
    bnez s1, 1b
    TEST 3                      /* walking zero */
    li s1, 1
1:  not s2, s1
    csrw mscratch, s2
    csrr s0, mscratch
    ASSERT_EQ s0, s2
    slli s1, s1, 1
    bnez s1, 1b
    TEST 4                      /* a trap leaves mscratch alone */
    li s1, 0x0123456789abcdef
    csrw mscratch, s1
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    csrr s0, mscratch
    ASSERT_EQ s0, s1
    j pass
