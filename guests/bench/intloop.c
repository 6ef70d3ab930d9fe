/* intloop: a tight counted integer loop of adds, xors, shifts and rotates on
 * a few 64-bit registers (about 10 instructions per iteration, no memory). */
#include "bench.h"

#define ITERS 30000000u

static uint64_t run(uint64_t seed)
{
    uint64_t a = seed, b = 0x9e3779b97f4a7c15ull, c = 0x0123456789abcdefull;
    for (uint32_t i = 0; i < ITERS; i++) {
        a += b ^ i;
        b = (b << 13 | b >> 51) + c;
        c ^= a >> 7;
        a -= c << 3;
    }
    return a ^ b ^ c;
}

int main(unsigned long hartid)
{
    if (hartid) return 0;
    uint64_t r = run(1);
    bench_report_instret();
    BENCH_EXPECT(1, r, 0x0e6adaabf15fca6bull);
    return 0;
}
