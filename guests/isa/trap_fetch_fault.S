/* trap_fetch_fault: fetching from an address with no memory or device behind
 * it (UNMAPPED_ADDR = 0x20000, between the boot ROM and the test finisher on
 * QEMU virt) raises an instruction access fault, mcause 1, with mepc = mtval =
 * the target address. The jump itself completes: jalr/jal write the link
 * register. Also reached by mret (mepc = unmapped). */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* jalr ra, 0(s0) */
    li s0, UNMAPPED_ADDR
    li ra, 0
    ARM_TRAP_RESUME 2f
    .option push
    .option norvc
    jalr ra, 0(s0)
    .option pop
1:  j fail
2:  CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s0
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s0
    la t0, 1b
    ASSERT_EQ ra, t0            /* link written */
    TEST 2                      /* jalr with offset; mtval is the target, not rs1 */
    li s0, UNMAPPED_ADDR
    addi s1, s0, 0x124
    ARM_TRAP_RESUME 2f
    .option push
    .option norvc
    jalr ra, 0x124(s0)
    .option pop
1:  j fail
2:  CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s1
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s1
    la t0, 1b
    ASSERT_EQ ra, t0
    TEST 3                      /* c.jalr (2-byte link) */
    li s0, UNMAPPED_ADDR + 0x40
    ARM_TRAP_RESUME 2f
    c.jalr s0
1:  j fail
2:  CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s0
    la t0, 1b
    ASSERT_EQ ra, t0
    TEST 4                      /* mret to an unmapped mepc (MPP = M) */
    li t0, MSTATUS_MPP
    csrs mstatus, t0
    li s0, UNMAPPED_ADDR + 0x100
    csrw mepc, s0
    ARM_TRAP_RESUME 2f
    mret
    j fail
2:  CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s0
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, MSTATUS_MPP
    TEST 5                      /* 2-byte aligned unmapped target (C: not misaligned, still access fault) */
    li s0, UNMAPPED_ADDR + 0x202
    ARM_TRAP_RESUME 2f
    jr s0
    j fail
2:  CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s0
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s0
    j pass
