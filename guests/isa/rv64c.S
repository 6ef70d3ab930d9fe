/* RV64C: every RV64 compressed instruction (explicit c.* mnemonics) with
 * immediate extremes: c.li c.lui c.addi c.addiw c.addi16sp c.addi4spn c.slli
 * c.srli c.srai c.andi c.mv c.add c.sub c.xor c.or c.and c.addw c.subw c.lw
 * c.ld c.sw c.sd c.lwsp c.ldsp c.swsp c.sdsp c.j c.jr c.jalr c.beqz c.bnez
 * c.nop c.ebreak, plus RVC HINT encodings (rd = x0 etc.) executing as no-ops,
 * 32-bit instructions at 2 mod 4 addresses, a 32-bit instruction straddling a
 * 4 KiB page boundary (run into and jumped to), and the extreme c.j
 * (+2046/-2048) and c.beqz/c.bnez (+254/-256) offsets.
 * (c.jal is RV32-only; on RV64 that encoding is c.addiw.)
 * Exit code = number of the failing test. */
#include "isa_test.h"

#define TEST_C(n, result, code...) TEST_CASE(n, a4, result, code)

/* end of a test that uses short-range branches to a local failure stub `9:` */
#define NEAR_FAIL c.j 8f; 9: j fail; 8:

/* check a2 == dist(label_a -> label_b) at run time (layout self-check) */
#define CHECK_DIST(from, to, dist)    \
    la t0, from;                      \
    la t1, to;                        \
    sub t1, t1, t0;                   \
    li t2, dist;                      \
    bne t1, t2, fail;

/* The assembler turns `c.j label` / `c.beqz reg, label` into 32-bit jal/beq
 * when it cannot prove the label is in range (e.g. across a .fill), so the
 * extreme-offset tests encode the instructions by hand from a constant offset. */
.macro CJ_OFF off                   /* c.j with byte offset `off` */
    .half 0xa001 | (((\off >> 11) & 1) << 12) | (((\off >> 4) & 1) << 11) | (((\off >> 8) & 3) << 9) | (((\off >> 10) & 1) << 8) | (((\off >> 6) & 1) << 7) | (((\off >> 7) & 1) << 6) | (((\off >> 1) & 7) << 3) | (((\off >> 5) & 1) << 2)
.endm
.macro CB_OFF funct3, rs1p, off     /* c.beqz (6) / c.bnez (7) on x(8+rs1p) */
    .half 0x0001 | (\funct3 << 13) | (((\off >> 8) & 1) << 12) | (((\off >> 3) & 3) << 10) | (\rs1p << 7) | (((\off >> 6) & 3) << 5) | (((\off >> 1) & 3) << 3) | (((\off >> 5) & 1) << 2)
.endm

RVTEST_CODE_BEGIN
    .option rvc

    /* ---- c.li */
    TEST_C(  1, 0,                  li a4, POISON; c.li a4, 0)
    TEST_C(  2, 31,                 li a4, POISON; c.li a4, 31)
    TEST_C(  3, 0xffffffffffffffe0, li a4, POISON; c.li a4, -32)
    TEST_CASE(4, t6, -1,            li t6, 0; c.li t6, -1)

    /* ---- c.lui (nzimm[17:12], sign-extended from bit 17) */
    TEST_C(  5, 0x0000000000001000, li a4, POISON; c.lui a4, 1)
    TEST_C(  6, 0x000000000001f000, li a4, POISON; c.lui a4, 31)
    TEST_C(  7, 0xfffffffffffff000, li a4, POISON; c.lui a4, 0xfffff)
    TEST_C(  8, 0xfffffffffffe0000, li a4, POISON; c.lui a4, 0xfffe0)
    TEST_CASE(9, t6, 0x0000000000010000, li t6, -1; c.lui t6, 0x10)

    /* ---- c.addi (64-bit add, no 32-bit wrap) */
    TEST_C( 10, 36,                 li a4, 5; c.addi a4, 31)
    TEST_C( 11, 0xffffffffffffffe5, li a4, 5; c.addi a4, -32)
    TEST_C( 12, 0x8000000000000000, li a4, 0x7fffffffffffffff; c.addi a4, 1)
    TEST_C( 13, 0x0000000100000000, li a4, 0xffffffff; c.addi a4, 1)
    TEST_CASE(14, t6, -1,           li t6, 0; c.addi t6, -1)

    /* ---- c.addiw (32-bit add, sign-extended; c.addiw rd, 0 = sext.w) */
    TEST_C( 15, 0xffffffffffffffff, li a4, 0x00000000ffffffff; c.addiw a4, 0)
    TEST_C( 16, 0xffffffff80000000, li a4, 0x7fffffff; c.addiw a4, 1)
    TEST_C( 17, 0x0000000023456788, li a4, 0x123456789; c.addiw a4, -1)
    TEST_C( 18, 0xffffffffffffffe0, li a4, 0; c.addiw a4, -32)
    TEST_CASE(19, t6, 31,           li t6, 0xffffffff00000000; c.addiw t6, 31)

    /* ---- c.addi16sp (nzimm multiple of 16 in -512..496) */
    TEST_CASE(20, sp, 0x0000000000000e00, li sp, 0x1000; c.addi16sp sp, -512)
    TEST_CASE(21, sp, 0x00000000000011f0, li sp, 0x1000; c.addi16sp sp, 496)
    TEST_CASE(22, sp, 0x0000000000001010, li sp, 0x1000; c.addi16sp sp, 16)
    TEST_CASE(23, sp, 0xfffffffffffffff0, li sp, 0; c.addi16sp sp, -16)

    /* ---- c.addi4spn (nzuimm multiple of 4 in 4..1020, zero-extended) */
    TEST_C( 24, 0x1234567800000004, li sp, 0x1234567800000000; li a4, POISON; c.addi4spn a4, sp, 4)
    TEST_C( 25, 0x12345678000003fc, li sp, 0x1234567800000000; li a4, POISON; c.addi4spn a4, sp, 1020)
    TEST_CASE(26, s0, 0x0000000000000200, li sp, 0; c.addi4spn s0, sp, 512)
    TEST_CASE(27, a5, 0x0000000000000000, li sp, -0x200; c.addi4spn a5, sp, 512)

    /* ---- c.slli (shamt 1..63, any rd) */
    TEST_C( 28, 0x0000000000000002, li a4, 1; c.slli a4, 1)
    TEST_C( 29, 0x8000000000000000, li a4, 1; c.slli a4, 63)
    TEST_C( 30, 0xffffffff00000000, li a4, 0xffffffff; c.slli a4, 32)
    TEST_CASE(31, t6, 0x123456789abcdef0, li t6, 0x0123456789abcdef; c.slli t6, 4)

    /* ---- c.srli (logical) / c.srai (arithmetic) on rd' */
    TEST_C( 32, 0x4000000000000000, li a4, 0x8000000000000000; c.srli a4, 1)
    TEST_C( 33, 0x0000000000000001, li a4, -1; c.srli a4, 63)
    TEST_C( 34, 0x00000000ffffffff, li a4, 0xffffffff80000000; c.srli a4, 32)
    TEST_C( 35, 0xc000000000000000, li a4, 0x8000000000000000; c.srai a4, 1)
    TEST_C( 36, 0xffffffffffffffff, li a4, 0x8000000000000000; c.srai a4, 63)
    TEST_C( 37, 0xffffffff80000000, li a4, 0x8000000000000000; c.srai a4, 32)
    TEST_C( 38, 0x0000000000000000, li a4, 0x7fffffffffffffff; c.srai a4, 63)
    TEST_CASE(39, s0, 0x0000000000000001, li s0, 0x7fffffffffffffff; c.srli s0, 62)

    /* ---- c.andi (imm sign-extended) */
    TEST_C( 40, 0xffffffffffffffe0, li a4, -1; c.andi a4, -32)
    TEST_C( 41, 0x0000000000000014, li a4, 0x1234; c.andi a4, 31)
    TEST_C( 42, 0x0000000000000000, li a4, -1; c.andi a4, 0)
    TEST_C( 43, 0x123456789abcdef0, li a4, 0x123456789abcdef0; c.andi a4, -1)

    /* ---- c.mv / c.add (any registers) */
    TEST_C( 44, 0x0123456789abcdef, li a1, 0x0123456789abcdef; li a4, POISON; c.mv a4, a1)
    TEST_CASE(45, t6, 0xfedcba9876543210, li s0, 0xfedcba9876543210; li t6, 0; c.mv t6, s0)
    TEST_C( 46, 0x0000000100000000, li a4, 0xffffffff; li a1, 1; c.add a4, a1)
    TEST_C( 47, 0xfffffffffffffffe, li a4, -1; c.add a4, a4)
    TEST_CASE(48, ra, 0x8000000000000000, li ra, 0x7fffffffffffffff; li t6, 1; c.add ra, t6)

    /* ---- c.sub / c.xor / c.or / c.and (rd', rs2') */
    TEST_C( 49, 0xffffffffffffffff, li a4, 0; li a1, 1; c.sub a4, a1)
    TEST_C( 50, 0x7fffffffffffffff, li a4, 0x8000000000000000; li a1, 1; c.sub a4, a1)
    TEST_C( 51, 0x0000000000000000, li a4, 0x123456789; c.sub a4, a4)
    TEST_C( 52, 0xf00ff00ff00ff00f, li a4, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.xor a4, a1)
    TEST_C( 53, 0xff0fff0fff0fff0f, li a4, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.or a4, a1)
    TEST_C( 54, 0x0f000f000f000f00, li a4, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.and a4, a1)
    TEST_CASE(55, s1, 0x0000000000000000, li s1, -1; c.xor s1, s1)

    /* ---- c.addw / c.subw (32-bit, sign-extended, upper input bits ignored) */
    TEST_C( 56, 0xffffffff80000000, li a4, 0x7fffffff; li a1, 1; c.addw a4, a1)
    TEST_C( 57, 0x0000000000000003, li a4, 0xdeadbeef00000001; li a1, 0xcafe000000000002; c.addw a4, a1)
    TEST_C( 58, 0xffffffffffffffff, li a4, 0; li a1, 1; c.subw a4, a1)
    TEST_C( 59, 0x000000007fffffff, li a4, 0x80000000; li a1, 1; c.subw a4, a1)
    TEST_C( 60, 0xfffffffffffffffe, li a4, 0x1234567800000001; li a1, 0x8765432100000003; c.subw a4, a1)
    TEST_CASE(61, a5, 0xfffffffffffffffe, li a5, 0x7fffffffffffffff; c.addw a5, a5)

    /* ---- c.lw / c.ld (uimm up to 124 / 248, c.lw sign-extends) */
    TEST_C( 62, 0xffffffff80000001, la a1, mem; li a4, POISON; c.lw a4, 0(a1))
    TEST_C( 63, 0x000000007ffffffe, la a1, mem; li a4, POISON; c.lw a4, 124(a1))
    TEST_C( 64, 0x0123456789abcdef, la a1, mem; li a4, POISON; c.ld a4, 8(a1))
    TEST_C( 65, 0x1234567876543210, la a1, mem; li a4, POISON; c.ld a4, 248(a1))
    TEST_CASE(66, a1, 0x0123456789abcdef, la a1, mem; c.ld a1, 8(a1))
    /* ---- c.sw / c.sd */
    TEST_C( 67, 0x000000005555aaaa, la a1, buf; li a2, 0x123456785555aaaa; c.sw a2, 4(a1); lwu a4, 4(a1))
    TEST_C( 68, 0xffffffffcafef00d, la a1, buf; li a2, 0xcafef00d; c.sw a2, 124(a1); lw a4, 124(a1))
    TEST_C( 69, 0x1122334455667788, la a1, buf; li a2, 0x1122334455667788; c.sd a2, 16(a1); ld a4, 16(a1))
    TEST_C( 70, 0x8877665544332211, la a1, buf; li a2, 0x8877665544332211; c.sd a2, 248(a1); ld a4, 248(a1))
    /* c.sw wrote only 4 bytes */
    TEST_C( 71, 0x5555aaaa00000000, la a1, buf; sw x0, 0(a1); ld a4, 0(a1))

    /* ---- sp-relative: c.lwsp (<=252) c.ldsp (<=504) c.swsp c.sdsp */
    TEST_C( 72, 0xffffffff80000001, la sp, mem; li a4, POISON; c.lwsp a4, 0(sp))
    TEST_CASE(73, t6, 0x0000000012345678, la sp, mem; li t6, POISON; c.lwsp t6, 252(sp))
    TEST_C( 74, 0x0123456789abcdef, la sp, mem; li a4, POISON; c.ldsp a4, 8(sp))
    TEST_CASE(75, ra, 0xa5a5a5a5a5a5a5a5, la sp, mem; li ra, POISON; c.ldsp ra, 504(sp))
    TEST_C( 76, 0xffffffff9abcdef0, la sp, buf; li a2, 0x123456789abcdef0; c.swsp a2, 12(sp); lw a4, 12(sp))
    TEST_C( 77, 0x00000000fffffff0, la sp, buf; li t6, -16; c.swsp t6, 252(sp); lwu a4, 252(sp))
    TEST_C( 78, 0x0f1e2d3c4b5a6978, la sp, buf; li a2, 0x0f1e2d3c4b5a6978; c.sdsp a2, 24(sp); ld a4, 24(sp))
    TEST_C( 79, 0x8000000000000001, la sp, buf; li t6, 0x8000000000000001; c.sdsp t6, 504(sp); ld a4, 504(sp))

    /* ---- c.j forward / backward */
    TEST_NUM(80)
    c.j 2f
1:  c.j 3f
    c.j 9f
2:  c.j 1b
    c.j 9f
3:
    NEAR_FAIL

    /* ---- c.jr: no link, bit 0 of the target cleared */
    TEST_NUM(81)
    li ra, 0x777
    la a1, 1f
    c.jr a1
    c.j 9f
1:  li t2, 0x777
    bne ra, t2, fail
    NEAR_FAIL

    TEST_NUM(82)
    la a1, 1f
    addi a1, a1, 1
    c.jr a1
    c.j 9f
    c.nop
1:
    NEAR_FAIL

    /* ---- c.jalr: ra = address of the c.jalr + 2 */
    TEST_NUM(83)
    la a1, 2f
    li ra, POISON
1:  c.jalr a1
    c.j 9f
2:  la t2, 1b
    addi t2, t2, 2
    bne ra, t2, fail
    NEAR_FAIL

    /* c.jalr ra: target from the old ra, then ra = link */
    TEST_NUM(84)
    la ra, 2f
1:  c.jalr ra
    c.j 9f
2:  la t2, 1b
    addi t2, t2, 2
    bne ra, t2, fail
    NEAR_FAIL

    /* c.jalr at an address = 2 mod 4, to an address = 2 mod 4 */
    TEST_NUM(85)
    la a1, 2f
    .balign 4
    c.nop
1:  c.jalr a1                   /* at 2 mod 4 */
    c.j 9f
    .balign 4
    c.nop
2:  la t2, 1b                   /* at 2 mod 4 */
    addi t2, t2, 2
    bne ra, t2, fail
    andi t2, t2, 3
    bnez t2, fail               /* link is 0 mod 4 here */
    NEAR_FAIL

    /* ---- c.beqz / c.bnez: taken/not taken, forward/backward, 64-bit test */
    TEST_NUM(86)
    li a4, 0
    c.beqz a4, 2f
    c.j 9f
1:  c.j 3f
2:  c.beqz a4, 1b
    c.j 9f
3:  li a4, 0x100000000           /* non-zero only in the upper half */
    c.beqz a4, 9f
    c.bnez a4, 5f
    c.j 9f
4:  c.j 6f
5:  c.bnez a4, 4b
    c.j 9f
6:  li a4, 0
    c.bnez a4, 9f
    li a5, 0x8000000000000000
    c.beqz a5, 9f
    NEAR_FAIL

    /* ---- c.nop and the c.addi rd, 0 hint */
    TEST_C( 87, 42, li a4, 42; c.nop; .half 0x0701)

    /* ---- RVC HINTs (must not write x0 or anything else) */
    TEST_NUM(88)
    li a1, 0x55
    .half 0x4015                /* c.li   x0, 5   */
    .half 0x6005                /* c.lui  x0, 1   */
    .half 0x802e                /* c.mv   x0, a1  */
    .half 0x902e                /* c.add  x0, a1  */
    .half 0x0005                /* c.nop  1       */
    .half 0x0006                /* c.slli x0, 1   */
    bnez x0, fail
    li t2, 0x55
    bne a1, t2, fail

    /* ---- c.ebreak traps with mcause 3, mepc at the c.ebreak */
    TEST_NUM(89)
    la t0, ebreak_handler
    csrw mtvec, t0
    li s2, 0
1:  c.ebreak
    li t2, 1
    bne s2, t2, fail
    la t2, 1b
    bne s3, t2, fail
    li t2, 3
    bne s4, t2, fail
    RESTORE_TRAP_HANDLER

    /* ---- 32-bit instructions at 2 mod 4 addresses, interleaved */
    TEST_NUM(90)
    .balign 4
    c.li a4, 1                  /* 0 mod 4 */
    .option push
    .option norvc
    addi a4, a4, 0x100          /* 2 mod 4 */
    lui a5, 0x12345             /* 2 mod 4 */
    add a4, a4, a5              /* 2 mod 4, 32-bit encoding of a c.add-able op */
    .option pop
    c.nop
    li t2, 0x12345101
    bne a4, t2, fail

    /* ---- c.j extremes: +2046 and -2048 (fill = illegal halfwords) */
    TEST_NUM(91)
    la ra, cj_done
    c.j cj_src
cj_back_dst:
    c.jr ra                     /* 2 bytes; cj_done is out of c.j range */
cj_src:
    CJ_OFF 2046                 /* c.j cj_fwd_dst */
    .fill 1022, 2, 0
cj_fwd_dst:
    CJ_OFF -2048                /* c.j cj_back_dst */
cj_done:
    CHECK_DIST(cj_src, cj_fwd_dst, 2046)
    CHECK_DIST(cj_back_dst, cj_fwd_dst, 2048)

    /* ---- c.beqz extremes: +254 and -256 */
    TEST_NUM(92)
    li a4, 0
    c.j bz_src
bz_back_dst:
    c.j bz_done
bz_src:
    CB_OFF 6, 6, 254            /* c.beqz a4, bz_fwd_dst */
    .fill 126, 2, 0
bz_fwd_dst:
    CB_OFF 6, 6, -256           /* c.beqz a4, bz_back_dst */
    c.j 9f
bz_done:
    CHECK_DIST(bz_src, bz_fwd_dst, 254)
    CHECK_DIST(bz_back_dst, bz_fwd_dst, 256)
    NEAR_FAIL

    /* ---- c.bnez extremes: +254 and -256 */
    TEST_NUM(93)
    li a4, -1
    c.j bnz_src
bnz_back_dst:
    c.j bnz_done
bnz_src:
    CB_OFF 7, 6, 254            /* c.bnez a4, bnz_fwd_dst */
    .fill 126, 2, 0
bnz_fwd_dst:
    CB_OFF 7, 6, -256           /* c.bnez a4, bnz_back_dst */
    c.j 9f
bnz_done:
    CHECK_DIST(bnz_src, bnz_fwd_dst, 254)
    CHECK_DIST(bnz_back_dst, bnz_fwd_dst, 256)
    NEAR_FAIL

    /* ---- a 32-bit instruction straddling a page boundary, reached by
     * falling through from the previous page */
    TEST_NUM(94)
    j strad1
    .balign 4096
    .fill 2044, 2, 0
strad1:                         /* page offset 4088 */
    c.li a4, 1
    c.addi a4, 2
    c.nop
    addi a4, a4, 0x100          /* page offset 4094..4097 */
    c.addi a4, 4
    li t2, 0x107
    bne a4, t2, fail
    la t0, strad1
    li t1, 0xfff
    and t0, t0, t1
    li t2, 4088
    bne t0, t2, fail

    /* ---- ... and reached by a jump straight to it */
    TEST_NUM(95)
    li a4, 0
    la t0, strad2
    jalr ra, 0(t0)
    li t2, 0x7ff
    bne a4, t2, fail
    la t0, strad2
    li t1, 0xfff
    and t0, t0, t1
    li t2, 4094
    bne t0, t2, fail

    j pass

    .balign 4
ebreak_handler:
    addi s2, s2, 1
    csrr s3, mepc
    csrr s4, mcause
    addi t0, s3, 2              /* c.ebreak is 2 bytes */
    csrw mepc, t0
    mret

    .balign 4096
    .fill 2047, 2, 0
strad2:                         /* page offset 4094 */
    addi a4, a4, 0x7ff          /* straddles the page boundary */
    ret

RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
mem:
    .word 0x80000001, 0         /* +0   */
    .dword 0x0123456789abcdef   /* +8   */
    .fill 108, 1, 0
    .word 0x7ffffffe            /* +124 */
    .fill 120, 1, 0
    .dword 0x1234567876543210   /* +248 (word at +252 = 0x12345678) */
    .fill 248, 1, 0
    .dword 0xa5a5a5a5a5a5a5a5   /* +504 */
mem_end:
    .balign 16
buf:
    .fill 64, 8, 0
RVTEST_DATA_END
