/* Misaligned loads and stores to RAM must work (as on QEMU, which handles
 * them in hardware emulation instead of trapping): lh/lhu/lw/lwu/ld and
 * sh/sw/sd at every misaligned offset, crossing an 8-byte boundary, crossing a
 * 4 KiB page boundary, misaligned base registers with zero/negative offsets,
 * sign extension, and the compressed c.lw/c.ld/c.sw/c.sd/c.lwsp/c.ldsp/c.swsp/
 * c.sdsp forms with misaligned addresses. Misaligned AMO/LR/SC are not tested
 * (the spec lets them trap).
 * Exit code = number of the failing test; an unexpected trap (e.g. a
 * misaligned-access exception) exits with 0xEEE. */
#include "isa_test.h"

/* sbuf[0..15] = 0x11 bytes; sinst value, off(sbuf); expect both dwords */
#define TEST_ST_MIS(n, sinst, off, value, expect_lo, expect_hi) \
    TEST_NUM(n)                                   \
    la a1, sbuf;                                  \
    li t1, 0x1111111111111111;                    \
    sd t1, 0(a1);                                 \
    sd t1, 8(a1);                                 \
    li a2, value;                                 \
    sinst a2, off(a1);                            \
    ld a4, 0(a1);                                 \
    li t2, expect_lo;                             \
    bne a4, t2, fail;                             \
    ld a4, 8(a1);                                 \
    li t2, expect_hi;                             \
    bne a4, t2, fail;

/* fill the dwords at pg+4088 (end of a page) and pg+4096 (next page) */
#define PAGE_INIT                                 \
    la a1, pg + 4088;                             \
    li t1, 0x8877665544332211;                    \
    sd t1, 0(a1);                                 \
    li t1, 0x8f8e8d8c8b8a8988;                    \
    sd t1, 8(a1);

#define TEST_PAGE_LD(n, inst, off, result)        \
    TEST_CASE(n, a4, result, PAGE_INIT; li a4, POISON; inst a4, off(a1))

#define TEST_PAGE_ST(n, sinst, off, value, expect_lo, expect_hi) \
    TEST_NUM(n)                                   \
    PAGE_INIT                                     \
    li a2, value;                                 \
    sinst a2, off(a1);                            \
    ld a4, 0(a1);                                 \
    li t2, expect_lo;                             \
    bne a4, t2, fail;                             \
    ld a4, 8(a1);                                 \
    li t2, expect_hi;                             \
    bne a4, t2, fail;

RVTEST_CODE_BEGIN

    /* loads at misaligned offsets (aligned base + offset) */
    TEST_LD_OP(  1, lh, 0xfffffffffffff1d4, 1, pat)
    TEST_LD_OP(  2, lh, 0xffffffffffffab0e, 3, pat)
    TEST_LD_OP(  3, lh, 0x00000000000065c8, 5, pat)
    TEST_LD_OP(  4, lh, 0xffffffffffff9f82, 7, pat)
    TEST_LD_OP(  5, lhu, 0x000000000000f1d4, 1, pat)
    TEST_LD_OP(  6, lhu, 0x0000000000009f82, 7, pat)
    TEST_LD_OP(  7, lw, 0xffffffffab0ef1d4, 1, pat)
    TEST_LD_OP(  8, lw, 0xffffffffc8ab0ef1, 2, pat)
    TEST_LD_OP(  9, lw, 0x0000000065c8ab0e, 3, pat)
    TEST_LD_OP( 10, lw, 0xffffffff9f8265c8, 5, pat)
    TEST_LD_OP( 11, lw, 0x000000003c9f8265, 6, pat)
    TEST_LD_OP( 12, lw, 0xffffffffd93c9f82, 7, pat)
    TEST_LD_OP( 13, lwu, 0x0000000065c8ab0e, 3, pat)
    TEST_LD_OP( 14, lwu, 0x00000000d93c9f82, 7, pat)
    TEST_LD_OP( 15, ld, 0x9f8265c8ab0ef1d4, 1, pat)
    TEST_LD_OP( 16, ld, 0x3c9f8265c8ab0ef1, 2, pat)
    TEST_LD_OP( 17, ld, 0xd93c9f8265c8ab0e, 3, pat)
    TEST_LD_OP( 18, ld, 0xf6d93c9f8265c8ab, 4, pat)
    TEST_LD_OP( 19, ld, 0x13f6d93c9f8265c8, 5, pat)
    TEST_LD_OP( 20, ld, 0xb013f6d93c9f8265, 6, pat)
    TEST_LD_OP( 21, ld, 0xcdb013f6d93c9f82, 7, pat)

    /* misaligned base register, zero / negative offsets */
    TEST_LD_OP( 22, lw, 0x0000000013f6d93c, 0, pat + 9)
    TEST_LD_OP( 23, ld, 0x41a4876acdb013f6, 0, pat + 11)
    TEST_LD_OP( 24, lh, 0xffffffffffffcdb0, 0, pat + 13)
    TEST_LD_OP( 25, ld, 0xde41a4876acdb013, -3, pat + 15)
    TEST_LD_OP( 26, lw, 0xffffffffcdb013f6, -3, pat + 14)
    TEST_LD_OP( 27, lhu, 0x000000000000d93c, -1, pat + 10)

    /* stores at misaligned offsets; both covering dwords read back aligned */
    TEST_ST_MIS( 28, sh, 1, 0x8976675445322310, 0x1111111111231011, 0x1111111111111111)
    TEST_ST_MIS( 29, sh, 7, 0x8f70615243342516, 0x1611111111111111, 0x1111111111111125)
    TEST_ST_MIS( 30, sw, 1, 0x8976675445322310, 0x1111114532231011, 0x1111111111111111)
    TEST_ST_MIS( 31, sw, 2, 0x8a75645746312013, 0x1111463120131111, 0x1111111111111111)
    TEST_ST_MIS( 32, sw, 3, 0x8b74655647302112, 0x1147302112111111, 0x1111111111111111)
    TEST_ST_MIS( 33, sw, 5, 0x8d72635041362714, 0x3627141111111111, 0x1111111111111141)
    TEST_ST_MIS( 34, sw, 6, 0x8e71605342352417, 0x2417111111111111, 0x1111111111114235)
    TEST_ST_MIS( 35, sw, 7, 0x8f70615243342516, 0x1611111111111111, 0x1111111111433425)
    TEST_ST_MIS( 36, sd, 1, 0x8976675445322310, 0x7667544532231011, 0x1111111111111189)
    TEST_ST_MIS( 37, sd, 2, 0x8a75645746312013, 0x6457463120131111, 0x1111111111118a75)
    TEST_ST_MIS( 38, sd, 3, 0x8b74655647302112, 0x5647302112111111, 0x11111111118b7465)
    TEST_ST_MIS( 39, sd, 4, 0x8c73625140372615, 0x4037261511111111, 0x111111118c736251)
    TEST_ST_MIS( 40, sd, 5, 0x8d72635041362714, 0x3627141111111111, 0x1111118d72635041)
    TEST_ST_MIS( 41, sd, 6, 0x8e71605342352417, 0x2417111111111111, 0x11118e7160534235)
    TEST_ST_MIS( 42, sd, 7, 0x8f70615243342516, 0x1611111111111111, 0x118f706152433425)

    /* store misaligned, load back with the same misaligned width */
    TEST_ST_OP( 43, lh, sh, 0xffffffffffff8001, 0x0000000000008001, 5, sbuf + 16)
    TEST_ST_OP( 44, lw, sw, 0xffffffff80000001, 0x0000000080000001, 3, sbuf + 16)
    TEST_ST_OP( 45, lwu, sw, 0x00000000fedcba98, 0x00000000fedcba98, 6, sbuf + 16)
    TEST_ST_OP( 46, ld, sd, 0x0123456789abcdef, 0x0123456789abcdef, 5, sbuf + 16)
    TEST_ST_OP( 47, ld, sd, 0xfedcba9876543210, 0xfedcba9876543210, 7, sbuf + 16)

    /* crossing a 4 KiB page boundary (offsets relative to pg + 4088) */
    TEST_PAGE_LD(48, ld,  5, 0x8c8b8a8988887766)
    TEST_PAGE_LD(49, ld,  1, 0x8888776655443322)
    TEST_PAGE_LD(50, lw,  6, 0xffffffff89888877)
    TEST_PAGE_LD(51, lw,  5, 0xffffffff88887766)
    TEST_PAGE_LD(52, lh,  7, 0xffffffffffff8888)
    TEST_PAGE_LD(53, lhu, 7, 0x0000000000008888)
    TEST_PAGE_LD(54, lwu, 7, 0x000000008a898888)
    TEST_PAGE_ST(55, sd, 5, 0xa1a2a3a4a5a6a7a8, 0xa6a7a85544332211, 0x8f8e8da1a2a3a4a5)
    TEST_PAGE_ST(56, sw, 6, 0x00000000deadbeef, 0xbeef665544332211, 0x8f8e8d8c8b8adead)
    TEST_PAGE_ST(57, sh, 7, 0x000000000000cafe, 0xfe77665544332211, 0x8f8e8d8c8b8a89ca)

    /* rd == rs1 with a misaligned address */
    TEST_CASE(58, a1, 0xd93c9f8265c8ab0e, la a1, pat + 3; ld a1, 0(a1))

    /* compressed loads/stores with misaligned addresses */
    .option push
    .option rvc
    TEST_CASE(59, a4, 0x0000000065c8ab0e, la a1, pat + 3; li a4, POISON; c.lw a4, 0(a1))
    TEST_CASE(60, a4, 0xffffffff9f8265c8, la a1, pat + 1; li a4, POISON; c.lw a4, 4(a1))
    TEST_CASE(61, a4, 0x876acdb013f6d93c, la a1, pat + 1; li a4, POISON; c.ld a4, 8(a1))
    TEST_CASE(62, a4, 0x0000000013f6d93c, la sp, pat + 5; li a4, POISON; c.lwsp a4, 4(sp))
    TEST_CASE(63, a4, 0xfbde41a4876acdb0, la sp, pat + 5; li a4, POISON; c.ldsp a4, 8(sp))
    TEST_CASE(64, a4, 0xffffffff80000001,
              la a1, sbuf + 1; li a2, 0x80000001; c.sw a2, 4(a1); lw a4, 4(a1))
    TEST_CASE(65, a4, 0x0123456789abcdef,
              la a1, sbuf + 3; li a2, 0x0123456789abcdef; c.sd a2, 0(a1); ld a4, 0(a1))
    TEST_CASE(66, a4, 0x00000000fedcba98,
              la sp, sbuf + 2; li a2, 0xfedcba98; c.swsp a2, 8(sp); lwu a4, 8(sp))
    TEST_CASE(67, a4, 0x8877665544332211,
              la sp, sbuf + 7; li a2, 0x8877665544332211; c.sdsp a2, 16(sp); ld a4, 16(sp))
    .option pop

    /* a byte-by-byte copy of pat read back at every offset 0..16 with ld,
     * compared against a value built from single bytes */
    TEST_NUM(68)
    la a1, pat
    li s2, 0                        /* offset */
1:  add a3, a1, s2
    ld a4, 0(a3)
    li t2, 0                        /* build the expected value from bytes */
    li t3, 7
2:  add t4, a3, t3
    lbu t4, 0(t4)
    slli t2, t2, 8
    or t2, t2, t4
    addi t3, t3, -1
    bgez t3, 2b
    bne a4, t2, fail
    addi s2, s2, 1
    li t3, 17
    bne s2, t3, 1b

    j pass
RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
pat: .byte 0x37, 0xd4, 0xf1, 0x0e, 0xab, 0xc8, 0x65, 0x82, 0x9f, 0x3c, 0xd9, 0xf6, 0x13, 0xb0, 0xcd, 0x6a, 0x87, 0xa4, 0x41, 0xde, 0xfb, 0x18, 0xb5, 0xd2
    .space 8
    .balign 16
sbuf: .space 64
RVTEST_DATA_END

    .section .bss
    .balign 4096
pg: .space 8192
