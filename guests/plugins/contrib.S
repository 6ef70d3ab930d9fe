/* The guest the contrib-style built-in plugins (cache, howvec, bbv, drcov) and the instruction
 * metadata are tested on, single hart, recorded on qemu-system-riscv64 for comparison
 * (tests/Rivet.Plugins.Tests/Data/README.md). No compressed instructions (QEMU 7.2's howvec reads
 * 32 bits of opcode) and every count is known:
 *   fill:   1024 sd over an 8 KiB page-aligned buffer (128 cache lines)
 *   sum:    128 ld, one per 64-byte line of the buffer; called twice (all hits after fill)
 *   stream: 512 ld, one per line of a 32 KiB region; called twice (with the default 16 KiB
 *           8-way L1D every load misses under LRU and FIFO: each set cycles through 16 lines)
 *   misc:   one of each class the test names (mul, amoadd, csrr, fence, ecall is not used)
 * Functions are ELF function symbols; `nosize` has no .size, so QEMU's rules stretch it to the
 * next symbol (`stream`). */
#include "guest.h"
    .option norvc
    .section .text.init
    .globl _start
    .type _start, @function
_start:
    la a0, buffer
    li a1, 8192
    call fill
    la a0, buffer
    li a1, 8192
    call sum
    la a0, buffer
    li a1, 8192
    call sum
    la a0, region
    li a1, 32768
    call stream
    la a0, region
    li a1, 32768
    call stream
    call misc
    call nosize
    li t0, FINISHER_BASE
    li t1, FINISHER_PASS
    sw t1, 0(t0)
1:  wfi
    j 1b
    .size _start, .-_start

    .globl fill
    .type fill, @function
fill:
    add a2, a0, a1
1:  sd zero, 0(a0)
    addi a0, a0, 8
    bltu a0, a2, 1b
    ret
    .size fill, .-fill

    .globl sum
    .type sum, @function
sum:
    add a2, a0, a1
    li a3, 0
1:  ld a4, 0(a0)
    add a3, a3, a4
    addi a0, a0, 64
    bltu a0, a2, 1b
    mv a0, a3
    ret
    .size sum, .-sum

    .globl misc
    .type misc, @function
misc:
    la t2, buffer
    li t3, 3
    mul t4, t3, t3
    amoadd.d t5, t4, (t2)
    csrr t6, mhartid
    fence
    jr ra
    .size misc, .-misc

    .globl nosize
    .type nosize, @function
nosize:
    nop
    ret

    .globl stream
    .type stream, @function
stream:
    add a2, a0, a1
1:  ld a4, 0(a0)
    addi a0, a0, 64
    bltu a0, a2, 1b
    ret
    .size stream, .-stream

    .section .bss
    .align 12
buffer: .space 8192
region: .space 32768
