/* irq_msip: machine software interrupt through CLINT msip (0x2000000 + 4*hart).
 * msip = 1 sets mip.MSIP; it is taken only with mstatus.MIE = 1 and
 * mie.MSIE = 1, as mcause = (1<<63)|3, mepc = the next instruction to run
 * (right after the csr write that enabled it), mtval = 0, MPP = 3, MPIE = 1,
 * MIE = 0 inside the handler, MIE = 1 again after mret. wfi returns with a
 * pending + enabled interrupt even when MIE = 0 (no trap). msip = 0 clears it. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    li s0, CLINT_MSIP(0)

    TEST 1                      /* raise: pending, not taken (MIE = 0, mie = 0) */
    li t0, 1
    ARM_TRAP
    sw t0, 0(s0)
    csrr t0, mip
    ASSERT_BIT_SET t0, 3
    CHECK_NO_TRAP
    TEST 2                      /* MIE = 1, mie = 0: not taken */
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_NO_TRAP
    TEST 3                      /* MIE = 0, mie.MSIE = 1: not taken */
    ARM_TRAP
    csrsi mie, MIE_MSIE
    nop
    nop
    CHECK_NO_TRAP
    TEST 4                      /* MIE = 0: wfi returns, no trap */
    ARM_TRAP
    wfi
    CHECK_NO_TRAP
    TEST 5                      /* enable MIE: taken at once, before the next instruction */
    li t0, 0x1234
    csrw mtval, t0
    li s1, 0
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
1:  li s1, 1
    CHECK_TRAP CAUSE_MSI
    CHECK_EPC 1b
    CHECK_TVAL 0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), (MSTATUS_MPP | MSTATUS_MPIE)
    ld t0, TA_MIP(tp)
    ASSERT_BIT_SET t0, 3
    ASSERT_IMM s1, 1
    TEST 6                      /* after mret: MIE = 1 again; the handler cleared mie.MSIE */
    csrr t0, mstatus
    ASSERT_BIT_SET t0, 3
    csrr t0, mie
    ASSERT_BIT_CLEAR t0, 3
    TEST 7                      /* MIE = 1 already: enabling mie.MSIE takes it at once */
    ARM_TRAP
    csrsi mie, MIE_MSIE
2:  nop
    CHECK_TRAP CAUSE_MSI
    CHECK_EPC 2b
    TEST 8                      /* still pending in mip until msip is cleared */
    csrr t0, mip
    ASSERT_BIT_SET t0, 3
    sw zero, 0(s0)
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 3
    lw t0, 0(s0)
    ASSERT_ZERO t0
    TEST 9                      /* cleared: enabling takes nothing */
    ARM_TRAP
    csrsi mie, MIE_MSIE
    nop
    nop
    CHECK_NO_TRAP
    TEST 10                     /* raising it with everything enabled: taken after the store */
    li t0, 1
    ARM_TRAP
    sw t0, 0(s0)
10: li t1, 1000                 /* a device write may take effect a little later */
3:  ld t2, TA_COUNT(tp)
    bnez t2, 4f
    addi t1, t1, -1
    bnez t1, 3b
4:  CHECK_TRAP CAUSE_MSI
    ld t0, TA_EPC(tp)
    la t1, 10b
    ASSERT_GEU t0, t1
    la t1, 4b
    ASSERT_GEU t1, t0
    TEST 11                     /* clear and leave */
    sw zero, 0(s0)
    csrci mstatus, MSTATUS_MIE
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 3
    j pass
