/* long_wfi: hart 0 arms its timer one hour of guest time ahead (36e9 ticks at 10 MHz) and
 * sleeps in WFI until it is pending, then passes. Under -icount sleep=off guest time jumps
 * there at once; with host time (or sleep=on) it would take the hour. Other harts park. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    li t0, CLINT_MTIME
    ld t1, 0(t0)
    li t2, 36000000000
    add t1, t1, t2
    li t0, CLINT_MTIMECMP(0)
    sd t1, 0(t0)
    li t0, 0x80             /* mie.MTIE; mstatus.MIE stays clear: WFI wakes, no trap */
    csrw mie, t0
1:  wfi
    csrr t0, mip
    andi t0, t0, 0x80
    beqz t0, 1b
    li t0, CLINT_MTIME
    ld t2, 0(t0)
    bltu t2, t1, fail       /* woke before the deadline */
    li t0, FINISHER_BASE
    li t1, FINISHER_PASS
    sw t1, 0(t0)
park:
    wfi
    j park
fail:
    li t0, FINISHER_BASE
    li t1, (1 << 16) | FINISHER_FAIL
    sw t1, 0(t0)
    j park
