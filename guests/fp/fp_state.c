/* fp_state: the F/D architectural state around the arithmetic, printed line by line; the
 * expected output (fp_state.expected) is qemu-system-riscv64 7.2's.
 *  - misa (IMAFDC, S, U); mstatus.FS and SD (and their sstatus view) after each kind of instruction and CSR access
 *    from Clean: which ones make FS Dirty;
 *  - FS = Off: every F/D instruction (loads, stores, compressed ones) and FP CSR access is an
 *    illegal instruction (mcause 2, mtval = the instruction bits) that changes nothing;
 *  - reserved rounding modes: static 5 and 6, dynamic with frm 5-7, also for the exact
 *    conversions; the instructions without an rm field never trap;
 *  - fflags, frm and fcsr masks; accrual;
 *  - NaN boxing: improperly boxed single inputs read as the canonical NaN, fmv.x.w and fsw take
 *    the low bits as they are, single results and flw are boxed;
 *  - c.fld, c.fsd, c.fldsp, c.fsdsp, fld, fsd, flw, fsw moving bits unchanged. */
#include "guest.h"

struct trap_area { uint64_t t1, cause, tval, count; };
struct trap_area trap_area;

/* M-mode handler: records mcause/mtval, counts, and skips the trapping instruction (2 or 4 bytes). */
__asm__(".align 2\n"
        "trap_entry:\n"
        " csrw mscratch, t0\n"
        " la t0, trap_area\n"
        " sd t1, 0(t0)\n"
        " csrr t1, mcause\n sd t1, 8(t0)\n"
        " csrr t1, mtval\n sd t1, 16(t0)\n"
        " ld t1, 24(t0)\n addi t1, t1, 1\n sd t1, 24(t0)\n"
        " csrr t1, mepc\n lhu t1, 0(t1)\n andi t1, t1, 3\n addi t1, t1, -3\n"
        " csrr t0, mepc\n bnez t1, 1f\n addi t0, t0, 2\n"
        "1: addi t0, t0, 2\n csrw mepc, t0\n"
        " la t0, trap_area\n ld t1, 0(t0)\n csrr t0, mscratch\n"
        " mret\n");

static void put_hex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) uart_putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void line(const char *label, uint64_t v, int digits)
{
    uart_puts(label);
    uart_putc(' ');
    put_hex(v, digits);
    uart_putc('\n');
}

#define CSRR(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define FP_CLOBBERS "fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "ft0", "memory"

static void set_fs(unsigned fs)
{
    __asm__ volatile("csrc mstatus, %0" : : "r"(3UL << 13));
    __asm__ volatile("csrs mstatus, %0" : : "r"((uint64_t)fs << 13));
}

/* mstatus.FS, mstatus.SD, sstatus.FS, sstatus.SD */
static void status(const char *label)
{
    uint64_t m = CSRR(mstatus), s = CSRR(sstatus);
    uart_puts(label);
    uart_puts(" fs ");
    put_hex((m >> 13) & 3, 1);
    uart_puts(" sd ");
    put_hex(m >> 63, 1);
    uart_puts(" sstatus.fs ");
    put_hex((s >> 13) & 3, 1);
    uart_puts(" sd ");
    put_hex(s >> 63, 1);
    uart_putc('\n');
}

static void arm(void) { trap_area.count = 0; trap_area.cause = trap_area.tval = 0; }

static void report(const char *label)
{
    uart_puts(label);
    if (trap_area.count == 0)
    {
        uart_puts(" ok\n");
        return;
    }
    uart_puts(" trap ");
    put_hex(trap_area.cause, 2);
    uart_putc(' ');
    put_hex(trap_area.tval, 8);
    uart_putc('\n');
}

static uint64_t buf[8] __attribute__((aligned(16)));

/* Runs one instruction sequence (a5 = buf) and reports whether it trapped and how. */
#define TRY(label, insns)                                                                          \
    do {                                                                                           \
        arm();                                                                                     \
        register uint64_t *p_ __asm__("a5") = buf;                                                 \
        __asm__ volatile(insns : : "r"(p_) : "a0", "a1", FP_CLOBBERS);                             \
        report(label);                                                                             \
    } while (0)

static uint64_t get_f(void) { uint64_t v; __asm__ volatile("fmv.x.d %0, fa0" : "=r"(v)); return v; }
static void set_f(uint64_t v) { __asm__ volatile("fmv.d.x fa0, %0" : : "r"(v) : "fa0"); }

int main(int hart)
{
    if (hart != 0) return 0;
    __asm__ volatile("la t0, trap_entry\n csrw mtvec, t0" : : : "t0");
    line("misa without H (QEMU 7.2 sets H, Rivet has none)", CSRR(misa) & ~(1UL << 7), 16);
    status("start (crt: Initial)");

    /* Which accesses make FS Dirty (from Clean). */
#define FROM_CLEAN(label, insns) do { set_fs(2); TRY(label, insns); status("  ->"); } while (0)
    FROM_CLEAN("fmv.w.x", "fmv.w.x fa0, zero");
    FROM_CLEAN("fmv.d.x", "fmv.d.x fa0, zero");
    FROM_CLEAN("fsw", "fsw fa0, 0(a5)");
    FROM_CLEAN("fsd", "fsd fa0, 0(a5)");
    FROM_CLEAN("c.fsd", "c.fsd fa0, 8(a5)");
    FROM_CLEAN("flw", "flw fa1, 0(a5)");
    FROM_CLEAN("fld", "fld fa1, 0(a5)");
    FROM_CLEAN("c.fld", "c.fld fa1, 8(a5)");
    FROM_CLEAN("fmv.x.w", "fmv.x.w a0, fa0");
    FROM_CLEAN("fmv.x.d", "fmv.x.d a0, fa0");
    FROM_CLEAN("fclass.d", "fclass.d a0, fa0");
    FROM_CLEAN("feq.d (no flags)", "feq.d a0, fa0, fa0");
    __asm__ volatile("li t0, -1\n fmv.d.x fa2, t0" : : : "t0", "fa2"); /* a quiet NaN: flt raises NV */
    FROM_CLEAN("flt.d (NV)", "flt.d a0, fa2, fa2");
    FROM_CLEAN("fcvt.w.d (NV)", "fcvt.w.d a0, fa2");
    FROM_CLEAN("fadd.d", "fadd.d fa1, fa0, fa0");
    FROM_CLEAN("fsgnj.d", "fsgnj.d fa1, fa0, fa0");
    FROM_CLEAN("csrr fflags", "csrr a0, fflags");
    FROM_CLEAN("csrr fcsr", "csrr a0, fcsr");
    FROM_CLEAN("csrrsi fflags,0", "csrrsi a0, fflags, 0");
    FROM_CLEAN("csrrs frm,x0", "csrrs a0, frm, x0");
    FROM_CLEAN("csrrs fflags,zero-valued reg", "li a0, 0\n csrrs a1, fflags, a0");
    FROM_CLEAN("csrw fflags", "csrw fflags, zero");
    FROM_CLEAN("csrw frm", "csrw frm, zero");
    FROM_CLEAN("csrw fcsr", "csrw fcsr, zero");
    FROM_CLEAN("fadd.s rm 5 (illegal)", ".word 0x00c5d553");
    set_fs(3);
    status("Dirty");
    __asm__ volatile("csrc sstatus, %0" : : "r"(3UL << 13));
    status("sstatus FS cleared");
    __asm__ volatile("csrs sstatus, %0" : : "r"(1UL << 13));
    status("sstatus FS = Initial");
    __asm__ volatile("csrs sstatus, %0" : : "r"(3UL << 13));
    status("sstatus FS = Dirty");
    __asm__ volatile("csrw mstatus, %0" : : "r"(CSRR(mstatus) | (1UL << 63)));
    set_fs(2);
    status("SD written with FS Clean");

    /* FS Off: everything F/D is illegal and changes nothing. */
    set_fs(1);
    set_f(0x0123456789abcdefUL);
    __asm__ volatile("csrw fcsr, %0" : : "r"(0x45UL));
    buf[0] = 0x1111111122222222UL;
    set_fs(0);
    status("Off");
    TRY("off flw", "flw fa0, 0(a5)");
    TRY("off fsw", "fsw fa0, 0(a5)");
    TRY("off fld", "fld fa0, 0(a5)");
    TRY("off fsd", "fsd fa0, 0(a5)");
    TRY("off c.fld", "c.fld fa0, 8(a5)");
    TRY("off c.fsd", "c.fsd fa0, 8(a5)");
    TRY("off c.fldsp", "c.fldsp fa0, 8(sp)");
    TRY("off c.fsdsp", "addi sp, sp, -32\n c.fsdsp fa0, 8(sp)\n addi sp, sp, 32");
    TRY("off fadd.s", "fadd.s fa0, fa1, fa2");
    TRY("off fsub.d", "fsub.d fa0, fa1, fa2, rne");
    TRY("off fmul.s", "fmul.s fa0, fa1, fa2");
    TRY("off fdiv.d", "fdiv.d fa0, fa1, fa2");
    TRY("off fsqrt.s", "fsqrt.s fa0, fa1");
    TRY("off fmadd.d", "fmadd.d fa0, fa1, fa2, fa3");
    TRY("off fmsub.s", "fmsub.s fa0, fa1, fa2, fa3");
    TRY("off fnmsub.d", "fnmsub.d fa0, fa1, fa2, fa3");
    TRY("off fnmadd.s", "fnmadd.s fa0, fa1, fa2, fa3");
    TRY("off fsgnj.s", "fsgnj.s fa0, fa1, fa2");
    TRY("off fsgnjn.d", "fsgnjn.d fa0, fa1, fa2");
    TRY("off fsgnjx.s", "fsgnjx.s fa0, fa1, fa2");
    TRY("off fmin.d", "fmin.d fa0, fa1, fa2");
    TRY("off fmax.s", "fmax.s fa0, fa1, fa2");
    TRY("off feq.s", "feq.s a0, fa1, fa2");
    TRY("off flt.d", "flt.d a0, fa1, fa2");
    TRY("off fle.s", "fle.s a0, fa1, fa2");
    TRY("off fclass.d", "fclass.d a0, fa1");
    TRY("off fcvt.w.s", "fcvt.w.s a0, fa1");
    TRY("off fcvt.lu.d", "fcvt.lu.d a0, fa1");
    TRY("off fcvt.s.w", "fcvt.s.w fa0, a0");
    TRY("off fcvt.d.lu", "fcvt.d.lu fa0, a0");
    TRY("off fcvt.d.s", "fcvt.d.s fa0, fa1");
    TRY("off fcvt.s.d", "fcvt.s.d fa0, fa1");
    TRY("off fmv.x.w", "fmv.x.w a0, fa1");
    TRY("off fmv.w.x", "fmv.w.x fa0, a0");
    TRY("off fmv.x.d", "fmv.x.d a0, fa1");
    TRY("off fmv.d.x", "fmv.d.x fa0, a0");
    TRY("off csrr fflags", "csrr a0, fflags");
    TRY("off csrr frm", "csrr a0, frm");
    TRY("off csrr fcsr", "csrr a0, fcsr");
    TRY("off csrw fcsr", "csrw fcsr, a0");
    TRY("off csrwi frm", "csrwi frm, 1");
    TRY("off csrrsi fflags,0", "csrrsi a0, fflags, 0");
    status("still Off");
    set_fs(1);
    line("fa0 after the Off traps", get_f(), 16);
    line("fcsr after the Off traps", CSRR(fcsr), 2);
    line("buf[0] after the Off traps", buf[0], 16);

    /* Reserved rounding modes. */
    __asm__ volatile("csrw fcsr, zero");
    TRY("fadd.s rm 5", ".word 0x00c5d553");
    TRY("fadd.s rm 6", ".word 0x00c5e553");
    TRY("fmadd.d rm 6", ".word 0x1a20e043");
    TRY("fsqrt.d rm 5", ".word 0x5a05d553");
    TRY("fcvt.d.s rm 5", ".word 0x4206d653");
    TRY("fcvt.d.w rm 5", ".word 0xd205d653");
    TRY("fcvt.w.s rm 6", ".word 0xc006e5d3");
    TRY("fcvt.s.d rm 5", ".word 0x4016d653");
    for (unsigned frm = 4; frm < 8; frm++)
    {
        __asm__ volatile("csrw frm, %0" : : "r"((uint64_t)frm));
        line("frm", CSRR(frm), 1);
        TRY(" fadd.s dyn", "fadd.s fa0, fa1, fa2, dyn");
        TRY(" fdiv.d dyn", "fdiv.d fa0, fa1, fa2, dyn");
        TRY(" fsqrt.s dyn", "fsqrt.s fa0, fa1, dyn");
        TRY(" fnmadd.d dyn", "fnmadd.d fa0, fa1, fa2, fa3, dyn");
        TRY(" fcvt.w.d dyn", "fcvt.w.d a0, fa1, dyn");
        TRY(" fcvt.s.lu dyn", "fcvt.s.lu fa0, a0, dyn");
        TRY(" fcvt.s.d dyn", "fcvt.s.d fa0, fa1, dyn");
        TRY(" fcvt.d.s dyn", ".word 0x4206f653");
        TRY(" fcvt.d.w dyn", ".word 0xd205f653");
        TRY(" fcvt.d.wu dyn", ".word 0xd215f653");
        TRY(" fsgnj.s", "fsgnj.s fa0, fa1, fa2");
        TRY(" fmin.d", "fmin.d fa0, fa1, fa2");
        TRY(" feq.s", "feq.s a0, fa1, fa2");
        TRY(" fclass.s", "fclass.s a0, fa1");
        TRY(" fmv.x.w", "fmv.x.w a0, fa1");
        TRY(" flw", "flw fa0, 0(a5)");
    }

    /* CSR masks and csrrw's old value. */
    __asm__ volatile("csrw fcsr, %0" : : "r"(~0UL));
    line("fcsr <- ~0: fcsr", CSRR(fcsr), 16);
    line("  frm", CSRR(frm), 16);
    line("  fflags", CSRR(fflags), 16);
    __asm__ volatile("csrw fcsr, zero");
    __asm__ volatile("csrw frm, %0" : : "r"(~0UL));
    line("frm <- ~0: fcsr", CSRR(fcsr), 16);
    __asm__ volatile("csrw fflags, %0" : : "r"(~0UL));
    line("fflags <- ~0: fcsr", CSRR(fflags), 16);
    line("  fcsr", CSRR(fcsr), 16);
    {
        uint64_t old;
        __asm__ volatile("csrrw %0, fcsr, %1" : "=r"(old) : "r"(0x1234UL));
        line("csrrw fcsr old", old, 16);
        line("  fcsr", CSRR(fcsr), 16);
        __asm__ volatile("csrrci %0, fflags, 0x14" : "=r"(old));
        line("csrrci fflags old", old, 16);
        line("  fcsr", CSRR(fcsr), 16);
        __asm__ volatile("csrrsi %0, frm, 5" : "=r"(old));
        line("csrrsi frm old", old, 16);
        line("  fcsr", CSRR(fcsr), 16);
        __asm__ volatile("fsrmi %0, 2" : "=r"(old));
        line("fsrmi old", old, 16);
        __asm__ volatile("fsflagsi %0, 1" : "=r"(old));
        line("fsflagsi old", old, 16);
        line("  fcsr", CSRR(fcsr), 16);
    }

    /* Accrual: flags collect until written. */
    __asm__ volatile("csrw fcsr, zero");
    __asm__ volatile("fmv.w.x fa1, %0\n fmv.w.x fa2, zero\n fdiv.s fa0, fa1, fa2" : : "r"(0x3f800000UL) : "fa0", "fa1", "fa2");
    line("1/0: fflags", CSRR(fflags), 2);
    __asm__ volatile("fmv.w.x fa1, %0\n fmv.w.x fa2, %1\n fdiv.s fa0, fa1, fa2" : : "r"(0x3f800000UL), "r"(0x40400000UL) : "fa0", "fa1", "fa2");
    line("then 1/3: fflags", CSRR(fflags), 2);
    __asm__ volatile("fadd.s fa0, fa2, fa2" : : : "fa0");
    line("then 3+3: fflags", CSRR(fflags), 2);

    /* NaN boxing. */
    static const uint64_t boxing[] = {
        0x000000003f800000UL, 0xfffffffe3f800000UL, 0x7fffffff3f800000UL, 0xffffffff3f800000UL,
        0xffffffff80000000UL, 0xffffffff7f800001UL, 0x1234567887654321UL,
    };
    for (unsigned i = 0; i < sizeof boxing / sizeof boxing[0]; i++)
    {
        uint64_t v = boxing[i], r;
        line("f =", v, 16);
        __asm__ volatile("fmv.d.x fa0, %1\n fadd.s fa1, fa0, fa0\n fmv.x.d %0, fa1" : "=r"(r) : "r"(v) : "fa0", "fa1");
        line("  fadd.s", r, 16);
        __asm__ volatile("fmv.d.x fa0, %1\n fmv.x.w %0, fa0" : "=r"(r) : "r"(v) : "fa0");
        line("  fmv.x.w", r, 16);
        buf[0] = 0;
        __asm__ volatile("fmv.d.x fa0, %0\n fsw fa0, 0(%1)" : : "r"(v), "r"(buf) : "fa0", "memory");
        line("  fsw", buf[0], 16);
        __asm__ volatile("fmv.d.x fa0, %1\n fsgnjn.s fa1, fa0, fa0\n fmv.x.d %0, fa1" : "=r"(r) : "r"(v) : "fa0", "fa1");
        line("  fsgnjn.s", r, 16);
        __asm__ volatile("fmv.d.x fa0, %1\n li t0, 0x3f800000\n fmv.w.x fa2, t0\n fsgnjx.s fa1, fa2, fa0\n fmv.x.d %0, fa1" : "=r"(r) : "r"(v) : "t0", "fa0", "fa1", "fa2");
        line("  fsgnjx.s 1,f", r, 16);
        __asm__ volatile("fmv.d.x fa0, %1\n fclass.s %0, fa0" : "=r"(r) : "r"(v) : "fa0");
        line("  fclass.s", r, 3);
        __asm__ volatile("fmv.d.x fa0, %1\n fcvt.d.s fa1, fa0\n fmv.x.d %0, fa1" : "=r"(r) : "r"(v) : "fa0", "fa1");
        line("  fcvt.d.s", r, 16);
        __asm__ volatile("csrw fflags, zero\n fmv.d.x fa0, %1\n li t0, 0x40000000\n fmv.w.x fa2, t0\n fmin.s fa1, fa0, fa2\n fmv.x.d %0, fa1" : "=r"(r) : "r"(v) : "t0", "fa0", "fa1", "fa2");
        line("  fmin.s f,2", r, 16);
        line("  fflags", CSRR(fflags), 2);
        __asm__ volatile("csrw fflags, zero\n fmv.d.x fa0, %1\n feq.s %0, fa0, fa0" : "=r"(r) : "r"(v) : "fa0");
        line("  feq.s f,f", r, 1);
        line("  fflags", CSRR(fflags), 2);
    }
    {
        uint64_t r;
        __asm__ volatile("fmv.w.x fa0, %1\n fmv.x.d %0, fa0" : "=r"(r) : "r"(0xfffffff000000001UL) : "fa0");
        line("fmv.w.x boxes", r, 16);
        uint32_t w = 0xc0490fdb;
        __asm__ volatile("flw fa0, 0(%1)\n fmv.x.d %0, fa0" : "=r"(r) : "r"(&w) : "fa0");
        line("flw boxes", r, 16);
        __asm__ volatile("li t0, 7\n fcvt.s.w fa0, t0\n fmv.x.d %0, fa0" : "=r"(r) : : "t0", "fa0");
        line("fcvt.s.w boxes", r, 16);
        __asm__ volatile("fmv.d.x fa1, %1\n fcvt.s.d fa0, fa1\n fmv.x.d %0, fa0" : "=r"(r) : "r"(0x4000000000000000UL) : "fa0", "fa1");
        line("fcvt.s.d boxes", r, 16);
    }

    /* Loads and stores move bits unchanged (signalling NaNs included), compressed forms too. */
    buf[0] = 0x7ff0000000000001UL;
    buf[1] = 0xfff4000000000abcUL;
    buf[2] = 0;
    buf[3] = 0;
    {
        uint64_t r;
        register uint64_t *p __asm__("a5") = buf;
        __asm__ volatile("c.fld fa0, 8(%1)\n c.fsd fa0, 16(%1)\n fld fa1, 0(%1)\n fsd fa1, 24(%1)\n fmv.x.d %0, fa0"
                         : "=r"(r) : "r"(p) : "fa0", "fa1", "memory");
        line("c.fld", r, 16);
        line("c.fsd", buf[2], 16);
        line("fsd", buf[3], 16);
        __asm__ volatile("addi sp, sp, -64\n fmv.d.x fa3, %1\n c.fsdsp fa3, 56(sp)\n c.fldsp fa4, 56(sp)\n"
                         " ld t0, 56(sp)\n addi sp, sp, 64\n fmv.x.d %0, fa4\n xor %0, %0, t0"
                         : "=r"(r) : "r"(0xfff0000000000001UL) : "t0", "fa3", "fa4", "memory");
        line("c.fsdsp/c.fldsp (xor with memory)", r, 16);
        __asm__ volatile("addi sp, sp, -64\n fmv.d.x fa3, %1\n c.fsdsp fa3, 0(sp)\n c.fldsp fa4, 0(sp)\n"
                         " addi sp, sp, 64\n fmv.x.d %0, fa4"
                         : "=r"(r) : "r"(0x8000000000000001UL) : "fa3", "fa4", "memory");
        line("c.fldsp", r, 16);
        __asm__ volatile("flw fa0, 4(%1)\n fmv.x.d %0, fa0" : "=r"(r) : "r"(p) : "fa0");
        line("flw of a signalling NaN word", r, 16);
    }
    status("end");
    return 0;
}
