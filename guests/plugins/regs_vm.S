/* regs_vm: a guest whose state is known exactly at its global labels, for the plugin API's
 * register and memory tests (tests/Rivet.Plugins.Tests/RegisterMemoryTests.cs).
 *   bp_regs: M-mode; x1..x31 = 0x1000 + n; fa0 = pi, ft11 = 1.0 (doubles); fcsr = 0x25
 *            (frm 1, fflags 5); mscratch = 0x123456789abcdef0; FS dirty.
 *   rd_from: a0 = 0 before it; standalone the guest sets a0 = 1 and jumps over rd_to, a plugin
 *            that redirects pc from rd_from to rd_to makes it 2 instead.
 *   bp_vm:   S-mode under Sv39: VA 0x40000000 maps data_page (RW), 0x40001000 is invalid,
 *            0x40002000 maps data_page2 read-only; devices (gigapage 0) and RAM (gigapage 2)
 *            are identity-mapped. s1 = the dword at 0x40000000 (0x1122334455667788).
 *            After it s2 = the dword at 0x40000008 and s3 the one at 0x40000010, what a plugin
 *            may have written there (by virtual and by physical address).
 *   bp_end:  after a byte store to the UART ('K', then '\n'); then the finisher, pass.
 * Any trap ends the run with code 3 (medeleg is 0, so S traps reach M). */
#include "guest.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128

/* table[index] = PTE for the physical address in pa_reg with flags (clobbers t5, t6) */
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
    csrr t0, mhartid
1:  bnez t0, 1b
    la t0, trap
    csrw mtvec, t0
    csrw medeleg, zero
    csrw mideleg, zero
    /* PMP: everything to S and U */
    li t0, -1
    srli t0, t0, 10
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0

    /* FP: FS on, two doubles and fcsr */
    li t0, 0x2000
    csrs mstatus, t0
    li t0, 0x400921FB54442D18
    fmv.d.x fa0, t0
    li t0, 0x3FF0000000000000
    fmv.d.x ft11, t0
    li t0, 0x25
    csrw fcsr, t0
    li t0, 0x123456789abcdef0
    csrw mscratch, t0

    li x1, 0x1001
    li x2, 0x1002
    li x3, 0x1003
    li x4, 0x1004
    li x5, 0x1005
    li x6, 0x1006
    li x7, 0x1007
    li x8, 0x1008
    li x9, 0x1009
    li x10, 0x100a
    li x11, 0x100b
    li x12, 0x100c
    li x13, 0x100d
    li x14, 0x100e
    li x15, 0x100f
    li x16, 0x1010
    li x17, 0x1011
    li x18, 0x1012
    li x19, 0x1013
    li x20, 0x1014
    li x21, 0x1015
    li x22, 0x1016
    li x23, 0x1017
    li x24, 0x1018
    li x25, 0x1019
    li x26, 0x101a
    li x27, 0x101b
    li x28, 0x101c
    li x29, 0x101d
    li x30, 0x101e
    li x31, 0x101f
    .globl bp_regs
bp_regs:
    nop

    li a0, 0
    .globl rd_from
rd_from:
    li a0, 1
    j rd_join
    .globl rd_to
rd_to:
    li a0, 2
rd_join:
    la t0, redirect_result
    sd a0, 0(t0)

    /* Sv39: root[0] devices, root[2] RAM (identity gigapages), root[1] -> l1 -> l0 */
    li s0, 0
    SET_PTE root, 0, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li s0, 0x80000000
    SET_PTE root, 2, s0, (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    la s0, l1
    SET_PTE root, 1, s0, PTE_V
    la s0, l0
    SET_PTE l1, 0, s0, PTE_V
    la s0, data_page
    SET_PTE l0, 0, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    la s0, data_page2
    SET_PTE l0, 2, s0, (PTE_V | PTE_R | PTE_A)
    la t0, root
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    /* mret to S */
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    la t0, s_code
    csrw mepc, t0
    mret

s_code:
    li s0, 0x40000000
    ld s1, 0(s0)
    .globl bp_vm
bp_vm:
    nop
    ld s2, 8(s0)
    ld s3, 16(s0)
    li t0, UART_BASE
    li t1, 'K'
    sb t1, 0(t0)
    li t1, '\n'
    sb t1, 0(t0)
    .globl bp_end
bp_end:
    nop
    GUEST_PASS

    .balign 4
trap:
    li a0, 3
    GUEST_FAIL_REG(a0)

    .section .data
    .balign 4096
root:       .zero 4096
l1:         .zero 4096
l0:         .zero 4096
    .globl data_page
data_page:  .dword 0x1122334455667788
            .zero 4088
    .globl data_page2
data_page2: .dword 0x0123456789abcdef
            .zero 4088
    .globl redirect_result
redirect_result: .dword 0
