/* timer_wait: hart 0 sleeps in wfi until its timer, 10 ms of guest time (100000 mtime ticks)
 * after it read mtime, then passes. Under a plugin that owns time (ips) the wait ends only if
 * guest time moves while the hart is idle. Other harts park. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, park
    li t0, CLINT_MTIME
    ld t1, 0(t0)
    li t2, 100000
    add t1, t1, t2
    li t0, CLINT_MTIMECMP(0)
    sd t1, 0(t0)
    li t0, 0x80                 /* MTIE; mstatus.MIE stays 0: wfi wakes, no trap */
    csrw mie, t0
1:  wfi
    csrr t0, mip
    andi t0, t0, 0x80
    beqz t0, 1b
    GUEST_PASS
park:
    wfi
    j park
