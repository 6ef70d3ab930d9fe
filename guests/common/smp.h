/* Helpers for multi-hart C guests: CSR access, CLINT (IPIs, timer), atomics,
 * a spinlock, a barrier and an M-mode trap vector that calls a C handler.
 * Include once per program (it defines the trap entry in top-level asm).
 * A program that wants its own handler does
 *     #define SMP_CUSTOM_TRAP_HANDLER
 *     #include "smp.h"
 *     void trap_handler(struct trap_frame *f) { ... }
 * and may change f->mepc (written back before mret). Otherwise a default
 * handler that fails the run is used. */
#ifndef RIVET_SMP_H
#define RIVET_SMP_H
#include "guest.h"

/* ---- CSRs ---------------------------------------------------------------- */
#define csr_read(csr) ({ uint64_t __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" :: "rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")

#define MSTATUS_MIE  (1ul << 3)
#define MIP_MSIP     (1ul << 3)
#define MIP_MTIP     (1ul << 7)
#define MIE_MSIE     MIP_MSIP
#define MIE_MTIE     MIP_MTIP
#define MCAUSE_INT   (1ul << 63)
#define MCAUSE_MSI   (MCAUSE_INT | 3)
#define MCAUSE_MTI   (MCAUSE_INT | 7)

static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }
static inline void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("nop" ::: "memory"); }

/* ---- CLINT ---------------------------------------------------------------- */
static inline void ipi_send(unsigned hart) { *(volatile uint32_t *)(uintptr_t)CLINT_MSIP((uintptr_t)hart) = 1; }
static inline void ipi_clear(unsigned hart) { *(volatile uint32_t *)(uintptr_t)CLINT_MSIP((uintptr_t)hart) = 0; }
static inline uint32_t ipi_read(unsigned hart) { return *(volatile uint32_t *)(uintptr_t)CLINT_MSIP((uintptr_t)hart); }
static inline uint64_t mtime_read(void) { return *(volatile uint64_t *)(uintptr_t)CLINT_MTIME; }
static inline void mtimecmp_write(unsigned hart, uint64_t v) { *(volatile uint64_t *)(uintptr_t)CLINT_MTIMECMP((uintptr_t)hart) = v; }
static inline uint64_t mtimecmp_read(unsigned hart) { return *(volatile uint64_t *)(uintptr_t)CLINT_MTIMECMP((uintptr_t)hart); }

/* ---- atomics (explicit A-extension instructions) --------------------------- */
static inline uint32_t amoadd_w(volatile uint32_t *p, uint32_t v)
{ uint32_t old; __asm__ volatile("amoadd.w.aqrl %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(v) : "memory"); return old; }
static inline uint64_t amoadd_d(volatile uint64_t *p, uint64_t v)
{ uint64_t old; __asm__ volatile("amoadd.d.aqrl %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(v) : "memory"); return old; }
static inline uint32_t amoswap_w_aq(volatile uint32_t *p, uint32_t v)
{ uint32_t old; __asm__ volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(v) : "memory"); return old; }
static inline uint64_t amoor_d(volatile uint64_t *p, uint64_t v)
{ uint64_t old; __asm__ volatile("amoor.d.aqrl %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(v) : "memory"); return old; }
static inline uint32_t load_acquire_w(volatile uint32_t *p)
{ uint32_t v = *p; __asm__ volatile("fence r, rw" ::: "memory"); return v; }
static inline void store_release_w(volatile uint32_t *p, uint32_t v)
{ __asm__ volatile("fence rw, w" ::: "memory"); *p = v; }

/* ---- spinlock: test-and-test-and-set with amoswap.w.aq, released with a fenced store */
typedef struct { volatile uint32_t locked; } spinlock_t;
static inline void spin_lock(spinlock_t *l)
{
    for (;;) {
        if (amoswap_w_aq(&l->locked, 1) == 0) return;
        while (l->locked) cpu_relax();
    }
}
static inline void spin_unlock(spinlock_t *l)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" :: "r"(&l->locked) : "memory");
}

/* ---- sense-reversing barrier built on amoadd ------------------------------- */
typedef struct { volatile uint32_t count; volatile uint32_t gen; } barrier_t;
static inline void barrier_wait(barrier_t *b, unsigned nharts)
{
    uint32_t gen = load_acquire_w(&b->gen);
    if (amoadd_w(&b->count, 1) == nharts - 1) {
        b->count = 0;
        store_release_w(&b->gen, gen + 1);
    } else {
        while (load_acquire_w(&b->gen) == gen) cpu_relax();
    }
}

/* ---- trap vector ------------------------------------------------------------ */
struct trap_frame {
    uint64_t ra, t0, t1, t2, t3, t4, t5, t6, a0, a1, a2, a3, a4, a5, a6, a7;
    uint64_t mepc, mcause, mtval, pad;
};
void trap_handler(struct trap_frame *f);

/* smp_wfi(): a wfi at a known address. If an interrupt is taken with mepc
 * pointing at it (the interrupt arrived just before the wfi executed),
 * trap_skip_wfi() moves mepc past it so the hart does not sleep with the
 * wake-up already consumed. */
extern void smp_wfi(void);
extern char smp_wfi_insn[];
static inline void trap_skip_wfi(struct trap_frame *f)
{
    if (f->mepc == (uint64_t)(uintptr_t)smp_wfi_insn) f->mepc += 4;
}

__asm__(
    "    .section .text\n"
    "    .globl smp_wfi\n"
    "    .globl smp_wfi_insn\n"
    "    .balign 4\n"
    "smp_wfi:\n"
    "smp_wfi_insn:\n"
    "    wfi\n"
    "    ret\n"
    "    .globl trap_entry\n"
    "    .balign 4\n"
    "trap_entry:\n"
    "    addi sp, sp, -160\n"
    "    sd ra, 0(sp)\n  sd t0, 8(sp)\n  sd t1, 16(sp)\n  sd t2, 24(sp)\n"
    "    sd t3, 32(sp)\n sd t4, 40(sp)\n sd t5, 48(sp)\n  sd t6, 56(sp)\n"
    "    sd a0, 64(sp)\n sd a1, 72(sp)\n sd a2, 80(sp)\n  sd a3, 88(sp)\n"
    "    sd a4, 96(sp)\n sd a5, 104(sp)\n sd a6, 112(sp)\n sd a7, 120(sp)\n"
    "    csrr t0, mepc\n   sd t0, 128(sp)\n"
    "    csrr t0, mcause\n sd t0, 136(sp)\n"
    "    csrr t0, mtval\n  sd t0, 144(sp)\n"
    "    mv a0, sp\n"
    "    call trap_handler\n"
    "    ld t0, 128(sp)\n  csrw mepc, t0\n"
    "    ld ra, 0(sp)\n  ld t0, 8(sp)\n  ld t1, 16(sp)\n  ld t2, 24(sp)\n"
    "    ld t3, 32(sp)\n ld t4, 40(sp)\n ld t5, 48(sp)\n  ld t6, 56(sp)\n"
    "    ld a0, 64(sp)\n ld a1, 72(sp)\n ld a2, 80(sp)\n  ld a3, 88(sp)\n"
    "    ld a4, 96(sp)\n ld a5, 104(sp)\n ld a6, 112(sp)\n ld a7, 120(sp)\n"
    "    addi sp, sp, 160\n"
    "    mret\n");
extern char trap_entry[];
static inline void trap_init(void) { csr_write(mtvec, (uint64_t)(uintptr_t)trap_entry); }

/* Fail from inside a handler (or anywhere) with a code; never returns. */
static inline void smp_fail(unsigned code) { guest_exit(code ? code : 0xffff); }

/* Default handler, unless the program defines SMP_CUSTOM_TRAP_HANDLER before
 * including this header: any trap fails with 0x100 | cause for exceptions,
 * 0x200 | cause for interrupts. */
#ifndef SMP_CUSTOM_TRAP_HANDLER
void trap_handler(struct trap_frame *f)
{
    smp_fail((f->mcause >> 63 ? 0x200 : 0x100) | (unsigned)(f->mcause & 0xff));
}
#endif

#endif
