/* priv_irq: interrupt delegation through mideleg and the supervisor interrupts.
 * A delegated interrupt is never taken in M; in S only with sstatus.SIE; in U
 * always. A non-delegated S-level interrupt (set by M in mip) is an M
 * interrupt: taken in S or U whatever SIE. M-level interrupts come before
 * S-level ones. Vectored stvec sends an interrupt to base + 4 * cause. SEIP
 * written by M is delegated the same way. */
#include "priv_test.h"
    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    csrw medeleg, zero
    li t0, MIP_SSIP | MIP_SEIP
    csrw mideleg, t0

    TEST 1                      /* delegated SSI pending + enabled: not taken in M, even with MIE */
    li t0, MIP_SSIP
    csrw mie, t0
    csrw mip, t0
    ARM_TRAPS 0
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_NO_TRAP
    TEST 2                      /* in S: not with SIE = 0, taken once SIE = 1 */
    csrci sstatus, MSTATUS_SIE
    ARM_ONE
    ENTER_SMODE s2
m2: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 3                      /* in U: taken whatever SIE, SPP = 0 */
    li t0, MIP_SSIP
    csrw mie, t0                /* still pending in mip */
    csrci sstatus, MSTATUS_SIE
    ARM_ONE
    ENTER_UMODE u3
m3: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 4                      /* not delegated: an M interrupt, taken in S with SIE = 0 */
    csrw mideleg, zero
    li t0, MIP_SSIP
    csrw mie, t0
    ARM_ONE
    ENTER_SMODE s4
m4: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 5                      /* in S, SIE = 1: STI (to M) before the delegated SSI */
    li t0, MIP_SSIP | MIP_SEIP
    csrw mideleg, t0
    li t0, MIP_SSIP | MIP_STIP
    csrw mip, t0
    csrw mie, t0
    csrsi sstatus, MSTATUS_SIE
    ARM_TRAPS_MODE 2
    ENTER_SMODE s5
m5: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw mip, zero
    TEST 6                      /* vectored stvec: SEI to base + 4 * 9 */
    la t0, svec
    ori t0, t0, 1
    csrw stvec, t0
    li t0, MIP_SEIP
    csrw mip, t0
    csrw mie, t0
    csrsi sstatus, MSTATUS_SIE
    ARM_ONE
    ENTER_SMODE s6
m6: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw mip, zero
    j pass

s2: TEST 2
    nop
    nop
    ld t0, TA_COUNT(tp)
    ASSERT_ZERO t0
    csrsi sstatus, MSTATUS_SIE
1:  csrci sstatus, MSTATUS_SIE
    CHECK_S_TRAP CAUSE_SSI
    CHECK_EPC 1b
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE
    csrr t0, sie                /* the handler masked it */
    ASSERT_ZERO t0
    BACK_TO_M m2

u3: CHECK_S_TRAP CAUSE_SSI
    CHECK_EPC u3
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP | MSTATUS_SPIE, 0
    BACK_TO_M m3

s4: CHECK_M_TRAP CAUSE_SSI
    CHECK_EPC s4
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, MSTATUS_MPP_S
    BACK_TO_M m4

s5: nop
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_STI
    CHECK_LOG 1, CAUSE_SSI
    ld t0, TA_MODE(tp)          /* the last one in S */
    ASSERT_IMM t0, 1
    csrci sstatus, MSTATUS_SIE
    BACK_TO_M m5

s6: nop
    CHECK_S_TRAP CAUSE_SEI
    csrci sstatus, MSTATUS_SIE
    BACK_TO_M m6

    .balign 64
svec:
    .option push
    .option norvc
    .rept 9
    j fail
    .endr
    j strap_handler             /* 9: SEI */
    .option pop
