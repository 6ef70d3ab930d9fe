/* irq_mtimer: machine timer interrupt from CLINT mtime (0x200BFF8, 10 MHz) /
 * mtimecmp (0x2004000 + 8*hart). mtime advances; mip.MTIP = (mtime >= mtimecmp);
 * gating by mstatus.MIE and mie.MTIE; taken as mcause = (1<<63)|7, mtval = 0;
 * a timer armed in the future fires no earlier than mtimecmp; wfi sleeps until
 * it (MIE = 1: trapped, mepc after the wfi or later if wfi returned early;
 * MIE = 0: wfi returns, no trap); writing mtimecmp in the future clears MTIP. */
#include "trap_test.h"
    .section .text.init
    .globl _start
_start:
    PARK_OTHER_HARTS
    TRAP_INIT
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    CLINT_QUIET
    li s0, CLINT_MTIMECMP(0)
    li s1, CLINT_MTIME

    TEST 1                      /* mtime advances */
    ld s2, 0(s1)
    li t0, 1000000
1:  ld s3, 0(s1)
    bne s3, s2, 2f
    addi t0, t0, -1
    bnez t0, 1b
    j fail
2:  ASSERT_LTU s2, s3
    TEST 2                      /* mtimecmp reads back; MTIP clear in the future */
    ld s2, 0(s1)
    li t0, 0x100000000
    add s2, s2, t0
    sd s2, 0(s0)
    ld t0, 0(s0)
    ASSERT_EQ t0, s2
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 7
    TEST 3                      /* mtimecmp <= mtime: MTIP, not taken (MIE = 0) */
    li t0, MIE_MTIE
    csrw mie, t0
    ARM_TRAP
    ld t0, 0(s1)
    sd t0, 0(s0)
    csrr t0, mip
    ASSERT_BIT_SET t0, 7
    CHECK_NO_TRAP
    TEST 4                      /* MIE = 1 but mie = 0: not taken */
    csrw mie, zero
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    CHECK_NO_TRAP
    TEST 5                      /* both enabled: taken at once */
    li t0, MIE_MTIE
    csrw mie, t0
    li t0, 0x1234
    csrw mtval, t0
    ARM_TRAP
    csrsi mstatus, MSTATUS_MIE
3:  nop
    CHECK_TRAP CAUSE_MTI
    CHECK_EPC 3b
    CHECK_TVAL 0
    ld t0, TA_STATUS(tp)
    ASSERT_FIELD t0, (MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE), (MSTATUS_MPP | MSTATUS_MPIE)
    ld t0, TA_MIP(tp)
    ASSERT_BIT_SET t0, 7
    TEST 6                      /* mtimecmp in the future clears MTIP */
    li t0, -1
    sd t0, 0(s0)
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 7
    TEST 7                      /* fires 0.5 ms ahead, not before, while spinning (MIE = 1) */
    ld s2, 0(s1)
    li t0, 5000
    add s2, s2, t0              /* s2 = deadline */
    li t0, 10000000
    add s3, s2, t0              /* s3 = give up (1 s later) */
    ARM_TRAP
    li t0, MIE_MTIE
    sd s2, 0(s0)
    csrs mie, t0
4:  ld t0, TA_COUNT(tp)
    bnez t0, 5f
    ld t1, 0(s1)
    bltu t1, s3, 4b
    j fail
5:  ld t1, 0(s1)
    ASSERT_GEU t1, s2           /* not early */
    CHECK_TRAP CAUSE_MTI
    ld t0, TA_EPC(tp)
    la t1, 4b
    ASSERT_GEU t0, t1
    la t1, 5b
    ASSERT_GEU t1, t0
    li t0, -1
    sd t0, 0(s0)
    TEST 8                      /* wfi with MIE = 1 sleeps until the timer (5 ms), which is taken */
    ld s2, 0(s1)
    li t0, 50000
    add s2, s2, t0
    li t0, 10000000
    add s3, s2, t0
    ARM_TRAP
    sd s2, 0(s0)
    li t0, MIE_MTIE
    csrs mie, t0
    wfi
6:  ld t0, TA_COUNT(tp)         /* wfi may also return early */
    bnez t0, 7f
    ld t1, 0(s1)
    bltu t1, s3, 6b
    j fail
7:  ld t1, 0(s1)
    ASSERT_GEU t1, s2
    CHECK_TRAP CAUSE_MTI
    ld t0, TA_EPC(tp)
    la t1, 6b
    ASSERT_GEU t0, t1
    la t1, 7b
    ASSERT_GEU t1, t0
    li t0, -1
    sd t0, 0(s0)
    TEST 9                      /* wfi with MIE = 0: returns once pending (5 ms), no trap */
    csrci mstatus, MSTATUS_MIE
    ld s2, 0(s1)
    li t0, 50000
    add s2, s2, t0
    li t0, 10000000
    add s3, s2, t0
    ARM_TRAP
    sd s2, 0(s0)
    li t0, MIE_MTIE
    csrs mie, t0
    wfi
8:  csrr t0, mip
    andi t0, t0, MIP_MTIP
    bnez t0, 9f
    ld t1, 0(s1)
    bltu t1, s3, 8b
    j fail
9:  ld t1, 0(s1)
    ASSERT_GEU t1, s2
    CHECK_NO_TRAP
    TEST 10                     /* clear */
    li t0, -1
    sd t0, 0(s0)
    csrr t0, mip
    ASSERT_BIT_CLEAR t0, 7
    csrw mie, zero
    j pass
