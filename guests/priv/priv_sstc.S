/* priv_sstc: the time CSR and Sstc.
 * time reads the CLINT's mtime; below M it needs mcounteren.TM, in U also
 * scounteren.TM (else illegal). stimecmp: M always; S only with
 * mcounteren.TM and menvcfg.STCE. A stimecmp at or before mtime sets
 * mip.STIP, a later one clears it; with STCE set M cannot write STIP.
 * A supervisor timer tick: STIP delegated, S arms stimecmp 100 us ahead and
 * takes the interrupt in S (SPP = 1), then again while U spins (SPP = 0). */
#include "priv_test.h"
    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    csrw medeleg, zero
    csrw mideleg, zero
    csrw mcounteren, zero
    csrw scounteren, zero
    csrw CSR_MENVCFG, zero
    li s1, CLINT_MTIME

    TEST 1                      /* M: time between two mtime reads */
    ld t0, 0(s1)
    csrr t1, time
    ld t2, 0(s1)
    ASSERT_GEU t1, t0
    ASSERT_GEU t2, t1
    TEST 2                      /* S: needs mcounteren.TM */
    ENTER_SMODE s2
m2: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 4                      /* U: needs mcounteren.TM and scounteren.TM */
    csrw mcounteren, zero
    li t0, 2
    csrw scounteren, t0
    ENTER_UMODE u4
m4: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, 2
    csrw mcounteren, t0
    csrw scounteren, zero
    ENTER_UMODE u5
m5: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, 2
    csrw scounteren, t0
    ENTER_UMODE u6
m6: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 7                      /* stimecmp from S: needs TM and STCE */
    csrw mcounteren, zero
    li t0, MENVCFG_STCE
    csrw CSR_MENVCFG, t0
    ENTER_SMODE s7
m7: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 9                      /* M: stimecmp sets and clears STIP; with STCE M cannot write it */
    csrw CSR_STIMECMP, zero
    csrr t0, mip
    ASSERT_FIELD t0, MIP_STIP, MIP_STIP
    csrw mip, zero
    csrr t0, mip
    ASSERT_FIELD t0, MIP_STIP, MIP_STIP
    li t0, -1
    csrw CSR_STIMECMP, t0
    csrr t0, mip
    ASSERT_FIELD t0, MIP_STIP, 0
    li t0, MIP_STIP
    csrs mip, t0
    csrr t0, mip
    ASSERT_FIELD t0, MIP_STIP, 0
    TEST 10                     /* STCE = 0: M writes STIP again */
    csrw CSR_MENVCFG, zero
    li t0, MIP_STIP
    csrs mip, t0
    csrr t0, mip
    ASSERT_FIELD t0, MIP_STIP, MIP_STIP
    csrw mip, zero
    TEST 11                     /* the S timer tick */
    li t0, MENVCFG_STCE
    csrw CSR_MENVCFG, t0
    li t0, 2
    csrw mcounteren, t0
    csrw scounteren, t0
    li t0, MIP_STIP
    csrw mideleg, t0
    ENTER_SMODE s11
m11: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    li t0, -1
    csrw CSR_STIMECMP, t0
    csrw mideleg, zero
    csrw CSR_MENVCFG, zero
    j pass

s2: TEST 2
    EXPECT_ILLEGAL csrr t0, time
    TEST 3
    BACK_TO_M 1f
1:  li t0, 2
    csrw mcounteren, t0
    ENTER_SMODE 2f
2:  EXPECT_NO_TRAP csrr t0, time
    BACK_TO_M m2

u4: TEST 4
    EXPECT_ILLEGAL csrr t0, time
    BACK_TO_M m4
u5: TEST 5
    EXPECT_ILLEGAL csrr t0, time
    BACK_TO_M m5
u6: TEST 6
    EXPECT_NO_TRAP csrr t0, time
    EXPECT_NO_TRAP rdtime t0
    BACK_TO_M m6

s7: TEST 7
    EXPECT_ILLEGAL csrr t0, CSR_STIMECMP
    EXPECT_ILLEGAL csrw CSR_STIMECMP, zero
    TEST 8
    BACK_TO_M 1f
1:  li t0, 2
    csrw mcounteren, t0
    csrw CSR_MENVCFG, zero
    ENTER_SMODE 2f
2:  EXPECT_ILLEGAL csrr t0, CSR_STIMECMP
    BACK_TO_M 3f
3:  li t0, MENVCFG_STCE
    csrw CSR_MENVCFG, t0
    ENTER_SMODE 4f
4:  EXPECT_NO_TRAP csrr t0, CSR_STIMECMP
    BACK_TO_M m7

s11: TEST 11                    /* tick in S */
    li t0, MIP_STIP
    csrs sie, t0
    ARM_ONE
    rdtime s2
    li t0, 1000
    add t0, s2, t0
    csrw CSR_STIMECMP, t0
    li t0, 10000000
    add s3, s2, t0              /* give up after 1 s */
    csrsi sstatus, MSTATUS_SIE
1:  ld t0, TA_COUNT(tp)
    bnez t0, 2f
    rdtime t1
    bltu t1, s3, 1b
    j fail
2:  csrci sstatus, MSTATUS_SIE
    CHECK_S_TRAP CAUSE_STI
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP, MSTATUS_SPP
    csrr t0, sip                /* still pending until stimecmp moves */
    ASSERT_FIELD t0, MIP_STIP, MIP_STIP
    li t0, -1
    csrw CSR_STIMECMP, t0
    csrr t0, sip
    ASSERT_FIELD t0, MIP_STIP, 0
    TEST 12                     /* tick while U spins */
    li t0, MIP_STIP
    csrs sie, t0
    ARM_ONE
    rdtime s2
    li t0, 1000
    add t0, s2, t0
    csrw CSR_STIMECMP, t0
    li t0, 10000000
    add s3, s2, t0
    la t0, u12
    csrw sepc, t0
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    sret
u12: ld t0, TA_COUNT(tp)
    bnez t0, 2f
    rdtime t1
    bltu t1, s3, u12
    j fail
2:  CHECK_S_TRAP CAUSE_STI
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_SPP, 0
    BACK_TO_M m11
