/* trap_ebreak: ebreak and c.ebreak raise mcause 3 with mepc = the instruction
 * and mtval = 0 or its address (QEMU 7.2 writes 0); the handler resumes after
 * 4 resp. 2 bytes, so the following instruction runs once. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* 32-bit ebreak */
    li s0, 0
    ARM_TRAP
    .option push
    .option norvc
1:  ebreak
    .option pop
    addi s0, s0, 1
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC 1b
    CHECK_TVAL_ZERO_OR_ADDR 1b
    ASSERT_IMM s0, 1
    la t0, 1b                   /* really 32 bits */
    lhu t0, 0(t0)
    ASSERT_IMM t0, 0x0073
    TEST 2                      /* c.ebreak */
    li s0, 0
    ARM_TRAP
2:  c.ebreak
    addi s0, s0, 1
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC 2b
    CHECK_TVAL_ZERO_OR_ADDR 2b
    ASSERT_IMM s0, 1
    la t0, 2b
    lhu t0, 0(t0)
    ASSERT_IMM t0, 0x9002
    TEST 3                      /* c.ebreak at a 2-mod-4 address */
    .balign 4
    c.nop
    li s0, 0
    ARM_TRAP
3:  c.ebreak
    addi s0, s0, 1
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC 3b
    ASSERT_IMM s0, 1
    TEST 4                      /* trap entry state */
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, MSTATUS_MPP
    j pass
