/* Shared definitions for Rivet guest programs (assembly and C).
 * Devices sit at QEMU virt addresses; see docs/ARCHITECTURE.md. */
#ifndef RIVET_GUEST_H
#define RIVET_GUEST_H

#define FINISHER_BASE   0x100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333
#define FINISHER_RESET  0x7777
#define UART_BASE       0x10000000
#define CLINT_BASE      0x2000000
#define CLINT_MSIP(h)     (CLINT_BASE + 4 * (h))
#define CLINT_MTIMECMP(h) (CLINT_BASE + 0x4000 + 8 * (h))
#define CLINT_MTIME       (CLINT_BASE + 0xBFF8)
#define STACK_SIZE      0x4000   /* per hart */
#define MAX_HARTS       8

#ifdef __ASSEMBLER__
/* Exit through the SiFive test finisher: pass (code 0). Clobbers t0, t1. */
#define GUEST_PASS            \
    li t0, FINISHER_BASE;     \
    li t1, FINISHER_PASS;     \
    sw t1, 0(t0);             \
1:  j 1b
/* Exit with failure code `reg` (1..65535). Clobbers t0, t1. */
#define GUEST_FAIL_REG(reg)   \
    li t0, FINISHER_BASE;     \
    slli t1, reg, 16;         \
    li t0, FINISHER_FAIL;     \
    or t1, t1, t0;            \
    li t0, FINISHER_BASE;     \
    sw t1, 0(t0);             \
1:  j 1b
/* The HTIF mailboxes riscv-tests and spike use: tohost and fromhost, 64-byte aligned, in a
 * section of their own. */
#define HTIF_MAILBOXES                 \
    .section .tohost, "aw", @progbits; \
    .align 6;                          \
    .globl tohost;                     \
tohost: .dword 0;                      \
    .size tohost, 8;                   \
    .align 6;                          \
    .globl fromhost;                   \
fromhost: .dword 0;                    \
    .size fromhost, 8
#else
#include <stdint.h>
static inline void guest_exit(unsigned code)
{
    volatile uint32_t *f = (volatile uint32_t *)FINISHER_BASE;
    *f = code == 0 ? FINISHER_PASS : ((code << 16) | FINISHER_FAIL);
    for (;;) { }
}
static inline void uart_putc(char c)
{
    volatile uint8_t *u = (volatile uint8_t *)UART_BASE;
    while ((u[5] & 0x20) == 0) { } /* LSR.THRE */
    u[0] = (uint8_t)c;
}
static inline void uart_puts(const char *s) { while (*s) uart_putc(*s++); }
static inline uint64_t read_csr_mhartid(void) { uint64_t v; __asm__ volatile("csrr %0, mhartid" : "=r"(v)); return v; }
#endif
#endif
