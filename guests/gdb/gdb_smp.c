/* The gdb stub tests' guest (tests/Rivet.Tests/GdbSessionTests.cs), run on rivet and on
 * qemu-system-riscv64 with the same gdb-multiarch script: hart 0 calls small functions the
 * script breaks in and watches; the other harts count in a loop of their own. Built with -g. */
#include "guest.h"

volatile uint64_t watched;
volatile uint64_t counters[MAX_HARTS];
volatile uint64_t result;
volatile uint64_t release; /* the debugger sets it to let hart 0 finish */

__attribute__((noinline)) uint64_t add_square(uint64_t x, uint64_t y)
{
    return x * x + y;
}

__attribute__((noinline)) void bump(uint64_t v)
{
    watched = v;
}

__attribute__((noinline)) uint64_t peek(void)
{
    return watched;
}

__attribute__((noinline)) void spin(unsigned long hartid)
{
    for (;;) counters[hartid]++;
}

int main(unsigned long hartid)
{
    if (hartid != 0) spin(hartid);
    uint64_t acc = 0;
    for (uint64_t i = 1; i <= 3; i++) {
        acc = add_square(i, acc);
        bump(acc);
        acc += peek();
    }
    result = acc;
    while (!release) {
    }
    /* 1 -> 1+1=2; 4+2=6 -> 12; 9+12=21 -> 42 */
    return acc == 42 ? 0 : 1;
}
