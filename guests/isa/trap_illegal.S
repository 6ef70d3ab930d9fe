/* trap_illegal: illegal instructions raise mcause 2 with mepc = the
 * instruction and mtval = 0 or the instruction bits (16-bit ones zero-extended;
 * QEMU 7.2 writes the bits); the handler resumes after the 2- or 4-byte
 * instruction. Covers: the all-zero 16-bit parcel, c.addi4spn with nzuimm = 0,
 * c.addi16sp with nzimm = 0, custom-0 opcode, OP with an undefined funct7, an
 * F-extension instruction (no F on Rivet; mstatus.FS = 0 on QEMU) and an
 * undefined SYSTEM funct3 (4). */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* 0x0000: defined illegal */
    EXPECT_ILLEGAL .half 0x0000
    CHECK_TVAL 0
    TEST 2                      /* c.addi4spn a0, sp, 0: reserved */
    EXPECT_ILLEGAL .half 0x0008
    TEST 3                      /* c.addi16sp sp, 0: reserved */
    EXPECT_ILLEGAL .half 0x6101
    TEST 4                      /* custom-0 */
    EXPECT_ILLEGAL .word 0x0000000b
    TEST 5                      /* OP, funct7 = 0x7f */
    EXPECT_ILLEGAL .word 0xfe000033
    TEST 6                      /* fadd.s f0, f0, f0 */
    EXPECT_ILLEGAL .word 0x00000053
    TEST 7                      /* SYSTEM with funct3 = 4 */
    EXPECT_ILLEGAL .word 0x00004073
    TEST 8                      /* 16-bit illegal at a 2-mod-4 address; the next instruction runs */
    .balign 4
    c.nop
    li s0, 0
    ARM_TRAP
3:  .half 0x0000
    li s0, 1
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 3b
    ASSERT_IMM s0, 1
    TEST 9                      /* 32-bit illegal at a 2-mod-4 address; exact mtval if non-zero */
    .balign 4
    c.nop
    li s0, 0
    ARM_TRAP
4:  .word 0xfe000033
    li s0, 1
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 4b
    ld t0, TA_TVAL(tp)
    beqz t0, 5f
    li t1, 0xfe000033
    ASSERT_EQ t0, t1
5:  ASSERT_IMM s0, 1
    TEST 10                     /* trap entry: MPP = M, MIE cleared, MPIE = old MIE */
    csrw mie, zero
    csrsi mstatus, MSTATUS_MIE
    EXPECT_ILLEGAL .word 0x0000000b
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), (MSTATUS_MPP | MSTATUS_MPIE)
    csrr t0, mstatus
    ASSERT_BIT_SET t0, 3        /* mret restored MIE */
    csrci mstatus, MSTATUS_MIE
    j pass
