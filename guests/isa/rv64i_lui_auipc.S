/* RV64I lui and auipc: the 32-bit result is sign-extended to 64 bits (lui
 * 0x80000 -> 0xffffffff80000000), auipc adds that sign-extended value to the
 * 64-bit pc (so pc 0x8000xxxx + 0x7ffff000 is 0x00000000ffffxxxx, not negative),
 * x0 as destination, and lui/addi(w) constant building.
 * The reference pc comes from jal's link value, not from auipc itself.
 * Exit code = number of the failing test. */
#include "isa_test.h"

#define TEST_LUI(n, imm, result) \
    TEST_CASE(n, a4, result, li a4, POISON; lui a4, imm)

/* a4 = auipc(imm) at the instruction right after a jal that links into t3;
 * expected = t3 + delta, where delta is the sign-extended imm << 12 */
#define TEST_AUIPC(n, imm, delta)                 \
    TEST_NUM(n)                                   \
    li a4, POISON;                                \
    jal t3, 1f;                                   \
1:  auipc a4, imm;                                \
    li t2, delta;                                 \
    add t2, t2, t3;                               \
    bne a4, t2, fail;

RVTEST_CODE_BEGIN

    TEST_LUI( 1, 0x00000, 0x0000000000000000)
    TEST_LUI( 2, 0x00001, 0x0000000000001000)
    TEST_LUI( 3, 0x12345, 0x0000000012345000)
    TEST_LUI( 4, 0x7ffff, 0x000000007ffff000)
    TEST_LUI( 5, 0x80000, 0xffffffff80000000)
    TEST_LUI( 6, 0xfffff, 0xfffffffffffff000)
    TEST_LUI( 7, 0x80001, 0xffffffff80001000)
    TEST_LUI( 8, 0xabcde, 0xffffffffabcde000)
    /* lui x0 writes nothing */
    TEST_CASE( 9, x0, 0, lui x0, 0x80000)
    /* lui + srai / addi / addiw combinations */
    TEST_CASE(10, a4, 0xfffffffffff80000, lui a4, 0x80000; srai a4, a4, 12)
    TEST_CASE(11, a4, 0x000000007ffff7ff, lui a4, 0x7ffff; addi a4, a4, 0x7ff)
    TEST_CASE(12, a4, 0x000000007fffffff, lui a4, 0x80000; addiw a4, a4, -1)
    TEST_CASE(13, a4, 0xffffffff7fffffff, lui a4, 0x80000; addi a4, a4, -1)
    TEST_CASE(14, a4, 0x0000000012345678, lui a4, 0x12345; addi a4, a4, 0x678)
    TEST_CASE(15, a4, 0x0000000012344fff, lui a4, 0x12345; addi a4, a4, -1)
    /* lui overwrites the low 12 bits with zeros */
    TEST_CASE(16, a4, 0x0000000000005000, li a4, -1; lui a4, 5)

    TEST_AUIPC(17, 0x00000, 0)
    TEST_AUIPC(18, 0x00001, 0x1000)
    TEST_AUIPC(19, 0x00010, 0x10000)
    TEST_AUIPC(20, 0xfffff, -0x1000)
    TEST_AUIPC(21, 0x7ffff, 0x7ffff000)
    TEST_AUIPC(22, 0x80000, -0x80000000)
    TEST_AUIPC(23, 0xabcde, 0xffffffffabcde000)
    /* auipc x0 writes nothing */
    TEST_CASE(24, x0, 0, auipc x0, 0x12345)

    /* pc + 0x7ffff000 with pc >= 0x80000000: the sum must not be sign-extended
     * from bit 31 (upper 32 bits stay 0) */
    TEST_NUM(25)
    auipc a4, 0x7ffff
    srli a4, a4, 32
    bnez a4, fail
    /* pc - 0x80000000 for pc = 0x8000xxxx lands on a small positive number */
    TEST_NUM(26)
    auipc a4, 0x80000
    li t2, 0x100000
    bgeu a4, t2, fail

    /* auipc + addi reaching a label (what `la` expands to), checked against
     * jal's link value */
    TEST_NUM(27)
    jal t3, 1f
1:  auipc a4, 0
    addi a4, a4, 16             /* = 2f - 1b (4 instructions) */
    jalr x0, 0(a4)
    j fail
2:  addi t2, t3, 16
    bne a4, t2, fail

    j pass
RVTEST_CODE_END
