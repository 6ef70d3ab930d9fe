/* vm_edge: Sv39 corner cases, from S-mode.
 * A 2 MiB superpage (level-1 leaf) and a 1 GiB gigapage translate with the
 * offset inside them; a 32-bit instruction whose second half lies on an
 * unmapped page raises an instruction page fault (epc = the instruction,
 * tval = the start of the unmapped page, as QEMU 7.2); a page-table entry
 * outside RAM stops the walk with a fault; code rewritten through a second
 * virtual alias of its page runs in its new form after fence.i; Sv48 (MODE 9)
 * translates through four levels. */
#include "priv_test.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define KRWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define VBASE 0x40000000

.macro SET_PTE table, index, pa_reg, flags
    srli t6, \pa_reg, 12
    slli t6, t6, 10
    ori t6, t6, \flags
    la t5, \table
    sd t6, 8*(\index)(t5)
.endm

    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    li t0, 1 << 12              /* fetch page faults to S, so S resumes itself */
    csrw medeleg, t0
    csrw mideleg, zero

    li s0, 0
    SET_PTE root, 0, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li s0, 0x80000000
    SET_PTE root, 2, s0, KRWX
    SET_PTE root, 3, s0, KRWX    /* VA 0xc0000000: a second gigapage onto RAM */
    la s0, l1
    SET_PTE root, 1, s0, PTE_V
    li s0, 0x20000              /* VA 0x1_0000_0000 (root[4]): a table where nothing answers */
    SET_PTE root, 4, s0, PTE_V
    la s0, l0
    SET_PTE l1, 0, s0, PTE_V
    li s0, 0x80000000           /* VA 0x40200000: 2 MiB superpage onto RAM's start */
    SET_PTE l1, 1, s0, KRWX
    la s0, code_page            /* VA 0x40000000: exec alias; 0x40001000: write alias */
    SET_PTE l0, 0, s0, (PTE_V | PTE_R | PTE_X | PTE_A)
    SET_PTE l0, 1, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    la s0, straddle_page        /* VA 0x40002000, X; 0x40003000 unmapped */
    SET_PTE l0, 2, s0, (PTE_V | PTE_R | PTE_X | PTE_A)
    /* Sv48: root4[0] -> root (so the Sv39 root is the level-2 table for VA < 512 GiB) */
    la s0, root
    SET_PTE root4, 0, s0, PTE_V
    la t0, root
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    ENTER_SMODE s1
m1: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    TEST 8                      /* Sv48 through four levels */
    la t0, root4
    srli t0, t0, 12
    li t1, 9 << 60
    or t0, t0, t1
    csrw satp, t0
    csrr t1, satp
    ASSERT_EQ t0, t1
    sfence.vma
    ENTER_SMODE s8
m8: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw satp, zero
    csrw medeleg, zero
    j pass

s1: TEST 1                      /* 2 MiB superpage: offset inside it */
    la s0, data
    li t0, 0x80000000
    sub s1, s0, t0
    li t0, VBASE + 0x200000
    add s1, s1, t0
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x600d
    TEST 2                      /* gigapage at 0xc0000000 */
    li t0, 0x40000000
    add s1, s0, t0
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x600d
    TEST 3                      /* a store through the superpage is seen at the identity address */
    li t0, VBASE + 0x200000 - 0x80000000
    add s1, s0, t0
    li t1, 0xbeef
    sd t1, 8(s1)
    ld t2, 8(s0)
    ASSERT_EQ t1, t2
    TEST 4                      /* straddling instruction, second half unmapped: 12 */
    ARM_RESUME 1f
    li s1, VBASE + 0x2ffe
    jr s1
1:  CHECK_S_TRAP 12
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, s1
    li t1, VBASE + 0x3000
    CHECK_TVAL_REG t1
    TEST 5                      /* a table outside RAM: the walk faults (load: 5 or 13) */
    li s1, 0x100000000
    ARM_ONE
    ld t1, 0(s1)
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 1
    ld t0, TA_CAUSE(tp)
    li t1, 5
    beq t0, t1, 2f
    ASSERT_IMM t0, 13
2:  CHECK_TVAL_REG s1
    TEST 6                      /* code through one alias, rewritten through another */
    li s1, VBASE
    jalr s1
    ASSERT_IMM a0, 1
    la t0, new_insn
    lw t0, 0(t0)
    li s2, VBASE + 0x1000
    sw t0, 0(s2)
    fence.i
    jalr s1
    ASSERT_IMM a0, 2
    TEST 7
    BACK_TO_M m1

s8: TEST 9                      /* Sv48: the same superpage through four levels */
    la s0, data
    li t0, VBASE + 0x200000 - 0x80000000
    add s1, s0, t0
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x600d
    BACK_TO_M m8

    .option push
    .option norvc
new_insn:
    li a0, 2
    .balign 4096
code_page:
    li a0, 1
    ret
    .balign 4096
straddle_page:
    .fill 4094, 1, 0
    .half 0x0513                /* the low half of addi a0, a0, 1 */
    .half 0x0015
    .option pop
    .balign 4096

    .section .data
    .balign 4096
root: .zero 4096
root4: .zero 4096
l1: .zero 4096
l0: .zero 4096
data: .dword 0x600d, 0
