/* trap_fetch_align: with C, instructions only need 2-byte alignment, so no
 * instruction-address-misaligned exception (mcause 0) can happen: jalr, jal,
 * taken branches and mret to a 2-mod-4 address just run a 4-byte instruction
 * there; jalr clears bit 0 of the target; a 4-byte instruction may straddle a
 * 4 KiB page boundary. Every target is checked to really be 2 mod 4. Any trap
 * fails (exit code 0x80|n). */
#include "trap_test.h"

/* fail unless label is 2 mod 4 */
.macro CHECK_ODD2 label
    la t0, \label
    andi t0, t0, 3
    ASSERT_IMM t0, 2
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* jalr to a 2-mod-4 4-byte instruction */
    CHECK_ODD2 t_jalr
    la s0, t_jalr
    li s1, 0
    jalr ra, 0(s0)
r_jalr:
    ASSERT_IMM s1, 0x123
    la t0, r_jalr
    ASSERT_EQ ra, t0
    TEST 2                      /* jal */
    CHECK_ODD2 t_jal
    li s1, 0
    jal ra, t_jal
r_jal:
    ASSERT_IMM s1, 0x456
    TEST 3                      /* taken branch, both directions */
    CHECK_ODD2 t_br
    li s1, 0
    li s2, 5
    beq s2, s2, t_br
    j fail
r_br:
    ASSERT_IMM s1, 0x789
    TEST 4                      /* jalr with bit 0 set: bit 0 cleared, lands on 2-mod-4 */
    la s0, t_jalr
    addi s0, s0, 1
    li s1, 0
    jalr ra, 0(s0)
    ASSERT_IMM s1, 0x123
    TEST 5                      /* jalr with an odd offset */
    la s0, t_jalr
    addi s0, s0, -5
    li s1, 0
    jalr ra, 6(s0)
    ASSERT_IMM s1, 0x123
    TEST 6                      /* mret to a 2-mod-4 mepc */
    li t0, MSTATUS_MPP
    csrs mstatus, t0
    la t0, t_mret
    csrw mepc, t0
    li s1, 0
    mret
r_mret:
    ASSERT_IMM s1, 0x2bc
    TEST 7                      /* a 4-byte instruction straddling a page boundary */
    la t0, t_page
    li t1, 0xfff
    and t0, t0, t1
    ASSERT_IMM t0, 0xffe
    li s1, 0
    call t_page
    ASSERT_IMM s1, 0x7ff
    j pass

    /* targets: each is a 4-byte instruction at 2 mod 4 */
    .balign 4
    c.nop
    .option push
    .option norvc
t_jalr:
    addi s1, zero, 0x123
    .option pop
    ret
    .balign 4
    c.nop
    .option push
    .option norvc
t_jal:
    addi s1, zero, 0x456
    .option pop
    ret
    .balign 4
    c.nop
    .option push
    .option norvc
t_br:
    addi s1, zero, 0x789
    .option pop
    j r_br
    .balign 4
    c.nop
    .option push
    .option norvc
t_mret:
    addi s1, zero, 0x2bc
    .option pop
    j r_mret

    .balign 4096
    .skip 4096 - 2
    .option push
    .option norvc
t_page:
    addi s1, zero, 0x7ff
    .option pop
    ret
