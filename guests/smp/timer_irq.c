/* timer_irq: each of 4 harts arms its own CLINT mtimecmp DELTA ticks ahead,
 * enables mie.MTIE + mstatus.MIE and sleeps in wfi until the machine timer
 * interrupt (mcause = (1<<63)|7) arrives; the handler checks mtime has
 * reached mtimecmp, disarms the timer and counts. Each hart takes COUNT
 * interrupts and checks that mtime never goes backwards; after a barrier
 * hart 0 checks every hart's count and the elapsed time.
 * Exit codes: 0 ok; 0x1xx/0x2xx unexpected trap; 5x handler check failed;
 * 6x count/time mismatch. */
#define SMP_CUSTOM_TRAP_HANDLER
#include "smp.h"

#define NHARTS 4
#define COUNT 8
#define DELTA 10000          /* 1 ms at 10 MHz */

static volatile uint32_t irqs[NHARTS];
static volatile uint64_t last_seen[NHARTS];  /* last mtime the hart read */
static volatile uint64_t start_time[NHARTS], end_time[NHARTS];
static volatile uint32_t spurious_wakes[NHARTS];
static volatile uint64_t global_max;          /* largest mtime any hart read */
static barrier_t bar;

/* mtime is one shared register: a read must not be below this hart's previous
 * read, nor below any value another hart published before this read. */
static void check_monotonic(unsigned h, uint64_t now)
{
    if (now < last_seen[h]) smp_fail(51);
    last_seen[h] = now;
    uint64_t old;
    __asm__ volatile("amomaxu.d.aqrl %0, %2, (%1)" : "=r"(old) : "r"(&global_max), "r"(now) : "memory");
}

static uint64_t mtime_read_checked(unsigned h)
{
    uint64_t g = global_max;
    __asm__ volatile("fence iorw, iorw" ::: "memory");
    uint64_t now = mtime_read();
    if (now < g) smp_fail(57);
    check_monotonic(h, now);
    return now;
}

void trap_handler(struct trap_frame *f)
{
    unsigned h = (unsigned)read_csr_mhartid();
    if (f->mcause != MCAUSE_MTI)
        smp_fail((f->mcause >> 63 ? 0x200 : 0x100) | (unsigned)(f->mcause & 0xff));
    uint64_t now = mtime_read_checked(h);
    if ((csr_read(mip) & MIP_MTIP) == 0) smp_fail(52);     /* pending while taken */
    if (now < mtimecmp_read(h)) smp_fail(53);             /* not early */
    mtimecmp_write(h, ~0ul);                              /* disarm: MTIP drops */
    if (csr_read(mip) & MIP_MTIP) smp_fail(54);
    amoadd_w(&irqs[h], 1);
    trap_skip_wfi(f);
}

int main(unsigned long hartid)
{
    if (hartid >= NHARTS) return 0;
    unsigned h = (unsigned)hartid;
    trap_init();
    mtimecmp_write(h, ~0ul);
    csr_write(mie, MIE_MTIE);
    start_time[h] = mtime_read();
    last_seen[h] = start_time[h];

    for (unsigned i = 0; i < COUNT; i++) {
        uint64_t target = mtime_read_checked(h) + DELTA;
        mtimecmp_write(h, target);
        csr_set(mstatus, MSTATUS_MIE);
        while (irqs[h] == i) {
            smp_wfi();
            if (irqs[h] == i) spurious_wakes[h]++;
            mtime_read_checked(h);
        }
        csr_clear(mstatus, MSTATUS_MIE);
        if (irqs[h] != i + 1) smp_fail(55);
        if (mtime_read_checked(h) < target) smp_fail(56);
    }
    csr_write(mie, 0);
    end_time[h] = mtime_read_checked(h);

    barrier_wait(&bar, NHARTS);
    if (h != 0) return 0;
    for (unsigned t = 0; t < NHARTS; t++) {
        if (irqs[t] != COUNT) return 60 + t;
        if (end_time[t] - start_time[t] < (uint64_t)COUNT * DELTA) return 64;
    }
    /* mtime is shared: a later read on hart 0 is not before any hart's end */
    uint64_t now = mtime_read();
    for (unsigned t = 0; t < NHARTS; t++)
        if (now < end_time[t]) return 65;
    return 0;
}
