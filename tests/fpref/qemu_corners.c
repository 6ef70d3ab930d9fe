/*
 * RISC-V floating-point corner cases as QEMU 7.2 computes them (SoftFloatTests.QemuMeasured holds
 * the answers). Not part of the guests build (it needs F and D); to rerun, from the repository root:
 *   riscv64-unknown-elf-gcc -march=rv64imafd_zicsr -mabi=lp64 -mcmodel=medany -O2 -ffreestanding \
 *     -fno-builtin -nostdlib -nostartfiles -static -Iguests/common -T guests/common/link.ld \
 *     -Wl,--no-warn-rwx-segments -o /tmp/fp.elf guests/common/crt.S tests/fpref/qemu_corners.c
 *   qemu-system-riscv64 -M virt -bios none -nographic -kernel /tmp/fp.elf
 * Each line: name, result (hex), fflags (hex).
 */
#include <stdint.h>
#include "guest.h"
static void hex(uint64_t v) { for (int i = 60; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]); }
static uint64_t flags(void) { uint64_t f; __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f)); return f; }
static void out(const char *n, uint64_t r) { uint64_t f = flags(); uart_puts(n); uart_putc(' '); hex(r); uart_putc(' '); hex(f); uart_putc('\n'); }
#define D(x) ({ uint64_t _v = (x); double _d; __asm__ volatile("fmv.d.x %0, %1" : "=f"(_d) : "r"(_v)); _d; })
#define S(x) ({ uint64_t _v = (x); float _d; __asm__ volatile("fmv.w.x %0, %1" : "=f"(_d) : "r"(_v)); _d; })
#define RD(d) ({ uint64_t _r; __asm__ volatile("fmv.x.d %0, %1" : "=r"(_r) : "f"(d)); _r; })
#define RS(d) ({ uint64_t _r; __asm__ volatile("fmv.x.w %0, %1" : "=r"(_r) : "f"(d)); _r & 0xffffffff; })
int main(void)
{
    double r; float s; uint64_t x;
    __asm__ volatile("csrs mstatus, %0" :: "r"(1ul << 13));
    flags();
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(D(0x7ff0000000000000)), "f"(D(0)), "f"(D(0x7ff8000000000000))); out("fmadd.d inf*0+qnan", RD(r));
    __asm__ volatile("fmadd.s %0, %1, %2, %3" : "=f"(s) : "f"(S(0)), "f"(S(0xff800000)), "f"(S(0x7fc00000))); out("fmadd.s 0*-inf+qnan", RS(s));
    __asm__ volatile("fmul.d %0, %1, %2, rne" : "=f"(r) : "f"(D(0x3ff0000000000001)), "f"(D(0x000fffffffffffff))); out("fmul.d tiny rne", RD(r));
    __asm__ volatile("fmul.d %0, %1, %2, rtz" : "=f"(r) : "f"(D(0x3ff0000000000001)), "f"(D(0x000fffffffffffff))); out("fmul.d tiny rtz", RD(r));
    __asm__ volatile("fmul.s %0, %1, %2, rne" : "=f"(s) : "f"(S(0x3f800001)), "f"(S(0x007fffff))); out("fmul.s tiny rne", RS(s));
    __asm__ volatile("fcvt.s.d %0, %1, rne" : "=f"(s) : "f"(D(0x380ffffffc000000))); out("fcvt.s.d tiny rne", RS(s));
    __asm__ volatile("fmin.s %0, %1, %2" : "=f"(s) : "f"(S(0x7f800001)), "f"(S(0x40000000))); out("fmin.s snan,2", RS(s));
    __asm__ volatile("fmax.d %0, %1, %2" : "=f"(r) : "f"(D(0x7ff8000000000000)), "f"(D(0x7ff0000000000001))); out("fmax.d qnan,snan", RD(r));
    __asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(D(0)), "f"(D(0x8000000000000000))); out("fmin.d +0,-0", RD(r));
    __asm__ volatile("fcvt.w.d %0, %1, rtz" : "=r"(x) : "f"(D(0x7ff8000000000000))); out("fcvt.w.d nan", x);
    __asm__ volatile("fcvt.wu.d %0, %1, rne" : "=r"(x) : "f"(D(0xbfe0000000000000))); out("fcvt.wu.d -0.5 rne", x);
    __asm__ volatile("fcvt.wu.d %0, %1, rdn" : "=r"(x) : "f"(D(0xbfe0000000000000))); out("fcvt.wu.d -0.5 rdn", x);
    __asm__ volatile("fcvt.l.d %0, %1, rne" : "=r"(x) : "f"(D(0x43e0000000000000))); out("fcvt.l.d 2^63", x);
    __asm__ volatile("fcvt.lu.d %0, %1, rne" : "=r"(x) : "f"(D(0xbff0000000000000))); out("fcvt.lu.d -1", x);
    __asm__ volatile("fcvt.w.d %0, %1, rmm" : "=r"(x) : "f"(D(0xc1e0000000100000))); out("fcvt.w.d -2^31-0.5 rmm", x);
    __asm__ volatile("fcvt.w.d %0, %1, rne" : "=r"(x) : "f"(D(0xc1e0000000100000))); out("fcvt.w.d -2^31-0.5 rne", x);
    __asm__ volatile("fadd.s %0, %1, %2" : "=f"(s) : "f"(S(0x7f800001)), "f"(S(0x3f800000))); out("fadd.s snan+1", RS(s));
    __asm__ volatile("fcvt.d.s %0, %1" : "=f"(r) : "f"(S(0x7f800001))); out("fcvt.d.s snan", RD(r));
    __asm__ volatile("fcvt.s.l %0, %1, rmm" : "=f"(s) : "r"(16777217L)); out("fcvt.s.l 2^24+1 rmm", RS(s));
    __asm__ volatile("fsub.d %0, %1, %2, rdn" : "=f"(r) : "f"(D(0x3ff8000000000000)), "f"(D(0x3ff8000000000000))); out("fsub.d x-x rdn", RD(r));
    __asm__ volatile("fmul.d %0, %1, %2, rup" : "=f"(r) : "f"(D(0xffefffffffffffff)), "f"(D(0x4000000000000000))); out("fmul.d -max*2 rup", RD(r));
    __asm__ volatile("fmadd.d %0, %1, %2, %3, rne" : "=f"(r) : "f"(D(0x3ff0000000000001)), "f"(D(0x3ff8000000000000)), "f"(D(0xb370000000000000))); out("fmadd.d tie-tiny", RD(r));
    __asm__ volatile("fclass.s %0, %1" : "=r"(x) : "f"(S(0x7f800001))); out("fclass.s snan", x);
    __asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(D(0x8000000000000000))); out("fsqrt.d -0", RD(r));
    __asm__ volatile("flt.d %0, %1, %2" : "=r"(x) : "f"(D(0x7ff8000000000000)), "f"(D(0))); out("flt.d qnan", x);
    __asm__ volatile("feq.d %0, %1, %2" : "=r"(x) : "f"(D(0x7ff8000000000000)), "f"(D(0))); out("feq.d qnan", x);
    return 0;
}
