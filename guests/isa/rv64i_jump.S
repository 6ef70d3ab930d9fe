/* RV64I jal / jalr: link value (pc+4), x0 as link register, forward/backward
 * and far (+0x1fffc, -0x20060) jal offsets, jalr offsets (incl. -2048 and
 * +2047), jalr clearing bit 0 of the target, jalr with rd == rs1 (target uses
 * the old rs1), call/ret through the stack, and auipc+jalr far calls.
 * Exit code = number of the failing test. */
#include "isa_test.h"

RVTEST_CODE_BEGIN
    la sp, stack_top

    /* jal forward: link = address of the following instruction */
    TEST_NUM(1)
    li a4, POISON
    jal a4, 2f
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* jal backward */
    TEST_NUM(2)
    li a4, POISON
    j 3f
1:  j 4f                        /* landing pad, continue at 4 */
2:  j fail
3:  jal a4, 1b
5:  j fail
4:  la t2, 5b
    bne a4, t2, fail

    /* jal with rd = x0 (j) writes nothing: x0 stays 0 and ra is untouched */
    TEST_NUM(3)
    li ra, 0x1234
    jal x0, 1f
    j fail
1:  bnez x0, fail
    li t2, 0x1234
    bne ra, t2, fail

    /* jal with rd = ra (the usual call) and the return via jalr x0, 0(ra) */
    TEST_NUM(4)
    li a4, 0
    jal ra, leaf_add5
    li t2, 5
    bne a4, t2, fail

    /* jalr: plain register target, link = pc+4 */
    TEST_NUM(5)
    la a1, 2f
    li a4, POISON
    jalr a4, 0(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* jalr positive and negative offsets */
    TEST_NUM(6)
    la a1, 2f
    addi a1, a1, -12
    jalr a4, 12(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    TEST_NUM(7)
    la a1, 2f
    addi a1, a1, 16
    jalr a4, -16(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* jalr extreme offsets -2048 and +2047 (sum even) */
    TEST_NUM(8)
    la a1, 2f
    li t0, 2048
    add a1, a1, t0
    jalr a4, -2048(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    TEST_NUM(9)
    la a1, 2f
    addi a1, a1, -2047
    jalr a4, 2047(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* jalr clears bit 0 of rs1 + imm: odd register value */
    TEST_NUM(10)
    la a1, 2f
    addi a1, a1, 1
    jalr a4, 0(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* ... odd immediate with even register */
    TEST_NUM(11)
    la a1, 2f
    jalr a4, 1(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* ... odd register and odd (negative) immediate: sum even, nothing to clear */
    TEST_NUM(12)
    la a1, 2f
    addi a1, a1, 3
    jalr a4, -3(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* ... sum = target - 1 + 2 = target + 1 -> cleared to target */
    TEST_NUM(13)
    la a1, 2f
    addi a1, a1, -1
    jalr a4, 2(a1)
1:  j fail
2:  la t2, 1b
    bne a4, t2, fail

    /* jalr rd == rs1: the target comes from the old value, then rd = link */
    TEST_NUM(14)
    la a1, 2f
    jalr a1, 0(a1)
1:  j fail
2:  la t2, 1b
    bne a1, t2, fail

    /* same with bit 0 set in the old value */
    TEST_NUM(15)
    la a1, 2f
    ori a1, a1, 1
    jalr a1, 0(a1)
1:  j fail
2:  la t2, 1b
    bne a1, t2, fail

    /* jalr rd = x0 writes nothing; rs1 not modified */
    TEST_NUM(16)
    la a1, 2f
    mv a2, a1
    jalr x0, 0(a1)
    j fail
2:  bnez x0, fail
    bne a1, a2, fail

    /* jalr with rs1 = x0 is not testable (target near address 0); jalr rs1 = ra,
     * rd = ra (the `jalr ra` indirect call): target from the old ra */
    TEST_NUM(17)
    la ra, leaf_add5
    li a4, 10
    jalr ra, 0(ra)
1:  li t2, 15
    bne a4, t2, fail
    la t2, 1b
    bne ra, t2, fail

    /* nested calls through the stack (call/ret pseudo = auipc+jalr / jalr) */
    TEST_NUM(18)
    li a4, 0
    call outer
    li t2, 111
    bne a4, t2, fail
    la t2, stack_top
    bne sp, t2, fail

    /* recursion: sum 1..20 via recursive calls */
    TEST_NUM(19)
    li a0, 20
    call rec_sum
    li t2, 210
    bne a0, t2, fail

    /* far jal forward: offset exactly +0x1fffc (all imm bits 2..16 set) */
    TEST_NUM(20)
    li a4, POISON
    j far_src
far_back_dst:                   /* reached from far_back_src */
    la t2, far_back_link
    bne a5, t2, fail
    j far_done
far_src:
    jal a4, far_dst
far_link:
    j fail
    .fill (0x1fffc - 8) / 4, 4, 0    /* illegal words: a wrong target traps */
far_dst:
    la t2, far_link
    bne a4, t2, fail
    /* layout self-check: the offset really is 0x1fffc */
    la t1, far_src
    la t0, far_dst
    sub t0, t0, t1
    li t2, 0x1fffc
    bne t0, t2, fail

    /* far jal backward: -0x20060 (imm bits 17..20 set) */
    TEST_NUM(21)
    li a5, POISON
far_back_src:
    jal a5, far_back_dst
far_back_link:
    j fail
far_done:

    /* auipc + jalr far call (the `call` sequence) across the 128 KiB gap */
    TEST_NUM(22)
    li a4, 0
    la a1, leaf_add5
    call leaf_add5
    li t2, 5
    bne a4, t2, fail

    j pass

/* leaf: a4 += 5, return through ra */
leaf_add5:
    addi a4, a4, 5
    jalr x0, 0(ra)

outer:
    addi sp, sp, -16
    sd ra, 8(sp)
    addi a4, a4, 1
    call middle
    addi a4, a4, 100
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

middle:
    addi sp, sp, -16
    sd ra, 8(sp)
    addi a4, a4, 5
    call leaf_add5
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/* a0 = a0 + rec_sum(a0 - 1), rec_sum(0) = 0 */
rec_sum:
    beqz a0, 1f
    addi sp, sp, -16
    sd ra, 8(sp)
    sd a0, 0(sp)
    addi a0, a0, -1
    call rec_sum
    ld t0, 0(sp)
    add a0, a0, t0
    ld ra, 8(sp)
    addi sp, sp, 16
1:  ret

RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
stack: .space 1024
stack_top:
RVTEST_DATA_END
