/* Start-up for C guests: every hart gets its own stack; hart 0 clears .bss and
 * releases the others; each hart calls main(hartid) and hart 0's return value is
 * the exit code. Other harts returning from main park in wfi. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    li t0, MAX_HARTS
    bgeu a0, t0, park
    la sp, __stacks
    addi t0, a0, 1
    li t1, STACK_SIZE
    mul t0, t0, t1
    add sp, sp, t0
    bnez a0, wait_bss
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  fence
    la t0, __bss_ready
    li t1, 1
    sw t1, 0(t0)
    j call_main
wait_bss:
    la t0, __bss_ready
1:  lw t1, 0(t0)
    beqz t1, 1b
    fence
call_main:
#ifdef __riscv_flen
    li t0, 0x2000               /* F/D guests: mstatus.FS = Initial (it is Off at reset) */
    csrs mstatus, t0
#endif
    csrr a0, mhartid
    call main
    csrr t0, mhartid
    bnez t0, park
    li t0, FINISHER_BASE
    beqz a0, 3f
    slli a0, a0, 16
    li t1, FINISHER_FAIL
    or t1, a0, t1
    sw t1, 0(t0)
    j park
3:  li t1, FINISHER_PASS
    sw t1, 0(t0)
park:
    wfi
    j park

    .section .data
    .align 3
__bss_ready: .word 0
    .section .bss
    .align 4
__stacks: .space STACK_SIZE * MAX_HARTS
