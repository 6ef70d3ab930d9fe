/* trap_load_fault: loads from UNMAPPED_ADDR (0x20000; nothing there on QEMU
 * virt) raise a load access fault, mcause 5, with mepc = the load, mtval = the
 * effective address (base + offset, for every width), rd unwritten; the
 * handler resumes after the 4- or 2-byte (c.lw/c.ld) load. LR.W/LR.D to the
 * same place raise mcause 5 on QEMU; 7 is also accepted for LR. */
#include "trap_test.h"

/* insn must fault at address reg tva */
.macro LOAD_FAULT tva, insn:vararg
    li a0, 0x5a5a
    EXPECT_EXC CAUSE_LOAD_ACCESS, \insn
    CHECK_TVAL_REG \tva
    ASSERT_IMM a0, 0x5a5a
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    li s0, UNMAPPED_ADDR

    TEST 1
    LOAD_FAULT s0, lb a0, 0(s0)
    TEST 2
    LOAD_FAULT s0, lbu a0, 0(s0)
    TEST 3
    LOAD_FAULT s0, lh a0, 0(s0)
    TEST 4
    LOAD_FAULT s0, lhu a0, 0(s0)
    TEST 5
    LOAD_FAULT s0, lw a0, 0(s0)
    TEST 6
    LOAD_FAULT s0, lwu a0, 0(s0)
    TEST 7
    LOAD_FAULT s0, ld a0, 0(s0)
    TEST 8                      /* positive offset */
    addi s1, s0, 0x7f8
    LOAD_FAULT s1, ld a0, 0x7f8(s0)
    TEST 9                      /* negative offset */
    addi s2, s0, 0x100
    addi s1, s0, 0x100 - 0x18
    LOAD_FAULT s1, lw a0, -0x18(s2)
    TEST 10                     /* c.lw, c.ld: 2-byte, the next instruction runs */
    li s1, 0
    addi s3, s0, 4
    LOAD_FAULT s3, c.lw a0, 4(s0)
    addi s3, s0, 8
    LOAD_FAULT s3, c.ld a0, 8(s0)
    li s1, 1
    ASSERT_IMM s1, 1
    TEST 11                     /* lr.w / lr.d: load (5) or store/AMO (7) access fault */
    .irp insn, lr.w, lr.d
    li a0, 0x5a5a
    ARM_TRAP
1:  \insn a0, (s0)
    ld t0, TA_CAUSE(tp)
    li t1, CAUSE_LOAD_ACCESS
    beq t0, t1, 2f
    CHECK_TRAP CAUSE_STORE_ACCESS
2:  ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 1
    CHECK_EPC 1b
    CHECK_TVAL_REG s0
    ASSERT_IMM a0, 0x5a5a
    .endr
    TEST 12                     /* trap entry state: MPP = M */
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, MSTATUS_MPP
    TEST 13                     /* an unmapped address at 4 GiB (0x1_0000_0000) */
    li s4, 0x100000000
    LOAD_FAULT s4, ld a0, 0(s4)
    j pass
