/* Hart 0 builds Sv39 page tables with mappings of every shape `info mem` shows (contiguous 4K
 * pages that merge into one row, a change of attributes, a 2 MiB megapage, a U page aliasing
 * another page, the top half of the address space as sign-extended addresses), enters S-mode,
 * writes known values through virtual addresses, says "P\n" on the UART and sleeps in WFI for
 * good: the monitor's tests read memory through the hart's translation (x, memsave, gva2gpa,
 * info mem). A and D are set in every leaf up front so both emulators show the same bits. */
#include "guest.h"
#define ROOT  0x80010000
#define L1LO  0x80011000            /* VA 0 - 1 GiB: the UART's megapage */
#define L1MID 0x80012000            /* VA 1 - 2 GiB */
#define L0    0x80013000            /* VA 0x40000000 - 0x401fffff */
#define V 1
#define R 2
#define W 4
#define X 8
#define U 16
#define G 32
#define A 64
#define D 128
#define PTE(pa, bits) ((((pa) >> 12) << 10) | (bits))
#define PTR(pa) PTE(pa, V)
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    li t0, -1                   /* PMP: everything for S */
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    la a0, entries              /* (address, value) pairs until address 0 */
1:  ld t0, 0(a0)
    beqz t0, 2f
    ld t1, 8(a0)
    sd t1, 0(t0)
    addi a0, a0, 16
    j 1b
2:  li t0, (8 << 60) | (ROOT >> 12)
    csrw satp, t0
    sfence.vma
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0            /* MPP = S */
    la t0, s_entry
    csrw mepc, t0
    mret
s_entry:
    li t0, 0x40000000
    li t1, 0x1111111111111111
    sd t1, 0(t0)
    li t1, 0x2222222222222222
    li t2, 0x40001008
    sd t1, 0(t2)
    li t1, 0x3333333333333333
    li t2, 0x40003ff8
    sd t1, 0(t2)
    li t1, 0x5555555555555555
    li t2, 0x40005000
    sd t1, 0(t2)
    li t0, 0x10000000
    li t1, 'P'
    sb t1, 0(t0)
    li t1, '\n'
    sb t1, 0(t0)
park:
    wfi
    j park

    .balign 8
entries:
    .dword ROOT + 0 * 8,   PTR(L1LO)
    .dword ROOT + 1 * 8,   PTR(L1MID)
    .dword ROOT + 2 * 8,   PTE(0x80000000, V | R | W | X | A | D)     /* RAM identity */
    .dword ROOT + 256 * 8, PTE(0x80000000, V | R | G | A)             /* 0xffffffc000000000 */
    .dword L1LO + 128 * 8, PTE(0x10000000, V | R | W | A | D)         /* the UART */
    .dword L1MID + 0 * 8,  PTR(L0)
    .dword L1MID + 1 * 8,  PTE(0x80200000, V | R | W | X | A)         /* 0x40200000: 2 MiB */
    .dword L0 + 0 * 8,     PTE(0x80020000, V | R | W | A | D)
    .dword L0 + 1 * 8,     PTE(0x80021000, V | R | W | A | D)
    .dword L0 + 2 * 8,     PTE(0x80022000, V | R | W | A | D)
    .dword L0 + 3 * 8,     PTE(0x80023000, V | R | W | A | D)
    .dword L0 + 4 * 8,     PTE(0x80030000, V | R | A)
    .dword L0 + 5 * 8,     PTE(0x80024000, V | R | W | A | D)
    .dword L0 + 8 * 8,     PTE(0x80021000, V | R | W | U | A | D)
    .dword 0
