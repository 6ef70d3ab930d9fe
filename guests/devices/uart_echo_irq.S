/* Interrupt-driven console echo: prints "irq echo ready", then sleeps in WFI; the UART's
 * receive interrupt (source 10, PLIC context 0 = hart 0 M) wakes it, the handler claims, echoes
 * every byte waiting (LSR.DR) and completes; a 'q' ends the run with a newline and exit 0.
 * Input comes from the rivet process's standard input, as a user typing into a guest shell.
 * On QEMU 7.2: printf 'hello q' | qemu-system-riscv64 -M virt -bios none -display none
 *   -serial stdio -kernel uart_echo_irq.elf */
#include "guest.h"
#define PLIC_BASE 0xC000000
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    la t0, handler
    csrw mtvec, t0
    la a0, banner
    call puts
    li t0, PLIC_BASE
    li t1, 1
    sw t1, 10*4(t0)            /* priority of source 10 */
    li t2, PLIC_BASE + 0x2000
    li t1, 1 << 10
    sw t1, 0(t2)               /* enable source 10 for context 0 */
    li t2, PLIC_BASE + 0x200000
    sw zero, 0(t2)             /* threshold 0 */
    li t0, UART_BASE
    li t1, 0xC7
    sb t1, 2(t0)               /* FCR: FIFO on, cleared (as Linux does) */
    li t1, 1
    sb t1, 1(t0)               /* IER: received data available */
    li t1, 1 << 11
    csrw mie, t1               /* MEIE */
    csrsi mstatus, 8           /* MIE */
1:  wfi
    j 1b

puts:                          /* a0: string; clobbers t0-t2 */
    li t0, UART_BASE
1:  lbu t1, 0(a0)
    beqz t1, 3f
2:  lbu t2, 5(t0)
    andi t2, t2, 0x20          /* LSR.THRE */
    beqz t2, 2b
    sb t1, 0(t0)
    addi a0, a0, 1
    j 1b
3:  ret

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
next:
    lbu t4, 5(t0)
    andi t4, t4, 1             /* LSR.DR */
    beqz t4, done
    lbu t4, 0(t0)
1:  lbu t5, 5(t0)
    andi t5, t5, 0x20
    beqz t5, 1b
    sb t4, 0(t0)               /* echo */
    li t1, 'q'
    bne t4, t1, next
    li t1, '\n'
    sb t1, 0(t0)
    GUEST_PASS
done:
    sw t3, 0(t2)               /* complete */
    mret
fail:
    GUEST_FAIL_REG(a1)
park:
    wfi
    j park

    .section .rodata
banner: .asciz "irq echo ready\n"
