/* race: 4 harts race on shared counters (amoadd tickets, and a plain load/add/store that
 * loses updates depending on how the harts interleave), send each other IPIs through the
 * CLINT's msip, take machine timer interrupts they keep re-arming, and finally sleep in WFI
 * until one more timer interrupt. Hart 0 then prints what the interleaving decided: the
 * racy counter, each hart's ticket hash, IPI and timer counts, the mtime sum at its timer
 * interrupts and its minstret. The run checks only that no amoadd was lost (exit 0); under
 * -icount the printed lines are the same on every run (the tests run it 10 times). */
#define SMP_CUSTOM_TRAP_HANDLER
#include "smp.h"

#define NHARTS 4
#define ITER 12000

static volatile uint64_t counter, racy;
static volatile uint64_t hashes[NHARTS], tsum[NHARTS], instret[NHARTS];
static volatile uint32_t ipis[NHARTS], timers[NHARTS];
static barrier_t bar;

static void put_dec(uint64_t v)
{
    char b[24];
    int i = 0;
    do { b[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i) uart_putc(b[--i]);
}

static uint64_t period(unsigned h) { return 300 + 70 * h; }

void trap_handler(struct trap_frame *f)
{
    unsigned h = (unsigned)read_csr_mhartid();
    if (f->mcause == MCAUSE_MSI) {
        ipi_clear(h);
        ipis[h]++;
    } else if (f->mcause == MCAUSE_MTI) {
        uint64_t now = mtime_read();
        tsum[h] += now;
        timers[h]++;
        mtimecmp_write(h, now + period(h));
    } else {
        smp_fail((f->mcause >> 63 ? 0x200 : 0x100) | (unsigned)(f->mcause & 0xff));
    }
    trap_skip_wfi(f);
}

int main(unsigned long hartid)
{
    if (hartid >= NHARTS) return 0;
    unsigned h = (unsigned)hartid;
    trap_init();
    mtimecmp_write(h, mtime_read() + period(h));
    csr_write(mie, MIE_MSIE | MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
    barrier_wait(&bar, NHARTS);

    uint64_t hash = h;
    for (unsigned i = 0; i < ITER; i++) {
        hash = hash * 31 + amoadd_d(&counter, 1);
        uint64_t v = racy;
        for (volatile unsigned d = 0; d < (i & 7); d++) { }
        racy = v + 1;
        if (i % 64 == h) ipi_send((h + 1) % NHARTS);
    }
    hashes[h] = hash;
    uint32_t t = timers[h];
    while (timers[h] == t) smp_wfi();
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, 0);
    instret[h] = csr_read(minstret);
    barrier_wait(&bar, NHARTS);
    if (h != 0) return 0;

    if (counter != NHARTS * ITER) smp_fail(61);
    uart_puts("counter ");
    put_dec(counter);
    uart_puts(" racy ");
    put_dec(racy);
    uart_putc('\n');
    for (unsigned i = 0; i < NHARTS; i++) {
        uart_puts("hart ");
        put_dec(i);
        uart_puts(" hash ");
        put_dec(hashes[i]);
        uart_puts(" ipis ");
        put_dec(ipis[i]);
        uart_puts(" timers ");
        put_dec(timers[i]);
        uart_puts(" mtime-sum ");
        put_dec(tsum[i]);
        uart_puts(" minstret ");
        put_dec(instret[i]);
        uart_putc('\n');
    }
    return 0;
}
