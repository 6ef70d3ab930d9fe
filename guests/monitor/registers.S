/* Every hart loads known values into x1..x31 and the M-mode CSRs, writes "R\n" to the UART
 * (with registers already final), then sleeps in WFI for good: fixed register contents and
 * known memory for the monitor's tests (info registers, x, xp, p). No interrupt is enabled. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    li t0, 0x80000200           /* mtvec: the table below (never used) */
    csrw mtvec, t0
    li t0, 0x0123456789abcdef
    csrw mscratch, t0
    li t0, 0x80000abc
    csrw mepc, t0
    li t0, 0x8000000000000007
    csrw mcause, t0
    li t0, 0xdeadbeef
    csrw mtval, t0
    li t0, 0x80                 /* mstatus.MPIE */
    csrw mstatus, t0
    la x31, values
    ld x1, 8(x31)
    ld x2, 16(x31)
    ld x3, 24(x31)
    ld x4, 32(x31)
    ld x5, 40(x31)
    ld x6, 48(x31)
    ld x7, 56(x31)
    ld x8, 64(x31)
    ld x9, 72(x31)
    ld x10, 80(x31)
    ld x11, 88(x31)
    ld x12, 96(x31)
    ld x13, 104(x31)
    ld x14, 112(x31)
    ld x15, 120(x31)
    ld x16, 128(x31)
    ld x17, 136(x31)
    ld x18, 144(x31)
    ld x19, 152(x31)
    ld x20, 160(x31)
    ld x21, 168(x31)
    ld x22, 176(x31)
    ld x23, 184(x31)
    ld x24, 192(x31)
    ld x25, 200(x31)
    ld x26, 208(x31)
    ld x27, 216(x31)
    ld x28, 224(x31)
    ld x29, 232(x31)
    ld x30, 240(x31)
    ld x31, 248(x31)
    sb x29, 0(x30)              /* 'R' */
    sb x28, 0(x30)              /* '\n' flushes the console */
    j park
    .org 0x180
park:                           /* 0x80000180: a hart sleeps here with pc = 0x80000184 */
    wfi
    j park
    .org 0x200
values:                         /* x0..x31: i * 0x0101010101010101, but x28 = '\n', x29 = 'R', x30 = the UART */
    .dword 0x0000000000000000
    .dword 0x0101010101010101
    .dword 0x0202020202020202
    .dword 0x0303030303030303
    .dword 0x0404040404040404
    .dword 0x0505050505050505
    .dword 0x0606060606060606
    .dword 0x0707070707070707
    .dword 0x0808080808080808
    .dword 0x0909090909090909
    .dword 0x0a0a0a0a0a0a0a0a
    .dword 0x0b0b0b0b0b0b0b0b
    .dword 0x0c0c0c0c0c0c0c0c
    .dword 0x0d0d0d0d0d0d0d0d
    .dword 0x0e0e0e0e0e0e0e0e
    .dword 0x0f0f0f0f0f0f0f0f
    .dword 0x1010101010101010
    .dword 0x1111111111111111
    .dword 0x1212121212121212
    .dword 0x1313131313131313
    .dword 0x1414141414141414
    .dword 0x1515151515151515
    .dword 0x1616161616161616
    .dword 0x1717171717171717
    .dword 0x1818181818181818
    .dword 0x1919191919191919
    .dword 0x1a1a1a1a1a1a1a1a
    .dword 0x1b1b1b1b1b1b1b1b
    .dword 0x000000000000000a
    .dword 0x0000000000000052
    .dword 0x0000000010000000
    .dword 0x1f1f1f1f1f1f1f1f
