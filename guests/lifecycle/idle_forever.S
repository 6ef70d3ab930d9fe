/* Every hart sleeps in wfi with no interrupt enabled: the machine is idle until the host
 * stops it. Used by the lifecycle tests (signals, pause latency, idle CPU cost). */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrw mie, zero
1:  wfi
    j 1b
