/* fp_umode: F/D from U-mode (PMP checked, so the interpreter's paged path runs): fld/fsd,
 * flw/fsw (NaN-boxed), c.fld/c.fsd, arithmetic and the FP CSRs work in U; with mstatus.FS Off
 * every F/D instruction and FP CSR access from U is an illegal instruction (mepc, mtval = bits)
 * and FS stays Off; back in M, an fsd that rewrites code in the page being executed takes
 * effect after fence.i. Passes on qemu-system-riscv64 7.2. */
#include "trap_test.h"

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    CLINT_QUIET
    PMP_ALLOW_ALL
    la s0, data
    li t0, 0x2000               /* FS = Initial */
    csrs mstatus, t0
    ENTER_UMODE user
    j fail

user:
    TEST 1                      /* fld / fsd move the bits */
    li t0, 0x400921fb54442d18
    sd t0, 0(s0)
    fld fa0, 0(s0)
    fsd fa0, 8(s0)
    ld t1, 8(s0)
    ASSERT_EQ t0, t1
    TEST 2                      /* flw boxes, fsw stores the low word */
    li t0, 0x40490fdb
    sw t0, 16(s0)
    flw fa1, 16(s0)
    fsw fa1, 20(s0)
    lwu t1, 20(s0)
    ASSERT_EQ t0, t1
    fmv.x.d t1, fa1
    li t2, 0xffffffff40490fdb
    ASSERT_EQ t1, t2
    TEST 3                      /* c.fsd / c.fld */
    c.fsd fa0, 24(s0)
    c.fld fa2, 24(s0)
    fmv.x.d t1, fa2
    li t0, 0x400921fb54442d18
    ASSERT_EQ t0, t1
    TEST 4                      /* arithmetic: pi + pi = 2 pi exactly; pi/3 is inexact */
    csrw fcsr, zero
    fadd.d fa3, fa0, fa0
    fmv.x.d t1, fa3
    li t2, 0x401921fb54442d18
    ASSERT_EQ t1, t2
    frflags t1
    ASSERT_ZERO t1
    li t0, 3
    fcvt.d.w fa4, t0
    fdiv.d fa5, fa0, fa4
    frflags t1
    ASSERT_IMM t1, 1            /* NX */
    TEST 5                      /* frm and fcsr from U */
    fsrmi 3
    csrr t1, fcsr
    ASSERT_IMM t1, 0x61
    ARM_TRAP_RESUME m_off
    ecall
    j fail

m_off:
    CHECK_TRAP CAUSE_USER_ECALL
    csrr t0, mstatus
    ASSERT_FIELD t0, 0x6000, 0x6000 /* U wrote f registers and fcsr: Dirty */
    li t0, 0x6000               /* FS = Off */
    csrc mstatus, t0
    ENTER_UMODE user_off
    j fail

user_off:
    TEST 6                      /* FS Off: illegal from U, nothing written */
    EXPECT_ILLEGAL fld fa0, 0(s0)
    EXPECT_ILLEGAL fsd fa0, 32(s0)
    EXPECT_ILLEGAL c.fld fa0, 8(s0)
    EXPECT_ILLEGAL c.fsd fa0, 32(s0)
    EXPECT_ILLEGAL flw fa0, 16(s0)
    EXPECT_ILLEGAL fsw fa0, 32(s0)
    EXPECT_ILLEGAL fadd.d fa0, fa1, fa2
    EXPECT_ILLEGAL fmv.x.d t1, fa0
    EXPECT_ILLEGAL csrr t1, fflags
    EXPECT_ILLEGAL csrw frm, zero
    ld t1, 32(s0)
    ASSERT_ZERO t1
    ARM_TRAP_RESUME m_smc
    ecall
    j fail

m_smc:
    CHECK_TRAP CAUSE_USER_ECALL
    csrr t0, mstatus
    ASSERT_FIELD t0, 0x6000, 0
    li t0, 0x2000
    csrs mstatus, t0
    TEST 7                      /* the f registers kept their values */
    fmv.x.d t1, fa0
    li t0, 0x400921fb54442d18
    ASSERT_EQ t0, t1
    csrr t1, fcsr
    ASSERT_IMM t1, 0x61
    TEST 8                      /* fsd rewrites an instruction pair in this code page */
    call patch
    ASSERT_IMM a0, 1
    la t1, patch
    li t0, 0x0000806702a00513   /* li a0, 42; ret */
    fmv.d.x ft0, t0
    fsd ft0, 0(t1)
    fence.i
    call patch
    ASSERT_IMM a0, 42
    j pass

    .balign 8
    .option push
    .option norvc
patch:
    li a0, 1
    ret
    .option pop

    .data
    .balign 8
data: .dword 0, 0, 0, 0, 0, 0
