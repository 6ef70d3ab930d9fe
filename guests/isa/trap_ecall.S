/* trap_ecall: ecall in M-mode raises mcause 11 with mepc = the ecall (not past
 * it) and mtval = 0 (overwriting a stale value). Trap entry sets MPP = 3,
 * MPIE = old MIE, MIE = 0; mret restores MIE from MPIE, sets MPIE = 1 and
 * MPP = U (0, the least-privileged mode). Registers survive the round trip. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero

    TEST 1                      /* cause, epc, tval */
    li t0, 0x1234
    csrw mtval, t0
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    CHECK_TVAL 0
    TEST 2                      /* MIE = 1 before: MPIE = 1, MIE = 0, MPP = 3 in the handler */
    csrsi mstatus, MSTATUS_MIE
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), (MSTATUS_MPP | MSTATUS_MPIE)
    TEST 3                      /* after mret: MIE = 1, MPIE = 1, MPP = 0 */
    csrr t0, mstatus
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), (MSTATUS_MPIE | MSTATUS_MIE)
    TEST 4                      /* MIE = 0 before: MPIE = 0 in the handler */
    csrci mstatus, MSTATUS_MIE
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), MSTATUS_MPP
    TEST 5                      /* after mret: MIE = 0, MPIE = 1, MPP = 0 */
    csrr t0, mstatus
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), MSTATUS_MPIE
    TEST 6                      /* registers preserved, the next instruction runs once */
    li a0, 0x1111
    li a7, 0x7777
    li s0, 0x8888
    li t0, 0x5
    li t1, 0x6
    li t2, 0x7
    li s1, 0
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    addi s1, s1, 1
    ASSERT_IMM s1, 1
    ASSERT_IMM a0, 0x1111
    ASSERT_IMM a7, 0x7777
    ASSERT_IMM s0, 0x8888
    ASSERT_IMM t0, 0x5
    ASSERT_IMM t1, 0x6
    ASSERT_IMM t2, 0x7
    TEST 7                      /* two ecalls in a row: two traps */
    ARM_TRAPS 2
    ecall
    ecall
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_MACHINE_ECALL
    CHECK_LOG 1, CAUSE_MACHINE_ECALL
    j pass
