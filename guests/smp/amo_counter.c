/* amo_counter: 4 harts hammer shared counters with amoadd.w, amoadd.d, an
 * lr.d/sc.d retry loop and an lr.w/sc.w retry loop, plus amoor/amomax/amomin/
 * amoxor bookkeeping; after an amoadd barrier hart 0 checks every total is exact.
 * Exit codes: 0 ok; 1x counters wrong; 2x bookkeeping wrong. */
#include "smp.h"

#define NHARTS 4
#define N 100000

static volatile uint32_t cnt_w;
static volatile uint64_t cnt_d;
static volatile uint64_t cnt_lrsc_d;
static volatile uint32_t cnt_lrsc_w;
static volatile uint64_t mask;        /* amoor.d of 1 << hart */
static volatile uint64_t maxv;        /* amomaxu.d of (hart << 32 | i) */
static volatile int64_t minv = 0x7fffffffffffffffl; /* amomin.d of -(i+1) */
static volatile uint32_t xorv;        /* amoxor.w, applied an even number of times */
static volatile uint64_t sc_fail;     /* sc failures (informational) */
static barrier_t bar;

static inline void lrsc_add_d(volatile uint64_t *p, uint64_t v, uint64_t *fails)
{
    uint64_t old, rc;
    for (;;) {
        __asm__ volatile("lr.d.aq %0, (%2)\n"
                         "add %0, %0, %3\n"
                         "sc.d.rl %1, %0, (%2)\n"
                         : "=&r"(old), "=&r"(rc) : "r"(p), "r"(v) : "memory");
        if (rc == 0) return;
        ++*fails;
    }
}

static inline void lrsc_add_w(volatile uint32_t *p, uint32_t v)
{
    /* the whole retry loop in asm: lr/sc constrained loop */
    uint32_t tmp, rc;
    __asm__ volatile("1: lr.w.aqrl %0, (%2)\n"
                     "   addw %0, %0, %3\n"
                     "   sc.w.aqrl %1, %0, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(tmp), "=&r"(rc) : "r"(p), "r"(v) : "memory");
}

int main(unsigned long hartid)
{
    if (hartid >= NHARTS) return 0;
    uint64_t fails = 0;
    for (uint64_t i = 0; i < N; i++) {
        amoadd_w(&cnt_w, 1);
        amoadd_d(&cnt_d, 1);
        lrsc_add_d(&cnt_lrsc_d, 1, &fails);
        lrsc_add_w(&cnt_lrsc_w, 1);
        if ((i & 1023) == 0) {
            uint64_t m = (hartid << 32) | i, t;
            int64_t neg = -(int64_t)(i + 1), t2;
            uint32_t x = 0xa5a5a5a5u ^ (uint32_t)hartid, t3;
            __asm__ volatile("amomaxu.d %0, %2, (%1)" : "=r"(t) : "r"(&maxv), "r"(m) : "memory");
            __asm__ volatile("amomin.d %0, %2, (%1)" : "=r"(t2) : "r"(&minv), "r"(neg) : "memory");
            __asm__ volatile("amoxor.w %0, %2, (%1)" : "=r"(t3) : "r"(&xorv), "r"(x) : "memory");
            __asm__ volatile("amoxor.w %0, %2, (%1)" : "=r"(t3) : "r"(&xorv), "r"(x) : "memory");
        }
    }
    amoor_d(&mask, 1ul << hartid);
    amoadd_d(&sc_fail, fails);
    barrier_wait(&bar, NHARTS);
    if (hartid != 0) return 0;

    const uint64_t total = (uint64_t)NHARTS * N;
    if (cnt_w != (uint32_t)total) return 11;
    if (cnt_d != total) return 12;
    if (cnt_lrsc_d != total) return 13;
    if (cnt_lrsc_w != (uint32_t)total) return 14;
    if (mask != (1ul << NHARTS) - 1) return 21;
    uint64_t last_i = (N - 1) & ~1023ul;
    if (maxv != (((uint64_t)(NHARTS - 1) << 32) | last_i)) return 22;
    if (minv != -(int64_t)(last_i + 1)) return 23;
    if (xorv != 0) return 24;
    /* a second barrier round must work too (sense reversal) */
    return 0;
}
