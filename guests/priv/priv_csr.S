/* priv_csr: the S-mode CSRs and the machine CSRs that S-mode adds, read and
 * written from M-mode, with QEMU 7.2's writable masks (rv64 with S, no H/F):
 * misa has S and U; medeleg keeps 0xf0bfff, mideleg 0x2666 (0x3666 with
 * QEMU's default H); mstatus's S
 * fields (SIE SPIE SPP SUM MXR TVM TSR, MPP = 1) are writable and SXL reads
 * 2; sstatus shows only its own fields of mstatus (plus UXL) and writes only
 * SIE SPIE SPP SUM MXR; sie/sip are mie/mip through mideleg (sip writes only
 * SSIP); M writes SSIP/STIP/SEIP in mip; stvec modes 2/3 are ignored; satp
 * ignores reserved modes; menvcfg keeps 0xc0000000000000f1, senvcfg 0xf1;
 * the S scratch/trap registers hold what is written. */
#include "priv_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    CLINT_QUIET

    TEST 1                      /* misa: S (18) and U (20) */
    csrr s0, misa
    ASSERT_BIT_SET s0, 18
    ASSERT_BIT_SET s0, 20
    TEST 2                      /* medeleg */
    li t0, -1
    csrw medeleg, t0
    csrr s0, medeleg
    ASSERT_IMM s0, 0xf0bfff
    csrw medeleg, zero
    csrr s0, medeleg
    ASSERT_ZERO s0
    TEST 3                      /* mideleg (QEMU's default rv64 has H, which forces SGEIP: 0x3666) */
    li t0, -1
    csrw mideleg, t0
    csrr s0, mideleg
    li t0, 0x1000
    not t0, t0
    and s0, s0, t0
    ASSERT_IMM s0, 0x2666
    csrw mideleg, zero
    TEST 4                      /* mstatus S fields, SXL = 2 */
    li t0, 0x7e0122             /* SIE SPIE SPP SUM MXR TVM TW TSR MPRV */
    csrs mstatus, t0
    csrr s0, mstatus
    ASSERT_FIELD s0, 0x7e0122, 0x7e0122
    srli t0, s0, 34
    andi t0, t0, 3
    ASSERT_IMM t0, 2
    csrc mstatus, s0
    csrr s0, mstatus
    ASSERT_FIELD s0, 0x7e19aa, 0
    TEST 5                      /* MPP = 1 (S) is kept */
    li t0, MSTATUS_MPP_S
    csrs mstatus, t0
    csrr s0, mstatus
    ASSERT_FIELD s0, MSTATUS_MPP, MSTATUS_MPP_S
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    TEST 6                      /* sstatus shows SIE/SPIE/SPP/SUM/MXR and UXL, not M fields */
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TW
    csrs mstatus, t0
    li t0, 0x7e19aa             /* every M and S field (not UXL or VS: QEMU 7.2 lets sstatus write those) */
    csrw sstatus, t0
    csrr s0, sstatus
    li t0, 0x8000000300000000 | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
    and t1, s0, t0
    li t2, 0x0000000200000000 | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
    ASSERT_EQ t1, t2
    ASSERT_FIELD s0, 0x7ff9aa, 0x0c0122 /* no MIE MPIE MPP TW TVM TSR MPRV in the view */
    csrr s1, mstatus            /* the M fields are untouched, TVM/TSR not set through sstatus */
    ASSERT_FIELD s1, 0x7e19aa, 0x2c19aa
    csrw sstatus, zero
    csrr s1, mstatus
    ASSERT_FIELD s1, 0x7e19aa, 0x201888
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TW
    csrc mstatus, t0
    TEST 7                      /* sie through mideleg */
    csrw mie, zero
    li t0, -1
    csrw sie, t0
    csrr s0, sie
    ASSERT_ZERO s0
    csrr s0, mie
    ASSERT_ZERO s0
    li t0, 0x222
    csrw mideleg, t0
    li t0, -1
    csrw sie, t0
    csrr s0, sie
    ASSERT_IMM s0, 0x222
    csrr s0, mie
    ASSERT_IMM s0, 0x222
    li t0, MIE_MSIE
    csrw mie, t0                /* mie write clears the S bits */
    csrr s0, sie
    ASSERT_ZERO s0
    csrw mie, zero
    TEST 8                      /* M writes SSIP/STIP/SEIP; sip shows them through mideleg */
    li t0, 0x222
    csrw mip, t0
    csrr s0, mip
    ASSERT_FIELD s0, 0xaaa, 0x222
    csrr s0, sip
    ASSERT_IMM s0, 0x222
    li t0, 0x2
    csrw mideleg, t0
    csrr s0, sip
    ASSERT_IMM s0, 0x2
    csrw mip, zero
    TEST 9                      /* sip writes SSIP only, through mideleg */
    li t0, 0x222
    csrw mideleg, t0
    li t0, 0x222
    csrw sip, t0
    csrr s0, mip
    ASSERT_FIELD s0, 0xaaa, 0x2
    csrw sip, zero
    csrr s0, mip
    ASSERT_FIELD s0, 0xaaa, 0
    csrw mideleg, zero
    li t0, 0x2
    csrw sip, t0
    csrr s0, mip
    ASSERT_FIELD s0, 0xaaa, 0
    TEST 10                     /* stvec: direct and vectored kept, modes 2/3 ignored */
    li t0, 0x80001000
    csrw stvec, t0
    csrr s0, stvec
    ASSERT_EQ s0, t0
    li t0, 0x80002001
    csrw stvec, t0
    csrr s0, stvec
    ASSERT_EQ s0, t0
    li t1, 0x80003002
    csrw stvec, t1
    csrr s0, stvec
    ASSERT_EQ s0, t0
    li t1, 0x80003003
    csrw stvec, t1
    csrr s0, stvec
    ASSERT_EQ s0, t0
    TEST 11                     /* satp: Bare kept, reserved modes 1 and 15 ignored */
    csrw satp, zero
    li t0, (1 << 60) | 5
    csrw satp, t0
    csrr s0, satp
    ASSERT_ZERO s0
    li t0, -1
    csrw satp, t0
    csrr s0, satp
    ASSERT_ZERO s0
    TEST 12                     /* menvcfg / senvcfg */
    li t0, -1
    csrw CSR_MENVCFG, t0
    csrr s0, CSR_MENVCFG
    li t1, 0xc0000000000000f1
    ASSERT_EQ s0, t1
    csrw CSR_MENVCFG, zero
    li t0, -1
    csrw CSR_SENVCFG, t0
    csrr s0, CSR_SENVCFG
    ASSERT_IMM s0, 0xf1
    csrw CSR_SENVCFG, zero
    TEST 13                     /* sscratch, sepc, scause, stval hold values */
    li t0, 0x0123456789abcdef
    csrw sscratch, t0
    csrr s0, sscratch
    ASSERT_EQ s0, t0
    li t0, 0x80001234
    csrw sepc, t0
    csrr s0, sepc
    ASSERT_EQ s0, t0
    li t0, 0x8000000000000005
    csrw scause, t0
    csrr s0, scause
    ASSERT_EQ s0, t0
    li t0, 0xdeadbeefcafe
    csrw stval, t0
    csrr s0, stval
    ASSERT_EQ s0, t0
    TEST 14                     /* scounteren holds TM/CY/IR */
    li t0, 7
    csrw scounteren, t0
    csrr s0, scounteren
    ASSERT_IMM s0, 7
    csrw scounteren, zero
    j pass
