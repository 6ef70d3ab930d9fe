/* umode_basic: U-mode entered by mret with MPP = 0 (after opening PMP entry 0
 * over all memory — QEMU denies U accesses matching no PMP entry).
 * In U: loads/stores/fetches to RAM work; ecall gives mcause 8 (mepc = the
 * ecall, mtval = 0, MPP = 0 in the trap's mstatus) and the handler can return
 * to U; ebreak gives 3; every M-mode CSR (read or write, incl. read-only ones
 * like mhartid) and mret raise illegal instruction (mtval = 0 or the bits)
 * while still in U; loads/stores/fetches to UNMAPPED_ADDR give 5/7/1 with
 * MPP = 0. Checks 1..29 run in U, then M-mode checks. */
#include "trap_test.h"

/* U-mode: insn must raise illegal instruction from U */
.macro U_ILLEGAL insn:vararg
    EXPECT_ILLEGAL \insn
    ld t6, TA_STATUS(tp)
    ASSERT_FIELD t6, MSTATUS_MPP, 0
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    CLINT_QUIET
    PMP_ALLOW_ALL
    la s0, data
    li t0, 0x1111
    sd t0, 0(s0)

    li t0, MSTATUS_MPIE         /* U runs with MIE = 1 (irrelevant: mie = 0) */
    csrs mstatus, t0
    ENTER_UMODE user
    j fail

user:
    TEST 1                      /* U memory access */
    ld t0, 0(s0)
    ASSERT_IMM t0, 0x1111
    li t0, 0x2222
    sd t0, 8(s0)
    TEST 2                      /* ecall from U; the handler returns to U */
    li t0, 0x1234
    EXPECT_EXC CAUSE_USER_ECALL, ecall
    CHECK_TVAL 0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), MSTATUS_MPIE
    TEST 3                      /* ebreak, c.ebreak from U */
    .option push
    .option norvc
    EXPECT_EXC CAUSE_BREAKPOINT, ebreak
    .option pop
    EXPECT_EXC CAUSE_BREAKPOINT, c.ebreak
    TEST 4                      /* illegal instruction from U */
    U_ILLEGAL .word 0x0000000b
    TEST 5                      /* mret in U */
    U_ILLEGAL mret
    TEST 7
    U_ILLEGAL csrr t0, mstatus
    U_ILLEGAL csrw mstatus, zero
    U_ILLEGAL csrsi mstatus, MSTATUS_MIE
    TEST 8
    U_ILLEGAL csrr t0, misa
    TEST 9
    U_ILLEGAL csrr t0, mhartid
    U_ILLEGAL csrr t0, mvendorid
    U_ILLEGAL csrr t0, marchid
    U_ILLEGAL csrr t0, mimpid
    TEST 10
    U_ILLEGAL csrr t0, mtvec
    U_ILLEGAL csrw mtvec, zero
    TEST 11
    U_ILLEGAL csrr t0, mscratch
    U_ILLEGAL csrw mscratch, zero
    TEST 12
    U_ILLEGAL csrr t0, mepc
    U_ILLEGAL csrw mepc, zero
    TEST 13
    U_ILLEGAL csrr t0, mcause
    U_ILLEGAL csrr t0, mtval
    TEST 14
    U_ILLEGAL csrr t0, mie
    U_ILLEGAL csrsi mie, MIE_MSIE
    U_ILLEGAL csrr t0, mip
    TEST 15
    U_ILLEGAL csrr t0, mcycle
    U_ILLEGAL csrr t0, minstret
    U_ILLEGAL csrw minstret, zero
    TEST 16
    U_ILLEGAL csrr t0, mcounteren
    U_ILLEGAL csrwi mcounteren, 7
    TEST 17
    U_ILLEGAL csrr t0, pmpcfg0
    U_ILLEGAL csrw pmpcfg0, zero
    U_ILLEGAL csrr t0, pmpaddr0
    TEST 18                     /* csrrs x0 / csrrsi 0 read forms also trap */
    U_ILLEGAL csrrs t0, mscratch, x0
    U_ILLEGAL csrrsi t0, mstatus, 0
    U_ILLEGAL csrrc t0, mepc, x0
    TEST 19                     /* the registers were not written by the trapped reads */
    li a0, 0x5a5a
    U_ILLEGAL csrr a0, mstatus
    ASSERT_IMM a0, 0x5a5a
    TEST 20                     /* load fault from U */
    li s1, UNMAPPED_ADDR
    EXPECT_EXC CAUSE_LOAD_ACCESS, lw t0, 0(s1)
    CHECK_TVAL_REG s1
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    TEST 21                     /* store fault from U */
    EXPECT_EXC CAUSE_STORE_ACCESS, sd t0, 8(s1)
    addi t0, s1, 8
    CHECK_TVAL_REG t0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    TEST 22                     /* a U call/return works (fetch from RAM in U) */
    li a0, 0
    call u_leaf
    ASSERT_IMM a0, 7
    TEST 23                     /* fetch fault from U: comes back in M */
    ARM_TRAP_RESUME m23
    jr s1
    j fail

m23:
    CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL_REG s1
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, MSTATUS_MPP, 0
    TEST 30                     /* back in M: U's store is visible */
    ld t0, 8(s0)
    ASSERT_IMM t0, 0x2222
    TEST 31                     /* back in M: M CSRs accessible again */
    EXPECT_NO_TRAP csrr t0, mstatus
    TEST 32                     /* U-mode wfi with TW = 1 (see umode_wfi for more) */
    li t0, MSTATUS_TW
    csrs mstatus, t0
    ENTER_UMODE u32
m32:
    CHECK_TRAP CAUSE_USER_ECALL
    li t0, MSTATUS_TW
    csrc mstatus, t0
    j pass

u32:
    U_ILLEGAL wfi
    ARM_TRAP_RESUME m32
    ecall
    j fail

u_leaf:
    li a0, 7
    ret

    .data
    .balign 8
data: .dword 0, 0
