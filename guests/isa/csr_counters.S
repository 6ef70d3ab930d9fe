/* csr_counters: mcycle/minstret count and are writable; cycle/instret/time are
 * readable (in M) and read-only (a write traps illegal); time lies between two
 * CLINT mtime reads; mcounteren bits CY, TM, IR are writable.
 * minstret write semantics (Zicsr): "a value written to instret by one
 * instruction will be the value read by the following instruction", so
 * csrw minstret,X; csrr minstret reads X and three nops later X+3.
 * QEMU 7.2 without -icount counts mcycle/minstret in host TSC ticks, so
 * check 2 first calibrates: two back-to-back csrr minstret must differ by >= 1;
 * if they differ by exactly 1 (an instruction-exact counter, as on Rivet) the
 * exact checks are made, otherwise (QEMU) only X <= read < X + 2^32. */
#include "trap_test.h"

/* s11 = 1 when minstret is instruction-exact */
.macro CHECK_WRITTEN reg, expect_reg, exact_delta
    beqz s11, .Lloose\@
    addi t6, \expect_reg, \exact_delta
    ASSERT_EQ \reg, t6
    j .Ldone\@
.Lloose\@:
    ASSERT_GEU \reg, \expect_reg
    sub t6, \reg, \expect_reg
    srli t6, t6, 32
    ASSERT_ZERO t6
.Ldone\@:
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero

    TEST 1                      /* mcycle advances */
    csrr s0, mcycle
    li t0, 100
1:  addi t0, t0, -1
    bnez t0, 1b
    csrr s1, mcycle
    ASSERT_LTU s0, s1
    TEST 2                      /* minstret advances; calibrate */
    csrr s0, minstret
    csrr s1, minstret
    ASSERT_LTU s0, s1
    sub t0, s1, s0
    li t1, 1
    sub t0, t0, t1
    seqz s11, t0
    TEST 3                      /* instruction-exact: a known loop retires 202 */
    beqz s11, 2f
    csrr s0, minstret
    li t0, 100
1:  addi t0, t0, -1
    bnez t0, 1b
    csrr s1, minstret
    sub t0, s1, s0
    ASSERT_IMM t0, 202
2:
    TEST 4                      /* write minstret, read it back at once: X */
    li s2, 0x0000123400005678
    csrw minstret, s2
    csrr s0, minstret
    CHECK_WRITTEN s0, s2, 0
    TEST 5                      /* write, three nops, read: X + 3 */
    li s2, 0x0000000100000000
    csrw minstret, s2
    nop
    nop
    nop
    csrr s0, minstret
    CHECK_WRITTEN s0, s2, 3
    TEST 6                      /* instret shadows minstret */
    li s2, 0x777
    csrw minstret, s2
    csrr s0, instret
    CHECK_WRITTEN s0, s2, 0
    TEST 7                      /* write mcycle: X <= read < X + 2^32 (cycle counts are impl.-defined) */
    li s2, 0x0000432100008765
    csrw mcycle, s2
    csrr s0, mcycle
    ASSERT_GEU s0, s2
    sub t0, s0, s2
    srli t0, t0, 32
    ASSERT_ZERO t0
    TEST 8                      /* cycle shadows mcycle */
    csrr s0, mcycle
    csrr s1, cycle
    csrr s2, mcycle
    ASSERT_GEU s1, s0
    ASSERT_GEU s2, s1
    sub t0, s2, s0
    srli t0, t0, 32
    ASSERT_ZERO t0
    TEST 9                      /* time lies between two mtime reads */
    li s3, CLINT_MTIME
    ld s0, 0(s3)
    csrr s1, time
    ld s2, 0(s3)
    ASSERT_GEU s1, s0
    ASSERT_GEU s2, s1
    TEST 10                     /* time advances (10 MHz) */
    csrr s0, time
    li t0, 100000
1:  addi t0, t0, -1
    csrr s1, time
    bne s1, s0, 2f
    bnez t0, 1b
    j fail
2:  ASSERT_LTU s0, s1
    TEST 11                     /* user counters are read-only: writes trap */
    EXPECT_ILLEGAL csrw cycle, zero
    EXPECT_ILLEGAL csrw time, zero
    EXPECT_ILLEGAL csrw instret, zero
    li s1, 1
    EXPECT_ILLEGAL csrs cycle, s1
    EXPECT_ILLEGAL csrrwi s0, instret, 0
    TEST 12                     /* ...but the read forms with x0 / 0 do not */
    EXPECT_NO_TRAP csrrs s0, cycle, x0
    EXPECT_NO_TRAP csrrc s0, time, x0
    EXPECT_NO_TRAP csrrsi s0, instret, 0
    EXPECT_NO_TRAP csrrci s0, instret, 0
    TEST 13                     /* mcounteren CY, TM, IR writable */
    csrwi mcounteren, 7
    csrr s0, mcounteren
    andi s0, s0, 7
    ASSERT_IMM s0, 7
    csrwi mcounteren, 2
    csrr s0, mcounteren
    andi s0, s0, 7
    ASSERT_IMM s0, 2
    csrwi mcounteren, 0
    csrr s0, mcounteren
    andi s0, s0, 7
    ASSERT_ZERO s0
    j pass
