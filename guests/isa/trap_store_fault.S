/* trap_store_fault: stores and AMOs to UNMAPPED_ADDR (0x20000) raise a
 * store/AMO access fault, mcause 7, with mepc = the instruction and mtval = the
 * effective address; AMOs leave rd unwritten. c.sw/c.sd resume 2 bytes on.
 * QEMU 7.2 reports AMO faults as load access faults (5) — a QEMU bug (the spec
 * says AMOs raise store/AMO exceptions) — so 5 is accepted for AMOs only.
 * SC.W/SC.D with no reservation there: QEMU fails them (rd != 0) without
 * accessing memory; a store/AMO access fault is accepted too. */
#include "trap_test.h"

.macro STORE_FAULT tva, insn:vararg
    EXPECT_EXC CAUSE_STORE_ACCESS, \insn
    CHECK_TVAL_REG \tva
.endm
/* AMO: mcause 7 (spec) or 5 (QEMU 7.2) */
.macro AMO_FAULT tva, insn:vararg
    li a0, 0x5a5a
    ARM_TRAP
.Li\@:
    \insn
    ld t0, TA_CAUSE(tp)
    li t1, CAUSE_LOAD_ACCESS
    beq t0, t1, .Lq\@
    CHECK_TRAP CAUSE_STORE_ACCESS
.Lq\@:
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 1
    CHECK_EPC .Li\@
    CHECK_TVAL_REG \tva
    ASSERT_IMM a0, 0x5a5a
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    li s0, UNMAPPED_ADDR
    li a1, 0x1122334455667788

    TEST 1
    STORE_FAULT s0, sb a1, 0(s0)
    TEST 2
    STORE_FAULT s0, sh a1, 0(s0)
    TEST 3
    STORE_FAULT s0, sw a1, 0(s0)
    TEST 4
    STORE_FAULT s0, sd a1, 0(s0)
    TEST 5                      /* offsets */
    addi s1, s0, 0x7f8
    STORE_FAULT s1, sd a1, 0x7f8(s0)
    addi s2, s0, 0x100
    addi s1, s0, 0x100 - 0x7ff
    STORE_FAULT s1, sb a1, -0x7ff(s2)
    TEST 6                      /* c.sw, c.sd */
    li s3, 0
    addi s1, s0, 4
    STORE_FAULT s1, c.sw a1, 4(s0)
    addi s1, s0, 0x10
    STORE_FAULT s1, c.sd a1, 0x10(s0)
    li s3, 1
    ASSERT_IMM s3, 1
    TEST 7                      /* AMO .w */
    AMO_FAULT s0, amoswap.w a0, a1, (s0)
    AMO_FAULT s0, amoadd.w a0, a1, (s0)
    AMO_FAULT s0, amoxor.w a0, a1, (s0)
    AMO_FAULT s0, amoand.w a0, a1, (s0)
    AMO_FAULT s0, amoor.w a0, a1, (s0)
    AMO_FAULT s0, amomin.w a0, a1, (s0)
    AMO_FAULT s0, amomax.w a0, a1, (s0)
    AMO_FAULT s0, amominu.w a0, a1, (s0)
    AMO_FAULT s0, amomaxu.w a0, a1, (s0)
    TEST 8                      /* AMO .d, with aq/rl */
    AMO_FAULT s0, amoswap.d a0, a1, (s0)
    AMO_FAULT s0, amoadd.d.aq a0, a1, (s0)
    AMO_FAULT s0, amoxor.d.rl a0, a1, (s0)
    AMO_FAULT s0, amoand.d.aqrl a0, a1, (s0)
    AMO_FAULT s0, amoor.d a0, a1, (s0)
    AMO_FAULT s0, amomin.d a0, a1, (s0)
    AMO_FAULT s0, amomax.d a0, a1, (s0)
    AMO_FAULT s0, amominu.d a0, a1, (s0)
    AMO_FAULT s0, amomaxu.d a0, a1, (s0)
    TEST 9                      /* sc.w / sc.d without reservation: fault 7 or fail (rd != 0) */
    .irp insn, sc.w, sc.d
    li a0, 0
    ARM_TRAP
1:  \insn a0, a1, (s0)
    DISARM
    ld t0, TA_COUNT(tp)
    bnez t0, 2f
    ASSERT_NE a0, zero          /* no trap: must have failed */
    j 3f
2:  CHECK_TRAP CAUSE_STORE_ACCESS
    CHECK_EPC 1b
    CHECK_TVAL_REG s0
3:
    .endr
    TEST 10                     /* an unmapped address at 4 GiB (0x1_0000_0000) */
    li s4, 0x100000000
    STORE_FAULT s4, sw a1, 0(s4)
    j pass
