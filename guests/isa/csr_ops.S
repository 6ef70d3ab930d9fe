/* csr_ops: the six Zicsr instructions on mscratch (a plain 64-bit RW CSR):
 * csrrw/csrrs/csrrc/csrrwi/csrrsi/csrrci return the old value and write
 * new = src / old|src / old&~src; the 5-bit uimm is zero-extended; rd = x0
 * forms (csrw/csrs/csrc/csrwi/csrsi/csrci) still write; rs1 = x0 / uimm = 0
 * forms of csrrs/csrrc/csrrsi/csrrci only read, while csrrw with rs1 = x0
 * writes 0; rd == rs1 reads the old value and writes the register's old value. */
#include "trap_test.h"

/* mscratch := imm (clobbers t6) */
.macro SET_SCRATCH imm
    li t6, \imm
    csrw mscratch, t6
.endm
/* fail unless mscratch == imm (clobbers t5, t6) */
.macro CHECK_SCRATCH imm
    csrr t5, mscratch
    li t6, \imm
    ASSERT_EQ t5, t6
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* csrrw */
    SET_SCRATCH 0x1122334455667788
    li s1, 0x8877665544332211
    csrrw s0, mscratch, s1
    ASSERT_IMM s0, 0x1122334455667788
    CHECK_SCRATCH 0x8877665544332211
    TEST 2                      /* csrrs */
    SET_SCRATCH 0xf0000000000000f0
    li s1, 0x0f0f00000000ff0f
    csrrs s0, mscratch, s1
    ASSERT_IMM s0, 0xf0000000000000f0
    CHECK_SCRATCH 0xff0f00000000ffff
    TEST 3                      /* csrrc */
    SET_SCRATCH 0xffff00000000ffff
    li s1, 0x0f0f00000000f0f0
    csrrc s0, mscratch, s1
    ASSERT_IMM s0, 0xffff00000000ffff
    CHECK_SCRATCH 0xf0f0000000000f0f
    TEST 4                      /* csrrwi: uimm zero-extended */
    SET_SCRATCH -1
    csrrwi s0, mscratch, 31
    ASSERT_IMM s0, -1
    CHECK_SCRATCH 31
    csrrwi s0, mscratch, 0
    ASSERT_IMM s0, 31
    CHECK_SCRATCH 0
    TEST 5                      /* csrrsi */
    SET_SCRATCH 0x8000000000000100
    csrrsi s0, mscratch, 0x15
    ASSERT_IMM s0, 0x8000000000000100
    CHECK_SCRATCH 0x8000000000000115
    csrrsi s0, mscratch, 0x1f
    ASSERT_IMM s0, 0x8000000000000115
    CHECK_SCRATCH 0x800000000000011f
    TEST 6                      /* csrrci */
    SET_SCRATCH -1
    csrrci s0, mscratch, 0x1f
    ASSERT_IMM s0, -1
    CHECK_SCRATCH 0xffffffffffffffe0
    SET_SCRATCH 0x35
    csrrci s0, mscratch, 0x11
    ASSERT_IMM s0, 0x35
    CHECK_SCRATCH 0x24
    TEST 7                      /* rd = x0 forms write */
    li s1, 0x123456789abcdef0
    csrw mscratch, s1
    CHECK_SCRATCH 0x123456789abcdef0
    li s1, 0x0f
    csrs mscratch, s1
    CHECK_SCRATCH 0x123456789abcdeff
    li s1, 0x1200000000000003
    csrc mscratch, s1
    CHECK_SCRATCH 0x003456789abcdefc
    csrwi mscratch, 0x1a
    CHECK_SCRATCH 0x1a
    csrsi mscratch, 0x05
    CHECK_SCRATCH 0x1f
    csrci mscratch, 0x12
    CHECK_SCRATCH 0x0d
    TEST 8                      /* rs1 = x0 / uimm = 0: read only */
    SET_SCRATCH 0xdeadbeefcafef00d
    csrrs s0, mscratch, x0
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    csrrc s0, mscratch, x0
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    csrrsi s0, mscratch, 0
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    csrrci s0, mscratch, 0
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    csrr s0, mscratch
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    TEST 9                      /* csrrw with rs1 = x0 writes zero */
    csrrw s0, mscratch, x0
    ASSERT_IMM s0, 0xdeadbeefcafef00d
    CHECK_SCRATCH 0
    TEST 10                     /* rd == rs1 */
    SET_SCRATCH 0x1111
    li s0, 0x2222
    csrrw s0, mscratch, s0
    ASSERT_IMM s0, 0x1111
    CHECK_SCRATCH 0x2222
    li s0, 0x0101
    csrrs s0, mscratch, s0
    ASSERT_IMM s0, 0x2222
    CHECK_SCRATCH 0x2323
    li s0, 0x0300
    csrrc s0, mscratch, s0
    ASSERT_IMM s0, 0x2323
    CHECK_SCRATCH 0x2023
    TEST 11                     /* rd = x0 and rs1 = x0 at once: csrrw x0, csr, x0 writes 0 */
    SET_SCRATCH 0x77
    csrrw x0, mscratch, x0
    CHECK_SCRATCH 0
    TEST 12                     /* csrrs/csrrc with a zero-valued register leave it unchanged */
    SET_SCRATCH 0x4242
    li s1, 0
    csrrs s0, mscratch, s1
    ASSERT_IMM s0, 0x4242
    csrrc s0, mscratch, s1
    ASSERT_IMM s0, 0x4242
    CHECK_SCRATCH 0x4242
    TEST 13                     /* the same via a write-then-read pair of instructions */
    li s1, 0x5555aaaa5555aaaa
    csrw mscratch, s1
    csrr s0, mscratch
    ASSERT_EQ s0, s1
    j pass
