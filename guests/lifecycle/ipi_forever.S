/* Harts pass an IPI around a ring forever: hart h sleeps in wfi until its msip is set, clears
 * it, then sets hart (h+1) mod N's msip. Hart 0 starts the ring. N is read afresh before every
 * send: the number of harts that have reached _start so far (an AMO count), so a hart that
 * starts late (a loaded host) joins the ring instead of the ring waiting for it. Interrupts stay
 * disabled (mstatus.MIE = 0); wfi wakes on the pending, enabled MSIP. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    la t0, harts
    li t1, 1
    amoadd.w zero, t1, (t0)
    li t1, 8                 /* mie.MSIE */
    csrw mie, t1
    /* wait until the count is stable: hart 0 spins a while before starting the ring */
    bnez a0, wait
    li t2, 200000
2:  addi t2, t2, -1
    bnez t2, 2b
    j send
wait:
    wfi
    li t0, CLINT_BASE        /* clear own msip */
    slli t1, a0, 2
    add t0, t0, t1
    sw zero, 0(t0)
send:
    la t0, harts
    lw s1, 0(t0)             /* N: harts started so far (at least this one) */
    /* next = (hartid + 1) % N */
    addi t2, a0, 1
    remu t2, t2, s1
    li t0, CLINT_BASE
    slli t2, t2, 2
    add t0, t0, t2
    li t1, 1
    sw t1, 0(t0)
    j wait

    .section .data
    .align 3
harts: .word 0, 0
