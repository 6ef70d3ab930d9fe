/* fp_arith: every F and D computational instruction over tables of interesting operand bit
 * patterns (zeros, subnormals, extremes, infinities, quiet and signalling NaNs, values that
 * round), in every static rounding mode and the dynamic one (frm cycling 0-4 row by row).
 * Each row is the result bits and the fflags the instruction raised, in hex; a "#" line names
 * each group. The expected output (fp_arith.expected) is qemu-system-riscv64 7.2's. */
#include "guest.h"

static void put_hex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) uart_putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void row(uint64_t r, int digits, unsigned fl)
{
    put_hex(r, digits);
    uart_putc(' ');
    put_hex(fl, 2);
    uart_putc('\n');
}

static void header(const char *op, const char *rm)
{
    uart_puts("# ");
    uart_puts(op);
    uart_putc(' ');
    uart_puts(rm);
    uart_putc('\n');
}

static void set_frm(unsigned rm) { __asm__ volatile("fsrm %0" : : "r"(rm)); }

typedef uint64_t (*fp_fn)(uint64_t a, uint64_t b, uint64_t c, unsigned *fl);

/* The flags before each instruction: none, or (fp_arith_nx.c) NX already accrued. */
#ifdef PRESET_NX
#define FLAGS_IN "fsflagsi 1\n"
#else
#define FLAGS_IN "fsflags zero\n"
#endif

/* Operands go in and results come out through fmv so the compiler never touches the values. */
#define MV_IN_S "fmv.w.x ft0,%2\n fmv.w.x ft1,%3\n fmv.w.x ft2,%4\n" FLAGS_IN
#define MV_IN_D "fmv.d.x ft0,%2\n fmv.d.x ft1,%3\n fmv.d.x ft2,%4\n" FLAGS_IN
#define ASM_F(name, in, body, out)                                                             \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t c, unsigned *fl)                     \
    {                                                                                          \
        uint64_t r;                                                                            \
        unsigned f;                                                                            \
        __asm__ volatile(in body "\n frflags %1\n" out                                         \
                         : "=r"(r), "=r"(f) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); \
        *fl = f;                                                                               \
        return r;                                                                              \
    }
#define OUT_S "fmv.x.w %0,ft3"
#define OUT_D "fmv.x.d %0,ft3"
#define OUT_X ""

/* One function per rounding mode (static 0-4, then dyn), for the ops that round. */
#define RM6(M, name, ...) M(name##_rne, __VA_ARGS__, "rne") M(name##_rtz, __VA_ARGS__, "rtz") \
    M(name##_rdn, __VA_ARGS__, "rdn") M(name##_rup, __VA_ARGS__, "rup") M(name##_rmm, __VA_ARGS__, "rmm") \
    M(name##_dyn, __VA_ARGS__, "dyn")
#define RM3(M, name, ...) M(name##_rdn, __VA_ARGS__, "rdn") M(name##_rup, __VA_ARGS__, "rup") M(name##_dyn, __VA_ARGS__, "dyn")
#define TABLE6(name) { name##_rne, name##_rtz, name##_rdn, name##_rup, name##_rmm, name##_dyn }

#define BIN_S(fn, op, rm) ASM_F(fn, MV_IN_S, op " ft3,ft0,ft1," rm, OUT_S)
#define BIN_D(fn, op, rm) ASM_F(fn, MV_IN_D, op " ft3,ft0,ft1," rm, OUT_D)
#define UN_S(fn, op, rm) ASM_F(fn, MV_IN_S, op " ft3,ft0," rm, OUT_S)
#define UN_D(fn, op, rm) ASM_F(fn, MV_IN_D, op " ft3,ft0," rm, OUT_D)
#define FMA_S(fn, op, rm) ASM_F(fn, MV_IN_S, op " ft3,ft0,ft1,ft2," rm, OUT_S)
#define FMA_D(fn, op, rm) ASM_F(fn, MV_IN_D, op " ft3,ft0,ft1,ft2," rm, OUT_D)
#define TOX_S(fn, op, rm) ASM_F(fn, MV_IN_S, op " %0,ft0," rm, OUT_X)
#define TOX_D(fn, op, rm) ASM_F(fn, MV_IN_D, op " %0,ft0," rm, OUT_X)
#define FROMX_S(fn, op, rm) ASM_F(fn, FLAGS_IN, op " ft3,%2," rm, OUT_S)
#define FROMX_D(fn, op, rm) ASM_F(fn, FLAGS_IN, op " ft3,%2," rm, OUT_D)
#define S2D(fn, op, rm) ASM_F(fn, MV_IN_S, op " ft3,ft0," rm, OUT_D)
#define D2S(fn, op, rm) ASM_F(fn, MV_IN_D, op " ft3,ft0," rm, OUT_S)

RM6(BIN_S, fadd_s, "fadd.s") RM6(BIN_S, fsub_s, "fsub.s") RM6(BIN_S, fmul_s, "fmul.s") RM6(BIN_S, fdiv_s, "fdiv.s")
RM6(BIN_D, fadd_d, "fadd.d") RM6(BIN_D, fsub_d, "fsub.d") RM6(BIN_D, fmul_d, "fmul.d") RM6(BIN_D, fdiv_d, "fdiv.d")
RM6(UN_S, fsqrt_s, "fsqrt.s") RM6(UN_D, fsqrt_d, "fsqrt.d")
RM3(FMA_S, fmadd_s, "fmadd.s") RM3(FMA_S, fmsub_s, "fmsub.s") RM3(FMA_S, fnmsub_s, "fnmsub.s") RM3(FMA_S, fnmadd_s, "fnmadd.s")
RM3(FMA_D, fmadd_d, "fmadd.d") RM3(FMA_D, fmsub_d, "fmsub.d") RM3(FMA_D, fnmsub_d, "fnmsub.d") RM3(FMA_D, fnmadd_d, "fnmadd.d")
RM6(TOX_S, fcvt_w_s, "fcvt.w.s") RM6(TOX_S, fcvt_wu_s, "fcvt.wu.s") RM6(TOX_S, fcvt_l_s, "fcvt.l.s") RM6(TOX_S, fcvt_lu_s, "fcvt.lu.s")
RM6(TOX_D, fcvt_w_d, "fcvt.w.d") RM6(TOX_D, fcvt_wu_d, "fcvt.wu.d") RM6(TOX_D, fcvt_l_d, "fcvt.l.d") RM6(TOX_D, fcvt_lu_d, "fcvt.lu.d")
RM6(FROMX_S, fcvt_s_w, "fcvt.s.w") RM6(FROMX_S, fcvt_s_wu, "fcvt.s.wu") RM6(FROMX_S, fcvt_s_l, "fcvt.s.l") RM6(FROMX_S, fcvt_s_lu, "fcvt.s.lu")
RM6(FROMX_D, fcvt_d_l, "fcvt.d.l") RM6(FROMX_D, fcvt_d_lu, "fcvt.d.lu")
RM6(D2S, fcvt_s_d, "fcvt.s.d")

/* No rounding mode. */
#define NORM_BIN_S(fn, op) ASM_F(fn, MV_IN_S, op " ft3,ft0,ft1", OUT_S)
#define NORM_BIN_D(fn, op) ASM_F(fn, MV_IN_D, op " ft3,ft0,ft1", OUT_D)
#define CMP_S(fn, op) ASM_F(fn, MV_IN_S, op " %0,ft0,ft1", OUT_X)
#define CMP_D(fn, op) ASM_F(fn, MV_IN_D, op " %0,ft0,ft1", OUT_X)
NORM_BIN_S(fmin_s, "fmin.s") NORM_BIN_S(fmax_s, "fmax.s")
NORM_BIN_S(fsgnj_s, "fsgnj.s") NORM_BIN_S(fsgnjn_s, "fsgnjn.s") NORM_BIN_S(fsgnjx_s, "fsgnjx.s")
NORM_BIN_D(fmin_d, "fmin.d") NORM_BIN_D(fmax_d, "fmax.d")
NORM_BIN_D(fsgnj_d, "fsgnj.d") NORM_BIN_D(fsgnjn_d, "fsgnjn.d") NORM_BIN_D(fsgnjx_d, "fsgnjx.d")
CMP_S(feq_s, "feq.s") CMP_S(flt_s, "flt.s") CMP_S(fle_s, "fle.s")
CMP_D(feq_d, "feq.d") CMP_D(flt_d, "flt.d") CMP_D(fle_d, "fle.d")
ASM_F(fclass_s, MV_IN_S, "fclass.s %0,ft0", OUT_X)
ASM_F(fclass_d, MV_IN_D, "fclass.d %0,ft0", OUT_X)
ASM_F(fcvt_d_s, MV_IN_S, "fcvt.d.s ft3,ft0", OUT_D)
/* Exact: the assembler takes no rounding mode (it encodes rne). */
ASM_F(fcvt_d_w, FLAGS_IN, "fcvt.d.w ft3,%2", OUT_D)
ASM_F(fcvt_d_wu, FLAGS_IN, "fcvt.d.wu ft3,%2", OUT_D)

static const uint64_t s_bin[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x3dcccccd, 0x00000001,
    0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
};
static const uint64_t s_un[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x3dcccccd, 0x40400000, 0x3f800001,
    0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
    0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x4f000000, 0xcf000000, 0xcf000001, 0x4f800000,
    0x5f000000, 0xdf000000, 0x5f800000, 0xff812345, 0xbf7fffff, 0x40000000, 0x7fffffff,
};
static const uint64_t s_fma[] = { 0x80000000, 0x3f800001, 0xbf800000, 0x3dcccccd, 0x7f7fffff, 0x7f800000, 0x7fc00000 };
static const uint64_t d_bin[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000, 0x3fb999999999999a,
    0x0000000000000001, 0x0010000000000000, 0x7fefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000,
    0x7ff8000000000000, 0x7ff0000000000001,
};
static const uint64_t d_un[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000, 0x3fb999999999999a,
    0x4008000000000000, 0x3ff0000000000001, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
    0x7fefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0x7ff0000000000001,
    0x3fe0000000000000, 0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x41e0000000000000,
    0xc1e0000000000000, 0xc1e0000000200000, 0x41efffffffe00000, 0x41effffffff00000, 0x41f0000000000000,
    0x43e0000000000000, 0xc3e0000000000000, 0x43f0000000000000, 0xfff0000000012345, 0x7fffffffffffffff,
    /* for fcvt.s.d: float overflow, float subnormals, ties and near-ties at float precision */
    0x48078287f49c4a1d, 0x47effffff0000000, 0x47efffffe0000000, 0x37a16c262777579c, 0x358dee7a4ad4b81f,
    0x3696d601ad376ab9, 0x3ff0000010000000, 0x3ff0000010000001, 0x3ff0000030000000, 0xbff0000010000000,
    0x7ff8000000012345, 0x380fffffffffffff, 0x3810000000000000, 0x36a0000000000000, 0xb6a0000000000000,
};
static const uint64_t d_fma[] = {
    0x8000000000000000, 0x3ff0000000000001, 0xbff0000000000000, 0x3fb999999999999a, 0x7fefffffffffffff,
    0x7ff0000000000000, 0x7ff8000000000000,
};
static const uint64_t ints[] = {
    0, 1, 0xffffffffffffffff, 3, 0xfffffffffffffffd, 16777217, 0xfffffffffeffffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0xffffff7f, 0x0020000000000001, 0x7fffffffffffffff, 0x8000000000000000, 0x123456789abcdef1,
    0xffffffff80000001,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const char *const rms[] = { "rne", "rtz", "rdn", "rup", "rmm", "dyn" };

/* Runs fn over operands in every rounding-mode variant; arity 1, 2 or 3 (all combinations). */
static unsigned run(const char *name, const fp_fn *fns, const char *const *names, int nfns, const uint64_t *v, int n, int arity, int digits)
{
    unsigned rows = 0;
    for (int k = 0; k < nfns; k++)
    {
        header(name, names[k]);
        int nb = arity >= 2 ? n : 1, nc = arity >= 3 ? n : 1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < nb; j++)
                for (int l = 0; l < nc; l++)
                {
                    set_frm(rows % 5); /* only the dyn variant reads it */
                    unsigned fl;
                    uint64_t r = fns[k](v[i], v[j], v[l], &fl);
                    row(r, digits, fl);
                    rows++;
                }
    }
    return rows;
}

#define RUN6(name, v, arity, digits)                             \
    do {                                                         \
        static const fp_fn t[] = TABLE6(name);                   \
        total += run(#name, t, rms, 6, v, N(v), arity, digits);  \
    } while (0)
#define RUN1(name, v, arity, digits)                             \
    do {                                                         \
        static const fp_fn t[] = { name };                       \
        static const char *const none[] = { "-" };               \
        total += run(#name, t, none, 1, v, N(v), arity, digits); \
    } while (0)
/* FMA: rdn and rup (where a wrongly placed negation shows) and dyn (frm cycling through all five). */
#define RUN_FMA(name, v, digits)                                 \
    do {                                                         \
        static const fp_fn t[] = { name##_rdn, name##_rup, name##_dyn }; \
        static const char *const m[] = { "rdn", "rup", "dyn" };  \
        total += run(#name, t, m, 3, v, N(v), 3, digits);        \
    } while (0)

int main(int hart)
{
    if (hart != 0) return 0;
    unsigned total = 0;
    RUN6(fadd_s, s_bin, 2, 8); RUN6(fsub_s, s_bin, 2, 8); RUN6(fmul_s, s_bin, 2, 8); RUN6(fdiv_s, s_bin, 2, 8);
    RUN6(fsqrt_s, s_un, 1, 8);
    RUN_FMA(fmadd_s, s_fma, 8); RUN_FMA(fmsub_s, s_fma, 8); RUN_FMA(fnmsub_s, s_fma, 8); RUN_FMA(fnmadd_s, s_fma, 8);
    RUN1(fmin_s, s_bin, 2, 8); RUN1(fmax_s, s_bin, 2, 8);
    RUN1(fsgnj_s, s_bin, 2, 8); RUN1(fsgnjn_s, s_bin, 2, 8); RUN1(fsgnjx_s, s_bin, 2, 8);
    RUN1(feq_s, s_bin, 2, 1); RUN1(flt_s, s_bin, 2, 1); RUN1(fle_s, s_bin, 2, 1);
    RUN1(fclass_s, s_un, 1, 3);
    RUN6(fcvt_w_s, s_un, 1, 16); RUN6(fcvt_wu_s, s_un, 1, 16); RUN6(fcvt_l_s, s_un, 1, 16); RUN6(fcvt_lu_s, s_un, 1, 16);
    RUN6(fcvt_s_w, ints, 1, 8); RUN6(fcvt_s_wu, ints, 1, 8); RUN6(fcvt_s_l, ints, 1, 8); RUN6(fcvt_s_lu, ints, 1, 8);
    RUN1(fcvt_d_s, s_un, 1, 16);

    RUN6(fadd_d, d_bin, 2, 16); RUN6(fsub_d, d_bin, 2, 16); RUN6(fmul_d, d_bin, 2, 16); RUN6(fdiv_d, d_bin, 2, 16);
    RUN6(fsqrt_d, d_un, 1, 16);
    RUN_FMA(fmadd_d, d_fma, 16); RUN_FMA(fmsub_d, d_fma, 16); RUN_FMA(fnmsub_d, d_fma, 16); RUN_FMA(fnmadd_d, d_fma, 16);
    RUN1(fmin_d, d_bin, 2, 16); RUN1(fmax_d, d_bin, 2, 16);
    RUN1(fsgnj_d, d_bin, 2, 16); RUN1(fsgnjn_d, d_bin, 2, 16); RUN1(fsgnjx_d, d_bin, 2, 16);
    RUN1(feq_d, d_bin, 2, 1); RUN1(flt_d, d_bin, 2, 1); RUN1(fle_d, d_bin, 2, 1);
    RUN1(fclass_d, d_un, 1, 3);
    RUN6(fcvt_w_d, d_un, 1, 16); RUN6(fcvt_wu_d, d_un, 1, 16); RUN6(fcvt_l_d, d_un, 1, 16); RUN6(fcvt_lu_d, d_un, 1, 16);
    RUN1(fcvt_d_w, ints, 1, 16); RUN1(fcvt_d_wu, ints, 1, 16); RUN6(fcvt_d_l, ints, 1, 16); RUN6(fcvt_d_lu, ints, 1, 16);
    RUN6(fcvt_s_d, d_un, 1, 8);

    uart_puts("rows ");
    put_hex(total, 8);
    uart_putc('\n');
    return 0;
}
