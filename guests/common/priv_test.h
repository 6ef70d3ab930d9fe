/* S-mode additions to trap_test.h for the guests/priv programs.
 *
 * An S-mode handler (`strap_handler`, direct-mode stvec, installed by
 * STRAP_INIT) shares trap_area and the check macros with the M-mode one: it
 * records scause/sepc/stval/sstatus/sip in TA_CAUSE/TA_EPC/TA_TVAL/TA_STATUS/
 * TA_MIP, counts and logs the trap the same way, and sets TA_MODE to 1, so
 * CHECK_S_TRAP / CHECK_M_TRAP tell which handler took it (ARM_* set TA_MODE
 * to 3 first, and the M handler leaves it). Behaviour:
 *   - interrupt: clears its bit in sie and returns to sepc;
 *   - exception from S with TA_RESUME != 0: returns to TA_RESUME in S-mode
 *     with SIE = 0 (SPP = 1, SPIE = 0), clears TA_RESUME;
 *   - other exceptions: returns past the trapping instruction in the mode it
 *     trapped from.
 * Every privileged test opens PMP (QEMU denies S/U accesses that match no PMP
 * entry) and keeps medeleg bits 8/9 clear unless a check sets them, so an
 * ecall from S or U reaches the M handler (ARM_TRAP_RESUME + ecall = "back to
 * M at label"). */
#ifndef RIVET_PRIV_TEST_H
#define RIVET_PRIV_TEST_H
#include "trap_test.h"

#define TA_MODE       TA_USER
#define MSTATUS_SIE   0x2
#define MSTATUS_SPIE  0x20
#define MSTATUS_SPP   0x100
#define MSTATUS_MPP_S 0x800
#define MSTATUS_SUM   0x40000
#define MSTATUS_MXR   0x80000
#define MSTATUS_TVM   0x100000
#define MSTATUS_TSR   0x400000
#define MIP_SSIP      0x2
#define MIP_STIP      0x20
#define MIP_SEIP      0x200
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_SSI     ((1 << 63) | 1)
#define CAUSE_STI     ((1 << 63) | 5)
#define CAUSE_SEI     ((1 << 63) | 9)
#define CSR_STIMECMP  0x14d
#define CSR_MENVCFG   0x30a
#define CSR_SENVCFG   0x10a
#define MENVCFG_STCE  (1 << 63)

#ifdef __ASSEMBLER__

/* stvec = strap_handler (clobbers t0). */
.macro STRAP_INIT
    la t0, strap_handler
    csrw stvec, t0
.endm

/* The start of every single-hart privileged test: hart 0 only, both trap handlers
 * installed, no machine interrupts, the CLINT quiet, PMP open to S and U (which QEMU 7.2
 * needs before mret may leave M). Delegation is each test's own. */
.macro PRIV_INIT
    PARK_OTHER_HARTS
    TRAP_INIT
    STRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    PMP_ALLOW_ALL
.endm

/* Arm n traps and expect them in S / M (clobbers t6). */
.macro ARM_TRAPS_MODE n
    ARM_TRAPS \n
    li t6, 3
    sd t6, TA_MODE(tp)
.endm
.macro ARM_ONE
    ARM_TRAPS_MODE 1
.endm
/* One trap, taken by the S handler, with scause == cause (clobbers t5, t6). */
.macro CHECK_S_TRAP cause
    CHECK_TRAP \cause
    ld t6, TA_MODE(tp)
    ASSERT_IMM t6, 1
.endm
.macro CHECK_M_TRAP cause
    CHECK_TRAP \cause
    ld t6, TA_MODE(tp)
    ASSERT_IMM t6, 3
.endm
/* Arm one trap that resumes at label in M (the M handler) or S (the S handler). */
.macro ARM_RESUME label
    ARM_ONE
    la t6, \label
    sd t6, TA_RESUME(tp)
.endm

/* mret to label in S-mode (MPP = 1); MPIE left as is. Clobbers t6. */
.macro ENTER_SMODE label
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    li t6, MSTATUS_MPP_S
    csrs mstatus, t6
    la t6, \label
    csrw mepc, t6
    mret
.endm
/* From S or U: an illegal instruction (an M CSR read) the M handler turns
 * into a return to label in M; medeleg bit 2 must be clear. */
.macro BACK_TO_M label
    ARM_RESUME \label
    csrr t6, mscratch
    j fail
.endm

    .section .text
    .balign 256
    .globl strap_handler
strap_handler:
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
    li t0, 1
    sd t0, TA_MODE(tp)
    csrr t0, scause
    sd t0, TA_CAUSE(tp)
    csrr t1, sepc
    sd t1, TA_EPC(tp)
    csrr t2, stval
    sd t2, TA_TVAL(tp)
    csrr t2, sstatus
    sd t2, TA_STATUS(tp)
    csrr t2, sip
    sd t2, TA_MIP(tp)
    ld t2, TA_COUNT(tp)
    sltiu t1, t2, 4
    beqz t1, 2f
    slli t1, t2, 3
    add t1, t1, tp
    sd t0, TA_LOG(t1)
2:  addi t2, t2, 1
    sd t2, TA_COUNT(tp)
    csrr t1, sepc
    bltz t0, strap_irq
    csrr t2, sstatus
    andi t2, t2, MSTATUS_SPP
    beqz t2, strap_skip         /* from U: always skip (TA_RESUME is M's then) */
    ld t2, TA_RESUME(tp)
    bnez t2, strap_resume
strap_skip:
    lhu t2, 0(t1)
    andi t2, t2, 3
    addi t1, t1, 2
    addi t2, t2, -3
    bnez t2, 1f
    addi t1, t1, 2
1:  csrw sepc, t1
    j strap_return
strap_resume:
    sd zero, TA_RESUME(tp)
    csrw sepc, t2
    li t2, MSTATUS_SPP
    csrs sstatus, t2
    li t2, MSTATUS_SPIE
    csrc sstatus, t2
    j strap_return
strap_irq:
    li t2, 1
    sll t2, t2, t0
    csrc sie, t2
strap_return:
    sd zero, TA_INHANDLER(tp)
    ld t0, TA_T0(tp)
    ld t1, TA_T1(tp)
    ld t2, TA_T2(tp)
    sret
    .section .text
#endif /* __ASSEMBLER__ */
#endif
