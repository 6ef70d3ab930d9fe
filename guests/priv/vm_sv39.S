/* vm_sv39: Sv39 translation from S and U mode, with M building the tables.
 * Root: gigapages 0 (devices) and 2 (RAM) map identity for S (U = 0, A = D = 1);
 * gigapage 1 (VA 0x40000000) goes through a level-1 and a level-0 table to
 * 4 KiB test pages. Checked: satp keeps MODE 8; S runs and accesses memory
 * through the identity gigapage; U runs code from a U page; page faults for
 * each permission case (U on a non-U page, S on a U page without SUM, S
 * fetching from a U page even with SUM, load from X-only without MXR, store
 * to read-only, fetch from non-X, V = 0, W without R, a misaligned
 * superpage, a non-canonical address) with the right cause (12/13/15) and
 * tval = the virtual address; hardware sets A on a load and D on a store;
 * sfence.vma after a remap makes the new mapping visible; MPRV makes M's
 * loads use S translation; a U program whose ecalls an S kernel handles. */
#include "priv_test.h"

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define KRWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define VBASE 0x40000000
#define SATP_SV39 (8 << 60)

/* table[index] = PTE for physical address in pa_reg with flags (clobbers t5, t6) */
.macro SET_PTE table, index, pa_reg, flags
    srli t6, \pa_reg, 12
    slli t6, t6, 10
    ori t6, t6, \flags
    la t5, \table
    sd t6, 8*(\index)(t5)
.endm
/* Run the U snippet at VBASE + off in U-mode; it returns to label in M (ecall or fault). */
.macro RUN_U off, label
    ARM_RESUME \label
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    li t6, VBASE + \off
    csrw mepc, t6
    mret
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

    /* root: gigapage 0 and 2 identity, 1 -> l1 */
    li s0, 0
    SET_PTE root, 0, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li s0, 0x80000000
    SET_PTE root, 2, s0, KRWX
    la s0, l1
    SET_PTE root, 1, s0, PTE_V
    la s0, l0
    SET_PTE l1, 0, s0, PTE_V
    la s0, page_a               /* 2 MiB leaf on a page that is not 2 MiB aligned */
    SET_PTE l1, 1, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    la s0, ucode
    SET_PTE l0, 0, s0, (PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
    la s0, page_a
    SET_PTE l0, 1, s0, (PTE_V | PTE_R | PTE_W | PTE_U)       /* A = D = 0 */
    la s0, page_b
    SET_PTE l0, 2, s0, (PTE_V | PTE_R | PTE_U | PTE_A)
    SET_PTE l0, 3, s0, (PTE_V | PTE_X | PTE_U | PTE_A)
    SET_PTE l0, 4, s0, (PTE_V | PTE_X | PTE_A)
    SET_PTE l0, 5, s0, (PTE_R | PTE_W | PTE_A | PTE_D)        /* V = 0 */
    SET_PTE l0, 6, s0, (PTE_V | PTE_W | PTE_A | PTE_D)        /* W without R */
    la s0, page_a
    SET_PTE l0, 7, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    la s0, page_c
    SET_PTE l0, 8, s0, (PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
    li t0, 0x1111
    la t1, page_a
    sd t0, 0(t1)
    li t0, 0x2222
    la t1, page_b
    sd t0, 0(t1)
    li t0, 0x3333
    la t1, page_c
    sd t0, 0(t1)
    la t0, root
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    csrw satp, t0
    sfence.vma

    TEST 1                      /* satp keeps Sv39 */
    csrr s0, satp
    ASSERT_EQ s0, t0
    TEST 2                      /* U: code from a U page, load from a U page */
    li a1, VBASE + 0x1000
    RUN_U 0x0, m2
m2: CHECK_M_TRAP CAUSE_USER_ECALL
    li t0, 0x1111
    ASSERT_EQ a0, t0
    TEST 3                      /* that load set A, not D */
    ld t0, l0 + 8
    ASSERT_FIELD t0, PTE_A | PTE_D, PTE_A
    TEST 4                      /* U store sets D */
    li a1, VBASE + 0x1008
    li a2, 0x55
    RUN_U 0x10, m4
m4: CHECK_M_TRAP CAUSE_USER_ECALL
    ld t0, l0 + 8
    ASSERT_FIELD t0, PTE_A | PTE_D, PTE_A | PTE_D
    ld t0, page_a + 8
    ASSERT_IMM t0, 0x55
    TEST 5                      /* U store to a read-only page: 15 */
    li a1, VBASE + 0x2000
    RUN_U 0x10, m5
m5: CHECK_M_TRAP 15
    CHECK_TVAL_REG a1
    TEST 6                      /* U load from an X-only page: 13 */
    li a1, VBASE + 0x3010
    RUN_U 0x0, m6
m6: CHECK_M_TRAP 13
    CHECK_TVAL_REG a1
    TEST 7                      /* U load from a non-U page: 13 */
    li a1, VBASE + 0x7000
    RUN_U 0x0, m7
m7: CHECK_M_TRAP 13
    CHECK_TVAL_REG a1
    TEST 8                      /* U fetch from a non-X page: 12, tval = the target */
    li a1, VBASE + 0x2004
    RUN_U 0x20, m8
m8: CHECK_M_TRAP 12
    CHECK_TVAL_REG a1
    ld t0, TA_EPC(tp)
    ASSERT_EQ t0, a1
    TEST 9                      /* U: V = 0 and W-without-R pages fault */
    li a1, VBASE + 0x5000
    RUN_U 0x0, m9
m9: CHECK_M_TRAP 13
    CHECK_TVAL_REG a1
    li a1, VBASE + 0x6000
    RUN_U 0x10, m10
m10: CHECK_M_TRAP 15
    CHECK_TVAL_REG a1
    TEST 11                     /* S-mode checks (fetch page faults go to S, to resume there) */
    li t0, 1 << 12
    csrw medeleg, t0
    RUN_S m11, s11
m11: CHECK_M_TRAP CAUSE_ILLEGAL_INSN
    csrw medeleg, zero
    TEST 30                     /* MPRV: M loads through S's translation */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV | MSTATUS_MPP_S
    csrs mstatus, t0
    li t1, VBASE + 0x7000
    ld s0, 0(t1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    ASSERT_IMM s0, 0x3333       /* page_c since check 19's remap */
    TEST 31                     /* MPRV with MPP = U: the non-U page faults (13) */
    ARM_ONE                     /* before MPRV: it would translate the handler area's stores too */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
1:  ld s0, 0(t1)
    li t0, MSTATUS_MPRV         /* the trap left MPRV set (it stays until mret) */
    csrc mstatus, t0
    CHECK_M_TRAP 13
    CHECK_EPC 1b
    CHECK_TVAL_REG t1
    TEST 32                     /* a U program and an S kernel: U ecalls go to S */
    li t0, 1 << 8
    csrw medeleg, t0
    li t0, MSTATUS_SUM          /* the S handler reads the U instruction at sepc */
    csrs mstatus, t0
    ARM_TRAPS_MODE 3
    la t6, m32                  /* for the M handler: the S one skips U's ecalls */
    sd t6, TA_RESUME(tp)
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    li t6, VBASE + 0x30
    csrw mepc, t6
    mret
m32: csrw medeleg, zero
    li t0, MSTATUS_SUM
    csrc mstatus, t0
    ld t0, TA_COUNT(tp)
    ASSERT_IMM t0, 3
    CHECK_LOG 0, CAUSE_USER_ECALL
    CHECK_LOG 1, CAUSE_USER_ECALL
    CHECK_LOG 2, CAUSE_ILLEGAL_INSN
    ASSERT_IMM a0, 2
    csrw satp, zero
    j pass

    /* ---- S-mode, on the identity gigapage ---- */
s11: TEST 12                    /* S load/store through the identity map */
    la t0, page_c
    ld t1, 0(t0)
    ASSERT_IMM t1, 0x3333
    TEST 13                     /* S load from a U page without SUM: 13 */
    csrr t0, sstatus
    ASSERT_FIELD t0, MSTATUS_SUM, 0
    li s1, VBASE + 0x1000
    ARM_ONE
1:  ld t1, 0(s1)
    CHECK_M_TRAP 13
    CHECK_EPC 1b
    CHECK_TVAL_REG s1
    TEST 14                     /* with SUM: allowed */
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x1111
    TEST 15                     /* S fetch from a U page, even with SUM: 12 */
    ARM_RESUME 2f
    li s1, VBASE
    jr s1
2:  CHECK_S_TRAP 12
    CHECK_TVAL_REG s1
    li t0, MSTATUS_SUM
    csrc sstatus, t0
    TEST 16                     /* S load from X-only: 13 without MXR, allowed with it */
    li s1, VBASE + 0x4000
    ARM_ONE
    ld t1, 0(s1)
    CHECK_M_TRAP 13
    CHECK_TVAL_REG s1
    li t0, MSTATUS_MXR
    csrs sstatus, t0
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x2222
    li t0, MSTATUS_MXR
    csrc sstatus, t0
    TEST 17                     /* misaligned 2 MiB superpage: 13 */
    li s1, VBASE + 0x200000
    ARM_ONE
    ld t1, 0(s1)
    CHECK_M_TRAP 13
    CHECK_TVAL_REG s1
    TEST 18                     /* non-canonical address: 13 / 15 */
    li s1, 0x0000008000000000
    ARM_ONE
    ld t1, 0(s1)
    CHECK_M_TRAP 13
    CHECK_TVAL_REG s1
    ARM_ONE
    sd t1, 0(s1)
    CHECK_M_TRAP 15
    CHECK_TVAL_REG s1
    TEST 19                     /* remap + sfence.vma: the new page is seen */
    li s1, VBASE + 0x7000
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x1111
    la s0, page_c
    SET_PTE l0, 7, s0, (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sfence.vma s1, zero
    ld t1, 0(s1)
    ASSERT_IMM t1, 0x3333
    TEST 20                     /* a store to a read-only mapping from S: 15 */
    li s1, VBASE + 0x4000
    ARM_ONE
    sd t1, 0(s1)
    CHECK_M_TRAP 15
    BACK_TO_M m11

    /* ---- U snippets: one 4 KiB page mapped at VBASE ---- */
    .balign 4096
ucode:
    ld a0, 0(a1)                /* +0x00 */
    ecall
    .balign 16
    sd a2, 0(a1)                /* +0x10 */
    ecall
    .balign 16
    jr a1                       /* +0x20 */
    .balign 16
    li a0, 1                    /* +0x30: two ecalls to the S kernel, then back to M */
    ecall
    li a0, 2
    ecall
    csrr t6, mscratch
    .balign 4096

    .section .data
    .balign 4096
root: .zero 4096
l1: .zero 4096
l0: .zero 4096
page_a: .zero 4096
page_b: .zero 4096
page_c: .zero 4096
