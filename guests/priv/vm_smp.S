/* vm_smp: four harts, each in S-mode under its own Sv39 root table, share one
 * physical page through different virtual addresses (hart h at 0x40000000 +
 * h * 0x1000, one level-0 table for all) and through one common address
 * (0x40010000, one PTE for all). Each hart does N amoadd.w through its alias
 * and N through the common address, racing each other and the hardware A/D
 * updates of the common PTE. Hart 0 checks, once all are done: both counters
 * are exactly 4N, every alias PTE and the common PTE have A and D set.
 * Exit codes: 0 pass, 1/2 wrong counter, 3/4 A/D missing, 0x7e a trap. */
#include "guest.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define N 20000

.macro PTE_OF dst, pa_reg, flags
    srli \dst, \pa_reg, 12
    slli \dst, \dst, 10
    ori \dst, \dst, \flags
.endm
.macro EXIT_CODE n
    li t0, FINISHER_BASE
    li t1, (\n << 16) | FINISHER_FAIL
    sw t1, 0(t0)
1:  j 1b
.endm

    .section .text.init
    .globl _start
_start:
    csrr s11, mhartid
    li t0, 4
    bgeu s11, t0, park
    la t0, trap
    csrw mtvec, t0
    csrw mie, zero
    li t6, -1                   /* PMP: everything for S */
    csrw pmpaddr0, t6
    li t6, 0x1f
    csrw pmpcfg0, t6
    bnez s11, wait_tables
    /* hart 0: the shared level-1 and level-0 tables */
    la s0, l0
    la s1, l1
    PTE_OF t0, s0, PTE_V
    sd t0, 0(s1)
    la s2, shared
    PTE_OF t0, s2, (PTE_V | PTE_R | PTE_W)   /* A = D = 0: hardware sets them */
    sd t0, 0(s0)
    sd t0, 8(s0)
    sd t0, 16(s0)
    sd t0, 24(s0)
    sd t0, 8*16(s0)
    fence
    la t0, tables_ready
    li t1, 1
    sw t1, 0(t0)
    j own_root
wait_tables:
    la t0, tables_ready
1:  lw t1, 0(t0)
    beqz t1, 1b
    fence
own_root:
    la s0, roots
    slli t0, s11, 12
    add s0, s0, t0              /* this hart's root */
    li t1, 0
    PTE_OF t0, t1, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sd t0, 0(s0)
    li t1, 0x80000000
    PTE_OF t0, t1, (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    sd t0, 16(s0)
    la t1, l1
    PTE_OF t0, t1, PTE_V
    sd t0, 8(s0)
    srli t0, s0, 12
    li t1, 8 << 60
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    la t0, s_main
    csrw mepc, t0
    mret

s_main:
    li s0, 0x40000000
    slli t0, s11, 12
    add s0, s0, t0              /* own alias */
    li s1, 0x40010000           /* common address */
    li s2, N
    li t1, 1
1:  amoadd.w zero, t1, 0(s0)
    addi t2, s1, 8
    amoadd.w zero, t1, 0(t2)
    addi s2, s2, -1
    bnez s2, 1b
    la t0, done
    amoadd.w zero, t1, 0(t0)
    bnez s11, park_s
    li t2, 4
2:  lw t1, 0(t0)
    bne t1, t2, 2b
    la t0, shared
    lw t1, 0(t0)
    li t2, 4 * N
    beq t1, t2, 3f
    EXIT_CODE 1
3:  lw t1, 8(t0)
    beq t1, t2, 4f
    EXIT_CODE 2
4:  la t0, l0
    li t3, 4
5:  ld t1, 0(t0)
    andi t1, t1, PTE_A | PTE_D
    li t2, PTE_A | PTE_D
    beq t1, t2, 6f
    EXIT_CODE 3
6:  addi t0, t0, 8
    addi t3, t3, -1
    bnez t3, 5b
    la t0, l0
    ld t1, 8*16(t0)
    andi t1, t1, PTE_A | PTE_D
    beq t1, t2, 7f
    EXIT_CODE 4
7:  GUEST_PASS

park_s:
    wfi
    j park_s
park:
    wfi
    j park

    .balign 4
trap:
    EXIT_CODE 0x7e

    .section .data
    .balign 4
tables_ready: .word 0
done: .word 0
    .balign 4096
l1: .zero 4096
l0: .zero 4096
shared: .zero 4096
roots: .zero 4 * 4096
