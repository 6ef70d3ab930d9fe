/* csr_mie_mip: mie.MSIE/MTIE are read/write; mip.MSIP/MTIP are read-only
 * (csrw/csrs/csrc of mip neither traps nor changes them) and follow the CLINT:
 * msip[0] = 1 sets mip.MSIP, mtimecmp <= mtime sets mip.MTIP, undoing either
 * clears the bit. A pending bit with mie clear or mstatus.MIE clear takes no
 * trap. (QEMU's mtimecmp resets to 0, so MTIP is pending until mtimecmp is
 * written: CLINT_QUIET first.) */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET

    TEST 1                      /* mie: MSIE, MTIE, both, none */
    li s1, MIE_MSIE
    csrw mie, s1
    csrr s0, mie
    ASSERT_EQ s0, s1
    li s1, MIE_MTIE
    csrw mie, s1
    csrr s0, mie
    ASSERT_EQ s0, s1
    li s1, MIE_MSIE | MIE_MTIE
    csrw mie, s1
    csrr s0, mie
    ASSERT_EQ s0, s1
    csrw mie, zero
    csrr s0, mie
    ASSERT_ZERO s0
    TEST 2                      /* mie: set / clear single bits */
    csrsi mie, MIE_MSIE
    li s1, MIE_MTIE
    csrs mie, s1
    csrci mie, MIE_MSIE
    csrr s0, mie
    ASSERT_FIELD s0, (MIE_MSIE | MIE_MTIE), MIE_MTIE
    csrw mie, zero
    TEST 3                      /* nothing pending once the CLINT is quiet */
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    TEST 4                      /* mip.MSIP/MTIP not writable by csr instructions */
    li s1, MIP_MSIP | MIP_MTIP
    EXPECT_NO_TRAP csrw mip, s1
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    EXPECT_NO_TRAP csrs mip, s1
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    TEST 5                      /* CLINT msip -> mip.MSIP (no trap: mie = 0, MIE = 0) */
    li s2, CLINT_MSIP(0)
    li t0, 1
    sw t0, 0(s2)
    lw s0, 0(s2)
    ASSERT_IMM s0, 1
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), MIP_MSIP
    TEST 6                      /* csrc mip cannot clear it */
    li s1, MIP_MSIP
    EXPECT_NO_TRAP csrc mip, s1
    csrr s0, mip
    ASSERT_BIT_SET s0, 3
    TEST 7                      /* pending + enabled in mie but MIE = 0: no trap */
    csrsi mie, MIE_MSIE
    ARM_TRAP
    nop
    nop
    CHECK_NO_TRAP
    TEST 8                      /* pending + MIE = 1 but mie clear: no trap */
    csrw mie, zero
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_NO_TRAP
    TEST 9                      /* clearing msip clears mip.MSIP */
    sw zero, 0(s2)
    lw s0, 0(s2)
    ASSERT_ZERO s0
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    TEST 10                     /* mtimecmp = 0 -> mip.MTIP */
    li s3, CLINT_MTIMECMP(0)
    sd zero, 0(s3)
    ld s0, 0(s3)
    ASSERT_ZERO s0
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), MIP_MTIP
    TEST 11                     /* csrc mip cannot clear MTIP */
    li s1, MIP_MTIP
    EXPECT_NO_TRAP csrc mip, s1
    csrr s0, mip
    ASSERT_BIT_SET s0, 7
    TEST 12                     /* gating for MTIP: MIE = 0 with MTIE, MIE = 1 without */
    li s1, MIE_MTIE
    csrs mie, s1
    ARM_TRAP
    nop
    csrw mie, zero
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_NO_TRAP
    TEST 13                     /* mtimecmp in the future clears MTIP */
    li t0, -1
    sd t0, 0(s3)
    ld s0, 0(s3)
    ASSERT_IMM s0, -1
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    TEST 14                     /* both pending at once */
    li t0, 1
    sw t0, 0(s2)
    sd zero, 0(s3)
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), (MIP_MSIP | MIP_MTIP)
    CLINT_QUIET
    csrr s0, mip
    ASSERT_FIELD s0, (MIP_MSIP | MIP_MTIP), 0
    j pass
