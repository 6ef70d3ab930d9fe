/* umode_counters: U-mode reads of cycle, time and instret trap as illegal
 * instruction unless the matching mcounteren bit (CY = 0, TM = 1, IR = 2) is
 * set; each bit enables exactly its counter. With all three set the values are
 * sane: cycle/instret advance, time lies between M-mode mtime reads.
 * QEMU 7.2 has S-mode, where U access also needs the scounteren bit, so
 * scounteren is set to 7 first; Rivet has no S-mode and may trap on that write
 * (accepted). Writes to the counters from U always trap. */
#include "trap_test.h"

/* U-mode: reading counter csr must trap / must not */
.macro U_CTR_TRAPS csr
    li a0, 0x5a5a
    EXPECT_ILLEGAL csrr a0, \csr
    ASSERT_IMM a0, 0x5a5a
.endm
.macro U_CTR_OK csr
    EXPECT_NO_TRAP csrr a0, \csr
.endm
/* U-mode: return to M at label */
.macro BACK_TO_M label
    ARM_TRAP_RESUME \label
    ecall
    j fail
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    CLINT_QUIET
    PMP_ALLOW_ALL
    ARM_TRAP                    /* scounteren (0x106) may not exist */
    csrwi 0x106, 7
    DISARM

    TEST 1                      /* mcounteren = 0: all three trap */
    csrwi mcounteren, 0
    ENTER_UMODE u1
m1: TEST 2                      /* CY only */
    csrwi mcounteren, 1
    ENTER_UMODE u2
m2: TEST 3                      /* TM only */
    csrwi mcounteren, 2
    ENTER_UMODE u3
m3: TEST 4                      /* IR only */
    csrwi mcounteren, 4
    ENTER_UMODE u4
m4: TEST 5                      /* all three, values sane */
    csrwi mcounteren, 7
    li t0, CLINT_MTIME
    ld s1, 0(t0)                /* mtime before */
    ENTER_UMODE u5
m5: li t0, CLINT_MTIME
    ld s2, 0(t0)                /* mtime after */
    TEST 6
    ASSERT_GEU s3, s1           /* U's time read lies between */
    ASSERT_GEU s2, s3
    csrwi mcounteren, 0
    j pass

u1: U_CTR_TRAPS cycle
    U_CTR_TRAPS time
    U_CTR_TRAPS instret
    BACK_TO_M m1
u2: U_CTR_OK cycle
    U_CTR_TRAPS time
    U_CTR_TRAPS instret
    BACK_TO_M m2
u3: U_CTR_TRAPS cycle
    U_CTR_OK time
    U_CTR_TRAPS instret
    BACK_TO_M m3
u4: U_CTR_TRAPS cycle
    U_CTR_TRAPS time
    U_CTR_OK instret
    BACK_TO_M m4
u5: U_CTR_OK cycle
    U_CTR_OK time
    U_CTR_OK instret
    csrr s3, time
    rdcycle a0
    rdcycle a1
    ASSERT_GEU a1, a0
    rdinstret a0
    rdinstret a1
    ASSERT_LTU a0, a1
    TEST 7                      /* writes from U trap even when enabled */
    EXPECT_ILLEGAL csrw cycle, zero
    EXPECT_ILLEGAL csrw instret, zero
    EXPECT_ILLEGAL csrwi time, 0
    BACK_TO_M m5
