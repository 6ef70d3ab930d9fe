/* sort: quicksort (median-of-three, insertion sort for short ranges, recursion
 * on the smaller side) of 64 Ki pseudo-random 32-bit keys, ROUNDS times with a
 * new array each round. Each round checks the order and that the keys are a
 * permutation of the input (sum and xor); a weighted checksum of all sorted
 * arrays is checked at the end. */
#include "bench.h"

#define N (64 * 1024)
#define ROUNDS 40

static uint32_t a[N];

static void insertion_sort(uint32_t *lo, uint32_t *hi)   /* [lo, hi] inclusive */
{
    for (uint32_t *p = lo + 1; p <= hi; p++) {
        uint32_t v = *p;
        uint32_t *q = p;
        while (q > lo && q[-1] > v) { *q = q[-1]; q--; }
        *q = v;
    }
}

static inline void swap(uint32_t *x, uint32_t *y) { uint32_t t = *x; *x = *y; *y = t; }

static void quicksort(uint32_t *lo, uint32_t *hi)
{
    while (hi - lo > 16) {
        uint32_t *mid = lo + (hi - lo) / 2;
        if (*mid < *lo) swap(mid, lo);
        if (*hi < *lo) swap(hi, lo);
        if (*hi < *mid) swap(hi, mid);
        uint32_t pivot = *mid;
        uint32_t *i = lo, *j = hi;
        for (;;) {                      /* Hoare partition */
            while (*i < pivot) i++;
            while (*j > pivot) j--;
            if (i >= j) break;
            swap(i, j);
            i++; j--;
        }
        /* [lo, j] <= pivot <= [j+1, hi] */
        if (j - lo < hi - j) { quicksort(lo, j); lo = j + 1; }
        else { quicksort(j + 1, hi); hi = j; }
    }
    insertion_sort(lo, hi);
}

int main(unsigned long hartid)
{
    if (hartid) return 0;
    uint64_t seed = 0xfeedfacecafebeefull;
    uint64_t check = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t sum_in = 0, xor_in = 0;
        for (uint32_t i = 0; i < N; i++) {
            uint32_t v = (uint32_t)(bench_rand(&seed) >> 32);
            if (r & 1) v &= 0xfff;          /* odd rounds: many duplicate keys */
            a[i] = v;
            sum_in += v;
            xor_in ^= v;
        }
        quicksort(a, a + N - 1);
        uint64_t sum_out = 0, xor_out = 0;
        uint32_t unsorted = 0;
        for (uint32_t i = 0; i < N; i++) {
            if (i && a[i - 1] > a[i]) unsorted++;
            sum_out += a[i];
            xor_out ^= a[i];
            check = check * 31 + a[i] * (uint64_t)(i + 1);
        }
        BENCH_EXPECT(1, unsorted, 0);
        BENCH_EXPECT(2, sum_out, sum_in);
        BENCH_EXPECT(3, xor_out, xor_in);
    }
    bench_report_instret();
    BENCH_EXPECT(4, check, 0x21ea5ab71ed581e6ull);
    return 0;
}
