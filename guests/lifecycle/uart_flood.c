/* Writes to the UART forever, polling LSR.THRE before each byte as drivers do: the guest for the
 * tests where the serial port's peer never reads (the output queue fills, THRE stays clear, and
 * pause and exit must still work). Never exits by itself. */
#include "guest.h"

int main(unsigned long hartid)
{
    if (hartid != 0) return 0;
    for (;;) uart_puts("flood flood flood flood flood flood flood flood flood flood flood flood\n");
}
