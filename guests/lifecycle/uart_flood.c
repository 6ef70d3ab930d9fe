/* Writes to the UART forever, polling LSR.THRE before each byte as drivers do: the guest for the
 * tests where the serial port's peer never reads (the output queue fills, THRE stays clear, and
 * pause and exit must still work). Never exits by itself. thre_waits counts the bytes for which
 * the guest found the transmitter busy: a test reads it (xp) to know that rivet's side has
 * backed up, instead of guessing from how much reached the peer. */
#include "guest.h"

volatile uint64_t thre_waits;

int main(unsigned long hartid)
{
    if (hartid != 0) return 0;
    volatile uint8_t *u = (volatile uint8_t *)UART_BASE;
    for (const char *s = "";; s++)
    {
        if (*s == 0) s = "flood flood flood flood flood flood flood flood flood flood flood flood\n";
        if ((u[5] & 0x20) == 0)
        {
            thre_waits++;
            while ((u[5] & 0x20) == 0) { } /* LSR.THRE */
        }
        u[0] = (uint8_t)*s;
    }
}
