/* fp_insns: one of every F/D instruction form (each rounding-mode spelling, sign injection with
 * equal registers, the compressed loads and stores, the FP CSR pseudo-instructions) in straight-line
 * code, so `-d in_asm` shows each once; LogFormatTests compares the lines with QEMU 7.2's
 * (Data/qemu-logs/fp_insns.in_asm.log). Operates on zeros and on RAM at 0x80100000; passes. */
#include "guest.h"
    .section .text.init
    .globl _start
_start:
    li t0, 0x2000
    csrs mstatus, t0
    li sp, 0x80100000
    li a0, 0x80100000
    flw ft0, 0(sp)
    fsw ft1, 4(sp)
    fld ft2, -8(sp)
    fsd ft3, 2040(sp)
    fadd.s fa0, fa1, fa2, rne
    fsub.s fa0, fa1, fa2, rtz
    fmul.s fa0, fa1, fa2, rdn
    fdiv.s fa0, fa1, fa2, rup
    fsqrt.s fa0, fa1, rmm
    fadd.d fa0, fa1, fa2
    fsub.d fa0, fa1, fa2
    fmul.d fa0, fa1, fa2
    fdiv.d fa0, fa1, fa2
    fsqrt.d fa0, fa1
    fmadd.s ft0, ft1, ft2, ft3
    fmsub.s ft0, ft1, ft2, ft3
    fnmsub.s ft0, ft1, ft2, ft3
    fnmadd.s ft0, ft1, ft2, ft3
    fmadd.d ft0, ft1, ft2, ft3, rtz
    fmsub.d ft0, ft1, ft2, ft3
    fnmsub.d ft0, ft1, ft2, ft3
    fnmadd.d ft0, ft1, ft2, ft3
    fsgnj.s fs0, fs1, fs2
    fsgnjn.s fs0, fs1, fs2
    fsgnjx.s fs0, fs1, fs2
    fsgnj.s fs0, fs1, fs1
    fsgnjn.s fs0, fs1, fs1
    fsgnjx.s fs0, fs1, fs1
    fsgnj.d fs0, fs1, fs2
    fsgnjn.d fs0, fs1, fs2
    fsgnjx.d fs0, fs1, fs2
    fsgnj.d fs0, fs1, fs1
    fsgnjn.d fs0, fs1, fs1
    fsgnjx.d fs0, fs1, fs1
    fmin.s ft8, ft9, ft10
    fmax.s ft8, ft9, ft10
    fmin.d ft8, ft9, ft10
    fmax.d ft8, ft9, ft10
    feq.s a1, fa2, fa3
    flt.s a1, fa2, fa3
    fle.s a1, fa2, fa3
    feq.d a1, fa2, fa3
    flt.d a1, fa2, fa3
    fle.d a1, fa2, fa3
    fclass.s a1, fa2
    fclass.d a1, fa2
    fcvt.w.s a1, fa2
    fcvt.wu.s a1, fa2
    fcvt.l.s a1, fa2
    fcvt.lu.s a1, fa2
    fcvt.w.d a1, fa2, rtz
    fcvt.wu.d a1, fa2
    fcvt.l.d a1, fa2
    fcvt.lu.d a1, fa2
    fcvt.s.w fa2, a1
    fcvt.s.wu fa2, a1
    fcvt.s.l fa2, a1
    fcvt.s.lu fa2, a1
    fcvt.d.w fa2, a1
    fcvt.d.wu fa2, a1
    fcvt.d.l fa2, a1
    fcvt.d.lu fa2, a1
    fcvt.s.d fa2, fa3
    fcvt.d.s fa2, fa3
    fmv.x.w a1, fa2
    fmv.w.x fa2, a1
    fmv.x.d a1, fa2
    fmv.d.x fa2, a1
    c.fld fa0, 8(a0)
    c.fsd fa1, 16(a0)
    c.fldsp fa2, 24(sp)
    c.fsdsp fa3, 32(sp)
    frcsr a0
    fscsr a1
    fscsr a2, a1
    frrm a0
    fsrm a1
    fsrm a2, a1
    fsrmi 3
    fsrmi a1, 2
    frflags a0
    fsflags a1
    fsflags a2, a1
    fsflagsi 3
    fsflagsi a1, 2
    csrrs a0, fcsr, a1
    csrrc a0, frm, a1
    csrrsi a0, fflags, 1
    csrrci a0, fflags, 1
    csrrwi a0, fcsr, 1
    GUEST_PASS
