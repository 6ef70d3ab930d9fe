/* sieve: sieve of Eratosthenes over the odd numbers below 2^21 (a 1 MiB byte
 * array), repeated ROUNDS times; the prime count is checked every round and
 * a checksum of the primes found is checked at the end. */
#include "bench.h"

#define LIMIT (1u << 21)           /* sieve [0, LIMIT) */
#define NODD (LIMIT / 2)           /* flag[i] represents 2*i+1 */
#define ROUNDS 18
#define PRIMES_BELOW_LIMIT 155611  /* pi(2^21) */

static uint8_t composite[NODD];

static uint32_t sieve(uint64_t *sum)
{
    for (uint32_t i = 0; i < NODD; i++) composite[i] = 0;
    composite[0] = 1;                                  /* 1 is not prime */
    for (uint32_t i = 1; (2 * i + 1) * (2 * i + 1) < LIMIT; i++) {
        if (composite[i]) continue;
        uint32_t p = 2 * i + 1;
        for (uint32_t j = (p * p) / 2; j < NODD; j += p) composite[j] = 1;
    }
    uint32_t count = 1;                                /* the prime 2 */
    uint64_t s = 2;
    for (uint32_t i = 1; i < NODD; i++)
        if (!composite[i]) { count++; s += (uint64_t)(2 * i + 1) * count; }
    *sum = s;
    return count;
}

int main(unsigned long hartid)
{
    if (hartid) return 0;
    uint64_t total = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t s;
        uint32_t n = sieve(&s);
        BENCH_EXPECT(1, n, PRIMES_BELOW_LIMIT);
        total += s;
    }
    bench_report_instret();
    BENCH_EXPECT(2, total, 0x041d702dcfe7f326ull);
    return 0;
}
