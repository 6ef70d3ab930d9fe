/* ipi_wfi: hart 0 wakes harts 1..3 in turn with an IPI (CLINT msip); each
 * woken hart clears its msip, counts the wake with an AMO and IPIs hart 0
 * back. Harts sleep in wfi with mie.MSIE set, alternating per round between
 * mstatus.MIE clear (wfi returns, the hart polls mip and takes no trap) and
 * mstatus.MIE set (the IPI is taken as a trap, mcause = (1<<63)|3).
 * Hart 0 checks every count after ROUNDS rounds.
 * Exit codes: 0 ok; 0x1xx/0x2xx unexpected trap; 3x count mismatch;
 * 40+h hart h saw msip still pending after clearing it. */
#define SMP_CUSTOM_TRAP_HANDLER
#include "smp.h"

#define NHARTS 4
#define ROUNDS 300

static volatile uint32_t wakes[NHARTS];      /* AMO-counted wake-ups */
static volatile uint32_t trap_wakes[NHARTS]; /* wake-ups taken as a trap */
static volatile uint32_t poll_wakes[NHARTS]; /* wake-ups seen in mip with MIE clear */
static volatile uint32_t got[NHARTS];        /* set by the handler */
static volatile uint32_t bad_cause;
static volatile uint32_t errors;

void trap_handler(struct trap_frame *f)
{
    unsigned h = (unsigned)read_csr_mhartid();
    if (f->mcause != MCAUSE_MSI) {
        bad_cause = (uint32_t)f->mcause;
        smp_fail((f->mcause >> 63 ? 0x200 : 0x100) | (unsigned)(f->mcause & 0xff));
    }
    ipi_clear(h);
    /* msip is level-triggered: it must read back clear now */
    if (ipi_read(h) != 0) smp_fail(40 + h);
    amoadd_w(&trap_wakes[h], 1);
    got[h] = 1;
    trap_skip_wfi(f);
}

/* Sleep until this hart's msip is raised, then clear it. */
static void wait_ipi(unsigned h, int use_trap)
{
    if (use_trap) {
        got[h] = 0;
        csr_set(mstatus, MSTATUS_MIE);
        while (!got[h]) smp_wfi();
        csr_clear(mstatus, MSTATUS_MIE);
    } else {
        while ((csr_read(mip) & MIP_MSIP) == 0) smp_wfi();
        ipi_clear(h);
        if (ipi_read(h) != 0) smp_fail(40 + h);
        /* the pending bit must drop once msip is cleared */
        while (csr_read(mip) & MIP_MSIP) cpu_relax();
        amoadd_w(&poll_wakes[h], 1);
    }
}

int main(unsigned long hartid)
{
    if (hartid >= NHARTS) return 0;
    unsigned h = (unsigned)hartid;
    trap_init();
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mie, MIE_MSIE);

    if (h != 0) {
        for (unsigned r = 0; r < ROUNDS; r++) {
            wait_ipi(h, (r + h) & 1);
            amoadd_w(&wakes[h], 1);
            ipi_send(0);
        }
        csr_write(mie, 0);
        return 0;
    }

    unsigned replies = 0;
    for (unsigned r = 0; r < ROUNDS; r++) {
        for (unsigned t = 1; t < NHARTS; t++) {
            ipi_send(t);
            wait_ipi(0, (r + t) & 1);
            replies++;
            fence();
            if (wakes[t] != r + 1) return 30 + t;
            for (unsigned o = 1; o < NHARTS; o++)
                if (wakes[o] != (o < t ? r + 1 : o == t ? r + 1 : r)) return 34;
        }
    }
    csr_write(mie, 0);
    if (replies != ROUNDS * (NHARTS - 1)) return 35;
    for (unsigned t = 1; t < NHARTS; t++) {
        if (wakes[t] != ROUNDS) return 30 + t;
        if (trap_wakes[t] != ROUNDS / 2 || poll_wakes[t] != ROUNDS / 2) return 36;
    }
    if (trap_wakes[0] + poll_wakes[0] != ROUNDS * (NHARTS - 1)) return 37;
    if (trap_wakes[0] == 0 || poll_wakes[0] == 0) return 38;
    return 0;
}
