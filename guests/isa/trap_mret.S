/* trap_mret: mret jumps to mepc (mepc itself unchanged), sets MIE = MPIE,
 * MPIE = 1, privilege = MPP and MPP = U (0, least-privileged supported mode).
 * MPP = 3 stays in M (M-only CSRs still accessible), MPP = 0 enters U (shown by
 * ecall giving mcause 8 and by mstatus access trapping). mret to a mode other
 * than M clears MPRV (priv spec 1.12; QEMU 7.2 keeps it, so check 6 accepts
 * both); mret to M leaves MPRV alone. */
#include "trap_test.h"

/* mstatus fields MIE|MPIE|MPP := value (clobbers t6) */
.macro SET_MSTATUS_FIELDS value
    li t6, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    csrc mstatus, t6
    li t6, \value
    csrs mstatus, t6
.endm
/* fail unless (mstatus & (MIE|MPIE|MPP)) == value */
.macro CHECK_MSTATUS_FIELDS value
    csrr t4, mstatus
    ASSERT_FIELD t4, (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP), \value
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    PMP_ALLOW_ALL

    TEST 1                      /* MPP=M, MPIE=1, MIE=0 -> M, MIE=1, MPIE=1, MPP=U */
    SET_MSTATUS_FIELDS (MSTATUS_MPP | MSTATUS_MPIE)
    la s1, m1
    csrw mepc, s1
    mret
    j fail
m1: CHECK_MSTATUS_FIELDS (MSTATUS_MIE | MSTATUS_MPIE)
    csrr t0, mepc
    ASSERT_EQ t0, s1
    TEST 2                      /* MPP=M, MPIE=0, MIE=1 -> MIE=0, MPIE=1 */
    SET_MSTATUS_FIELDS (MSTATUS_MPP | MSTATUS_MIE)
    la t0, m2
    csrw mepc, t0
    mret
    j fail
m2: CHECK_MSTATUS_FIELDS MSTATUS_MPIE
    TEST 3                      /* still in M: M-only CSRs accessible */
    EXPECT_NO_TRAP csrr t0, mscratch
    EXPECT_NO_TRAP csrw mscratch, t0
    TEST 4                      /* MPP=U: enter U, ecall gives mcause 8 */
    SET_MSTATUS_FIELDS MSTATUS_MPIE
    ARM_TRAP_RESUME m4
    la t0, u4
    csrw mepc, t0
    mret
    j fail
m4: CHECK_TRAP CAUSE_USER_ECALL
    CHECK_EPC u4
    ld t0, TA_STATUS(tp)        /* trapped from U: MPP = 0, MPIE = MIE in U (1) */
    ASSERT_FIELD t0, (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP), MSTATUS_MPIE
    TEST 5                      /* in U, mstatus access traps; the handler returns to U */
    SET_MSTATUS_FIELDS 0
    la t0, u5
    csrw mepc, t0
    mret
    j fail
m5: CHECK_TRAP CAUSE_USER_ECALL
    ld t0, TA_USER(tp)
    ASSERT_IMM t0, 1
    TEST 6                      /* mret to U clears MPRV */
    li t0, MSTATUS_MPRV
    csrs mstatus, t0            /* MPP = 0 now: M loads/stores use U rights; PMP allows all */
    SET_MSTATUS_FIELDS 0
    ARM_TRAP_RESUME m6
    la t0, u4
    csrw mepc, t0
    mret
    j fail
m6: csrr s0, mstatus
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK_TRAP CAUSE_USER_ECALL
    ld t0, TA_STATUS(tp)        /* MPRV as the U-mode ecall found it */
    srli t1, t0, 17
    andi t1, t1, 1
    beqz t1, 1f                 /* spec: cleared */
    srli t1, s0, 17             /* QEMU 7.2: kept, and still set now */
    andi t1, t1, 1
    ASSERT_IMM t1, 1
    j 2f
1:  ASSERT_BIT_CLEAR s0, 17     /* once cleared it stays cleared */
2:
    TEST 7                      /* mret to M keeps MPRV */
    SET_MSTATUS_FIELDS MSTATUS_MPP
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    la t0, m7
    csrw mepc, t0
    mret
    j fail
m7: csrr s0, mstatus
    li t0, MSTATUS_MPRV         /* MPP is U now: clear MPRV before checking anything */
    csrc mstatus, t0
    ASSERT_BIT_SET s0, 17
    ASSERT_FIELD s0, MSTATUS_MPP, 0
    TEST 8                      /* mret leaves mepc unchanged */
    SET_MSTATUS_FIELDS MSTATUS_MPP
    la s1, m8
    csrw mepc, s1
    mret
    j fail
m8: csrr t0, mepc
    ASSERT_EQ t0, s1
    j pass

/* U-mode code */
u4: ecall
    j fail
u5: sd zero, TA_USER(tp)
    ARM_TRAP
1:  csrr t0, mstatus            /* illegal in U */
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    li t0, 1
    sd t0, TA_USER(tp)
    ARM_TRAP_RESUME m5
    ecall
    j fail
