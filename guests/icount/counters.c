/* counters: one hart reads minstret, mcycle, time (rdtime) and the CLINT's mtime at
 * fixed points: back to back, after loops of known length, after a trap, and across
 * a WFI woken by the machine timer. All readings are kept and printed at the end (one
 * hex number a line) so printing cannot move them. Under -icount the output is a pure
 * function of the instructions executed: the tests compare it with qemu-system-riscv64's. */
#define SMP_CUSTOM_TRAP_HANDLER
#include "smp.h"

#define N 96
static uint64_t r[N];
static unsigned k;
static volatile unsigned ticks;

static void put_hex(uint64_t v)
{
    for (int i = 60; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
    uart_putc('\n');
}

#define READ4()                                         \
    do {                                                \
        r[k++] = csr_read(minstret);                    \
        r[k++] = csr_read(mcycle);                      \
        r[k++] = csr_read(time);                        \
        r[k++] = mtime_read();                          \
    } while (0)

void trap_handler(struct trap_frame *f)
{
    if (f->mcause == MCAUSE_MTI) {
        mtimecmp_write(0, ~0ul);
        ticks++;
        trap_skip_wfi(f);
        return;
    }
    f->mepc += 4; /* ecall, the illegal csrw, the faulting ld: all 4 bytes */
}

int main(unsigned long hartid)
{
    if (hartid != 0) return 0;
    trap_init();
    READ4();
    READ4();
    for (volatile int i = 0; i < 1000; i++) { }
    READ4();
    for (volatile int i = 0; i < 100000; i++) { }
    READ4();
    __asm__ volatile("ecall");
    READ4();
    __asm__ volatile(".option push\n.option norvc\ncsrw cycle, zero\n.option pop"); /* illegal: cycle is read-only */
    READ4();
    __asm__ volatile(".option push\n.option norvc\nld t0, 0(%0)\n.option pop" :: "r"(0x8000000ul) : "t0"); /* load access fault */
    READ4();
    /* a timer 5000 ticks (500 us) ahead, then WFI: under sleep=off virtual time jumps to it */
    mtimecmp_write(0, mtime_read() + 5000);
    csr_write(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
    while (ticks == 0) smp_wfi();
    csr_clear(mstatus, MSTATUS_MIE);
    READ4();
    for (unsigned i = 0; i < k; i++) put_hex(r[i]);
    return 0;
}
