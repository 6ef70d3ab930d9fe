/* csr_unimpl: CSR numbers that neither Rivet nor QEMU 7.2 implement
 * (0x7ff, 0x8ff, 0x5c0) raise an illegal-instruction exception for every access
 * form, reads included (csrr, csrrsi 0, csrrc x0), with mepc = the instruction,
 * mtval = 0 or its encoding, and rd left unwritten. */
#include "trap_test.h"

.macro UNIMPL csr, base
    TEST \base+1                /* csrr */
    li s0, 0x5a5a
    EXPECT_ILLEGAL csrr s0, \csr
    ASSERT_IMM s0, 0x5a5a
    TEST \base+2                /* csrrsi 0 / csrrc x0 / csrrci 0 */
    EXPECT_ILLEGAL csrrsi s0, \csr, 0
    EXPECT_ILLEGAL csrrc s0, \csr, x0
    EXPECT_ILLEGAL csrrci s0, \csr, 0
    ASSERT_IMM s0, 0x5a5a
    TEST \base+3                /* writes */
    li s1, 1
    EXPECT_ILLEGAL csrw \csr, s1
    EXPECT_ILLEGAL csrrw s0, \csr, s1
    EXPECT_ILLEGAL csrrs s0, \csr, s1
    EXPECT_ILLEGAL csrrwi s0, \csr, 3
    EXPECT_ILLEGAL csrrw x0, \csr, x0
    ASSERT_IMM s0, 0x5a5a
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    UNIMPL 0x7ff, 0
    UNIMPL 0x8ff, 10
    UNIMPL 0x5c0, 20
    TEST 31                     /* mtval carries the encoding when not 0 (exact check) */
    ARM_TRAP
1:  csrr s0, 0x8ff
    ld t0, TA_TVAL(tp)
    beqz t0, 2f
    li t1, 0x8ff02473           /* csrrs s0, 0x8ff, x0 */
    ASSERT_EQ t0, t1
2:
    j pass
