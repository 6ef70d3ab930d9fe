/* HTIF as the RISC-V ISA tests use it: the ELF defines tohost/fromhost; a character goes out
 * through device 1 / command 1 (the host clears tohost), and tohost = 1 ends the run with a pass.
 * Reference: QEMU's 'spike' machine (QEMU's 'virt' has no HTIF). */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    la s0, tohost
    la s1, message
next:
    lbu a1, 0(s1)
    beqz a1, done
    li t0, 0x0101000000000000   /* device 1, command 1: putchar */
    or t0, t0, a1
    sd t0, 0(s0)
wait:
    ld t1, 0(s0)                /* the host consumes the command by clearing tohost */
    bnez t1, wait
    addi s1, s1, 1
    j next
done:
    li t0, 1
    sd t0, 0(s0)
1:  j 1b
park:
    wfi
    j park

    .section .rodata
message: .asciz "htif console\n"

    HTIF_MAILBOXES
