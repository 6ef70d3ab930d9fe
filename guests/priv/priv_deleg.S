/* priv_deleg: exception delegation through medeleg.
 * Not delegated, a trap from S or U goes to M (MPP = the mode); delegated
 * (the cause's bit in medeleg), one from S or U goes to S: scause/sepc/stval
 * set, SPP = the mode it came from, SPIE = the old SIE, SIE = 0, M state
 * untouched. Traps from M are never delegated. ecall from S is cause 9.
 * Checked per cause: ecall (U 8, S 9), illegal instruction (stval = 0 or the
 * bits), breakpoint (stval 0 on QEMU 7.2, the pc allowed), load/store access
 * fault (stval = address), misaligned fetch is impossible with C, so fetch
 * access fault (stval = address). */
#include "priv_test.h"
    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    csrw medeleg, zero
    csrw mideleg, zero
    li s4, UNMAPPED_ADDR

    TEST 1                      /* U ecall, not delegated: M, cause 8, MPP = 0 */
    ARM_RESUME m1
    ENTER_UMODE u1
m1: CHECK_M_TRAP CAUSE_USER_ECALL
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0

    TEST 2                      /* S ecall, not delegated: M, cause 9, MPP = 1 */
    ARM_RESUME m2
    ENTER_SMODE s2
m2: CHECK_M_TRAP CAUSE_SUPERVISOR_ECALL
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, MSTATUS_MPP_S

    TEST 3                      /* U ecall delegated: S, SPP = 0; mepc/mcause untouched */
    li t0, 1 << 8
    csrw medeleg, t0
    csrci sstatus, MSTATUS_SIE
    li t0, MSTATUS_SPIE
    csrs sstatus, t0            /* SPIE = 1 before: it must become SIE = 0 */
    ARM_ONE
    ENTER_UMODE u3
m3: csrw medeleg, zero
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrr t0, mcause             /* the delegated ecalls left mcause alone */
    ASSERT_IMM t0, CAUSE_ILLEGAL_INSN

    TEST 4                      /* S ecall delegated: S, SPP = 1, SPIE = old SIE (1) */
    li t0, 1 << 9
    csrw medeleg, t0
    ARM_ONE
    ENTER_SMODE s4
m4: csrw medeleg, zero

    TEST 6                      /* S illegal, breakpoint, load/store/fetch access faults delegated */
    li t0, (1 << 2) | (1 << 3) | (1 << 5) | (1 << 7) | (1 << 1)
    csrw medeleg, t0
    ENTER_SMODE s6
m6: csrw medeleg, zero
    CHECK_M_TRAP CAUSE_SUPERVISOR_ECALL

    TEST 12                     /* from M nothing is delegated: ecall 11, illegal 2 in M */
    li t0, 0xf0bfff
    csrw medeleg, t0
    ARM_ONE
    ecall
    CHECK_M_TRAP CAUSE_MACHINE_ECALL
    ARM_ONE
1:  csrr t0, 0x7ff
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw medeleg, zero
    j pass

u1: ecall
    j fail
s2: ecall
    j fail

u3: ecall                       /* to S; its handler returns here, still in U */
3:  CHECK_S_TRAP CAUSE_USER_ECALL
    CHECK_EPC u3
    ARM_ONE                     /* and again */
    ecall
    CHECK_S_TRAP CAUSE_USER_ECALL
    CHECK_TVAL 0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE, 0
    TEST 5                      /* still U: S CSRs are illegal (to M: not delegated) */
    ARM_ONE
    csrr t0, sstatus
    CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    BACK_TO_M m3

s4: csrsi sstatus, MSTATUS_SIE
    ecall
    CHECK_S_TRAP CAUSE_SUPERVISOR_ECALL
    CHECK_EPC s4+4
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE, MSTATUS_SPP | MSTATUS_SPIE
    csrr t0, sstatus            /* sret restored SIE = 1 */
    ASSERT_FIELD t0, MSTATUS_SIE, MSTATUS_SIE
    csrci sstatus, MSTATUS_SIE
    BACK_TO_M m4

s6: TEST 6
    ARM_ONE
1:  csrr t0, mstatus
    CHECK_S_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    CHECK_TVAL_ZERO_OR_INSN 1b
    TEST 7
    ARM_ONE
1:  .option push
    .option norvc
    ebreak
    .option pop
    CHECK_S_TRAP CAUSE_BREAKPOINT
    CHECK_EPC 1b
    CHECK_TVAL_ZERO_OR_ADDR 1b
    TEST 8
    ARM_ONE
1:  ld t0, 0(s4)
    CHECK_S_TRAP CAUSE_LOAD_ACCESS
    CHECK_EPC 1b
    CHECK_TVAL_REG s4
    TEST 9
    ARM_ONE
1:  sd t0, 8(s4)
    CHECK_S_TRAP CAUSE_STORE_ACCESS
    CHECK_EPC 1b
    addi t1, s4, 8
    CHECK_TVAL_REG t1
    TEST 10                     /* fetch fault: resume in S at 2f */
    ARM_RESUME 2f
    jr s4
2:  CHECK_S_TRAP CAUSE_FETCH_ACCESS
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s4
    CHECK_TVAL_REG s4
    TEST 11                     /* an ecall from S is still not delegated */
    ARM_RESUME m6
    ecall
    j fail
