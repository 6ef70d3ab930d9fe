/* trap_misaligned_amo: AMOs, LR and SC need natural alignment.
 * A misaligned AMO raises a store/AMO address-misaligned exception (6) or a
 * store/AMO access fault (7) per the spec; QEMU 7.2 raises a *load* address-
 * misaligned exception (4) — a QEMU bug — so 4 is accepted too. mtval = the
 * address, mepc = the AMO, rd unwritten, memory unchanged.
 * Misaligned LR: 4 (QEMU) or 5. Misaligned SC: 6 or 7 per the spec; QEMU 7.2
 * just fails the SC (rd != 0, no store) when no reservation matches, which is
 * accepted too. Memory is never modified. */
#include "trap_test.h"

/* one AMO at address reg tva; accepted mcause 4, 6, 7 */
.macro AMO_MIS tva, insn:vararg
    li a0, 0x5a5a
    ARM_TRAP
.Li\@:
    \insn
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 1
    ld t0, TA_CAUSE(tp)
    li t1, CAUSE_MISALIGNED_LOAD
    beq t0, t1, .Lok\@
    li t1, CAUSE_MISALIGNED_STORE
    beq t0, t1, .Lok\@
    li t1, CAUSE_STORE_ACCESS
    ASSERT_EQ t0, t1
.Lok\@:
    CHECK_EPC .Li\@
    CHECK_TVAL_REG \tva
    ASSERT_IMM a0, 0x5a5a
.endm

/* buf must still hold the pattern */
.macro CHECK_BUF
    la t0, buf
    ld t1, 0(t0)
    li t2, 0x0706050403020100
    ASSERT_EQ t1, t2
    ld t1, 8(t0)
    li t2, 0x0f0e0d0c0b0a0908
    ASSERT_EQ t1, t2
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    la s0, buf
    li a1, -1

    TEST 1                      /* .w at +1, +2, +3 */
    addi s1, s0, 1
    AMO_MIS s1, amoswap.w a0, a1, (s1)
    addi s1, s0, 2
    AMO_MIS s1, amoadd.w a0, a1, (s1)
    addi s1, s0, 3
    AMO_MIS s1, amoor.w a0, a1, (s1)
    CHECK_BUF
    TEST 2                      /* all .w ops at +2 */
    addi s1, s0, 2
    AMO_MIS s1, amoxor.w a0, a1, (s1)
    AMO_MIS s1, amoand.w a0, a1, (s1)
    AMO_MIS s1, amomin.w a0, a1, (s1)
    AMO_MIS s1, amomax.w a0, a1, (s1)
    AMO_MIS s1, amominu.w a0, a1, (s1)
    AMO_MIS s1, amomaxu.w a0, a1, (s1)
    CHECK_BUF
    TEST 3                      /* .d at +4 (4-aligned is not enough) and +1 */
    addi s1, s0, 4
    AMO_MIS s1, amoswap.d a0, a1, (s1)
    AMO_MIS s1, amoadd.d a0, a1, (s1)
    AMO_MIS s1, amoxor.d a0, a1, (s1)
    AMO_MIS s1, amoand.d a0, a1, (s1)
    AMO_MIS s1, amoor.d a0, a1, (s1)
    AMO_MIS s1, amomin.d a0, a1, (s1)
    AMO_MIS s1, amomax.d a0, a1, (s1)
    AMO_MIS s1, amominu.d a0, a1, (s1)
    AMO_MIS s1, amomaxu.d a0, a1, (s1)
    addi s1, s0, 1
    AMO_MIS s1, amoswap.d.aqrl a0, a1, (s1)
    CHECK_BUF
    TEST 4                      /* lr.w at +2, lr.d at +4: mcause 4 or 5 */
    addi s1, s0, 2
    li a0, 0x5a5a
    ARM_TRAP
1:  lr.w a0, (s1)
    ld t0, TA_CAUSE(tp)
    li t1, CAUSE_LOAD_ACCESS
    beq t0, t1, 2f
    CHECK_TRAP CAUSE_MISALIGNED_LOAD
2:  CHECK_EPC 1b
    CHECK_TVAL_REG s1
    ASSERT_IMM a0, 0x5a5a
    addi s1, s0, 4
    ARM_TRAP
1:  lr.d a0, (s1)
    ld t0, TA_CAUSE(tp)
    li t1, CAUSE_LOAD_ACCESS
    beq t0, t1, 2f
    CHECK_TRAP CAUSE_MISALIGNED_LOAD
2:  CHECK_EPC 1b
    CHECK_TVAL_REG s1
    ASSERT_IMM a0, 0x5a5a
    TEST 5                      /* sc.w at +2 after an aligned lr.w: 6/7, or failure (QEMU) */
    lr.w t2, (s0)
    addi s1, s0, 2
    li a0, 0
    ARM_TRAP
1:  sc.w a0, a1, (s1)
    DISARM
    ld t0, TA_COUNT(tp)
    bnez t0, 2f
    ASSERT_NE a0, zero
    j 3f
2:  ld t0, TA_CAUSE(tp)
    li t1, CAUSE_STORE_ACCESS
    beq t0, t1, 4f
    CHECK_TRAP CAUSE_MISALIGNED_STORE
4:  CHECK_EPC 1b
    CHECK_TVAL_REG s1
3:  CHECK_BUF
    TEST 6                      /* sc.d at +4 after an aligned lr.d */
    lr.d t2, (s0)
    addi s1, s0, 4
    li a0, 0
    ARM_TRAP
1:  sc.d a0, a1, (s1)
    DISARM
    ld t0, TA_COUNT(tp)
    bnez t0, 2f
    ASSERT_NE a0, zero
    j 3f
2:  ld t0, TA_CAUSE(tp)
    li t1, CAUSE_STORE_ACCESS
    beq t0, t1, 4f
    CHECK_TRAP CAUSE_MISALIGNED_STORE
4:  CHECK_EPC 1b
    CHECK_TVAL_REG s1
3:  CHECK_BUF
    TEST 7                      /* aligned AMOs on the same buffer still work */
    addi s1, s0, 8
    li a2, 0x10
    amoadd.w a0, a2, (s1)
    li t0, 0x0b0a0908
    ASSERT_EQ a0, t0
    lw a0, 0(s1)
    li t0, 0x0b0a0918
    ASSERT_EQ a0, t0
    j pass

    .data
    .balign 16
buf:
    .byte 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
