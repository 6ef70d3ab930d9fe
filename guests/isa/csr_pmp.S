/* csr_pmp: pmpcfg0/pmpcfg2 and pmpaddr0..15 accept writes without trapping.
 * Whether PMP entries exist is implementation-defined (with none, the CSRs
 * read zero), so a read-back must be 0 or the written value (QEMU keeps it;
 * entries stay unlocked, G = 0). Memory stays accessible afterwards. */
#include "trap_test.h"

/* write v to csr, read back: 0 or v */
.macro PMP_RW csr, v
    li s1, \v
    EXPECT_NO_TRAP csrw \csr, s1
    csrr s0, \csr
    beqz s0, .Lok\@
    ASSERT_EQ s0, s1
.Lok\@:
.endm

    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT

    TEST 1                      /* pmpaddr0..15 (entries still OFF) */
    csrw pmpcfg0, zero
    csrw pmpcfg2, zero
    PMP_RW pmpaddr0, 0x12345
    PMP_RW pmpaddr1, 0x20000000
    PMP_RW pmpaddr2, 0x1fffffff
    PMP_RW pmpaddr3, 0x3
    PMP_RW pmpaddr4, 0x4000
    PMP_RW pmpaddr5, 0x5000
    PMP_RW pmpaddr6, 0x6000
    PMP_RW pmpaddr7, 0x7000
    PMP_RW pmpaddr8, 0x8000
    PMP_RW pmpaddr9, 0x9000
    PMP_RW pmpaddr10, 0xa000
    PMP_RW pmpaddr11, 0xb000
    PMP_RW pmpaddr12, 0xc000
    PMP_RW pmpaddr13, 0xd000
    PMP_RW pmpaddr14, 0xe000
    PMP_RW pmpaddr15, 0xf000
    TEST 2                      /* pmpcfg2: TOR entries 8, 9 with RWX (no lock) */
    PMP_RW pmpcfg2, 0x0f0f
    csrw pmpcfg2, zero
    TEST 3                      /* pmpaddr0 = all ones, pmpcfg0 = NAPOT|X|W|R (what U-mode tests use) */
    li s1, -1
    EXPECT_NO_TRAP csrw pmpaddr0, s1
    PMP_RW pmpcfg0, 0x1f
    TEST 4                      /* memory still readable / writable / executable in M */
    la s2, word
    li s1, 0x1234abcd
    sw s1, 0(s2)
    lw s0, 0(s2)
    ASSERT_EQ s0, s1
    call leaf
    ASSERT_IMM a0, 42
    TEST 5                      /* csrrs x0 read forms */
    EXPECT_NO_TRAP csrrs s0, pmpcfg0, x0
    EXPECT_NO_TRAP csrrs s0, pmpaddr0, x0
    j pass
leaf:
    li a0, 42
    ret
    .data
    .balign 8
word: .dword 0
