/* Every hart spins in a counting loop forever: busy vCPUs for the lifecycle tests. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    li t0, 0
1:  addi t0, t0, 1
    xor t1, t0, a0
    j 1b
