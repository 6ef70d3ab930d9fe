/* Helpers for single-hart benchmark guests (guests/bench). Each benchmark is
 * deterministic and checks its own result: main() returns 0 when every
 * checksum matches, else the failing check's code.
 * Build with -DBENCH_REPORT to print each checksum and the retired
 * instruction count (minstret; exact under qemu -icount shift=0). */
#ifndef RIVET_BENCH_H
#define RIVET_BENCH_H
#include "guest.h"
#include <stddef.h>

#ifdef BENCH_REPORT
static inline void bench_put_hex(uint64_t v)
{
    uart_puts("0x");
    for (int i = 60; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
}
#define BENCH_EXPECT(code, val, expected) do {                        \
        uint64_t __v = (uint64_t)(val);                                 \
        uart_puts("check " #code ": "); bench_put_hex(__v);             \
        uart_puts(__v == (uint64_t)(expected) ? " ok\n" : " MISMATCH\n"); \
        if (__v != (uint64_t)(expected)) return (code);                 \
    } while (0)
static inline void bench_report_instret(void)
{
    uint64_t n;
    __asm__ volatile("csrr %0, minstret" : "=r"(n));
    uart_puts("minstret: "); bench_put_hex(n); uart_putc('\n');
}
#else
#define BENCH_EXPECT(code, val, expected) do {                        \
        if ((uint64_t)(val) != (uint64_t)(expected)) return (code);     \
    } while (0)
static inline void bench_report_instret(void) { }
#endif

/* xorshift64* pseudo-random generator (deterministic) */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* GCC may turn loops into memset/memcpy calls even freestanding; supply them. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}
#endif
