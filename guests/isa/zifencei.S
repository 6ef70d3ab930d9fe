/* Zifencei: fence.i makes earlier stores visible to instruction fetch
 * (self-modifying code). Each test first executes the old code (so any decode
 * cache / translated block holds it), stores new instructions, runs fence.i and
 * executes again: the new instruction must run.
 * Covers: patching a called function (sw, sh, sb, amoswap.w, sd of two
 * instructions), patching the instruction right after the fence.i in the same
 * straight-line code, a hot loop re-patched 100 times, 32-bit -> two 16-bit
 * instructions and back, and code generated into a .data buffer.
 * Exit code = number of the failing test. */
#include "isa_test.h"

/* instruction encodings */
#define ADDI(rd, rs1, imm)  ((((imm) & 0xfff) << 20) | ((rs1) << 15) | ((rd) << 7) | 0x13)
#define A0 10
#define A4 14
#define RET_INSN 0x00008067         /* jalr x0, 0(ra) */
#define C_LI_A0(imm) (0x4001 | (A0 << 7) | (((imm) & 0x1f) << 2) | ((((imm) >> 5) & 1) << 12))
#define C_NOP 0x0001
#define C_ADDI_A0(imm) (0x0001 | (A0 << 7) | (((imm) & 0x1f) << 2) | ((((imm) >> 5) & 1) << 12))

RVTEST_CODE_BEGIN

    /* the function returns 1 before patching */
    TEST_NUM(1)
    call smc_func
    li t2, 1
    bne a0, t2, fail

    /* sw a new `addi a0, x0, 2` over its first instruction */
    TEST_NUM(2)
    la a1, smc_func
    li a2, ADDI(A0, 0, 2)
    sw a2, 0(a1)
    fence.i
    call smc_func
    li t2, 2
    bne a0, t2, fail

    /* patch only the upper halfword (imm[11:4]) with sh: addi a0, x0, 0x7f2 */
    TEST_NUM(3)
    la a1, smc_func
    li a2, ADDI(A0, 0, 0x7f2) >> 16
    sh a2, 2(a1)
    fence.i
    call smc_func
    li t2, 0x7f2
    bne a0, t2, fail

    /* patch a single byte (imm[11:4] in byte 3): addi a0, x0, 0x312 */
    TEST_NUM(4)
    la a1, smc_func
    li a2, ADDI(A0, 0, 0x312) >> 24
    sb a2, 3(a1)
    fence.i
    call smc_func
    li t2, 0x312
    bne a0, t2, fail

    /* patch with an AMO */
    TEST_NUM(5)
    la a1, smc_func
    li a2, ADDI(A0, 0, -5)
    amoswap.w a4, a2, (a1)
    li t2, ADDI(A0, 0, 0x312)
    bne a4, t2, fail
    fence.i
    call smc_func
    li t2, -5
    bne a0, t2, fail

    /* replace one 32-bit instruction with two 16-bit ones: c.li a0, 7; c.addi a0, 3 */
    TEST_NUM(6)
    la a1, smc_func
    li a2, (C_ADDI_A0(3) << 16) | C_LI_A0(7)
    sw a2, 0(a1)
    fence.i
    call smc_func
    li t2, 10
    bne a0, t2, fail
    /* ... and back to a 32-bit one */
    TEST_NUM(7)
    li a2, ADDI(A0, 0, 123)
    sw a2, 0(a1)
    fence.i
    call smc_func
    li t2, 123
    bne a0, t2, fail

    /* rewrite two instructions at once with sd: addi a0, x0, 77; addi a0, a0, 1 */
    TEST_NUM(8)
    la a1, smc_func2
    call smc_func2                  /* original: a0 = 3 */
    li t2, 3
    bne a0, t2, fail
    li a2, (ADDI(A0, A0, 1) << 32) | ADDI(A0, 0, 77)
    sd a2, 0(a1)
    fence.i
    call smc_func2
    li t2, 78
    bne a0, t2, fail

    /* hot loop: patch the immediate 100 times, calling in between */
    TEST_NUM(9)
    la a1, smc_func
    li s2, 0                        /* i */
    li s3, 100
1:  li t0, ADDI(A0, 0, 0)
    slli t1, s2, 20
    or t0, t0, t1                   /* addi a0, x0, i */
    sw t0, 0(a1)
    fence.i
    call smc_func
    bne a0, s2, fail
    call smc_func                   /* twice: now it is "hot" */
    bne a0, s2, fail
    addi s2, s2, 1
    bne s2, s3, 1b

    /* the instruction right after the fence.i, in the same code block */
    TEST_NUM(10)
    la a1, 2f
    li a2, ADDI(A4, 0, 5)
    li a4, 0
    sw a2, 0(a1)
    fence.i
2:  addi a4, x0, 1                  /* becomes addi a4, x0, 5 */
    li t2, 5
    bne a4, t2, fail

    /* same, in a loop: the first iteration runs the original instruction,
     * then the loop body patches itself */
    TEST_NUM(11)
    la a1, 3f
    li a2, ADDI(A4, A4, 100)        /* new: a4 += 100 */
    li a4, 0
    li t3, 3
2:
3:  addi a4, a4, 1                  /* original: a4 += 1 */
    sw a2, 0(a1)
    fence.i
    addi t3, t3, -1
    bnez t3, 2b
    li t2, 201                      /* 1 + 100 + 100 */
    bne a4, t2, fail

    /* code generated into a data buffer */
    TEST_NUM(12)
    la a1, code_buf
    li t0, ADDI(A0, 0, 42)
    sw t0, 0(a1)
    li t0, RET_INSN
    sw t0, 4(a1)
    fence.i
    jalr ra, 0(a1)
    li t2, 42
    bne a0, t2, fail
    /* overwrite and run again */
    TEST_NUM(13)
    li t0, ADDI(A0, 0, -42)
    sw t0, 0(a1)
    fence.i
    jalr ra, 0(a1)
    li t2, -42
    bne a0, t2, fail
    /* a longer generated sequence: a0 = 0; 50 x (a0 += 3); ret */
    TEST_NUM(14)
    la a1, code_buf
    li t0, ADDI(A0, 0, 0)
    sw t0, 0(a1)
    li t0, ADDI(A0, A0, 3)
    li t1, 50
    addi a2, a1, 4
1:  sw t0, 0(a2)
    addi a2, a2, 4
    addi t1, t1, -1
    bnez t1, 1b
    li t0, RET_INSN
    sw t0, 0(a2)
    fence.i
    jalr ra, 0(a1)
    li t2, 150
    bne a0, t2, fail
    /* then shorten it: put a ret after 10 additions */
    TEST_NUM(15)
    li t0, RET_INSN
    sw t0, 44(a1)
    fence.i
    jalr ra, 0(a1)
    li t2, 30
    bne a0, t2, fail

    j pass

    .balign 8
smc_func:
    addi a0, x0, 1
    ret

    .balign 8
smc_func2:
    addi a0, x0, 1
    addi a0, a0, 2
    ret

RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 64
code_buf: .space 256
RVTEST_DATA_END
