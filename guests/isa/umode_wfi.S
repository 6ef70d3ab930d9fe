/* umode_wfi: mstatus.TW.
 * M-mode wfi is unaffected by TW (with MSIP pending + enabled, MIE = 0, it
 * returns without a trap). In U-mode with TW = 1 and nothing pending, wfi raises
 * illegal instruction (mepc = the wfi, mtval = 0 or the bits, MPP = 0).
 * In U-mode with TW = 0, wfi may complete or trap: QEMU 7.2 always traps it
 * (it has S-mode, where U-mode wfi may raise illegal instruction) and an M+U
 * hart may sleep until an interrupt: check 4 arms the timer 2 ms ahead
 * (mie.MTIE; M interrupts are always enabled in U) and accepts
 * [illegal, timer] or [timer] alone as the traps seen. */
#include "trap_test.h"

.macro BACK_TO_M label
    ARM_TRAP_RESUME \label
    ecall
    j fail
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    PMP_ALLOW_ALL

    TEST 1                      /* M-mode wfi with TW = 1: no trap, wakes on pending MSIP */
    li t0, MSTATUS_TW
    csrs mstatus, t0
    li s0, CLINT_MSIP(0)
    li t0, 1
    sw t0, 0(s0)
    csrsi mie, MIE_MSIE
    ARM_TRAP
    wfi
    CHECK_NO_TRAP
    csrw mie, zero
    sw zero, 0(s0)
    TEST 2                      /* U-mode wfi with TW = 1: illegal */
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    ENTER_UMODE u2
m2: CHECK_TRAP CAUSE_USER_ECALL
    TEST 4                      /* U-mode wfi with TW = 0 */
    li t0, MSTATUS_TW
    csrc mstatus, t0
    li s0, CLINT_MTIMECMP(0)
    li s1, CLINT_MTIME
    ld t0, 0(s1)
    li t1, 20000
    add t0, t0, t1
    sd t0, 0(s0)
    li t0, MIE_MTIE
    csrw mie, t0
    ARM_TRAPS 2
    ENTER_UMODE u4
m4: CHECK_TRAP CAUSE_USER_ECALL
    TEST 6                      /* the timer was disarmed by the handler (mie.MTIE = 0) */
    csrr t0, mie
    ASSERT_ZERO t0
    li t0, -1
    sd t0, 0(s0)
    j pass

u2: TEST 2
    ARM_TRAP
1:  wfi
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    CHECK_TVAL_ZERO_OR_INSN 1b
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    TEST 3                      /* still in U afterwards */
    EXPECT_ILLEGAL csrr t0, mstatus
    BACK_TO_M m2

u4: ld s2, 0(s1)                /* U reads mtime (PMP allows it) */
    li t0, 10000000
    add s2, s2, t0              /* give up after 1 s */
    wfi
1:  ld t0, TA_COUNT(tp)         /* wait for the timer interrupt */
    beqz t0, 2f
    ld t1, TA_CAUSE(tp)
    bltz t1, 3f
2:  ld t2, 0(s1)
    bltu t2, s2, 1b
    j fail
3:  TEST 5                      /* [timer] or [illegal, timer] */
    ld t0, TA_COUNT(tp)         /* re-read: the timer may have hit between the loads */
    li t1, 1
    beq t0, t1, 4f
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_ILLEGAL_INSN
    CHECK_LOG 1, CAUSE_MTI
    j 5f
4:  CHECK_LOG 0, CAUSE_MTI
5:  ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    TEST 4
    BACK_TO_M m4
