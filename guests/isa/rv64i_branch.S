/* RV64I conditional branches beq/bne/blt/bge/bltu/bgeu: taken and not taken,
 * forward and backward, full 64-bit compares (values that differ only in the
 * upper 32 bits), signed vs unsigned, rs1 == rs2, x0 operands, and the extreme
 * offsets +4092 / -4096.
 * Exit code = number of the failing test. */
#include "isa_test.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN

    /* beq */
    TEST_BR2_OP_TAKEN(    1, beq, 0, 0)
    TEST_BR2_OP_TAKEN(    2, beq, 1, 1)
    TEST_BR2_OP_TAKEN(    3, beq, -1, -1)
    TEST_BR2_OP_TAKEN(    4, beq, MIN, MIN)
    TEST_BR2_OP_TAKEN(    5, beq, 0x123456789abcdef0, 0x123456789abcdef0)
    TEST_BR2_OP_NOTTAKEN( 6, beq, 0, 1)
    TEST_BR2_OP_NOTTAKEN( 7, beq, 1, 0)
    TEST_BR2_OP_NOTTAKEN( 8, beq, -1, 1)
    TEST_BR2_OP_NOTTAKEN( 9, beq, 0x100000000, 0)
    TEST_BR2_OP_NOTTAKEN(10, beq, 0x00000000ffffffff, -1)
    TEST_BR2_OP_NOTTAKEN(11, beq, MIN, 0)

    /* bne */
    TEST_BR2_OP_TAKEN(   12, bne, 0, 1)
    TEST_BR2_OP_TAKEN(   13, bne, 1, 0)
    TEST_BR2_OP_TAKEN(   14, bne, -1, 1)
    TEST_BR2_OP_TAKEN(   15, bne, 0x100000000, 0)
    TEST_BR2_OP_TAKEN(   16, bne, 0x00000000ffffffff, -1)
    TEST_BR2_OP_TAKEN(   17, bne, MIN, 0)
    TEST_BR2_OP_NOTTAKEN(18, bne, 0, 0)
    TEST_BR2_OP_NOTTAKEN(19, bne, 1, 1)
    TEST_BR2_OP_NOTTAKEN(20, bne, -1, -1)
    TEST_BR2_OP_NOTTAKEN(21, bne, MIN, MIN)

    /* blt (signed) */
    TEST_BR2_OP_TAKEN(   22, blt, 0, 1)
    TEST_BR2_OP_TAKEN(   23, blt, -1, 1)
    TEST_BR2_OP_TAKEN(   24, blt, -2, -1)
    TEST_BR2_OP_TAKEN(   25, blt, MIN, MAX)
    TEST_BR2_OP_TAKEN(   26, blt, MIN, 0)
    TEST_BR2_OP_TAKEN(   27, blt, 0x00000000ffffffff, 0x0000000100000000)
    TEST_BR2_OP_TAKEN(   28, blt, 0xffffffff7fffffff, 0x0000000080000000)
    TEST_BR2_OP_NOTTAKEN(29, blt, 1, 0)
    TEST_BR2_OP_NOTTAKEN(30, blt, 1, -1)
    TEST_BR2_OP_NOTTAKEN(31, blt, -1, -2)
    TEST_BR2_OP_NOTTAKEN(32, blt, MAX, MIN)
    TEST_BR2_OP_NOTTAKEN(33, blt, 0, 0)
    TEST_BR2_OP_NOTTAKEN(34, blt, -1, -1)
    TEST_BR2_OP_NOTTAKEN(35, blt, 0x0000000100000000, 0x00000000ffffffff)
    TEST_BR2_OP_NOTTAKEN(36, blt, 0x0000000080000000, 0x000000007fffffff)

    /* bge (signed) */
    TEST_BR2_OP_TAKEN(   37, bge, 0, 0)
    TEST_BR2_OP_TAKEN(   38, bge, 1, 1)
    TEST_BR2_OP_TAKEN(   39, bge, -1, -1)
    TEST_BR2_OP_TAKEN(   40, bge, 1, 0)
    TEST_BR2_OP_TAKEN(   41, bge, 1, -1)
    TEST_BR2_OP_TAKEN(   42, bge, -1, -2)
    TEST_BR2_OP_TAKEN(   43, bge, MAX, MIN)
    TEST_BR2_OP_TAKEN(   44, bge, 0x0000000080000000, 0x000000007fffffff)
    TEST_BR2_OP_NOTTAKEN(45, bge, 0, 1)
    TEST_BR2_OP_NOTTAKEN(46, bge, -1, 1)
    TEST_BR2_OP_NOTTAKEN(47, bge, -2, -1)
    TEST_BR2_OP_NOTTAKEN(48, bge, MIN, MAX)
    TEST_BR2_OP_NOTTAKEN(49, bge, -1, 0)
    TEST_BR2_OP_NOTTAKEN(50, bge, 0xffffffff7fffffff, 0x0000000080000000)

    /* bltu (unsigned) */
    TEST_BR2_OP_TAKEN(   51, bltu, 0, 1)
    TEST_BR2_OP_TAKEN(   52, bltu, -2, -1)
    TEST_BR2_OP_TAKEN(   53, bltu, 0, -1)
    TEST_BR2_OP_TAKEN(   54, bltu, MAX, MIN)
    TEST_BR2_OP_TAKEN(   55, bltu, 0x00000000ffffffff, 0x0000000100000000)
    TEST_BR2_OP_TAKEN(   56, bltu, 0x0000000080000000, 0xffffffff7fffffff)
    TEST_BR2_OP_NOTTAKEN(57, bltu, 1, 0)
    TEST_BR2_OP_NOTTAKEN(58, bltu, -1, -2)
    TEST_BR2_OP_NOTTAKEN(59, bltu, -1, 0)
    TEST_BR2_OP_NOTTAKEN(60, bltu, MIN, MAX)
    TEST_BR2_OP_NOTTAKEN(61, bltu, 0, 0)
    TEST_BR2_OP_NOTTAKEN(62, bltu, -1, -1)
    TEST_BR2_OP_NOTTAKEN(63, bltu, 0x0000000100000000, 0x00000000ffffffff)

    /* bgeu (unsigned) */
    TEST_BR2_OP_TAKEN(   64, bgeu, 0, 0)
    TEST_BR2_OP_TAKEN(   65, bgeu, 1, 1)
    TEST_BR2_OP_TAKEN(   66, bgeu, -1, -1)
    TEST_BR2_OP_TAKEN(   67, bgeu, 1, 0)
    TEST_BR2_OP_TAKEN(   68, bgeu, -1, -2)
    TEST_BR2_OP_TAKEN(   69, bgeu, -1, 0)
    TEST_BR2_OP_TAKEN(   70, bgeu, MIN, MAX)
    TEST_BR2_OP_TAKEN(   71, bgeu, 0x0000000100000000, 0x00000000ffffffff)
    TEST_BR2_OP_NOTTAKEN(72, bgeu, 0, 1)
    TEST_BR2_OP_NOTTAKEN(73, bgeu, -2, -1)
    TEST_BR2_OP_NOTTAKEN(74, bgeu, 0, -1)
    TEST_BR2_OP_NOTTAKEN(75, bgeu, MAX, MIN)
    TEST_BR2_OP_NOTTAKEN(76, bgeu, 0x00000000ffffffff, 0x0000000100000000)
    TEST_BR2_OP_NOTTAKEN(77, bgeu, 0x0000000080000000, 0xffffffff7fffffff)

    /* rs1 == rs2: eq/ge/geu taken, ne/lt/ltu not taken */
    TEST_NUM(78)
    li a1, -5
    beq a1, a1, 1f
    j fail
1:  bne a1, a1, fail
    blt a1, a1, fail
    bltu a1, a1, fail
    bge a1, a1, 2f
    j fail
2:  bgeu a1, a1, 3f
    j fail
3:

    /* x0 operands (beqz/bnez/bltz/bgez/bgtz/blez, unsigned against zero) */
    TEST_NUM(79)
    li a1, -1
    li a2, 1
    beq x0, x0, 1f
    j fail
1:  bne x0, x0, fail
    beqz a1, fail
    bnez a1, 2f
    j fail
2:  bgez a1, fail
    bltz a1, 3f
    j fail
3:  blez a2, fail
    bgtz a2, 4f
    j fail
4:  bltu a1, x0, fail         /* nothing is below 0 unsigned */
    bgeu a1, x0, 5f
    j fail
5:  bltu x0, a1, 6f
    j fail
6:

    /* a not-taken branch falls through to pc+4 and the branch leaves its
     * operands alone; a taken branch skips exactly the instructions between */
    TEST_NUM(80)
    li a1, 7
    li a2, 9
    li a4, 0
    beq a1, a2, fail
    addi a4, a4, 1
    bne a1, a2, 1f
    addi a4, a4, 16
1:  addi a4, a4, 2
    li t2, 3
    bne a4, t2, fail
    li t2, 7
    bne a1, t2, fail
    li t2, 9
    bne a2, t2, fail

    /* branch-controlled loop counting down (backward taken branch, hot path) */
    TEST_NUM(81)
    li a1, 1000
    li a4, 0
1:  addi a4, a4, 3
    addi a1, a1, -1
    bnez a1, 1b
    li t2, 3000
    bne a4, t2, fail

    /* extreme offsets: forward +4092 (the largest 4-byte aligned one) and
     * backward -4096 (the most negative B-type offset) */
    TEST_NUM(82)
    li a1, 3
    li a2, 3
    j far_fwd_src
far_back_dst:                       /* reached from far_back_src, offset -4096 */
    j far_done
far_fwd_src:
    beq a1, a2, far_fwd_dst         /* offset +4092 */
    j fail
    .fill 1021, 4, 0                /* illegal (all-zero) words: a wrong target traps */
far_fwd_dst:
    bge a1, a2, far_back_dst
    j fail
far_done:
    /* layout self-check (the assembler would silently expand an out-of-range
     * branch into a branch+jal pair, which would change these distances) */
    la t0, far_fwd_dst
    la t1, far_fwd_src
    sub t1, t0, t1
    li t2, 4092
    bne t1, t2, fail
    la t1, far_back_dst
    sub t1, t0, t1
    li t2, 4096
    bne t1, t2, fail

    /* same extremes, not taken: execution must continue right after */
    TEST_NUM(83)
    li a1, 3
    li a2, 4
    li a4, 0
    j nt_src
nt_back_dst:
    j fail
nt_src:
    beq a1, a2, nt_fwd_dst          /* offset +4092 */
    addi a4, a4, 1
    j nt_fwd_dst
    .fill 1020, 4, 0
nt_fwd_dst:
    bge a1, a2, nt_back_dst         /* offset -4096 */
    addi a4, a4, 1
    li t2, 2
    bne a4, t2, fail
    la t0, nt_fwd_dst
    la t1, nt_src
    sub t1, t0, t1
    li t2, 4092
    bne t1, t2, fail
    la t1, nt_back_dst
    sub t1, t0, t1
    li t2, 4096
    bne t1, t2, fail

    j pass
RVTEST_CODE_END
