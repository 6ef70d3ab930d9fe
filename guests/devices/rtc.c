/* The goldfish RTC at 0x101000: prints the time of day in seconds (TIME_LOW latches TIME_HIGH),
 * then checks the alarm: one in the past fires at once, one 20 ms ahead runs (ALARM_STATUS 1)
 * and then raises PLIC source 11, which is claimed and completed through hart 0's M context;
 * CLEAR_INTERRUPT lowers the line. Exits with a distinct code at the first difference.
 * On QEMU 7.2: qemu-system-riscv64 -M virt -bios none -nographic -kernel rtc.elf */
#include "guest.h"

#define RTC_BASE  0x101000UL
#define PLIC_BASE 0x0c000000UL
#define R(base, off) (*(volatile uint32_t *)((base) + (off)))
#define RTC_IRQ 11

static uint64_t now(void)
{
    uint32_t lo = R(RTC_BASE, 0x00);
    uint32_t hi = R(RTC_BASE, 0x04);
    return (uint64_t)hi << 32 | lo;
}

static void put_dec(uint64_t v)
{
    char b[21];
    int n = 0;
    do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) uart_putc(b[--n]);
}

static int pending(void) { return (R(PLIC_BASE, 0x1000) >> RTC_IRQ) & 1; }

static void alarm_at(uint64_t t)
{
    R(RTC_BASE, 0x0c) = (uint32_t)(t >> 32);
    R(RTC_BASE, 0x08) = (uint32_t)t; /* the low half arms it */
}

int main(unsigned long hartid)
{
    if (hartid != 0) return 0;
    uint64_t t0 = now();
    uart_puts("time=");
    put_dec(t0 / 1000000000);
    uart_putc('\n');
    uint64_t t1 = now();
    if (t1 < t0) return 1;
    R(PLIC_BASE, 4 * RTC_IRQ) = 1;
    R(PLIC_BASE, 0x2000) = 1u << RTC_IRQ;
    R(PLIC_BASE, 0x200000) = 0;
    R(RTC_BASE, 0x10) = 1; /* IRQ_ENABLED */
    if (R(RTC_BASE, 0x10) != 1) return 2;
    if (pending()) return 3;

    alarm_at(t1 - 1); /* in the past: at once, and not running */
    if (R(RTC_BASE, 0x18) != 0) return 4;
    if (!pending()) return 5;
    uint32_t c = R(PLIC_BASE, 0x200004);
    if (c != RTC_IRQ) return 6;
    R(RTC_BASE, 0x1c) = 1; /* CLEAR_INTERRUPT */
    R(PLIC_BASE, 0x200004) = c;
    if (pending()) return 7;

    uint64_t due = now() + 20000000;
    alarm_at(due);
    if (R(RTC_BASE, 0x18) != 1) return 8;
    if (R(RTC_BASE, 0x08) != (uint32_t)due || R(RTC_BASE, 0x0c) != (uint32_t)(due >> 32)) return 9;
    while (!pending()) { }
    if (now() < due) return 10;
    if (R(RTC_BASE, 0x18) != 0) return 11;
    c = R(PLIC_BASE, 0x200004);
    if (c != RTC_IRQ) return 12;
    R(RTC_BASE, 0x1c) = 1;
    R(PLIC_BASE, 0x200004) = c;
    if (pending()) return 13;

    /* CLEAR_ALARM stops a running one. */
    alarm_at(now() + 1000000000ULL * 3600);
    if (R(RTC_BASE, 0x18) != 1) return 14;
    R(RTC_BASE, 0x14) = 1;
    if (R(RTC_BASE, 0x18) != 0) return 15;
    uart_puts("rtc ok\n");
    return 0;
}
