/* RV64I fence (all predecessor/successor variants, fence.tso, pause, reserved
 * fm/rd/rs1 fields which must be ignored), ecall and ebreak (M-mode traps with
 * the right mcause and mepc; mret resumes), the all-zero illegal instruction,
 * HINTs that write x0, and the register file (x1..x31 are 31 distinct
 * registers, x0 is hard-wired to zero).
 * Exit code = number of the failing test. */
#include "isa_test.h"

/* Run `insn`, which must trap with cause `cause` at its own address and
 * resume at the next instruction (handler adds 4 to mepc). */
#define TEST_TRAP(n, cause, insn...)              \
    TEST_NUM(n)                                   \
    la t0, expected_trap;                         \
    csrw mtvec, t0;                               \
    li s2, 0;                                     \
    li s3, 0;                                     \
    li s4, 0;                                     \
1:  insn;                                         \
    li t2, 1;                                     \
    bne s2, t2, fail;        /* one trap */       \
    la t2, 1b;                                    \
    bne s3, t2, fail;        /* mepc */           \
    li t2, cause;                                 \
    bne s4, t2, fail;        /* mcause */         \
    RESTORE_TRAP_HANDLER

RVTEST_CODE_BEGIN

    /* ---- fences: must execute as (no-op) fences and keep memory coherent */
    TEST_NUM(1)
    la a1, buf
    li a2, 0x1122334455667788
    sd a2, 0(a1)
    fence
    ld a4, 0(a1)
    bne a4, a2, fail
    TEST_NUM(2)
    fence rw, rw
    fence r, r
    fence w, w
    fence r, w
    fence w, r
    fence r, rw
    fence rw, w
    fence i, o
    fence o, i
    fence io, io
    fence iorw, iorw
    TEST_NUM(3)
    fence.tso
    TEST_NUM(4)
    .word 0x0100000f            /* pause (fence w,0; Zihintpause hint) */
    TEST_NUM(5)
    .word 0x0000000f            /* fence 0,0 */
    TEST_NUM(6)
    /* fence iorw,iorw with rd = x5 and rs1 = x6: base implementations must
     * ignore these fields (and must not write rd) */
    li t0, 0x55
    .word 0x0ff0000f | (5 << 7) | (6 << 15)
    li t2, 0x55
    bne t0, t2, fail
    TEST_NUM(7)
    .word 0x1ff0000f            /* reserved fm = 0001: treated as a normal fence */
    TEST_NUM(8)
    .word 0x8ff0000f            /* fm = 1000 with pred/succ = iorw: normal fence */
    TEST_NUM(9)
    li a2, 0x0badf00d
    sw a2, 4(a1)
    fence w, r
    lwu a4, 4(a1)
    bne a4, a2, fail

    /* ---- ecall / ebreak / illegal instruction */
    TEST_TRAP(10, 11, ecall)            /* environment call from M-mode */
    TEST_TRAP(11, 3, ebreak)            /* breakpoint */
    TEST_TRAP(12, 2, .word 0x00000000)  /* all-zero = defined illegal */
    TEST_TRAP(13, 2, .word 0xffffffff)  /* all-ones = illegal (no such long insn) */

    /* ecall preserves the registers the handler does not touch, and a series of
     * ecalls all return */
    TEST_NUM(14)
    la t0, expected_trap
    csrw mtvec, t0
    li s2, 0
    li a0, 0x1234
    li a7, 93
    li t6, 10
1:  ecall
    addi t6, t6, -1
    bnez t6, 1b
    li t2, 10
    bne s2, t2, fail
    li t2, 0x1234
    bne a0, t2, fail
    li t2, 93
    bne a7, t2, fail
    li t2, 11
    bne s4, t2, fail
    RESTORE_TRAP_HANDLER

    /* ---- HINTs / nops with rd = x0 execute without effect */
    TEST_NUM(15)
    li a1, 123
    nop
    addi x0, a1, 5
    add x0, a1, a1
    slli x0, a1, 3
    lui x0, 0x12345
    auipc x0, 1
    xor x0, a1, a1
    sltu x0, x0, a1
    bnez x0, fail
    li t2, 123
    bne a1, t2, fail

    /* ---- register file: give x1..x31 the distinct bits 1<<1 .. 1<<31, then
     * OR them together; any aliasing or lost write drops a bit */
    TEST_NUM(16)
    .irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    li x\r, 1 << \r
    .endr
    li x0, 1
    .irp r, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    or x1, x1, x\r
    .endr
    or x1, x1, x0
    li TESTNUM, 16              /* gp was part of the pattern */
    li t2, 0xfffffffe
    bne x1, t2, fail

    /* same with shifted-in upper bits: x_i = (i << 32) | i, summed */
    TEST_NUM(17)
    .irp r, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    li x\r, (\r << 32) | \r
    .endr
    .irp r, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    add x1, x1, x\r
    .endr
    /* sum of 1..31 except 3 = 493 */
    li t2, (493 << 32) | 493
    bne x1, t2, fail

    /* ---- x0 reads as 0 in every operand position after attempted writes */
    TEST_NUM(18)
    la a1, buf
    ld x0, 0(a1)
    addi x0, x0, 1
    sd x0, 8(a1)
    ld a4, 8(a1)
    bnez a4, fail
    add a4, x0, x0
    bnez a4, fail

    j pass

/* handler for expected traps: count, record mepc/mcause, skip 4 bytes */
    .balign 4
expected_trap:
    addi s2, s2, 1
    csrr s3, mepc
    csrr s4, mcause
    addi t0, s3, 4
    csrw mepc, t0
    mret

RVTEST_CODE_END

RVTEST_DATA_BEGIN
    .balign 16
buf: .space 64
RVTEST_DATA_END
