/* irq_priority: with MSIP and MTIP both pending and enabled, the software
 * interrupt is taken first (priority MEI > MSI > MTI), then — once the handler
 * masked it and returned — the timer, both at the same mepc. With only one of
 * them enabled in mie only that one is taken, the other stays pending. */
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
    li s1, CLINT_MTIMECMP(0)

    TEST 1                      /* both pending, both enabled: MSI then MTI */
    li t0, 1
    sw t0, 0(s0)
    sd zero, 0(s1)
    li t0, MIE_MSIE | MIE_MTIE
    csrw mie, t0
    ARM_TRAPS 2
    csrsi mstatus, MSTATUS_MIE
1:  nop
    csrci mstatus, MSTATUS_MIE
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_MSI
    CHECK_LOG 1, CAUSE_MTI
    CHECK_EPC 1b
    TEST 2                      /* enabled one at a time: MTIE only -> MTI, MSIP stays pending */
    li t0, MIE_MTIE
    csrw mie, t0
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TRAP CAUSE_MTI
    csrr t0, mip
    ASSERT_FIELD t0, (MIP_MSIP | MIP_MTIP), (MIP_MSIP | MIP_MTIP)
    TEST 3                      /* MSIE only -> MSI */
    csrwi mie, MIE_MSIE
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_TRAP CAUSE_MSI
    TEST 4                      /* order does not depend on which became pending first */
    sw zero, 0(s0)
    li t0, MIE_MSIE | MIE_MTIE
    csrw mie, t0                /* MTIP pending already; MSIP raised after */
    li t0, 1
    sw t0, 0(s0)
    ARM_TRAPS 2
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 2
    CHECK_LOG 0, CAUSE_MSI
    CHECK_LOG 1, CAUSE_MTI
    CLINT_QUIET
    csrw mie, zero
    j pass
