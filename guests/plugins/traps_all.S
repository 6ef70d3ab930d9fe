/* traps_all: takes each kind of trap once, in a fixed order, for the plugin API's discontinuity
 * tests (tests/Rivet.Plugins.Tests/DisconTests.cs reads the labels from this ELF's symbols).
 * M: illegal, breakpoint, ecall from M, misaligned load (lr.w), misaligned AMO, load and store
 * access faults, instruction access fault; S (Sv39, one gigapage): load, store and instruction
 * page faults, ecall from S, a delegated supervisor software interrupt (taken in S, sret);
 * U: ecall from U, then an ecall that returns to M; M again: software, timer and external
 * (UART THRE through the PLIC) interrupts. Each exception handler skips the instruction (a
 * fetch fault returns to ra), each interrupt handler clears its source; every trap returns with
 * mret or sret. Checked on qemu-system-riscv64 with -d int (docs/PLUGINS.md). Hart 0 only. */
#include "guest.h"
#define PLIC_BASE      0x0c000000
#define UART_IRQ       10
#define BAD_PHYS       0xf0000000   /* nothing there */
#define UNMAPPED_VIRT  0x40000000   /* no page-table entry */

    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    la t0, mtrap
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* NAPOT, RWX: everything (S and U may run) */
    csrw pmpcfg0, t0
    li a7, 0
    .globl t_illegal
t_illegal:
    .4byte 0xffffffff           /* illegal instruction, tval = its bits */
    .globl t_ebreak
t_ebreak:
    ebreak
    .globl t_ecall_m
t_ecall_m:
    ecall
    la t1, scratch
    addi t1, t1, 1
    .globl t_lr
t_lr:
    lr.w t2, (t1)               /* load address misaligned */
    .globl t_amo
t_amo:
    amoadd.w t2, t2, (t1)       /* store/AMO address misaligned */
    li t1, BAD_PHYS
    .globl t_load_fault
t_load_fault:
    lw t2, 0(t1)
    .globl t_store_fault
t_store_fault:
    sw t2, 0(t1)
    .globl t_fetch_fault
t_fetch_fault:
    jalr ra, 0(t1)              /* instruction access fault at BAD_PHYS; the handler returns to ra */
    .globl t_after_fetch
t_after_fetch:
    /* S-mode with Sv39: one gigapage maps 0x80000000 onto itself */
    la t0, root
    li t1, (0x80000000 >> 12) << 10 | 0xcf   /* V R W X A D */
    sd t1, 16(t0)
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    csrw satp, t0
    la t0, strap
    csrw stvec, t0
    li t0, 2                    /* SSIP delegated to S */
    csrw mideleg, t0
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800                /* MPP = S */
    csrs mstatus, t0
    la t0, s_code
    csrw mepc, t0
    .globl t_mret_to_s
t_mret_to_s:
    mret

s_code:
    sfence.vma
    li t1, UNMAPPED_VIRT
    .globl t_load_pf
t_load_pf:
    ld t2, 0(t1)
    .globl t_store_pf
t_store_pf:
    sd t2, 0(t1)
    .globl t_fetch_pf
t_fetch_pf:
    jalr ra, 0(t1)
    .globl t_ecall_s
t_ecall_s:
    ecall
    li t0, 2
    csrs sie, t0                /* SSIE */
    csrsi sstatus, 2            /* SIE */
    .globl t_ssip
t_ssip:
    csrsi sip, 2                /* taken in S right after this instruction */
    .globl t_after_ssip
t_after_ssip:
    csrci sstatus, 2
    csrw satp, zero             /* U runs bare (a U page could not be run by S) */
    sfence.vma
    li t0, 0x100                /* SPP = U */
    csrc sstatus, t0
    la t0, u_code
    csrw sepc, t0
    .globl t_sret_to_u
t_sret_to_u:
    sret

u_code:
    .globl t_ecall_u
t_ecall_u:
    ecall
    la a6, m_again
    li a7, 1
    .globl t_ecall_u_back
t_ecall_u_back:
    ecall                       /* the handler returns to m_again in M */

m_again:
    csrci mstatus, 8            /* the mret that brought us here set MIE from MPIE (1) */
    csrw mideleg, zero
    li a7, 0
    /* machine software interrupt */
    li t0, 8                    /* MSIE */
    csrw mie, t0
    li t1, CLINT_MSIP(0)
    li t2, 1
    sw t2, 0(t1)
    .globl t_msi
t_msi:
    csrsi mstatus, 8            /* MIE: taken right after this instruction */
    .globl t_after_msi
t_after_msi:
    csrci mstatus, 8
    /* machine timer interrupt: mtimecmp 0 is already due */
    li t0, 0x80                 /* MTIE */
    csrw mie, t0
    li t1, CLINT_MTIMECMP(0)
    sd zero, 0(t1)
    .globl t_mti
t_mti:
    csrsi mstatus, 8
    .globl t_after_mti
t_after_mti:
    csrci mstatus, 8
    /* machine external interrupt: the UART's transmitter-empty interrupt through the PLIC */
    li t1, PLIC_BASE + 4 * UART_IRQ
    li t2, 1
    sw t2, 0(t1)                /* priority 1 */
    li t1, PLIC_BASE + 0x2000   /* context 0 (hart 0, M) enables */
    li t2, 1 << UART_IRQ
    sw t2, 0(t1)
    li t1, PLIC_BASE + 0x200000 /* context 0 threshold 0 */
    sw zero, 0(t1)
    li t0, 0x800                /* MEIE */
    csrw mie, t0
    li t1, UART_BASE
    li t2, 2                    /* IER: transmitter holding register empty */
    sb t2, 1(t1)
    .globl t_mei
t_mei:
    csrsi mstatus, 8
    .globl t_after_mei
t_after_mei:
    csrci mstatus, 8
    csrw mie, zero
    GUEST_PASS

park:
    wfi
    j park

/* M-mode handler: exceptions skip the instruction (fetch faults return to ra); an ecall with
 * a7 = 1 returns to a6 in M; interrupts clear their source. Uses t3-t6 only. */
    .align 2
mtrap:
    csrr t3, mcause
    bltz t3, mirq
    li t4, 1
    beq t3, t4, mfetch
    li t4, 12
    beq t3, t4, mfetch
    li t4, 8
    bltu t3, t4, mskip
    li t4, 11
    bgtu t3, t4, mskip
    li t4, 1
    bne a7, t4, mskip
    csrw mepc, a6
    li t4, 0x1800               /* MPP = M */
    csrs mstatus, t4
    .globl t_mret_to_m
t_mret_to_m:
    mret
mskip:
    csrr t4, mepc
    lhu t5, 0(t4)
    andi t5, t5, 3
    li t6, 3
    addi t4, t4, 2
    bne t5, t6, 1f
    addi t4, t4, 2
1:  csrw mepc, t4
    .globl t_mret_skip
t_mret_skip:
    mret
mfetch:
    csrw mepc, ra
    .globl t_mret_fetch
t_mret_fetch:
    mret
mirq:
    slli t3, t3, 1
    srli t3, t3, 1
    li t4, 3
    beq t3, t4, msi
    li t4, 7
    beq t3, t4, mti
    li t4, 11
    beq t3, t4, mei
    li t3, 2
    GUEST_FAIL_REG(t3)
msi:
    li t5, CLINT_MSIP(0)
    sw zero, 0(t5)
    j mirq_done
mti:
    li t5, CLINT_MTIMECMP(0)
    li t6, -1
    sd t6, 0(t5)
    j mirq_done
mei:
    li t5, PLIC_BASE + 0x200004 /* claim */
    lw t6, 0(t5)
    li t4, UART_BASE
    sb zero, 1(t4)              /* IER off: the source goes quiet */
    sw t6, 0(t5)                /* complete */
mirq_done:
    .globl t_mret_irq
t_mret_irq:
    mret

/* S-mode handler: the delegated software interrupt. */
    .align 2
strap:
    csrci sip, 2
    .globl t_sret_irq
t_sret_irq:
    sret

    .section .data
    .align 12
root:
    .zero 4096
scratch:
    .dword 0
