/* PLIC S-mode contexts across two harts (context 2h+1 drives hart h's mip.SEIP), with the RTC's
 * alarm (source 11) as the interrupt: both harts see SEIP; hart 1 claims through context 3,
 * which clears the pending bit, so hart 0's SEIP drops and its claim returns 0; hart 1 lowers
 * the line and completes; then hart 0 claims the next one through context 1. The M contexts
 * stay disabled, so MEIP never rises. Runs in M-mode, reading mip; no traps.
 * On QEMU 7.2: qemu-system-riscv64 -M virt -smp 2 -bios none -nographic -kernel plic_smp.elf */
#include "guest.h"

#define RTC_BASE  0x101000UL
#define PLIC_BASE 0x0c000000UL
#define R(base, off) (*(volatile uint32_t *)((base) + (off)))
#define IRQ 11
#define SEIP (1UL << 9)
#define MEIP (1UL << 11)
#define CLAIM(ctx) R(PLIC_BASE, 0x200004 + 0x1000 * (ctx))

static volatile int step;

static unsigned long mip(void)
{
    unsigned long v;
    __asm__ volatile("csrr %0, mip" : "=r"(v));
    return v;
}

static void wait_step(int s) { while (step != s) { } }

static int wait_mip(unsigned long bit, int set)
{
    for (long i = 0; i < 10000000; i++) {
        if (!!(mip() & bit) == set) return 1;
    }
    return 0;
}

static void raise_rtc(void)
{
    uint32_t lo = R(RTC_BASE, 0x00);
    uint32_t hi = R(RTC_BASE, 0x04);
    R(RTC_BASE, 0x0c) = hi;
    R(RTC_BASE, 0x08) = lo; /* an alarm in the past fires at once */
}

int main(unsigned long hartid)
{
    if (hartid == 1) {
        wait_step(1);
        if (!wait_mip(SEIP, 1)) { step = 101; return 0; }
        uint32_t c = CLAIM(3);
        if (c != IRQ) { step = 102; return 0; }
        step = 2;
        wait_step(3);
        R(RTC_BASE, 0x1c) = 1; /* CLEAR_INTERRUPT: the line drops */
        CLAIM(3) = c;          /* complete */
        step = 4;
        return 0;
    }
    if (hartid != 0) return 0;
    R(PLIC_BASE, 4 * IRQ) = 1;
    R(PLIC_BASE, 0x2000 + 0x80 * 1) = 1u << IRQ; /* hart 0, S */
    R(PLIC_BASE, 0x2000 + 0x80 * 3) = 1u << IRQ; /* hart 1, S */
    R(PLIC_BASE, 0x200000 + 0x1000 * 1) = 0;
    R(PLIC_BASE, 0x200000 + 0x1000 * 3) = 0;
    if (mip() & (SEIP | MEIP)) return 1;
    R(RTC_BASE, 0x10) = 1;
    raise_rtc();
    if (!wait_mip(SEIP, 1)) return 2;
    if (mip() & MEIP) return 3;
    step = 1;
    while (step == 1) { }
    if (step != 2) return step;
    if (((R(PLIC_BASE, 0x1000) >> IRQ) & 1) != 0) return 4; /* claimed: not pending */
    if (!wait_mip(SEIP, 0)) return 5;
    if (CLAIM(1) != 0) return 6;
    step = 3;
    wait_step(4);
    if (mip() & SEIP) return 7;
    raise_rtc();
    if (!wait_mip(SEIP, 1)) return 8;
    uint32_t c = CLAIM(1);
    if (c != IRQ) return 9;
    R(RTC_BASE, 0x1c) = 1;
    CLAIM(1) = c;
    if (!wait_mip(SEIP, 0)) return 10;
    uart_puts("plic smp ok\n");
    return 0;
}
