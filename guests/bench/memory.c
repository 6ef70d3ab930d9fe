/* memory: memory-bound work over ~10 MiB. STREAM-like copy/scale/add/triad
 * kernels over three 2 MiB arrays of 64-bit words, then pointer chasing
 * around a randomly linked ring of 256 Ki 16-byte nodes (4 MiB; one cycle
 * through every node, built with Sattolo's shuffle). Checksums of both parts
 * are checked at the end. */
#include "bench.h"

#define NWORDS (256 * 1024)          /* per array: 2 MiB */
#define STREAM_ROUNDS 20
#define NNODES (256 * 1024)          /* 16 B each: 4 MiB */
#define CHASE_LAPS 32

struct node { struct node *next; uint64_t value; };

static uint64_t a[NWORDS], b[NWORDS], c[NWORDS];
static struct node nodes[NNODES];
static uint32_t perm[NNODES];

int main(unsigned long hartid)
{
    if (hartid) return 0;

    /* --- stream --- */
    uint64_t seed = 0x243f6a8885a308d3ull;
    for (uint32_t i = 0; i < NWORDS; i++) { a[i] = bench_rand(&seed); b[i] = 2; c[i] = 0; }
    for (int r = 0; r < STREAM_ROUNDS; r++) {
        for (uint32_t i = 0; i < NWORDS; i++) c[i] = a[i];               /* copy */
        for (uint32_t i = 0; i < NWORDS; i++) b[i] = 3 * c[i];           /* scale */
        for (uint32_t i = 0; i < NWORDS; i++) c[i] = a[i] + b[i];        /* add */
        for (uint32_t i = 0; i < NWORDS; i++) a[i] = b[i] + 3 * c[i] + r;/* triad */
    }
    uint64_t stream_sum = 0;
    for (uint32_t i = 0; i < NWORDS; i++) stream_sum = (stream_sum ^ a[i] ^ (b[i] << 1) ^ (c[i] << 2)) * 0x100000001b3ull;

    /* --- pointer chase --- */
    for (uint32_t i = 0; i < NNODES; i++) perm[i] = i;
    for (uint32_t i = NNODES - 1; i > 0; i--) {          /* Sattolo: a single cycle */
        uint32_t j = (uint32_t)(bench_rand(&seed) % i);
        uint32_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    for (uint32_t i = 0; i < NNODES; i++) {
        nodes[i].next = &nodes[perm[i]];
        nodes[i].value = bench_rand(&seed) >> 40;
    }
    struct node *p = &nodes[0];
    uint64_t chase_sum = 0;
    for (int lap = 0; lap < CHASE_LAPS; lap++) {
        for (uint32_t k = 0; k < NNODES; k++) {
            p = p->next;
            chase_sum += p->value;
        }
        BENCH_EXPECT(1, p == &nodes[0], 1);              /* one lap = one cycle */
        chase_sum = chase_sum << 1 | chase_sum >> 63;
    }
    bench_report_instret();
    BENCH_EXPECT(2, stream_sum, 0x6daeba4fd50d57f4ull);
    BENCH_EXPECT(3, chase_sum, 0x46e47818b91b87e7ull);
    return 0;
}
