/* spinlock: 4 harts increment plain (non-atomic) shared counters inside an
 * amoswap.w.aq / amoswap.w.rl spinlock. Inside the critical section each hart
 * also records itself as owner and checks nobody else entered, and keeps two
 * counters in a fixed relation. Total must be exactly NHARTS * N.
 * Exit codes: 0 ok; 7x mutual exclusion broken / totals wrong. */
#include "smp.h"

#define NHARTS 4
#define N 20000

static spinlock_t lock;
static uint64_t counter;          /* plain memory, protected by lock */
static uint64_t shadow;           /* always 3 * counter + 1 after init */
static uint32_t owner;            /* hart id + 1 while held */
static uint32_t per_hart[NHARTS];
static volatile uint32_t violations;
static barrier_t bar;

int main(unsigned long hartid)
{
    if (hartid >= NHARTS) return 0;
    unsigned h = (unsigned)hartid;
    if (h == 0) { spin_lock(&lock); shadow = 3 * counter + 1; spin_unlock(&lock); }
    barrier_wait(&bar, NHARTS);

    for (unsigned i = 0; i < N; i++) {
        spin_lock(&lock);
        /* plain accesses; the compiler barriers keep them inside the lock and
         * the separate load/store (not an AMO) is what the lock must protect */
        volatile uint32_t *own = &owner;
        if (*own != 0) amoadd_w(&violations, 1);
        *own = h + 1;
        uint64_t c = *(volatile uint64_t *)&counter;
        uint64_t s = *(volatile uint64_t *)&shadow;
        if (s != 3 * c + 1) amoadd_w(&violations, 1);
        for (volatile int d = 0; d < (int)(i & 3); d++) { } /* widen the window */
        *(volatile uint64_t *)&counter = c + 1;
        *(volatile uint64_t *)&shadow = s + 3;
        per_hart[h]++;
        if (*own != h + 1) amoadd_w(&violations, 1);
        *own = 0;
        spin_unlock(&lock);
    }
    barrier_wait(&bar, NHARTS);
    if (h != 0) return 0;

    if (violations) return 70;
    if (counter != (uint64_t)NHARTS * N) return 71;
    if (shadow != 3 * counter + 1) return 72;
    for (unsigned t = 0; t < NHARTS; t++)
        if (per_hart[t] != N) return 73;
    if (lock.locked) return 74;
    return 0;
}
