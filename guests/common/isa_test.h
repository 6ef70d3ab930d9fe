/* Self-checking ISA test macros for Rivet guest programs (riscv-tests style).
 *
 * Layout of a test file:
 *     #include "isa_test.h"
 *     RVTEST_CODE_BEGIN
 *         TEST_RR_OP(1, add, 3, 1, 2)
 *         ...
 *     RVTEST_CODE_END
 *     RVTEST_DATA_BEGIN
 *         ...data...
 *     RVTEST_DATA_END
 *
 * Every test case has a number n (1..200, unique in the file: the label
 * test_<n> is defined, so a duplicate is an assembler error). The number is kept
 * in TESTNUM (gp); a failing check jumps to `fail`, which exits through the
 * SiFive test finisher with exit code n. Passing all tests exits with code 0.
 * An unexpected trap exits with code TRAP_FAIL_CODE (0xEEE; QEMU's process exit
 * status shows it modulo 256, i.e. 238, which is why test numbers stop at 200).
 * Hart != 0 parks in a wfi loop.
 *
 * Register use: TESTNUM = gp (x3); operands a1 (x11), a2 (x12); result a4 (x14);
 * expected value t2 (x7). t0/t1 are clobbered by the exit macros.
 * The whole file is assembled with `.option norvc` (and `.option norelax`, so the
 * linker never rewrites code) unless a test says otherwise.
 */
#ifndef RIVET_ISA_TEST_H
#define RIVET_ISA_TEST_H
#include "guest.h"

#define TESTNUM gp
#define TRAP_FAIL_CODE 0xEEE
#define TEST_MAX 200
/* Value put in a destination register before the instruction under test, so a
 * result that happens to equal a stale value cannot hide a missing write. */
#define POISON 0x5eed5eedc0ffee11

/* guest.h's GUEST_FAIL_REG encodes `ori t1, t1, 0x3333`, which does not fit a
 * 12-bit immediate and fails to assemble; this variant builds the word with li.
 * Exit with failure code `reg` (1..65535). Clobbers t0, t1. */
#define ISA_FAIL_REG(reg)                 \
    slli t1, reg, 16;                     \
    li t0, FINISHER_FAIL;                 \
    or t1, t1, t0;                        \
    li t0, FINISHER_BASE;                 \
    sw t1, 0(t0);                         \
1:  j 1b

/* ------------------------------------------------------------------ frame */

#define RVTEST_CODE_BEGIN                 \
    .section .text.init, "ax";            \
    .option norvc;                        \
    .option norelax;                      \
    .balign 4;                            \
    .globl _start;                        \
_start:                                   \
    csrr a0, mhartid;                     \
    bnez a0, rvtest_park;                 \
    la t0, rvtest_unexpected_trap;        \
    csrw mtvec, t0;                       \
    li TESTNUM, 0;                        \
    j rvtest_body;                        \
    .balign 4;                            \
rvtest_unexpected_trap:                   \
    li t2, TRAP_FAIL_CODE;                \
    ISA_FAIL_REG(t2);                   \
rvtest_park:                              \
    wfi;                                  \
    j rvtest_park;                        \
rvtest_body:

#define RVTEST_CODE_END                   \
pass:                                     \
    GUEST_PASS;                           \
fail:                                     \
    bnez TESTNUM, 2f;                     \
    li TESTNUM, 0xFFF;                    \
2:  ISA_FAIL_REG(TESTNUM);

#define RVTEST_DATA_BEGIN                 \
    .section .data;                       \
    .balign 16;

#define RVTEST_DATA_END

/* Re-install the default "unexpected trap" handler (after a test used its own). */
#define RESTORE_TRAP_HANDLER              \
    la t0, rvtest_unexpected_trap;        \
    csrw mtvec, t0;

/* ------------------------------------------------------------- test cases */

#define TEST_NUM(n)                                       \
test_ ## n:                                               \
    .if (n) < 1 || (n) > TEST_MAX;                        \
    .error "test number out of range 1..200";             \
    .endif;                                               \
    li TESTNUM, n;

/* Run `code`, then require register testreg == correctval. */
#define TEST_CASE(n, testreg, correctval, code...)        \
    TEST_NUM(n)                                           \
    code;                                                 \
    li t2, correctval;                                    \
    bne testreg, t2, fail;

/* --- register-immediate --- */
#define TEST_IMM_OP(n, inst, result, val1, imm)           \
    TEST_CASE(n, a4, result, li a1, val1; li a4, POISON; inst a4, a1, imm)

#define TEST_IMM_SRC1_EQ_DEST(n, inst, result, val1, imm) \
    TEST_CASE(n, a1, result, li a1, val1; inst a1, a1, imm)

#define TEST_IMM_ZEROSRC1(n, inst, result, imm)           \
    TEST_CASE(n, a4, result, li a4, POISON; inst a4, x0, imm)

#define TEST_IMM_ZERODEST(n, inst, val1, imm)             \
    TEST_CASE(n, x0, 0, li a1, val1; inst x0, a1, imm)

/* --- register-register --- */
#define TEST_RR_OP(n, inst, result, val1, val2)           \
    TEST_CASE(n, a4, result, li a1, val1; li a2, val2; li a4, POISON; inst a4, a1, a2)

#define TEST_RR_SRC1_EQ_DEST(n, inst, result, val1, val2) \
    TEST_CASE(n, a1, result, li a1, val1; li a2, val2; inst a1, a1, a2)

#define TEST_RR_SRC2_EQ_DEST(n, inst, result, val1, val2) \
    TEST_CASE(n, a2, result, li a1, val1; li a2, val2; inst a2, a1, a2)

#define TEST_RR_SRC12_EQ_DEST(n, inst, result, val1)      \
    TEST_CASE(n, a1, result, li a1, val1; inst a1, a1, a1)

#define TEST_RR_SRC12(n, inst, result, val1)              \
    TEST_CASE(n, a4, result, li a1, val1; li a4, POISON; inst a4, a1, a1)

#define TEST_RR_ZEROSRC1(n, inst, result, val)            \
    TEST_CASE(n, a4, result, li a2, val; li a4, POISON; inst a4, x0, a2)

#define TEST_RR_ZEROSRC2(n, inst, result, val)            \
    TEST_CASE(n, a4, result, li a1, val; li a4, POISON; inst a4, a1, x0)

#define TEST_RR_ZEROSRC12(n, inst, result)                \
    TEST_CASE(n, a4, result, li a4, POISON; inst a4, x0, x0)

#define TEST_RR_ZERODEST(n, inst, val1, val2)             \
    TEST_CASE(n, x0, 0, li a1, val1; li a2, val2; inst x0, a1, a2)

/* --- loads and stores --- */
/* Load from base+offset (base is a label). */
#define TEST_LD_OP(n, inst, result, offset, base)         \
    TEST_CASE(n, a4, result, la a1, base; li a4, POISON; inst a4, offset(a1))

/* Store `value` to base+offset, load it back with load_inst, expect result. */
#define TEST_ST_OP(n, load_inst, store_inst, result, value, offset, base) \
    TEST_CASE(n, a4, result, la a1, base; li a2, value; store_inst a2, offset(a1); \
              li a4, POISON; load_inst a4, offset(a1))

/* --- conditional branches --- */
/* Branch must be taken, both forwards and backwards. */
#define TEST_BR2_OP_TAKEN(n, inst, val1, val2)            \
    TEST_NUM(n)                                           \
    li a1, val1;                                          \
    li a2, val2;                                          \
    inst a1, a2, 2f;                                      \
    j fail;                                               \
1:  j 3f;                                                 \
2:  inst a1, a2, 1b;                                      \
    j fail;                                               \
3:

/* Branch must not be taken (forward and backward targets). */
#define TEST_BR2_OP_NOTTAKEN(n, inst, val1, val2)         \
    TEST_NUM(n)                                           \
    li a1, val1;                                          \
    li a2, val2;                                          \
    inst a1, a2, 1f;                                      \
    j 2f;                                                 \
1:  j fail;                                               \
2:  inst a1, a2, 1b;                                      \
3:

#endif
