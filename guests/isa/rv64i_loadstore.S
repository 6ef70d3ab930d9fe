/* RV64I loads lb/lh/lw/ld/lbu/lhu/lwu and stores sb/sh/sw/sd (aligned):
 * sign vs zero extension, little-endian byte order, negative / -2048 / +2047
 * offsets, rd == rs1, x0 as destination, stores touching only their bytes and
 * using only the low bits of rs2.
 * Exit code = number of the failing test. */
#include "isa_test.h"

/* Overwrite the dword at st_buf+off with 0x1111111111111111, run
 * `sinst value, soff(dword)`, then require ld of that dword == expect. */
#define TEST_ST_MASK(n, off, sinst, soff, value, expect)           \
    TEST_CASE(n, a4, expect,                                       \
              la a1, st_buf + off;                                 \
              li t1, 0x1111111111111111;                           \
              sd t1, 0(a1);                                        \
              li a2, value;                                        \
              sinst a2, soff(a1);                                  \
              li a4, POISON;                                       \
              ld a4, 0(a1))

RVTEST_CODE_BEGIN

    /* lb: sign-extends */
    TEST_LD_OP(  1, lb, 0xffffffffffffffff, 0, b_data)
    TEST_LD_OP(  2, lb, 0x0000000000000000, 1, b_data)
    TEST_LD_OP(  3, lb, 0xfffffffffffffff0, 2, b_data)
    TEST_LD_OP(  4, lb, 0x000000000000000f, 3, b_data)
    TEST_LD_OP(  5, lb, 0xffffffffffffff80, 4, b_data)
    TEST_LD_OP(  6, lb, 0x000000000000007f, 5, b_data)
    TEST_LD_OP(  7, lb, 0xffffffffffffffff, -3, b_data + 3)
    TEST_LD_OP(  8, lb, 0x000000000000000f, -1, b_data + 4)
    /* lbu: zero-extends */
    TEST_LD_OP(  9, lbu, 0x00000000000000ff, 0, b_data)
    TEST_LD_OP( 10, lbu, 0x0000000000000000, 1, b_data)
    TEST_LD_OP( 11, lbu, 0x00000000000000f0, 2, b_data)
    TEST_LD_OP( 12, lbu, 0x000000000000000f, 3, b_data)
    TEST_LD_OP( 13, lbu, 0x0000000000000080, 4, b_data)
    TEST_LD_OP( 14, lbu, 0x000000000000007f, 5, b_data)
    TEST_LD_OP( 15, lbu, 0x00000000000000ff, -3, b_data + 3)

    /* lh */
    TEST_LD_OP( 16, lh, 0x00000000000000ff, 0, h_data)
    TEST_LD_OP( 17, lh, 0xffffffffffffff00, 2, h_data)
    TEST_LD_OP( 18, lh, 0x0000000000000ff0, 4, h_data)
    TEST_LD_OP( 19, lh, 0xfffffffffffff00f, 6, h_data)
    TEST_LD_OP( 20, lh, 0xffffffffffff8000, 8, h_data)
    TEST_LD_OP( 21, lh, 0x0000000000007fff, 10, h_data)
    TEST_LD_OP( 22, lh, 0x00000000000000ff, -6, h_data + 6)
    TEST_LD_OP( 23, lh, 0xfffffffffffff00f, -2, h_data + 8)
    /* lhu */
    TEST_LD_OP( 24, lhu, 0x00000000000000ff, 0, h_data)
    TEST_LD_OP( 25, lhu, 0x000000000000ff00, 2, h_data)
    TEST_LD_OP( 26, lhu, 0x0000000000000ff0, 4, h_data)
    TEST_LD_OP( 27, lhu, 0x000000000000f00f, 6, h_data)
    TEST_LD_OP( 28, lhu, 0x0000000000008000, 8, h_data)
    TEST_LD_OP( 29, lhu, 0x0000000000007fff, 10, h_data)
    TEST_LD_OP( 30, lhu, 0x000000000000f00f, -2, h_data + 8)

    /* lw */
    TEST_LD_OP( 31, lw, 0x0000000000ff00ff, 0, w_data)
    TEST_LD_OP( 32, lw, 0xffffffffff00ff00, 4, w_data)
    TEST_LD_OP( 33, lw, 0x000000000ff00ff0, 8, w_data)
    TEST_LD_OP( 34, lw, 0xfffffffff00ff00f, 12, w_data)
    TEST_LD_OP( 35, lw, 0xffffffff80000000, 16, w_data)
    TEST_LD_OP( 36, lw, 0x000000007fffffff, 20, w_data)
    TEST_LD_OP( 37, lw, 0x0000000000ff00ff, -12, w_data + 12)
    TEST_LD_OP( 38, lw, 0xfffffffff00ff00f, -4, w_data + 16)
    /* lwu */
    TEST_LD_OP( 39, lwu, 0x0000000000ff00ff, 0, w_data)
    TEST_LD_OP( 40, lwu, 0x00000000ff00ff00, 4, w_data)
    TEST_LD_OP( 41, lwu, 0x000000000ff00ff0, 8, w_data)
    TEST_LD_OP( 42, lwu, 0x00000000f00ff00f, 12, w_data)
    TEST_LD_OP( 43, lwu, 0x0000000080000000, 16, w_data)
    TEST_LD_OP( 44, lwu, 0x000000007fffffff, 20, w_data)
    TEST_LD_OP( 45, lwu, 0x00000000f00ff00f, -4, w_data + 16)

    /* ld */
    TEST_LD_OP( 46, ld, 0x00ff00ff00ff00ff, 0, d_data)
    TEST_LD_OP( 47, ld, 0xff00ff00ff00ff00, 8, d_data)
    TEST_LD_OP( 48, ld, 0x0ff00ff00ff00ff0, 16, d_data)
    TEST_LD_OP( 49, ld, 0xf00ff00ff00ff00f, 24, d_data)
    TEST_LD_OP( 50, ld, 0x8000000000000000, 32, d_data)
    TEST_LD_OP( 51, ld, 0x00ff00ff00ff00ff, -24, d_data + 24)
    TEST_LD_OP( 52, ld, 0xf00ff00ff00ff00f, -8, d_data + 32)

    /* extreme immediates: -2048 and +2047 */
    TEST_LD_OP( 53, ld, 0xff00ff00ff00ff00, -2048, d_data + 8 + 2048)
    TEST_LD_OP( 54, lb, 0x000000000000007f, 2047, b_data + 5 - 2047)
    TEST_LD_OP( 55, lhu, 0x000000000000f00f, 2047, h_data + 6 - 2047)
    TEST_LD_OP( 56, lw, 0xffffffff80000000, -2048, w_data + 16 + 2048)

    /* little-endian byte order: pieces of one dword */
    TEST_LD_OP( 57, lbu, 0x0000000000000011, 0, le_data)
    TEST_LD_OP( 58, lbu, 0x0000000000000088, 7, le_data)
    TEST_LD_OP( 59, lb,  0xffffffffffffff88, 7, le_data)
    TEST_LD_OP( 60, lhu, 0x0000000000002211, 0, le_data)
    TEST_LD_OP( 61, lh,  0xffffffffffff8877, 6, le_data)
    TEST_LD_OP( 62, lhu, 0x0000000000006655, 4, le_data)
    TEST_LD_OP( 63, lw,  0x0000000044332211, 0, le_data)
    TEST_LD_OP( 64, lw,  0xffffffff88776655, 4, le_data)
    TEST_LD_OP( 65, lwu, 0x0000000088776655, 4, le_data)
    TEST_LD_OP( 66, ld,  0x8877665544332211, 0, le_data)

    /* rd == rs1 (the base register is overwritten by the loaded value) */
    TEST_CASE( 67, a1, 0x8877665544332211, la a1, le_data; ld a1, 0(a1))
    TEST_CASE( 68, a1, 0xffffffff88776655, la a1, le_data; lw a1, 4(a1))
    TEST_CASE( 69, a1, 0x0000000000000088, la a1, le_data; lbu a1, 7(a1))

    /* x0 as destination: the load happens, x0 stays 0 */
    TEST_CASE( 70, x0, 0, la a1, le_data; ld x0, 0(a1))
    TEST_CASE( 71, x0, 0, la a1, le_data; lw x0, 0(a1))
    TEST_CASE( 72, x0, 0, la a1, le_data; lhu x0, 0(a1))
    TEST_CASE( 73, x0, 0, la a1, le_data; lb x0, 7(a1))

    /* stores, read back with the same width */
    TEST_ST_OP( 74, lb,  sb, 0xffffffffffffffaa, 0xaa, 0, st_buf)
    TEST_ST_OP( 75, lbu, sb, 0x0000000000000055, 0x55, 1, st_buf)
    TEST_ST_OP( 76, lh,  sh, 0xffffffffffffbeef, 0xbeef, 2, st_buf)
    TEST_ST_OP( 77, lhu, sh, 0x0000000000007a5a, 0x7a5a, 6, st_buf)
    TEST_ST_OP( 78, lw,  sw, 0xffffffffdeadbeef, 0xdeadbeef, 8, st_buf)
    TEST_ST_OP( 79, lwu, sw, 0x00000000deadbeef, 0xdeadbeef, 12, st_buf)
    TEST_ST_OP( 80, ld,  sd, 0x0123456789abcdef, 0x0123456789abcdef, 16, st_buf)
    TEST_ST_OP( 81, ld,  sd, 0xfedcba9876543210, 0xfedcba9876543210, -8, st_buf + 32)
    TEST_ST_OP( 82, lw,  sw, 0x000000007fffffff, 0x7fffffff, -4, st_buf + 32)
    TEST_ST_OP( 83, lh,  sh, 0xffffffffffff8000, 0x8000, -2048, st_buf + 2048)
    TEST_ST_OP( 84, lbu, sb, 0x0000000000000080, 0x80, 2047, st_buf - 2047 + 3)

    /* stores modify only their own bytes, and only the low bits of rs2 count */
    TEST_ST_MASK( 85, 0, sb, 0, 0x123456789abcdeaa, 0x11111111111111aa)
    TEST_ST_MASK( 86, 0, sb, 7, 0xffffffffffffff5a, 0x5a11111111111111)
    TEST_ST_MASK( 87, 0, sb, 3, 0x00000000000000c3, 0x11111111c3111111)
    TEST_ST_MASK( 88, 0, sh, 0, 0x12345678abcdbeef, 0x111111111111beef)
    TEST_ST_MASK( 89, 0, sh, 2, 0xffffffffffff8001, 0x1111111180011111)
    TEST_ST_MASK( 90, 0, sh, 6, 0x000000000000cafe, 0xcafe111111111111)
    TEST_ST_MASK( 91, 0, sw, 0, 0x123456789abcdef0, 0x111111119abcdef0)
    TEST_ST_MASK( 92, 0, sw, 4, 0xffffffff80000001, 0x8000000111111111)
    TEST_ST_MASK( 93, 8, sd, 0, 0xa5a5a5a5a5a5a5a5, 0xa5a5a5a5a5a5a5a5)
    /* ... and the neighbouring dwords were left alone by the sd above */
    TEST_CASE( 94, a4, 0x8000000111111111, la a1, st_buf; ld a4, 0(a1))

    /* store with rs1 == rs2 stores the address itself */
    TEST_NUM(95)
    la a1, st_buf + 24
    sd a1, 0(a1)
    ld a4, 0(a1)
    bne a4, a1, fail
    TEST_NUM(96)
    la a1, st_buf + 24
    sw a1, 4(a1)
    lwu a4, 4(a1)
    slli t2, a1, 32
    srli t2, t2, 32
    bne a4, t2, fail

    /* store x0 writes zeros */
    TEST_CASE( 97, a4, 0x0000000011110000,
              la a1, st_buf; li t1, 0x1111111111111111; sd t1, 0(a1);
              sh x0, 0(a1); sw x0, 4(a1); sb x0, 2(a1); sb x0, 3(a1);
              li t1, 0x11110000; sw t1, 0(a1); ld a4, 0(a1))
    TEST_CASE( 98, a4, 0, la a1, st_buf; sd x0, 8(a1); ld a4, 8(a1))

    /* sub-word stores assemble a dword; sub-word loads take it apart */
    TEST_NUM(99)
    la a1, st_buf
    li t1, 0x88
    sb t1, 7(a1)
    li t1, 0x77
    sb t1, 6(a1)
    li t1, 0x6655
    sh t1, 4(a1)
    li t1, 0x44332211
    sw t1, 0(a1)
    ld a4, 0(a1)
    li t2, 0x8877665544332211
    bne a4, t2, fail
    lhu a4, 2(a1)
    li t2, 0x4433
    bne a4, t2, fail
    lw a4, 4(a1)
    li t2, 0xffffffff88776655
    bne a4, t2, fail

    /* memcpy-like byte loop then dword compare */
    TEST_NUM(100)
    la a1, le_data
    la a2, st_buf + 16
    li t0, 8
1:  lbu t1, 0(a1)
    sb t1, 0(a2)
    addi a1, a1, 1
    addi a2, a2, 1
    addi t0, t0, -1
    bnez t0, 1b
    la a2, st_buf + 16
    ld a4, 0(a2)
    li t2, 0x8877665544332211
    bne a4, t2, fail

    j pass
RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
b_data: .byte 0xff, 0x00, 0xf0, 0x0f, 0x80, 0x7f, 0x01, 0xfe
    .balign 16
h_data: .half 0x00ff, 0xff00, 0x0ff0, 0xf00f, 0x8000, 0x7fff
    .balign 16
w_data: .word 0x00ff00ff, 0xff00ff00, 0x0ff00ff0, 0xf00ff00f, 0x80000000, 0x7fffffff
    .balign 16
d_data: .dword 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0
        .dword 0xf00ff00ff00ff00f, 0x8000000000000000
    .balign 16
le_data: .dword 0x8877665544332211
    .balign 16
st_buf: .fill 8, 8, 0x1111111111111111
RVTEST_DATA_END
