/* csr_misa: misa reads MXL = 2 (RV64) with the I, M, A, C and U extension bits
 * set and E clear; bits 61:26 read zero; writing back the value read does not
 * trap and leaves misa unchanged (misa is WARL, not read-only-trapping). */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* readable, MXL (63:62) == 2 */
    csrr s0, misa
    srli t0, s0, 62
    ASSERT_IMM t0, 2
    TEST 2                      /* I */
    ASSERT_BIT_SET s0, 8
    TEST 3                      /* M */
    ASSERT_BIT_SET s0, 12
    TEST 4                      /* A */
    ASSERT_BIT_SET s0, 0
    TEST 5                      /* C */
    ASSERT_BIT_SET s0, 2
    TEST 6                      /* U */
    ASSERT_BIT_SET s0, 20
    TEST 7                      /* E is the complement of I */
    ASSERT_BIT_CLEAR s0, 4
    TEST 8                      /* bits 61:26 are reserved zero */
    slli t0, s0, 2
    srli t0, t0, 28
    ASSERT_ZERO t0
    TEST 9                      /* the same value through csrrs x0 and csrrsi 0 */
    csrrs s1, misa, x0
    ASSERT_EQ s1, s0
    csrrsi s1, misa, 0
    ASSERT_EQ s1, s0
    TEST 10                     /* writing back its own value: no trap, unchanged */
    EXPECT_NO_TRAP csrw misa, s0
    csrr s1, misa
    ASSERT_EQ s1, s0
    j pass
