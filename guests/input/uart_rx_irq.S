/* External interrupt path: the UART's receive interrupt (source 10) through the PLIC to
 * mip.MEIP on hart 0. The test feeds the byte 'R' on the console before the guest runs (on QEMU:
 * printf R | qemu-system-riscv64 ... -serial stdio). The handler claims source 10, reads the
 * byte, completes the claim and passes; anything else fails with a numbered code. */
#include "guest.h"
#define PLIC_BASE 0xC000000
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    la t0, handler
    csrw mtvec, t0
    li t0, PLIC_BASE
    li t1, 1
    sw t1, 10*4(t0)            /* priority of source 10 */
    li t2, PLIC_BASE + 0x2000
    li t1, 1 << 10
    sw t1, 0(t2)               /* enable source 10 for context 0 (hart 0, M) */
    li t2, PLIC_BASE + 0x200000
    sw zero, 0(t2)             /* threshold 0 */
    li t0, UART_BASE
    li t1, 1
    sb t1, 1(t0)               /* IER: received data available */
    li t1, 1 << 11
    csrw mie, t1               /* MEIE */
    csrsi mstatus, 8           /* MIE */
1:  wfi
    j 1b

    .align 2
handler:
    csrr t0, mcause
    li t1, (1 << 63) | 11
    li a1, 1
    bne t0, t1, fail
    li t2, PLIC_BASE + 0x200004
    lw t3, 0(t2)               /* claim */
    li a1, 2
    li t1, 10
    bne t3, t1, fail
    li t0, UART_BASE
    lbu t4, 0(t0)              /* the byte */
    li a1, 3
    li t1, 'R'
    bne t4, t1, fail
    sw t3, 0(t2)               /* complete */
    GUEST_PASS
fail:
    GUEST_FAIL_REG(a1)
park:
    wfi
    j park
