/* csr_mtvec: mtvec holds a 4-byte-aligned base with MODE 0 (direct) and
 * MODE 1 (vectored); a reserved MODE (2, 3) reads back as 0 or 1 (WARL; QEMU
 * keeps the old value). Exceptions go to BASE in direct mode and in vectored
 * mode (only interrupts are vectored; see irq_vectored). */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero

    TEST 1                      /* direct, base aligned to 256 */
    la s1, handler_a
    csrw mtvec, s1
    csrr s0, mtvec
    ASSERT_EQ s0, s1
    TEST 2                      /* vectored */
    la s1, vec_table
    ori s1, s1, 1
    csrw mtvec, s1
    csrr s0, mtvec
    ASSERT_EQ s0, s1
    TEST 3                      /* direct, base only 4-byte aligned */
    la s1, handler_b
    csrw mtvec, s1
    csrr s0, mtvec
    ASSERT_EQ s0, s1
    TEST 4                      /* reserved modes read back as a legal mode */
    la s1, handler_a
    ori s1, s1, 2
    csrw mtvec, s1
    csrr s0, mtvec
    andi s0, s0, 3
    li t0, 2
    ASSERT_LTU s0, t0
    la s1, handler_a
    ori s1, s1, 3
    csrw mtvec, s1
    csrr s0, mtvec
    andi s0, s0, 3
    li t0, 2
    ASSERT_LTU s0, t0
    TEST 5                      /* direct mode: ecall lands on base (handler_a) */
    la s1, handler_a
    csrw mtvec, s1
    li s5, 0
    li s6, 0
ecall_a:
    ecall
    ASSERT_IMM s5, 1
    ASSERT_IMM s6, CAUSE_MACHINE_ECALL
    la t0, ecall_a
    ASSERT_EQ s7, t0
    TEST 6                      /* direct mode, other base (handler_b) */
    la s1, handler_b
    csrw mtvec, s1
    li s5, 0
ecall_b:
    ecall
    ASSERT_IMM s5, 2
    ASSERT_IMM s6, CAUSE_MACHINE_ECALL
    TEST 7                      /* vectored mode: exceptions go to base */
    la s1, vec_table
    ori s1, s1, 1
    csrw mtvec, s1
    li s5, 0
ecall_v:
    ecall
    ASSERT_IMM s5, 3
    ASSERT_IMM s6, CAUSE_MACHINE_ECALL
    la t0, ecall_v
    ASSERT_EQ s7, t0
    TEST 8                      /* vectored mode: illegal instruction also goes to base */
    li s5, 0
    .word 0x0000000b            /* custom-0: illegal */
    ASSERT_IMM s5, 3
    ASSERT_IMM s6, CAUSE_ILLEGAL_INSN
    TEST 9                      /* back to the common handler */
    la t0, trap_handler
    csrw mtvec, t0
    EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
    j pass

/* Handlers: s5 = which one, s6 = mcause, s7 = mepc; resume after a
 * 4-byte instruction. */
    .balign 256
handler_a:
    li s5, 1
    j handler_common
    .balign 4
handler_b:
    li s5, 2
    j handler_common
handler_v0:
    li s5, 3
    j handler_common
handler_bad:
    j fail
handler_common:
    csrr s6, mcause
    csrr s7, mepc
    addi t0, s7, 4
    csrw mepc, t0
    mret

    .balign 256
vec_table:
    .option push
    .option norvc
    j handler_v0                /* 0: exceptions */
    .rept 15
    j handler_bad               /* 1..15: interrupts (none enabled) */
    .endr
    .option pop
