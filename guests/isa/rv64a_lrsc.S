/* RV64A lr.w/lr.d/sc.w/sc.d (and .aq/.rl/.aqrl forms), single hart:
 * lr loads (lr.w sign-extends), sc after a matching lr succeeds (rd = 0) and
 * stores (sc.w only 4 bytes), any sc invalidates the reservation so a second sc
 * fails (rd != 0) without storing, sc without lr fails, sc to an address outside
 * the reservation (a different page) fails, only the most recent lr counts,
 * rd == rs2 for sc, and lr/sc retry loops.
 * Exit code = number of the failing test. */
#include "isa_test.h"

RVTEST_CODE_BEGIN

    /* lr.d / sc.d success */
    TEST_NUM(1)
    la a1, d0
    li t1, 0x0123456789abcdef
    sd t1, 0(a1)
    li a4, POISON
    lr.d a4, (a1)
    bne a4, t1, fail
    li a2, 0xfedcba9876543210
    li a5, POISON
    sc.d a5, a2, (a1)
    bnez a5, fail                   /* success writes 0 */
    ld a4, 0(a1)
    bne a4, a2, fail

    /* the successful sc consumed the reservation: a second sc fails */
    TEST_NUM(2)
    li a2, 0x1111
    li a5, 0
    sc.d a5, a2, (a1)
    beqz a5, fail
    ld a4, 0(a1)
    li t2, 0xfedcba9876543210
    bne a4, t2, fail

    /* lr.w sign-extends; sc.w stores 32 bits only */
    TEST_NUM(3)
    la a1, d1
    li t1, 0x1234567880000000
    sd t1, 0(a1)
    li a4, POISON
    lr.w a4, (a1)
    li t2, 0xffffffff80000000
    bne a4, t2, fail
    li a2, 0xaaaaaaaa7fffffff       /* upper half of rs2 must be ignored */
    li a5, POISON
    sc.w a5, a2, (a1)
    bnez a5, fail
    ld a4, 0(a1)
    li t2, 0x123456787fffffff
    bne a4, t2, fail

    /* lr.w / sc.w on the upper word of a dword */
    TEST_NUM(4)
    la a1, d1
    addi a3, a1, 4
    lr.w a4, (a3)
    li t2, 0x12345678
    bne a4, t2, fail
    li a2, 0xfffffffe
    sc.w a5, a2, (a3)
    bnez a5, fail
    ld a4, 0(a1)
    li t2, 0xfffffffe7fffffff
    bne a4, t2, fail

    /* sc.w without a reservation (consumed by the sc above) fails, no store */
    TEST_NUM(5)
    li a2, 0
    sc.w a5, a2, (a3)
    beqz a5, fail
    ld a4, 0(a1)
    li t2, 0xfffffffe7fffffff
    bne a4, t2, fail

    /* lr.d on one address, sc.d on an address in another page: fails */
    TEST_NUM(6)
    la a1, d0
    la a3, far_d
    li t1, 77
    sd t1, 0(a3)
    lr.d a4, (a1)
    li a2, 99
    sc.d a5, a2, (a3)
    beqz a5, fail
    ld a4, 0(a3)
    li t2, 77
    bne a4, t2, fail
    /* ... and that failed sc also dropped the reservation on d0 */
    TEST_NUM(7)
    ld t1, 0(a1)
    sc.d a5, a2, (a1)
    beqz a5, fail
    ld a4, 0(a1)
    bne a4, t1, fail

    /* only the most recent lr holds the reservation */
    TEST_NUM(8)
    la a1, d0
    la a3, far_d
    lr.d a4, (a1)
    lr.d a4, (a3)                   /* reservation moves to far_d */
    li a2, 5
    sc.d a5, a2, (a1)
    beqz a5, fail
    TEST_NUM(9)
    lr.d a4, (a1)
    lr.d a4, (a3)
    li a2, 6
    sc.d a5, a2, (a3)               /* the most recent one succeeds */
    bnez a5, fail
    ld a4, 0(a3)
    li t2, 6
    bne a4, t2, fail

    /* aq/rl forms behave the same */
    TEST_NUM(10)
    la a1, d2
    li t1, 10
    sd t1, 0(a1)
    lr.d.aq a4, (a1)
    addi a4, a4, 1
    sc.d.rl a5, a4, (a1)
    bnez a5, fail
    lr.d.aqrl a4, (a1)
    addi a4, a4, 1
    sc.d.aqrl a5, a4, (a1)
    bnez a5, fail
    lr.w.aq a4, (a1)
    addi a4, a4, 1
    sc.w.rl a5, a4, (a1)
    bnez a5, fail
    lr.w.aqrl a4, (a1)
    addi a4, a4, 1
    sc.w.aqrl a5, a4, (a1)
    bnez a5, fail
    ld a4, 0(a1)
    li t2, 14
    bne a4, t2, fail

    /* sc with rd == rs2: memory gets the old rs2, rd the status */
    TEST_NUM(11)
    la a1, d2
    lr.d a4, (a1)
    li a2, 0x5555
    sc.d a2, a2, (a1)
    bnez a2, fail
    ld a4, 0(a1)
    li t2, 0x5555
    bne a4, t2, fail

    /* lr with rd == rs1 */
    TEST_NUM(12)
    la a1, d2
    lr.d a1, (a1)
    li t2, 0x5555
    bne a1, t2, fail

    /* lr.d to x0: still takes the reservation */
    TEST_NUM(13)
    la a1, d2
    lr.d x0, (a1)
    bnez x0, fail
    li a2, 0x6666
    sc.d a5, a2, (a1)
    bnez a5, fail
    ld a4, 0(a1)
    li t2, 0x6666
    bne a4, t2, fail

    /* atomic increment via lr.d/sc.d retry loop, 100 times */
    TEST_NUM(14)
    la a1, d2
    sd x0, 0(a1)
    li t3, 100
1:  lr.d a4, (a1)
    addi a4, a4, 1
    sc.d a5, a4, (a1)
    bnez a5, 1b
    addi t3, t3, -1
    bnez t3, 1b
    ld a4, 0(a1)
    li t2, 100
    bne a4, t2, fail

    /* compare-and-swap on a word with lr.w/sc.w: success and mismatch paths */
    TEST_NUM(15)
    la a1, d3
    li t1, -2
    sw t1, 0(a1)
    li a2, -2                       /* expected */
    li a3, 9                        /* new */
    call cas_w
    bnez a0, fail
    lw a4, 0(a1)
    li t2, 9
    bne a4, t2, fail
    TEST_NUM(16)
    li a2, 8                        /* wrong expectation */
    li a3, 1
    call cas_w
    beqz a0, fail
    lw a4, 0(a1)
    li t2, 9
    bne a4, t2, fail

    j pass

/* cas_w: if *(int32*)a1 == a2 then store a3, return 0; else return 1 */
cas_w:
1:  lr.w t0, (a1)
    bne t0, a2, 2f
    sc.w t1, a3, (a1)
    bnez t1, 1b
    li a0, 0
    ret
2:  li a0, 1
    ret

RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 64
d0: .dword 0
    .balign 64
d1: .dword 0
    .balign 64
d2: .dword 0
    .balign 64
d3: .dword 0
    .balign 4096
    .space 64
far_d: .dword 0
RVTEST_DATA_END
