/* The built-in Rivet demo (runs when the emulator is started with no
 * arguments, on 4 harts). Hart 0 prints a banner and wakes harts 1..3 one by
 * one with inter-processor interrupts; each says hello and IPIs hart 0 back.
 * Then hart 0 arms its CLINT timer, sleeps in wfi, takes the machine timer
 * interrupt, prints a summary and exits 0. Output is the same every run. */
#define SMP_CUSTOM_TRAP_HANDLER
#include "smp.h"

#define NHARTS 4
#define TIMER_TICKS 10000                 /* 1 ms at the 10 MHz CLINT clock */
#define REPLY_TIMEOUT (2ul * 10000000)    /* 2 s: give up on a missing hart */

static spinlock_t print_lock;
static volatile uint32_t hello_count;     /* amoadd-ed by every hart that says hello */
static volatile uint32_t done[NHARTS];
static volatile uint64_t timer_cause;
static volatile uint32_t timer_fired;

static void put_hex(uint64_t v)
{
    uart_puts("0x");
    for (int i = 60; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

static void put_dec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) uart_putc(buf[--n]);
}

/* print one line atomically: "hart N: <text>\n" */
static void say(unsigned hart, const char *text)
{
    spin_lock(&print_lock);
    uart_puts("hart ");
    put_dec(hart);
    uart_puts(": ");
    uart_puts(text);
    uart_putc('\n');
    spin_unlock(&print_lock);
}

void trap_handler(struct trap_frame *f)
{
    if (f->mcause != MCAUSE_MTI) {
        spin_lock(&print_lock);
        uart_puts("unexpected trap, mcause = ");
        put_hex(f->mcause);
        uart_puts(", mepc = ");
        put_hex(f->mepc);
        uart_putc('\n');
        spin_unlock(&print_lock);
        smp_fail(99);
    }
    mtimecmp_write((unsigned)read_csr_mhartid(), ~0ul);   /* disarm */
    timer_cause = f->mcause;
    timer_fired = 1;
    trap_skip_wfi(f);
}

/* Hart 0: wait (in wfi) until hart h has answered, or time out. */
static int wait_for_reply(unsigned h)
{
    uint64_t deadline = mtime_read() + REPLY_TIMEOUT;
    mtimecmp_write(0, deadline);              /* wakes wfi if nobody answers */
    csr_write(mie, MIE_MSIE | MIE_MTIE);      /* mstatus.MIE stays clear: no traps */
    int ok;
    for (;;) {
        if (csr_read(mip) & MIP_MSIP) ipi_clear(0);
        if (done[h]) { ok = 1; break; }
        if (mtime_read() >= deadline) { ok = 0; break; }
        smp_wfi();
    }
    csr_write(mie, 0);
    mtimecmp_write(0, ~0ul);
    ipi_clear(0);
    return ok;
}

static void other_hart(unsigned h)
{
    /* park in wfi until hart 0 raises our msip; interrupts stay masked
     * (mstatus.MIE clear), wfi simply returns once the IPI is pending */
    csr_write(mie, MIE_MSIE);
    while ((csr_read(mip) & MIP_MSIP) == 0) smp_wfi();
    ipi_clear(h);
    csr_write(mie, 0);

    say(h, "woken by IPI, hello from RV64");
    amoadd_w(&hello_count, 1);
    store_release_w(&done[h], 1);
    ipi_send(0);                              /* tell hart 0 we are done */
}

int main(unsigned long hartid)
{
    unsigned h = (unsigned)hartid;
    trap_init();
    csr_clear(mstatus, MSTATUS_MIE);
    if (h >= NHARTS) return 0;
    if (h != 0) { other_hart(h); return 0; }

    uart_puts("Rivet RV64 demo: 4 harts, CLINT timer + IPIs, 16550 UART\n\n");
    say(0, "hello! waking harts 1-3 with inter-processor interrupts");
    amoadd_w(&hello_count, 1);
    unsigned answered = 0;
    for (unsigned t = 1; t < NHARTS; t++) {
        ipi_send(t);
        if (wait_for_reply(t)) {
            answered++;
        } else {
            spin_lock(&print_lock);
            uart_puts("hart 0: no answer from hart ");
            put_dec(t);
            uart_puts(" (is the machine running with fewer harts?)\n");
            spin_unlock(&print_lock);
        }
    }

    say(0, "arming mtimecmp 1 ms ahead and sleeping in wfi");
    uint64_t start = mtime_read();
    mtimecmp_write(0, start + TIMER_TICKS);
    csr_write(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
    while (!timer_fired) smp_wfi();
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, 0);
    uint64_t elapsed = mtime_read() - start;

    spin_lock(&print_lock);
    uart_puts("hart 0: timer interrupt, mcause = ");
    put_hex(timer_cause);
    uart_puts(elapsed >= TIMER_TICKS ? ", after >= " : ", too early, before ");
    put_dec(TIMER_TICKS);
    uart_puts(" ticks\n\nsummary: ");
    put_dec(hello_count);
    uart_puts(" of ");
    put_dec(NHARTS);
    uart_puts(" harts said hello, ");
    put_dec(answered);
    uart_puts(" IPIs answered, 1 timer interrupt taken\n");
    int ok = hello_count == NHARTS && answered == NHARTS - 1 && elapsed >= TIMER_TICKS
             && timer_cause == MCAUSE_MTI;
    uart_puts(ok ? "all good, bye!\n" : "something went wrong, exiting with code 1\n");
    spin_unlock(&print_lock);
    return ok ? 0 : 1;
}
