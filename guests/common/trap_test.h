/* Trap-test framework for the assembly guests guests/isa/{csr,trap,irq,umode}_*.S.
 *
 * Register conventions (a test must not use these for anything else):
 *   gp  current check number; `fail` exits through the finisher with it.
 *   tp  base of `trap_area` (the handler's save/record area), set by TRAP_INIT.
 *   t5, t6  scratch of the check macros below.
 * The handler itself preserves every register (it saves t0-t2 in trap_area)
 * and does not use mscratch, so tests may use mscratch freely.
 *
 * Handler (`trap_handler`, direct-mode mtvec) behaviour:
 *   - TA_EXPECT is the number of traps still allowed; a trap while it is 0 fails
 *     with exit code 0x80|gp (unexpected trap); each trap decrements it, so each
 *     expected trap must be armed (ARM_TRAP, or ARM_TRAPS n for n traps).
 *     A trap taken inside the handler fails with exit code 0xff.
 *   - records mcause/mepc/mtval/mstatus/mip of the (last) trap, counts it in
 *     TA_COUNT and logs the mcause of the first four in TA_LOG[].
 *   - interrupt: clears the interrupt's bit in mie (so it cannot fire again until
 *     the test re-enables it) and returns to mepc.
 *   - exception with TA_RESUME != 0: returns to TA_RESUME in M-mode with
 *     mstatus.MIE = 0 (sets MPP = 3, clears MPIE), clears TA_RESUME. Needed for
 *     fetch faults and to come back from U-mode.
 *   - other exceptions: returns past the trapping instruction (mepc + 2 or + 4,
 *     from the instruction's low bits), in the privilege mode it trapped from.
 *
 * Exit codes: 0 pass; 1..127 failed check number; 128+n unexpected trap
 * during check n; 255 trap inside the trap handler. (A test that corrupts tp
 * makes the handler fault on its own stores and hang.)
 *
 * Skeleton:
 *     #include "trap_test.h"
 *         .section .text.init
 *         .globl _start
 *     _start:
 *         PARK_OTHER_HARTS
 *         TRAP_INIT
 *         TEST 1
 *         EXPECT_EXC CAUSE_MACHINE_ECALL, ecall
 *         CHECK_TVAL 0
 *         j pass
 */
#ifndef RIVET_TRAP_TEST_H
#define RIVET_TRAP_TEST_H
#include "guest.h"

#define MSTATUS_MIE   0x8
#define MSTATUS_MPIE  0x80
#define MSTATUS_MPP   0x1800
#define MSTATUS_MPRV  0x20000
#define MSTATUS_TW    0x200000
#define MIP_MSIP      0x8
#define MIP_MTIP      0x80
#define MIP_MEIP      0x800
#define MIE_MSIE      MIP_MSIP
#define MIE_MTIE      MIP_MTIP

#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_USER_ECALL        8
#define CAUSE_MACHINE_ECALL     11
#define CAUSE_IRQ_BIT           (1 << 63)
#define CAUSE_MSI               ((1 << 63) | 3)
#define CAUSE_MTI               ((1 << 63) | 7)

/* trap_area layout (offsets from tp) */
#define TA_T0        0
#define TA_T1        8
#define TA_T2        16
#define TA_COUNT     24
#define TA_CAUSE     32
#define TA_EPC       40
#define TA_TVAL      48
#define TA_STATUS    56   /* mstatus as seen by the handler (after trap entry) */
#define TA_RESUME    64
#define TA_EXPECT    72
#define TA_INHANDLER 80
#define TA_MIP       88
#define TA_LOG       96   /* mcause of the first 4 traps since ARM_TRAP(S) */
#define TA_USER      128  /* free for tests (e.g. vector-table stubs) */
#define TA_SIZE      136

/* An address no device or memory answers on QEMU virt (checked: every access
 * faults there); Rivet follows the same memory map. */
#define UNMAPPED_ADDR 0x00020000

#ifdef __ASSEMBLER__

/* Start of a numbered check. */
.macro TEST n
    li gp, \n
.endm

/* Fail the current check unless a == b (registers; clobbers nothing). */
.macro ASSERT_EQ a, b
    beq \a, \b, .Lok\@
    j fail
.Lok\@:
.endm
.macro ASSERT_NE a, b
    bne \a, \b, .Lok\@
    j fail
.Lok\@:
.endm
/* Unsigned range checks on registers. */
.macro ASSERT_LTU a, b
    bltu \a, \b, .Lok\@
    j fail
.Lok\@:
.endm
.macro ASSERT_GEU a, b
    bgeu \a, \b, .Lok\@
    j fail
.Lok\@:
.endm
/* Fail unless bit `bit` of register a is set / clear (clobbers t6). */
.macro ASSERT_BIT_SET a, bit
    srli t6, \a, \bit
    andi t6, t6, 1
    bnez t6, .Lok\@
    j fail
.Lok\@:
.endm
.macro ASSERT_BIT_CLEAR a, bit
    srli t6, \a, \bit
    andi t6, t6, 1
    beqz t6, .Lok\@
    j fail
.Lok\@:
.endm
/* Fail unless (a & mask) == value, mask and value immediates; a may be t6
 * but not t5 (clobbers t5, t6). */
.macro ASSERT_FIELD a, mask, value
    li t5, \mask
    and t6, \a, t5
    li t5, \value
    ASSERT_EQ t6, t5
.endm
/* Fail unless register a == immediate (clobbers t6). */
.macro ASSERT_IMM a, imm
    li t6, \imm
    ASSERT_EQ \a, t6
.endm
.macro ASSERT_ZERO a
    ASSERT_EQ \a, zero
.endm

/* Arm the handler for n expected traps (clobbers t6). */
.macro ARM_TRAPS n
    li t6, -1
    sd t6, TA_CAUSE(tp)
    sd t6, TA_EPC(tp)
    sd t6, TA_TVAL(tp)
    sd t6, TA_LOG(tp)
    sd t6, TA_LOG+8(tp)
    sd t6, TA_LOG+16(tp)
    sd t6, TA_LOG+24(tp)
    sd zero, TA_COUNT(tp)
    sd zero, TA_RESUME(tp)
    li t6, \n
    sd t6, TA_EXPECT(tp)
.endm
/* Arm the handler for one expected trap (clobbers t6). */
.macro ARM_TRAP
    ARM_TRAPS 1
.endm
/* Same, but the exception returns to `label` in M-mode. */
.macro ARM_TRAP_RESUME label
    ARM_TRAP
    la t6, \label
    sd t6, TA_RESUME(tp)
.endm
/* Stop expecting a trap (for "may or may not trap" cases). */
.macro DISARM
    sd zero, TA_EXPECT(tp)
    sd zero, TA_RESUME(tp)
.endm

/* Exactly one trap was taken since ARM_TRAP, with mcause == cause (clobbers t5, t6). */
.macro CHECK_TRAP cause
    ld t6, TA_COUNT(tp)
    li t5, 1
    ASSERT_EQ t6, t5
    ld t6, TA_CAUSE(tp)
    li t5, \cause
    ASSERT_EQ t6, t5
.endm
/* No trap was taken since ARM_TRAP; disarms (clobbers t6). */
.macro CHECK_NO_TRAP
    ld t6, TA_COUNT(tp)
    ASSERT_ZERO t6
    DISARM
.endm
/* The recorded mepc is the address of `label` (clobbers t5, t6). */
.macro CHECK_EPC label
    ld t6, TA_EPC(tp)
    la t5, \label
    ASSERT_EQ t6, t5
.endm
/* The recorded mtval equals register reg (clobbers t6). */
.macro CHECK_TVAL_REG reg
    ld t6, TA_TVAL(tp)
    ASSERT_EQ t6, \reg
.endm
/* The recorded mtval equals immediate (clobbers t5, t6). */
.macro CHECK_TVAL imm
    ld t6, TA_TVAL(tp)
    li t5, \imm
    ASSERT_EQ t6, t5
.endm
/* The recorded mtval is 0 or the address of `label` (clobbers t5, t6). */
.macro CHECK_TVAL_ZERO_OR_ADDR label
    ld t6, TA_TVAL(tp)
    beqz t6, .Lok\@
    la t5, \label
    ASSERT_EQ t6, t5
.Lok\@:
.endm
/* The recorded mtval is 0 or the (zero-extended, 16- or 32-bit) encoding of the
 * instruction at `label` (clobbers t5, t6). */
.macro CHECK_TVAL_ZERO_OR_INSN label
    ld t6, TA_TVAL(tp)
    beqz t6, .Lok\@
    la t6, \label
    lhu t5, 0(t6)
    andi t6, t5, 3
    addi t6, t6, -3
    bnez t6, .Lshort\@
    la t6, \label
    lhu t6, 2(t6)
    slli t6, t6, 16
    or t5, t5, t6
.Lshort\@:
    ld t6, TA_TVAL(tp)
    ASSERT_EQ t6, t5
.Lok\@:
.endm

/* Run one instruction that must raise exception `cause`; checks mcause and
 * mepc (clobbers t5, t6). The handler resumes after it. */
.macro EXPECT_EXC cause, insn:vararg
    ARM_TRAP
.Linsn\@:
    \insn
    CHECK_TRAP \cause
    CHECK_EPC .Linsn\@
.endm
/* Run one instruction that must raise an illegal-instruction exception;
 * checks mcause, mepc and mtval (0 or the encoding). Clobbers t5, t6. */
.macro EXPECT_ILLEGAL insn:vararg
    ARM_TRAP
.Linsn\@:
    \insn
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC .Linsn\@
    CHECK_TVAL_ZERO_OR_INSN .Linsn\@
.endm
/* Run one instruction that must not trap (clobbers t6). */
.macro EXPECT_NO_TRAP insn:vararg
    ARM_TRAP
    \insn
    CHECK_NO_TRAP
.endm
/* The n-th logged mcause (0-based) equals imm (clobbers t5, t6). */
.macro CHECK_LOG n, imm
    ld t6, TA_LOG+8*\n(tp)
    li t5, \imm
    ASSERT_EQ t6, t5
.endm

/* Set up tp and direct-mode mtvec (clobbers t0). Interrupts stay as at reset. */
.macro TRAP_INIT
    la tp, trap_area
    la t0, trap_handler
    csrw mtvec, t0
    li gp, 0
.endm

/* Let U-mode (and M-mode) access all memory: QEMU denies U-mode accesses that
 * match no PMP entry. pmpaddr0 = all ones + NAPOT|X|W|R. Clobbers t6. */
.macro PMP_ALLOW_ALL
    li t6, -1
    csrw pmpaddr0, t6
    li t6, 0x1f
    csrw pmpcfg0, t6
.endm

/* mret to `label` in U-mode (MPP = 0); MPIE is left as is. Clobbers t6. */
.macro ENTER_UMODE label
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    la t6, \label
    csrw mepc, t6
    mret
.endm

/* Non-hart-0 harts park here. */
.macro PARK_OTHER_HARTS
    csrr t0, mhartid
    beqz t0, .Lhart0\@
.Lpark\@:
    wfi
    j .Lpark\@
.Lhart0\@:
.endm

/* Disarm the CLINT timer (mtimecmp = all ones) and clear msip for hart 0. */
.macro CLINT_QUIET
    li t6, CLINT_MTIMECMP(0)
    li t5, -1
    sd t5, 0(t6)
    li t6, CLINT_MSIP(0)
    sw zero, 0(t6)
.endm

/* Exit with failure code `reg`. (guest.h's GUEST_FAIL_REG does not assemble:
 * `ori` cannot take 0x3333, which does not fit a 12-bit immediate.) */
#define TT_FAIL_REG(reg)      \
    li t0, FINISHER_BASE;     \
    slli t1, reg, 16;         \
    li t2, FINISHER_FAIL;     \
    or t1, t1, t2;            \
    sw t1, 0(t0);             \
1:  j 1b

/* Common code: pass/fail exits and the trap handler. */
    .section .text
    .balign 4
pass:
    GUEST_PASS
fail:
    TT_FAIL_REG(gp)
trap_unexpected:
    ori gp, gp, 0x80
    TT_FAIL_REG(gp)
trap_nested:
    li gp, 0xff
    TT_FAIL_REG(gp)

    .balign 256
    .globl trap_handler
trap_handler:
    sd t0, TA_T0(tp)
    sd t1, TA_T1(tp)
    sd t2, TA_T2(tp)
    ld t0, TA_INHANDLER(tp)
    bnez t0, trap_nested
    li t0, 1
    sd t0, TA_INHANDLER(tp)
    ld t0, TA_EXPECT(tp)
    beqz t0, trap_unexpected
    addi t0, t0, -1
    sd t0, TA_EXPECT(tp)
    csrr t0, mcause
    sd t0, TA_CAUSE(tp)
    csrr t1, mepc
    sd t1, TA_EPC(tp)
    csrr t2, mtval
    sd t2, TA_TVAL(tp)
    csrr t2, mstatus
    sd t2, TA_STATUS(tp)
    csrr t2, mip
    sd t2, TA_MIP(tp)
    ld t2, TA_COUNT(tp)
    sltiu t1, t2, 4
    beqz t1, 2f
    slli t1, t2, 3
    add t1, t1, tp
    sd t0, TA_LOG(t1)
2:  addi t2, t2, 1
    sd t2, TA_COUNT(tp)
    csrr t1, mepc
    bltz t0, trap_handler_irq
    ld t2, TA_RESUME(tp)
    bnez t2, trap_handler_resume
    /* skip the trapping instruction: 32-bit if its low two bits are 11 */
    lhu t2, 0(t1)
    andi t2, t2, 3
    addi t1, t1, 2
    addi t2, t2, -3
    bnez t2, 1f
    addi t1, t1, 2
1:  csrw mepc, t1
    j trap_handler_return
trap_handler_resume:
    sd zero, TA_RESUME(tp)
    csrw mepc, t2
    li t2, MSTATUS_MPP
    csrs mstatus, t2
    li t2, MSTATUS_MPIE
    csrc mstatus, t2
    j trap_handler_return
trap_handler_irq:
    li t2, 1
    sll t2, t2, t0          /* low 6 bits of mcause = interrupt number */
    csrc mie, t2
trap_handler_return:
    sd zero, TA_INHANDLER(tp)
    ld t0, TA_T0(tp)
    ld t1, TA_T1(tp)
    ld t2, TA_T2(tp)
    mret

    .section .data
    .balign 64
    .globl trap_area
trap_area:
    .zero TA_SIZE
    .section .text
#endif /* __ASSEMBLER__ */
#endif
