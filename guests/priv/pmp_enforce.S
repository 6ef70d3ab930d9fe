/* pmp_enforce: PMP checks as QEMU 7.2 makes them.
 * With every entry OFF, mret to U is an illegal instruction (QEMU 7.2). With
 * one entry that does not cover the code, U cannot even fetch (S/U accesses
 * that match no entry are denied): entering U gives a fetch access fault at
 * the entry point. With entries set, the lowest-numbered matching entry
 * decides: an NA4 read-only word (store: 7, tval = address), a TOR range
 * with no permissions (load 5 / store 7), an access only partly inside an
 * entry is denied to U (default rule); a NAPOT entry over RAM allows the
 * rest. M-mode ignores the permissions of unlocked entries, but an access
 * partly inside an entry is denied to M as well (QEMU 7.2); a locked entry
 * binds M too and its pmpcfg/pmpaddr no longer change. */
#include "priv_test.h"

#define CFG_R 1
#define CFG_W 2
#define CFG_X 4
#define CFG_TOR 0x08
#define CFG_NA4 0x10
#define CFG_NAPOT 0x18
#define CFG_L 0x80

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    csrw pmpcfg0, zero
    csrw pmpcfg2, zero
    li s2, MSTATUS_MPIE
    csrc mstatus, s2

    TEST 1                      /* no entry at all: QEMU 7.2 makes mret to U illegal */
    li t6, MSTATUS_MPP
    csrc mstatus, t6
    la t6, u1
    csrw mepc, t6
    ARM_TRAP
1:  mret
    CHECK_TRAP CAUSE_ILLEGAL_INSN
    CHECK_EPC 1b
    TEST 11                     /* one entry (not over the code): U cannot fetch */
    la t0, ro
    srli t0, t0, 2
    csrw pmpaddr0, t0
    li t0, CFG_NA4 | CFG_R
    csrw pmpcfg0, t0
    ARM_TRAP_RESUME m1
    ENTER_UMODE u1
m1: CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_EPC u1
    la t0, u1
    CHECK_TVAL_REG t0

    /* entries: 0 NA4 R at ro; 1-2 TOR [none, none + 64) no permission;
     * 3 NAPOT RWX over 0x80000000 + 64 MiB; 4 NAPOT RW over 0 .. 2 GiB (devices) */
    la t0, ro
    srli t0, t0, 2
    csrw pmpaddr0, t0
    la t0, none
    srli t0, t0, 2
    csrw pmpaddr1, t0
    la t0, none + 64
    srli t0, t0, 2
    csrw pmpaddr2, t0
    li t0, (0x80000000 | (0x2000000 - 1)) >> 2
    csrw pmpaddr3, t0
    li t0, (0x40000000 - 1) >> 2
    csrw pmpaddr4, t0
    li t0, ((CFG_NAPOT | CFG_R | CFG_W) << 32) | ((CFG_NAPOT | CFG_R | CFG_W | CFG_X) << 24) | (CFG_TOR << 16) | (CFG_NA4 | CFG_R)
    csrw pmpcfg0, t0
    TEST 2
    ENTER_UMODE u2
m2: CHECK_TRAP CAUSE_USER_ECALL

    TEST 8                      /* M ignores the permissions of unlocked entries */
    la s0, ro
    EXPECT_NO_TRAP sw s0, 0(s0)
    ARM_TRAP                    /* but an access partly inside one is denied, M or not */
    sd s0, 0(s0)
    CHECK_TRAP CAUSE_STORE_ACCESS
    la s1, none
    EXPECT_NO_TRAP ld t0, 0(s1)
    TEST 9                      /* a locked NA4 read-only entry binds M (RAM past entry 3's 64 MiB) */
    li s3, 0x84000000
    srli t0, s3, 2
    csrw pmpaddr5, t0
    li t0, (CFG_L | CFG_NA4 | CFG_R) << 40
    csrs pmpcfg0, t0
    EXPECT_NO_TRAP lw t0, 0(s3)
    ARM_TRAP
1:  sw t0, 0(s3)
    CHECK_TRAP CAUSE_STORE_ACCESS
    CHECK_EPC 1b
    CHECK_TVAL_REG s3
    EXPECT_NO_TRAP sw t0, 4(s3)  /* the next word matches no entry: M may */
    TEST 10                     /* locked: cfg and address stay */
    li t0, 0xff << 40
    csrc pmpcfg0, t0
    csrr t0, pmpcfg0
    srli t0, t0, 40
    andi t0, t0, 0xff
    ASSERT_IMM t0, CFG_L | CFG_NA4 | CFG_R
    csrw pmpaddr5, zero
    csrr t0, pmpaddr5
    srli t1, s3, 2
    ASSERT_EQ t0, t1
    j pass

u1: j fail

u2: TEST 3                      /* U: load of the read-only word, store refused */
    la s0, ro
    EXPECT_NO_TRAP lw t0, 0(s0)
    ARM_TRAP
1:  sw t0, 0(s0)
    CHECK_TRAP CAUSE_STORE_ACCESS
    CHECK_EPC 1b
    CHECK_TVAL_REG s0
    TEST 4                      /* the next word falls to entry 3 */
    EXPECT_NO_TRAP sw t0, 4(s0)
    TEST 5                      /* TOR without permissions */
    la s1, none
    ARM_TRAP
    ld t0, 8(s1)
    CHECK_TRAP CAUSE_LOAD_ACCESS
    addi t1, s1, 8
    CHECK_TVAL_REG t1
    ARM_TRAP
    sd t0, 56(s1)
    CHECK_TRAP CAUSE_STORE_ACCESS
    TEST 6                      /* partly inside the TOR range (its last word and the next): denied */
    ARM_TRAP
    ld t0, 60(s1)
    CHECK_TRAP CAUSE_LOAD_ACCESS
    TEST 7                      /* just after it: entry 3 */
    EXPECT_NO_TRAP ld t0, 64(s1)
    ARM_TRAP_RESUME m2
    ecall

    .section .data
    .balign 64
ro: .word 0x1234, 0
    .balign 64
none: .zero 64
after: .zero 64
