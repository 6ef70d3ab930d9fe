/* RV64A atomic memory operations amoswap/amoadd/amoxor/amoand/amoor/amomin/
 * amomax/amominu/amomaxu, .d and .w, with aq/rl/aqrl variants: rd gets the old
 * memory value (.w: sign-extended 32-bit), memory gets op(old, rs2), .w uses only
 * rs2[31:0] and compares 32-bit values (signed for min/max), .w at both halves of
 * a dword leaves the other half alone, neighbours are untouched, rd = x0,
 * rd == rs2, rd == rs1, and a few usage patterns (lock, counters).
 * Misaligned AMOs are not tested (they may trap or work, by the spec).
 * Exit code = number of the failing test. */
#include "isa_test.h"

#define GUARD 0x5a5a5a5a5a5a5a5a

/* dword at amo_buf = init; inst a4, a2(=src), (a1); expect a4 == init,
 * memory == newval, a2 unchanged, guard dwords around amo_buf unchanged */
#define TEST_AMO_D(n, inst, init, src, newval)    \
    TEST_NUM(n)                                   \
    la a1, amo_buf;                               \
    li t1, init;                                  \
    sd t1, 0(a1);                                 \
    li a2, src;                                   \
    li a4, POISON;                                \
    inst a4, a2, (a1);                            \
    li t2, init;                                  \
    bne a4, t2, fail;                             \
    ld a5, 0(a1);                                 \
    li t2, newval;                                \
    bne a5, t2, fail;                             \
    li t2, src;                                   \
    bne a2, t2, fail;                             \
    CHECK_GUARDS

/* dword at amo_buf = 0xa5a5a5a5a5a5a5a5 with the word at byte offset `off`
 * set to init32; inst a4, a2(=src), (amo_buf+off); expect a4 == rd_expect
 * (sign-extended init32) and the whole dword == dword_expect */
#define TEST_AMO_W(n, inst, off, init32, src, rd_expect, dword_expect) \
    TEST_NUM(n)                                   \
    la a1, amo_buf;                               \
    li t1, 0xa5a5a5a5a5a5a5a5;                    \
    sd t1, 0(a1);                                 \
    li t1, init32;                                \
    sw t1, off(a1);                               \
    addi a3, a1, off;                             \
    li a2, src;                                   \
    li a4, POISON;                                \
    inst a4, a2, (a3);                            \
    li t2, rd_expect;                             \
    bne a4, t2, fail;                             \
    ld a5, 0(a1);                                 \
    li t2, dword_expect;                          \
    bne a5, t2, fail;                             \
    li t2, src;                                   \
    bne a2, t2, fail;                             \
    CHECK_GUARDS

#define CHECK_GUARDS                              \
    la t0, amo_buf;                               \
    li t2, GUARD;                                 \
    ld t1, -8(t0);                                \
    bne t1, t2, fail;                             \
    ld t1, 8(t0);                                 \
    bne t1, t2, fail;

RVTEST_CODE_BEGIN

    /* amoswap.d / amoswap.w */
    TEST_AMO_D(  1, amoswap.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000003)
    TEST_AMO_D(  2, amoswap.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0x0000000000000001)
    TEST_AMO_D(  3, amoswap.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_AMO_D(  4, amoswap.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x0000000100000000)
    TEST_AMO_D(  5, amoswap.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xfedcba9876543210)
    TEST_AMO_W(  6, amoswap.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000003)
    TEST_AMO_W(  7, amoswap.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x80000000a5a5a5a5)
    TEST_AMO_W(  8, amoswap.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a500000001)
    TEST_AMO_W(  9, amoswap.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x7fffffffa5a5a5a5)
    TEST_AMO_W( 10, amoswap.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a576543210)

    /* amoadd.d / amoadd.w */
    TEST_AMO_D( 11, amoadd.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000008)
    TEST_AMO_D( 12, amoadd.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0x0000000000000000)
    TEST_AMO_D( 13, amoadd.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0xffffffffffffffff)
    TEST_AMO_D( 14, amoadd.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x00000001ffffffff)
    TEST_AMO_D( 15, amoadd.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xffffffffffffffff)
    TEST_AMO_W( 16, amoadd.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000008)
    TEST_AMO_W( 17, amoadd.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 18, amoadd.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a500000000)
    TEST_AMO_W( 19, amoadd.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 20, amoadd.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a5ffffffff)

    /* amoxor.d / amoxor.w */
    TEST_AMO_D( 21, amoxor.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000006)
    TEST_AMO_D( 22, amoxor.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0xfffffffffffffffe)
    TEST_AMO_D( 23, amoxor.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0xffffffffffffffff)
    TEST_AMO_D( 24, amoxor.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x00000001ffffffff)
    TEST_AMO_D( 25, amoxor.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xffffffffffffffff)
    TEST_AMO_W( 26, amoxor.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000006)
    TEST_AMO_W( 27, amoxor.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 28, amoxor.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a5fffffffe)
    TEST_AMO_W( 29, amoxor.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 30, amoxor.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a5ffffffff)

    /* amoand.d / amoand.w */
    TEST_AMO_D( 31, amoand.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000001)
    TEST_AMO_D( 32, amoand.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0x0000000000000001)
    TEST_AMO_D( 33, amoand.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x0000000000000000)
    TEST_AMO_D( 34, amoand.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x0000000000000000)
    TEST_AMO_D( 35, amoand.d, 0x0123456789abcdef, 0xfedcba9876543210, 0x0000000000000000)
    TEST_AMO_W( 36, amoand.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000001)
    TEST_AMO_W( 37, amoand.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x00000000a5a5a5a5)
    TEST_AMO_W( 38, amoand.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a500000001)
    TEST_AMO_W( 39, amoand.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x00000000a5a5a5a5)
    TEST_AMO_W( 40, amoand.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a500000000)

    /* amoor.d / amoor.w */
    TEST_AMO_D( 41, amoor.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000007)
    TEST_AMO_D( 42, amoor.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0xffffffffffffffff)
    TEST_AMO_D( 43, amoor.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0xffffffffffffffff)
    TEST_AMO_D( 44, amoor.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x00000001ffffffff)
    TEST_AMO_D( 45, amoor.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xffffffffffffffff)
    TEST_AMO_W( 46, amoor.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000007)
    TEST_AMO_W( 47, amoor.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 48, amoor.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a5ffffffff)
    TEST_AMO_W( 49, amoor.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0xffffffffa5a5a5a5)
    TEST_AMO_W( 50, amoor.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a5ffffffff)

    /* amomin.d / amomin.w */
    TEST_AMO_D( 51, amomin.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000003)
    TEST_AMO_D( 52, amomin.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0xffffffffffffffff)
    TEST_AMO_D( 53, amomin.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_AMO_D( 54, amomin.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x00000000ffffffff)
    TEST_AMO_D( 55, amomin.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xfedcba9876543210)
    TEST_AMO_W( 56, amomin.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000003)
    TEST_AMO_W( 57, amomin.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x80000000a5a5a5a5)
    TEST_AMO_W( 58, amomin.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a5ffffffff)
    TEST_AMO_W( 59, amomin.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x80000000a5a5a5a5)
    TEST_AMO_W( 60, amomin.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a589abcdef)

    /* amomax.d / amomax.w */
    TEST_AMO_D( 61, amomax.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000005)
    TEST_AMO_D( 62, amomax.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0x0000000000000001)
    TEST_AMO_D( 63, amomax.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_AMO_D( 64, amomax.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x0000000100000000)
    TEST_AMO_D( 65, amomax.d, 0x0123456789abcdef, 0xfedcba9876543210, 0x0123456789abcdef)
    TEST_AMO_W( 66, amomax.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000005)
    TEST_AMO_W( 67, amomax.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x7fffffffa5a5a5a5)
    TEST_AMO_W( 68, amomax.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a500000001)
    TEST_AMO_W( 69, amomax.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x7fffffffa5a5a5a5)
    TEST_AMO_W( 70, amomax.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a576543210)

    /* amominu.d / amominu.w */
    TEST_AMO_D( 71, amominu.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000003)
    TEST_AMO_D( 72, amominu.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0x0000000000000001)
    TEST_AMO_D( 73, amominu.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_AMO_D( 74, amominu.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x00000000ffffffff)
    TEST_AMO_D( 75, amominu.d, 0x0123456789abcdef, 0xfedcba9876543210, 0x0123456789abcdef)
    TEST_AMO_W( 76, amominu.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000003)
    TEST_AMO_W( 77, amominu.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x7fffffffa5a5a5a5)
    TEST_AMO_W( 78, amominu.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a500000001)
    TEST_AMO_W( 79, amominu.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x7fffffffa5a5a5a5)
    TEST_AMO_W( 80, amominu.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a576543210)

    /* amomaxu.d / amomaxu.w */
    TEST_AMO_D( 81, amomaxu.d, 0x0000000000000005, 0x0000000000000003, 0x0000000000000005)
    TEST_AMO_D( 82, amomaxu.d.aq, 0xffffffffffffffff, 0x0000000000000001, 0xffffffffffffffff)
    TEST_AMO_D( 83, amomaxu.d.rl, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_AMO_D( 84, amomaxu.d.aqrl, 0x00000000ffffffff, 0x0000000100000000, 0x0000000100000000)
    TEST_AMO_D( 85, amomaxu.d, 0x0123456789abcdef, 0xfedcba9876543210, 0xfedcba9876543210)
    TEST_AMO_W( 86, amomaxu.w, 0, 0x00000005, 0x0000000000000003, 0x0000000000000005, 0xa5a5a5a500000005)
    TEST_AMO_W( 87, amomaxu.w.aqrl, 4, 0x7fffffff, 0x0000000080000000, 0x000000007fffffff, 0x80000000a5a5a5a5)
    TEST_AMO_W( 88, amomaxu.w, 0, 0xffffffff, 0xdeadbeef00000001, 0xffffffffffffffff, 0xa5a5a5a5ffffffff)
    TEST_AMO_W( 89, amomaxu.w.aq, 4, 0x80000000, 0x000000017fffffff, 0xffffffff80000000, 0x80000000a5a5a5a5)
    TEST_AMO_W( 90, amomaxu.w.rl, 0, 0x89abcdef, 0xfedcba9876543210, 0xffffffff89abcdef, 0xa5a5a5a589abcdef)

    /* rd = x0: memory is still updated, x0 stays 0 */
    TEST_NUM(91)
    la a1, amo_buf
    li t1, 40
    sd t1, 0(a1)
    li a2, 2
    amoadd.d x0, a2, (a1)
    bnez x0, fail
    ld a4, 0(a1)
    li t2, 42
    bne a4, t2, fail
    TEST_NUM(92)
    li a2, -7
    amoswap.w x0, a2, (a1)
    bnez x0, fail
    ld a4, 0(a1)
    li t2, 0x00000000fffffff9
    bne a4, t2, fail

    /* rd == rs2: rd gets the old value, memory gets the old rs2 */
    TEST_NUM(93)
    la a1, amo_buf
    li t1, 0x1111
    sd t1, 0(a1)
    li a2, 0x2222
    amoswap.d a2, a2, (a1)
    li t2, 0x1111
    bne a2, t2, fail
    ld a4, 0(a1)
    li t2, 0x2222
    bne a4, t2, fail
    TEST_NUM(94)
    li t1, 0x80000000
    sd t1, 0(a1)
    li a2, 0x7fffffff
    amoadd.w a2, a2, (a1)
    li t2, 0xffffffff80000000
    bne a2, t2, fail
    ld a4, 0(a1)
    li t2, 0x00000000ffffffff
    bne a4, t2, fail

    /* rd == rs1: the address is read before rd is written */
    TEST_NUM(95)
    la a1, amo_buf
    mv a3, a1
    li t1, 100
    sd t1, 0(a1)
    li a2, 5
    amoadd.d a1, a2, (a1)
    li t2, 100
    bne a1, t2, fail
    ld a4, 0(a3)
    li t2, 105
    bne a4, t2, fail
    CHECK_GUARDS

    /* spin-lock pattern: acquire with amoswap.w.aq, release with amoswap.w.rl */
    TEST_NUM(96)
    la a1, lock
    sw x0, 0(a1)
    li a2, 1
    amoswap.w.aq a4, a2, (a1)       /* free -> got it */
    bnez a4, fail
    amoswap.w.aq a4, a2, (a1)       /* now held */
    li t2, 1
    bne a4, t2, fail
    amoswap.w.rl x0, x0, (a1)       /* release */
    amoswap.w.aq a4, a2, (a1)
    bnez a4, fail
    lw a4, 0(a1)
    li t2, 1
    bne a4, t2, fail

    /* counters: 100 x amoadd.d +3, 100 x amoadd.w -1 from 0 */
    TEST_NUM(97)
    la a1, amo_buf
    sd x0, 0(a1)
    li a2, 3
    li t3, 100
1:  amoadd.d a4, a2, (a1)
    addi t3, t3, -1
    bnez t3, 1b
    ld a4, 0(a1)
    li t2, 300
    bne a4, t2, fail
    TEST_NUM(98)
    sd x0, 0(a1)
    li a2, -1
    li t3, 100
1:  amoadd.w a4, a2, (a1)
    addi t3, t3, -1
    bnez t3, 1b
    lw a4, 0(a1)
    li t2, -100
    bne a4, t2, fail
    lwu a4, 4(a1)                   /* upper word untouched */
    bnez a4, fail
    CHECK_GUARDS

    /* atomic max tracking over a sequence; plain stores seen by AMOs */
    TEST_NUM(99)
    la a1, amo_buf
    li t1, -50
    sd t1, 0(a1)
    li a2, -70
    amomax.d x0, a2, (a1)
    li a2, -3
    amomax.d x0, a2, (a1)
    li a2, -9
    amomax.d a4, a2, (a1)
    li t2, -3
    bne a4, t2, fail
    li a2, 7
    amominu.d a4, a2, (a1)          /* -3 is huge unsigned */
    li t2, -3
    bne a4, t2, fail
    ld a4, 0(a1)
    li t2, 7
    bne a4, t2, fail

    j pass
RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
    .dword GUARD
amo_buf:
    .dword 0
    .dword GUARD
    .balign 16
lock:
    .dword 0
RVTEST_DATA_END
