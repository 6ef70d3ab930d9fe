/* Hart 0 spins a few million iterations, then passes through the finisher; other harts spin.
 * Used to race the guest's own exit against a host SIGTERM. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    bnez a0, spin
    li t0, 3000000
1:  addi t0, t0, -1
    bnez t0, 1b
    GUEST_PASS
spin:
    j spin
