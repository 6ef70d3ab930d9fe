/* csr_mstatus: the machine fields of mstatus that an M+U hart must implement.
 * MIE, MPIE set/clear independently; MPP holds 3 (M) and 0 (U) (MPP = 1/2 is
 * not checked: QEMU has S-mode so 1 is legal there, and QEMU 7.2 even keeps the
 * reserved 2); TW and MPRV are writable (they exist when U-mode exists);
 * UXL (33:32) reads 2 (U-mode is RV64); MBE (37) reads 0 (little-endian);
 * csrw of a whole value sets exactly the fields written. mie = 0 throughout so
 * setting MIE takes no interrupt. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero

    TEST 1                      /* MIE */
    csrsi mstatus, MSTATUS_MIE
    csrr s0, mstatus
    ASSERT_BIT_SET s0, 3
    csrci mstatus, MSTATUS_MIE
    csrr s0, mstatus
    ASSERT_BIT_CLEAR s0, 3
    TEST 2                      /* MPIE, independent of MIE */
    li s1, MSTATUS_MPIE
    csrs mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_SET s0, 7
    ASSERT_BIT_CLEAR s0, 3
    csrc mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_CLEAR s0, 7
    TEST 3                      /* MPP = 3 */
    li s1, MSTATUS_MPP
    csrs mstatus, s1
    csrr s0, mstatus
    ASSERT_FIELD s0, MSTATUS_MPP, MSTATUS_MPP
    TEST 4                      /* MPP = 0 */
    csrc mstatus, s1
    csrr s0, mstatus
    ASSERT_FIELD s0, MSTATUS_MPP, 0
    TEST 5                      /* TW writable */
    li s1, MSTATUS_TW
    csrs mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_SET s0, 21
    csrc mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_CLEAR s0, 21
    TEST 6                      /* MPRV writable (MPP = 3, so no effect on M accesses) */
    li s1, MSTATUS_MPP
    csrs mstatus, s1
    li s1, MSTATUS_MPRV
    csrs mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_SET s0, 17
    csrc mstatus, s1
    csrr s0, mstatus
    ASSERT_BIT_CLEAR s0, 17
    TEST 7                      /* UXL = 2 (RV64 U-mode), MBE = 0 */
    csrr s0, mstatus
    srli t0, s0, 32
    andi t0, t0, 3
    ASSERT_IMM t0, 2
    ASSERT_BIT_CLEAR s0, 37
    TEST 8                      /* whole-register write: MPP=3, MPIE=1, MIE=1 */
    csrr s2, mstatus
    li t0, ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TW | MSTATUS_MPRV)
    and s2, s2, t0
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    or s1, s2, t0
    csrw mstatus, s1
    csrr s0, mstatus
    ASSERT_FIELD s0, (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TW | MSTATUS_MPRV), (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
    TEST 9                      /* ...and back: all five clear */
    csrw mstatus, s2
    csrr s0, mstatus
    ASSERT_FIELD s0, (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TW | MSTATUS_MPRV), 0
    TEST 10                     /* csrrs returns the old value while setting */
    li s1, MSTATUS_MPIE
    csrrs s0, mstatus, s1
    ASSERT_BIT_CLEAR s0, 7
    csrrc s0, mstatus, s1
    ASSERT_BIT_SET s0, 7
    csrr s0, mstatus
    ASSERT_BIT_CLEAR s0, 7
    j pass
