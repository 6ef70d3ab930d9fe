/*
 * fpref: the independent reference for Rivet's SoftFloat differential test (tests/fpref).
 * It computes each case with the host's C library and FP environment (x86-64 SSE: IEEE 754
 * with tininess detected after rounding, as RISC-V) and reports the result bits and the flags.
 *
 * Protocol (little-endian, on stdin/stdout): a batch header {u32 op, u32 rm, u32 count}, then
 * count records {u64 a, b, c}; the answer is count u64 results, then count u8 flags (RISC-V
 * fflags bits: NX 1, UF 2, OF 4, DZ 8, NV 16). Ops: FpOp in FpDiff.cs (+32 for binary64).
 *
 * Where C is silent or differs from RISC-V, the RISC-V rule is applied here by the spec's table:
 * every NaN result becomes the canonical NaN; float-to-integer conversions take the C library
 * only for the rounding of in-range values (NaN and out-of-range results and their NV from the
 * spec); fma raises NV for infinity times zero even when the addend is a quiet NaN; min/max are IEEE 754-2019 minimumNumber/maximumNumber. C has no round-to-max-magnitude
 * mode: RMM is computed in round-to-nearest-even and then, if the exact result (in __float128,
 * checked exact by its inexact flag) is a tie, moved to the neighbour of larger magnitude.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ADD, SUB, MUL, DIV, SQRT, FMA, MIN, MAX, EQ, LT, LE, CLASS, CVT_W, CVT_WU, CVT_L, CVT_LU,
       FROM_W, FROM_WU, FROM_L, FROM_LU, CVT_FMT, NOPS };
#define DBL 32
#define BATCH 65536
#define CAN32 0x7fc00000u
#define CAN64 0x7ff8000000000000ull

typedef __float128 quad;

static unsigned take_flags(void)
{
    int e = fetestexcept(FE_ALL_EXCEPT);
    unsigned f = 0;
    if (e & FE_INEXACT) f |= 1;
    if (e & FE_UNDERFLOW) f |= 2;
    if (e & FE_OVERFLOW) f |= 4;
    if (e & FE_DIVBYZERO) f |= 8;
    if (e & FE_INVALID) f |= 16;
    return f;
}

static float f_of(uint64_t a) { uint32_t u = (uint32_t)a; float f; memcpy(&f, &u, 4); return f; }
static double d_of(uint64_t a) { double d; memcpy(&d, &a, 8); return d; }
static uint64_t bits_f(float f) { uint32_t u; if (isnan(f)) return CAN32; memcpy(&u, &f, 4); return u; }
static uint64_t bits_d(double d) { uint64_t u; if (isnan(d)) return CAN64; memcpy(&u, &d, 8); return u; }

/* Operations in their own functions, so the compiler cannot move them across the flag calls. */
__attribute__((noipa)) static float addf(float a, float b) { return a + b; }
__attribute__((noipa)) static float subf(float a, float b) { return a - b; }
__attribute__((noipa)) static float mulf(float a, float b) { return a * b; }
__attribute__((noipa)) static float divf(float a, float b) { return a / b; }
__attribute__((noipa)) static int eqf(float a, float b) { return a == b; }
__attribute__((noipa)) static int ltf(float a, float b) { return a < b; }
__attribute__((noipa)) static int lef(float a, float b) { return a <= b; }
__attribute__((noipa)) static double addd(double a, double b) { return a + b; }
__attribute__((noipa)) static double subd(double a, double b) { return a - b; }
__attribute__((noipa)) static double muld(double a, double b) { return a * b; }
__attribute__((noipa)) static double divd(double a, double b) { return a / b; }
__attribute__((noipa)) static int eqd(double a, double b) { return a == b; }
__attribute__((noipa)) static int ltd(double a, double b) { return a < b; }
__attribute__((noipa)) static int led(double a, double b) { return a <= b; }
__attribute__((noipa)) static quad addq(quad a, quad b) { return a + b; }
__attribute__((noipa)) static quad mulq(quad a, quad b) { return a * b; }
__attribute__((noipa)) static quad divq(quad a, quad b) { return a / b; }

/* The exact value of the operation in quad, or 0 in *ok when it is not exact there (then it is
 * no tie: a tie has p+1 <= 54 significant bits, which quad holds exactly). */
static quad exact(int op, quad a, quad b, quad c, int *ok)
{
    feclearexcept(FE_ALL_EXCEPT);
    quad v;
    switch (op) {
    case ADD: v = addq(a, b); break;
    case SUB: v = addq(a, -b); break;
    case MUL: v = mulq(a, b); break;
    case DIV: v = divq(a, b); break;
    case FMA: v = addq(mulq(a, b), c); break; /* the product of two <= 53-bit significands is exact */
    default: v = a; break;
    }
    *ok = !fetestexcept(FE_INEXACT | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID | FE_DIVBYZERO);
    return v;
}

/* RMM from the RNE result s and the exact value v: only a tie rounds differently. */
static float rmm_f(float s, quad v)
{
    if (!isfinite(s) || v == (quad)s) return s;
    float n = nextafterf(s, v > (quad)s ? INFINITY : -INFINITY);
    return (v - (quad)s) * 2 == (quad)n - (quad)s && fabsf(n) > fabsf(s) ? n : s;
}

static double rmm_d(double s, quad v)
{
    if (!isfinite(s) || v == (quad)s) return s;
    double n = nextafter(s, v > (quad)s ? INFINITY : -INFINITY);
    return (v - (quad)s) * 2 == (quad)n - (quad)s && fabs(n) > fabs(s) ? n : s;
}

static uint64_t class_of(int fpc, int neg, int snan)
{
    switch (fpc) {
    case FP_INFINITE: return neg ? 1u << 0 : 1u << 7;
    case FP_NORMAL: return neg ? 1u << 1 : 1u << 6;
    case FP_SUBNORMAL: return neg ? 1u << 2 : 1u << 5;
    case FP_ZERO: return neg ? 1u << 3 : 1u << 4;
    default: return snan ? 1u << 8 : 1u << 9;
    }
}

/* float -> integer: the C library rounds (rint in the current mode, round for RMM), the spec's
 * table decides range, saturation and NV; NX when in range and the rounding changed the value. */
static uint64_t to_int(double x, int rmm, double lo, double hi_excl, int64_t lo_i, uint64_t hi_i, int sgn, unsigned *fl)
{
    if (isnan(x)) { *fl = 16; return hi_i; }
    double r = rmm ? round(x) : rint(x);
    if (r < lo) { *fl = 16; return (uint64_t)lo_i; }
    if (r >= hi_excl) { *fl = 16; return hi_i; }
    *fl = r != x ? 1 : 0;
    if (sgn) return (uint64_t)(int64_t)r;
    return r == 0 ? 0 : (uint64_t)r;
}

static void run32(int op, int rmm, uint64_t ab, uint64_t bb, uint64_t cb, uint64_t *res, unsigned *fl)
{
    volatile float a = f_of(ab), b = f_of(bb), c = f_of(cb);
    volatile float r = 0;
    int ok;
    feclearexcept(FE_ALL_EXCEPT);
    switch (op) {
    case ADD: r = addf(a, b); break;
    case SUB: r = subf(a, b); break;
    case MUL: r = mulf(a, b); break;
    case DIV: r = divf(a, b); break;
    case SQRT: r = sqrtf(a); break;
    case FMA: r = fmaf(a, b, c); break;
    case MIN: case MAX: {
        int mx = op == MAX;
        *fl = issignaling(a) || issignaling(b) ? 16 : 0;
        if (isnan(a) && isnan(b)) *res = CAN32;
        else if (isnan(a)) *res = (uint32_t)bb;
        else if (isnan(b)) *res = (uint32_t)ab;
        else if (a != b) *res = (mx ? a > b : a < b) ? (uint32_t)ab : (uint32_t)bb;
        else *res = (signbit(a) != 0) == !mx ? (uint32_t)ab : (uint32_t)bb;
        return;
    }
    case EQ: *res = eqf(a, b); *fl = take_flags(); return;
    case LT: *res = ltf(a, b); *fl = take_flags(); return;
    case LE: *res = lef(a, b); *fl = take_flags(); return;
    case CLASS: *res = class_of(fpclassify(a), signbit(a) != 0, issignaling(a)); *fl = 0; return;
    case CVT_W: *res = (uint64_t)(int64_t)(int32_t)to_int(a, rmm, -0x1p31, 0x1p31, INT32_MIN, INT32_MAX, 1, fl); return;
    case CVT_WU: *res = (uint32_t)to_int(a, rmm, -0.5 /* any r <= -1 */, 0x1p32, 0, UINT32_MAX, 0, fl); return;
    case CVT_L: *res = to_int(a, rmm, -0x1p63, 0x1p63, INT64_MIN, INT64_MAX, 1, fl); return;
    case CVT_LU: *res = to_int(a, rmm, -0.5, 0x1p64, 0, UINT64_MAX, 0, fl); return;
    case FROM_W: r = (float)(int32_t)ab; if (rmm) { unsigned f = take_flags(); r = rmm_f(r, (quad)(int32_t)ab); *res = bits_f(r); *fl = f; return; } break;
    case FROM_WU: r = (float)(uint32_t)ab; if (rmm) { unsigned f = take_flags(); r = rmm_f(r, (quad)(uint32_t)ab); *res = bits_f(r); *fl = f; return; } break;
    case FROM_L: r = (float)(int64_t)ab; if (rmm) { unsigned f = take_flags(); r = rmm_f(r, (quad)(int64_t)ab); *res = bits_f(r); *fl = f; return; } break;
    case FROM_LU: r = (float)ab; if (rmm) { unsigned f = take_flags(); r = rmm_f(r, (quad)ab); *res = bits_f(r); *fl = f; return; } break;
    case CVT_FMT: { volatile double d = a; *fl = take_flags(); *res = bits_d(d); return; }
    }
    *fl = take_flags();
    /* The RISC-V spec: fma raises NV when the multiplicands are infinity and zero even if the
     * addend is a quiet NaN (IEEE 754 leaves it to the implementation; x86 does not). */
    if (op == FMA && ((isinf(a) && b == 0) || (a == 0 && isinf(b)))) *fl |= 16;
    if (rmm && op != SQRT) { /* sqrt has no ties: sqrt of a p-bit number never has exactly p+1 bits */
        quad v = exact(op, a, b, c, &ok);
        if (ok) r = rmm_f(r, v);
    }
    *res = bits_f(r);
}

static void run64(int op, int rmm, uint64_t ab, uint64_t bb, uint64_t cb, uint64_t *res, unsigned *fl)
{
    volatile double a = d_of(ab), b = d_of(bb), c = d_of(cb);
    volatile double r = 0;
    int ok;
    feclearexcept(FE_ALL_EXCEPT);
    switch (op) {
    case ADD: r = addd(a, b); break;
    case SUB: r = subd(a, b); break;
    case MUL: r = muld(a, b); break;
    case DIV: r = divd(a, b); break;
    case SQRT: r = sqrt(a); break;
    case FMA: r = fma(a, b, c); break;
    case MIN: case MAX: {
        int mx = op == MAX;
        *fl = issignaling(a) || issignaling(b) ? 16 : 0;
        if (isnan(a) && isnan(b)) *res = CAN64;
        else if (isnan(a)) *res = bb;
        else if (isnan(b)) *res = ab;
        else if (a != b) *res = (mx ? a > b : a < b) ? ab : bb;
        else *res = (signbit(a) != 0) == !mx ? ab : bb;
        return;
    }
    case EQ: *res = eqd(a, b); *fl = take_flags(); return;
    case LT: *res = ltd(a, b); *fl = take_flags(); return;
    case LE: *res = led(a, b); *fl = take_flags(); return;
    case CLASS: *res = class_of(fpclassify(a), signbit(a) != 0, issignaling(a)); *fl = 0; return;
    case CVT_W: *res = (uint64_t)(int64_t)(int32_t)to_int(a, rmm, -0x1p31, 0x1p31, INT32_MIN, INT32_MAX, 1, fl); return;
    case CVT_WU: *res = (uint32_t)to_int(a, rmm, -0.5, 0x1p32, 0, UINT32_MAX, 0, fl); return;
    case CVT_L: *res = to_int(a, rmm, -0x1p63, 0x1p63, INT64_MIN, INT64_MAX, 1, fl); return;
    case CVT_LU: *res = to_int(a, rmm, -0.5, 0x1p64, 0, UINT64_MAX, 0, fl); return;
    case FROM_W: r = (double)(int32_t)ab; break;
    case FROM_WU: r = (double)(uint32_t)ab; break;
    case FROM_L: r = (double)(int64_t)ab; if (rmm) { unsigned f = take_flags(); *res = bits_d(rmm_d(r, (quad)(int64_t)ab)); *fl = f; return; } break;
    case FROM_LU: r = (double)ab; if (rmm) { unsigned f = take_flags(); *res = bits_d(rmm_d(r, (quad)ab)); *fl = f; return; } break;
    case CVT_FMT: {
        volatile float s = (float)a;
        *fl = take_flags();
        if (rmm) { float t = rmm_f(s, (quad)a); *res = bits_f(t); } else *res = bits_f(s);
        return;
    }
    }
    *fl = take_flags();
    if (op == FMA && ((isinf(a) && b == 0) || (a == 0 && isinf(b)))) *fl |= 16;
    if (rmm && op != SQRT && op < MIN) {
        quad v = exact(op, a, b, c, &ok);
        if (ok) r = rmm_d(r, v);
    }
    *res = bits_d(r);
}

static const int modes[5] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD, FE_TONEAREST };

int main(void)
{
    static uint64_t in[3 * BATCH], out[BATCH];
    static uint8_t fl[BATCH];
    uint32_t h[3];
    setvbuf(stdin, NULL, _IOFBF, 1 << 20);
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    while (fread(h, sizeof h, 1, stdin) == 1) {
        uint32_t op = h[0], rm = h[1], n = h[2];
        if (n > BATCH || rm > 4 || (op & ~DBL) >= NOPS || fread(in, 24, n, stdin) != n) {
            fprintf(stderr, "fpref: bad batch (op %u rm %u count %u)\n", op, rm, n);
            return 2;
        }
        fesetround(modes[rm]);
        for (uint32_t i = 0; i < n; i++) {
            unsigned f = 0;
            if (op & DBL) run64(op & ~DBL, rm == 4, in[3 * i], in[3 * i + 1], in[3 * i + 2], &out[i], &f);
            else run32(op, rm == 4, in[3 * i], in[3 * i + 1], in[3 * i + 2], &out[i], &f);
            fl[i] = (uint8_t)f;
        }
        fesetround(FE_TONEAREST);
        if (fwrite(out, 8, n, stdout) != n || fwrite(fl, 1, n, stdout) != n || fflush(stdout) != 0) return 3;
    }
    return 0;
}
