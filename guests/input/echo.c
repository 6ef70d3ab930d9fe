/* Console echo for the character-device tests: prints "echo ready", then copies every byte
 * received on the UART back out, and passes when it has echoed a 'q'. Polls LSR.DR, so it needs
 * no interrupts (on QEMU: qemu-system-riscv64 -M virt -bios none -kernel echo.elf ...). */
#include "guest.h"

int main(unsigned long hartid)
{
    volatile uint8_t *u = (volatile uint8_t *)UART_BASE;
    if (hartid != 0) return 0;
    uart_puts("echo ready\n");
    for (;;) {
        while ((u[5] & 0x01) == 0) { } /* LSR.DR */
        char c = (char)u[0];
        uart_putc(c);
        if (c == 'q') {
            uart_putc('\n');
            guest_exit(0);
        }
    }
}
