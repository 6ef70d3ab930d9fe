/* irq_ipi (-smp 2): hart 0 sends a software interrupt to hart 1 through
 * CLINT msip[1]. Hart 1 sleeps in wfi with mie.MSIE = 1 and mstatus.MIE = 0
 * (so wfi returns and no trap is taken), sees mip.MSIP, clears msip[1], checks
 * mip.MSIP dropped and acknowledges through memory. Hart 0 meanwhile must not
 * see MSIP itself; it fails after 1 s (mtime) without an acknowledgement.
 * Harts above 1 park. Exit codes: 1..4 hart 0 checks; 11..13 hart 1 checks
 * (reported through memory). */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    beqz a0, hart0
    li t0, 1
    beq a0, t0, hart1
park:
    wfi
    j park

hart1:
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    li s0, CLINT_MSIP(1)
    la s1, h1_state
    csrsi mie, MIE_MSIE
    fence
    li t0, 1                    /* ready */
    sw t0, 0(s1)
1:  wfi
    csrr t0, mip
    andi t0, t0, MIP_MSIP
    beqz t0, 1b
    li t1, 11                   /* msip[1] reads 1 */
    lw t0, 0(s0)
    li t2, 1
    bne t0, t2, h1_fail
    sw zero, 0(s0)              /* clear */
    li t1, 12                   /* msip[1] reads 0 */
    lw t0, 0(s0)
    bnez t0, h1_fail
    li t1, 13                   /* mip.MSIP drops (soon) */
    li t2, 100000
2:  csrr t0, mip
    andi t0, t0, MIP_MSIP
    beqz t0, 3f
    addi t2, t2, -1
    bnez t2, 2b
    j h1_fail
3:  li t1, 2                    /* acknowledged */
h1_fail:
    fence
    sw t1, 0(s1)
    csrw mie, zero
    j park

hart0:
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    la s1, h1_state
    li s2, CLINT_MTIME
    ld s3, 0(s2)
    li t0, 10000000
    add s3, s3, t0              /* give up after 1 s */

    TEST 1                      /* hart 1 gets ready */
1:  lw t0, 0(s1)
    bnez t0, 2f
    ld t1, 0(s2)
    bltu t1, s3, 1b
    j fail
2:  TEST 2                      /* send the IPI */
    fence
    li t0, CLINT_MSIP(1)
    li t1, 1
    sw t1, 0(t0)
    TEST 3                      /* wait for the acknowledgement */
3:  lw t0, 0(s1)
    li t1, 1
    bne t0, t1, 4f
    ld t1, 0(s2)
    bltu t1, s3, 3b
    j fail
4:  li t1, 2
    beq t0, t1, 5f
    mv gp, t0                   /* hart 1's failure code */
    j fail
5:  TEST 4                      /* hart 0 never saw an MSIP of its own; msip[1] is clear */
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 3
    li t0, CLINT_MSIP(1)
    lw t0, 0(t0)
    ASSERT_ZERO t0
    j pass

    .data
    .balign 64
h1_state: .word 0               /* 0 start, 1 ready, 2 acknowledged, else hart 1's failure code */
