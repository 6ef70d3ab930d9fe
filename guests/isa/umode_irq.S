/* umode_irq: machine interrupts are always enabled while in U-mode, whatever
 * mstatus.MIE says, but still gated by mie. A pending + enabled interrupt is
 * taken right after mret to U, before the first U instruction (mepc = the U
 * entry point, MPP = 0, MPIE = the U-mode MIE); with mie clear nothing is
 * taken. Both pending: MSI before MTI. A timer firing while U spins
 * interrupts it there. */
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
    li s0, CLINT_MSIP(0)
    li s1, CLINT_MTIMECMP(0)
    li s2, CLINT_MTIME

    TEST 1                      /* MSI, U-mode MIE = 0 */
    li t0, 1
    sw t0, 0(s0)
    csrsi mie, MIE_MSIE
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    ARM_TRAP
    ENTER_UMODE u1
m1: CHECK_TRAP CAUSE_USER_ECALL
    sw zero, 0(s0)
    TEST 2                      /* MSI, U-mode MIE = 1 */
    li t0, 1
    sw t0, 0(s0)
    csrsi mie, MIE_MSIE
    li t0, MSTATUS_MPIE
    csrs mstatus, t0
    ARM_TRAP
    ENTER_UMODE u2
m2: CHECK_TRAP CAUSE_USER_ECALL
    TEST 3                      /* MSI pending, mie = 0: not taken in U */
    csrw mie, zero
    ARM_TRAP
    ENTER_UMODE u3
m3: CHECK_TRAP CAUSE_USER_ECALL
    sw zero, 0(s0)
    TEST 4                      /* MTI pending (mtimecmp = 0) */
    sd zero, 0(s1)
    li t0, MIE_MTIE
    csrw mie, t0
    ARM_TRAP
    ENTER_UMODE u4
m4: CHECK_TRAP CAUSE_USER_ECALL
    TEST 5                      /* both pending: MSI first, then MTI, both at the entry */
    li t0, 1
    sw t0, 0(s0)
    li t0, MIE_MTIE | MIE_MSIE
    csrw mie, t0
    ARM_TRAPS 2
    ENTER_UMODE u5
m5: CHECK_TRAP CAUSE_USER_ECALL
    sw zero, 0(s0)
    li t0, -1
    sd t0, 0(s1)
    TEST 7                      /* a timer firing while U spins */
    ld t0, 0(s2)
    li t1, 5000
    add t0, t0, t1
    sd t0, 0(s1)
    li t0, MIE_MTIE
    csrw mie, t0
    ARM_TRAP
    ENTER_UMODE u7
m7: CHECK_TRAP CAUSE_USER_ECALL
    li t0, -1
    sd t0, 0(s1)
    j pass

u1: TEST 1
    CHECK_TRAP CAUSE_MSI
    CHECK_EPC u1
    CHECK_TVAL 0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), 0
    BACK_TO_M m1
u2: TEST 2
    CHECK_TRAP CAUSE_MSI
    CHECK_EPC u2
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), MSTATUS_MPIE
    BACK_TO_M m2
u3: TEST 3
    nop
    nop
    CHECK_NO_TRAP
    BACK_TO_M m3
u4: TEST 4
    CHECK_TRAP CAUSE_MTI
    CHECK_EPC u4
    BACK_TO_M m4
u5: TEST 5
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_MSI
    CHECK_LOG 1, CAUSE_MTI
    CHECK_EPC u5
    BACK_TO_M m5
u7: ld s3, 0(s2)
    li t0, 10000000
    add s3, s3, t0
1:  ld t0, TA_COUNT(tp)
    bnez t0, 2f
    ld t1, 0(s2)
    bltu t1, s3, 1b
    TEST 7
    j fail
2:  TEST 7
    CHECK_TRAP CAUSE_MTI
    ld t0, TA_EPC(tp)
    la t1, u7
    ASSERT_GEU t0, t1
    la t1, 2b
    ASSERT_LTU t0, t1
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    ld t0, TA_MIP(tp)
    ASSERT_BIT_SET t0, 7
    BACK_TO_M m7
