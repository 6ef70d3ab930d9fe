/* vm_tlb: what cached translations must not survive. Rivet keeps separate TLBs per
 * context (U, S, S with SUM, M under MPRV/PMP) that traps and returns do not flush, drops
 * one page on sfence.vma with an address (everything when the address lies in a cached
 * superpage) and everything on satp writes, sfence.vma without an address and MXR changes.
 * Checked: sfence.vma VA after a 4 KiB remap (loads and stores); sfence.vma on another
 * page of a remapped 2 MiB superpage (loads and stores); sfence.vma with only an ASID;
 * SUM cleared after a SUM access faults, set again works; an S-only page cached by S still
 * faults for U after the traps in between; MXR cleared after an MXR load faults; MPRV with
 * MPP = U and then S sees each mode's permissions; satp switched between two roots (the
 * same ASID) sees each root's mapping. */
#include "priv_test.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define KRW  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define KRWX (KRW | PTE_X)
#define VBASE 0x40000000
#define VSUPER (VBASE + 0x200000)
#define SATP_SV39 (8 << 60)

/* table[index] = PTE for physical address in pa_reg with flags (clobbers t5, t6) */
.macro SET_PTE table, index, pa_reg, flags
    srli t6, \pa_reg, 12
    slli t6, t6, 10
    ori t6, t6, \flags
    la t5, \table
    sd t6, 8*(\index)(t5)
.endm
/* satp = Sv39 with the root in table (clobbers t0, t1) */
.macro SET_SATP table
    la t0, \table
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    csrw satp, t0
.endm
.macro RUN_S label, slabel
    ARM_RESUME \label
    ENTER_SMODE \slabel
.endm

    .section .text.init
    .globl _start
_start:
    PRIV_INIT
    csrw medeleg, zero
    csrw mideleg, zero

    /* root: gigapage 2 identity (S code and data), 1 -> l1; l1[0] -> l0 (4 KiB pages),
     * l1[1] = a 2 MiB superpage at VSUPER */
    li s0, 0x80000000
    SET_PTE root, 2, s0, KRWX
    SET_PTE root2, 2, s0, KRWX
    la s0, l1
    SET_PTE root, 1, s0, PTE_V
    la s0, l1b
    SET_PTE root2, 1, s0, PTE_V
    la s0, l0
    SET_PTE l1, 0, s0, PTE_V
    la s0, super_x
    SET_PTE l1, 1, s0, KRW
    la s0, page_b                      /* the second root maps VSUPER to page_b (4 KiB) */
    la s1, l0b
    SET_PTE l1b, 1, s1, PTE_V
    SET_PTE l0b, 0, s0, KRW
    la s0, page_a
    SET_PTE l0, 0, s0, KRW             /* VBASE: page_a, S only */
    la s0, page_c
    SET_PTE l0, 1, s0, (KRW | PTE_U)   /* VBASE + 0x1000: page_c, U */
    la s0, page_b
    SET_PTE l0, 2, s0, (PTE_V | PTE_X | PTE_A)   /* VBASE + 0x2000: page_b, X only */
    la s0, ucode
    SET_PTE l0, 3, s0, (PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)   /* VBASE + 0x3000: U code */
    li t0, 0x1111
    sd t0, page_a, t1
    li t0, 0x2222
    sd t0, page_b, t1
    li t0, 0x3333
    sd t0, page_c, t1
    li t0, 0xaaaa
    la t1, super_x + 0x5000
    sd t0, 0(t1)
    li t0, 0xbbbb
    la t1, super_y + 0x5000
    sd t0, 0(t1)
    SET_SATP root
    sfence.vma

    TEST 1
    RUN_S m1, s1
m1: CHECK_M_TRAP CAUSE_ILLEGAL_INSN

    TEST 20                     /* U: the S-only page S cached (two traps ago) faults (13) */
    li a1, VBASE
    ARM_RESUME m20
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    li t6, VBASE + 0x3000
    csrw mepc, t6
    mret
m20: CHECK_M_TRAP 13
    CHECK_TVAL_REG a1
    TEST 21                     /* ... and the U page U can read */
    li a1, VBASE + 0x1000

    ARM_RESUME m21
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    li t6, VBASE + 0x3000
    csrw mepc, t6
    mret
m21: CHECK_M_TRAP CAUSE_USER_ECALL
    ASSERT_IMM a0, 0x3333

    TEST 22                     /* MPRV: MPP = U reads the U page; MPP = S (no SUM) faults on it */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    li t1, VBASE + 0x1000
    ld s0, 0(t1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    ASSERT_IMM s0, 0x3333
    TEST 23
    ARM_ONE                     /* before MPRV: it would translate the handler area's stores too */
    li t0, MSTATUS_MPRV | MSTATUS_MPP_S
    csrs mstatus, t0
1:  ld s0, 0(t1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK_M_TRAP 13
    CHECK_EPC 1b
    TEST 24                     /* MPRV, MPP = S, SUM: allowed again */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV | MSTATUS_MPP_S | MSTATUS_SUM
    csrs mstatus, t0
    ld s0, 0(t1)
    li t0, MSTATUS_MPRV | MSTATUS_SUM
    csrc mstatus, t0
    ASSERT_IMM s0, 0x3333
    csrw satp, zero
    j pass

    /* ---- S-mode, on the identity gigapage ---- */
s1: li s1, VBASE
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x1111
    TEST 2                      /* 4 KiB remap + sfence.vma VA: the load sees the new page */
    la s0, page_b
    SET_PTE l0, 0, s0, KRW
    sfence.vma s1, zero
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x2222
    TEST 3                      /* ... and so does a store */
    li t0, 0x1234
    sd t0, 8(s1)
    la s0, page_a
    SET_PTE l0, 0, s0, KRW
    sfence.vma s1, zero
    li t0, 0x5678
    sd t0, 8(s1)
    ld t1, page_b + 8
    ASSERT_IMM t1, 0x1234
    ld t1, page_a + 8
    ASSERT_IMM t1, 0x5678
    TEST 4                      /* 2 MiB superpage remapped, fenced at another of its pages */
    li s2, VSUPER + 0x5000
    ld t1, 0(s2)
    ASSERT_IMM t1, 0xaaaa
    sd t1, 8(s2)
    la s0, super_y
    SET_PTE l1, 1, s0, KRW
    li t0, VSUPER + 0x1ff000
    sfence.vma t0, zero
    ld t1, 0(s2)
    ASSERT_IMM t1, 0xbbbb
    TEST 5                      /* ... the store TLB too */
    li t0, 0x77
    sd t0, 8(s2)
    la t1, super_y + 0x5008
    ld t1, 0(t1)
    ASSERT_IMM t1, 0x77
    la t1, super_x + 0x5008
    ld t1, 0(t1)
    ASSERT_IMM t1, 0xaaaa
    TEST 6                      /* sfence.vma with only an ASID (0) */
    la s0, super_x
    SET_PTE l1, 1, s0, KRW
    sfence.vma zero, zero       /* back to super_x for check 7 */
    ld t1, 0(s2)
    ASSERT_IMM t1, 0xaaaa
    la s0, page_c
    SET_PTE l0, 0, s0, KRW
    sfence.vma zero, s1         /* rs2 = s1: ASID bits of VBASE are 0 */
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x3333
    TEST 7                      /* satp: another root, then this one again (same ASID, no fence) */
    SET_SATP root2
    li t0, VSUPER
    ld t2, 0(t0)                /* root2: VSUPER is page_b */
    ASSERT_IMM t2, 0x2222
    SET_SATP root
    ld t1, 0(s2)
    ASSERT_IMM t1, 0xaaaa
    TEST 8                      /* SUM: allowed with it, a fault once cleared, allowed again */
    li s3, VBASE + 0x1000
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    ld t1, 0(s3)
    ASSERT_IMM t1, 0x3333
    sd t1, 8(s3)
    li t0, MSTATUS_SUM
    csrc sstatus, t0
    ARM_ONE
    ld t1, 0(s3)
    CHECK_M_TRAP 13
    ARM_ONE
    sd t1, 8(s3)
    CHECK_M_TRAP 15
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    ld t1, 0(s3)
    ASSERT_IMM t1, 0x3333
    li t0, MSTATUS_SUM
    csrc sstatus, t0
    TEST 9                      /* MXR: an X-only page read with it, a fault once cleared */
    li s4, VBASE + 0x2000
    li t0, MSTATUS_MXR
    csrs sstatus, t0
    ld t1, 0(s4)
    ASSERT_IMM t1, 0x2222
    li t0, MSTATUS_MXR
    csrc sstatus, t0
    ARM_ONE
    ld t1, 0(s4)
    CHECK_M_TRAP 13
    TEST 10                     /* S caches the S-only page VBASE (page_c now) for check 20 */
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x3333
    BACK_TO_M m1

    /* ---- U code: one 4 KiB page mapped at VBASE + 0x3000 ---- */
    .balign 4096
ucode:
    ld a0, 0(a1)
    ecall
    .balign 4096

    .section .data
    .balign 4096
root: .zero 4096
root2: .zero 4096
l1: .zero 4096
l1b: .zero 4096
l0: .zero 4096
l0b: .zero 4096
page_a: .zero 4096
page_b: .zero 4096
page_c: .zero 4096

    .section .bss
    .balign 0x200000
super_x: .zero 0x200000
super_y: .zero 0x200000
