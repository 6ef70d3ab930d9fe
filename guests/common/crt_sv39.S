/* Start-up for the paged variants of the single-hart C guests (guests/bench,
 * built as build/bench/NAME_sv39.elf): hart 0 clears .bss, maps the device
 * gigapage (0) and the RAM gigapage (0x80000000) identity under Sv39, opens
 * PMP and the counters, and calls main(0) in S-mode; main's return value is
 * the exit code. Other harts park. */
#include "guest.h"
#define PTE_KERNEL 0xcf             /* V R W X A D */
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    la sp, __stacks + STACK_SIZE
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    li t0, -1
    csrw mcounteren, t0
    csrw scounteren, t0
    la t0, sv39_root
    li t1, PTE_KERNEL           /* VA 0: devices */
    sd t1, 0(t0)
    li t1, ((0x80000000 >> 12) << 10) | PTE_KERNEL
    sd t1, 16(t0)
    srli t1, t0, 12
    li t2, 8 << 60
    or t1, t1, t2
    csrw satp, t1
    sfence.vma
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0            /* MPP = S */
#ifdef __riscv_flen
    li t0, 0x2000               /* F/D guests: mstatus.FS = Initial (it is Off at reset) */
    csrs mstatus, t0
#endif
    la t0, s_main
    csrw mepc, t0
    mret
s_main:
    li a0, 0
    call main
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

    .section .bss
    .balign 4096
sv39_root: .space 4096
    .align 4
__stacks: .space STACK_SIZE
