using System.Numerics;
using System.Runtime.CompilerServices;

namespace Rivet.Cpu.Fpu;

/// <summary>
/// The software path: both formats share one implementation, specialised by the JIT through the
/// format type parameter. A finite nonzero operand is unpacked to (sign, e, m) with the value
/// m * 2^(e-62) and m's leading one at bit 62; an operation computes its exact result (or the
/// result truncated with every discarded one-bit ORed into bit 0, "jamming", which rounds the
/// same way), and <see cref="RoundPack"/> rounds it once.
/// </summary>
internal static partial class SoftFloat
{
    private interface IFormat
    {
        /// <summary>Fraction bits (the significand's precision is one more).</summary>
        static abstract int FracBits { get; }
        static abstract int Bias { get; }
        static abstract int SignShift { get; }
    }

    private readonly struct F32 : IFormat
    {
        public const uint Sign32 = 0x80000000;
        public static int FracBits => 23;
        public static int Bias => 127;
        public static int SignShift => 31;
    }

    private readonly struct F64 : IFormat
    {
        public const ulong Sign64 = 0x8000000000000000;
        public static int FracBits => 52;
        public static int Bias => 1023;
        public static int SignShift => 63;
    }

    private static ulong SignBit<T>() where T : struct, IFormat => 1UL << T.SignShift;
    private static ulong Inf<T>() where T : struct, IFormat => (ulong)(2 * T.Bias + 1) << T.FracBits;
    private static ulong QuietBit<T>() where T : struct, IFormat => 1UL << (T.FracBits - 1);
    private static ulong DefaultNaN<T>() where T : struct, IFormat => Inf<T>() | QuietBit<T>();
    private static ulong FracMask<T>() where T : struct, IFormat => (1UL << T.FracBits) - 1;
    private static ulong Abs<T>(ulong a) where T : struct, IFormat => a & ~SignBit<T>();
    private static bool SignOf<T>(ulong a) where T : struct, IFormat => (a >> T.SignShift) != 0;
    private static bool IsNaN<T>(ulong a) where T : struct, IFormat => Abs<T>(a) > Inf<T>();
    private static bool IsSNaN<T>(ulong a) where T : struct, IFormat => IsNaN<T>(a) && (a & QuietBit<T>()) == 0;
    private static ulong Zero<T>(bool sign) where T : struct, IFormat => sign ? SignBit<T>() : 0;

    /// <summary>The result of an operation with a NaN operand: NV for a signalling one, then the canonical NaN.</summary>
    private static ulong PropagateNaN<T>(ulong a, ulong b, ref FpFlags flags) where T : struct, IFormat
    {
        if (IsSNaN<T>(a) || IsSNaN<T>(b)) flags |= FpFlags.NV;
        return DefaultNaN<T>();
    }

    private static ulong Invalid<T>(ref FpFlags flags) where T : struct, IFormat
    {
        flags |= FpFlags.NV;
        return DefaultNaN<T>();
    }

    /// <summary>Unpacks a finite nonzero value to m * 2^(e-62), m's leading one at bit 62.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Unpack<T>(ulong a, out int e) where T : struct, IFormat
    {
        int exp = (int)(Abs<T>(a) >> T.FracBits);
        ulong frac = a & FracMask<T>();
        if (exp != 0)
        {
            e = exp - T.Bias;
            return (frac | (1UL << T.FracBits)) << (62 - T.FracBits);
        }
        int lz = BitOperations.LeadingZeroCount(frac);
        // A subnormal is frac * 2^(1 - Bias - FracBits); its leading one is bit 63 - lz of frac.
        e = 63 - lz + 1 - T.Bias - T.FracBits;
        return frac << (lz - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ShiftRightJam(ulong x, int n) =>
        n <= 0 ? x : n >= 63 ? (x != 0 ? 1UL : 0) : (x >> n) | ((x & ((1UL << n) - 1)) != 0 ? 1UL : 0);

    private static UInt128 ShiftRightJam(UInt128 x, int n) =>
        n <= 0 ? x : n >= 127 ? (x != 0 ? UInt128.One : UInt128.Zero) : (x >> n) | ((x & ((UInt128.One << n) - 1)) != 0 ? UInt128.One : UInt128.Zero);

    /// <summary>Whether rounding away the <paramref name="round"/> bits (half is their midpoint) increments the kept part.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool RoundsUp(bool sign, ulong kept, ulong round, ulong half, RoundingMode rm) => rm switch
    {
        RoundingMode.Rne => round > half || (round == half && (kept & 1) != 0),
        RoundingMode.Rmm => round >= half,
        RoundingMode.Rdn => sign && round != 0,
        RoundingMode.Rup => !sign && round != 0,
        _ => false,
    };

    /// <summary>
    /// Rounds the value (-1)^sign * m * 2^(e-62) (m's leading one at bit 62, lower discarded bits
    /// jammed into bit 0) to the format and packs it, raising NX, UF (tininess after rounding) and OF.
    /// </summary>
    private static ulong RoundPack<T>(bool sign, int e, ulong m, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        int p = T.FracBits + 1, rbits = 63 - p, emin = 1 - T.Bias, emax = T.Bias;
        ulong half = 1UL << (rbits - 1), mask = (1UL << rbits) - 1;
        bool tiny = false;
        if (e < emin)
        {
            // Tiny after rounding unless rounding to p bits with an unbounded exponent carries up to 2^emin.
            tiny = e < emin - 1 || (m >> rbits) != (1UL << p) - 1 || !RoundsUp(sign, m >> rbits, m & mask, half, rm);
            m = ShiftRightJam(m, emin - e);
            e = emin;
        }
        ulong kept = m >> rbits, round = m & mask;
        if (round != 0)
        {
            flags |= tiny ? FpFlags.NX | FpFlags.UF : FpFlags.NX;
            if (RoundsUp(sign, kept, round, half, rm))
            {
                kept++;
                if (kept == 1UL << p)
                {
                    kept >>= 1;
                    e++;
                }
            }
        }
        ulong s = sign ? SignBit<T>() : 0;
        if (e > emax)
        {
            flags |= FpFlags.OF | FpFlags.NX;
            bool toInf = rm is RoundingMode.Rne or RoundingMode.Rmm || (rm == RoundingMode.Rdn && sign) || (rm == RoundingMode.Rup && !sign);
            return s | (toInf ? Inf<T>() : Inf<T>() - 1);
        }
        // A subnormal (kept below 2^(p-1)) has exponent field 0; the carry into 2^(p-1) makes it the minimum normal.
        ulong expField = kept >> T.FracBits != 0 ? (ulong)(e + T.Bias) : 0;
        return s | (expField << T.FracBits) | (kept & FracMask<T>());
    }

    /// <summary>Normalises a nonzero 128-bit value S * 2^(shiftE) to 64 bits at bit 62 and rounds it.</summary>
    private static ulong RoundPack128<T>(bool sign, int shiftE, UInt128 s, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong hi = (ulong)(s >> 64), lo = (ulong)s;
        int msb = hi != 0 ? 127 - BitOperations.LeadingZeroCount(hi) : 63 - BitOperations.LeadingZeroCount(lo);
        ulong m = msb > 62 ? (ulong)ShiftRightJam(s, msb - 62) : lo << (62 - msb);
        return RoundPack<T>(sign, shiftE + msb, m, rm, ref flags);
    }

    private static ulong AddCore<T>(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong absA = Abs<T>(a), absB = Abs<T>(b), inf = Inf<T>();
        if (absA > inf || absB > inf) return PropagateNaN<T>(a, b, ref flags);
        bool sa = SignOf<T>(a), sb = SignOf<T>(b);
        if (absA == inf) return absB == inf && sa != sb ? Invalid<T>(ref flags) : a;
        if (absB == inf) return b;
        if (absA == 0) return absB != 0 ? b : sa == sb ? a : Zero<T>(rm == RoundingMode.Rdn);
        if (absB == 0) return a;
        ulong ma = Unpack<T>(a, out int ea) >> 1, mb = Unpack<T>(b, out int eb) >> 1;
        bool sign = sa;
        if (ea < eb || (ea == eb && ma < mb))
        {
            (ma, mb) = (mb, ma);
            (ea, eb) = (eb, ea);
            sign = sb;
        }
        // Operands at bit 61 (room for the carry); the smaller one aligned with its lost bits jammed.
        mb = ShiftRightJam(mb, ea - eb);
        ulong m;
        if (sa == sb)
        {
            m = ma + mb;
        }
        else
        {
            m = ma - mb;
            if (m == 0) return Zero<T>(rm == RoundingMode.Rdn);
        }
        int lz = BitOperations.LeadingZeroCount(m);
        return RoundPack<T>(sign, ea + 2 - lz, m << (lz - 1), rm, ref flags);
    }

    private static ulong MulCore<T>(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong absA = Abs<T>(a), absB = Abs<T>(b), inf = Inf<T>();
        if (absA > inf || absB > inf) return PropagateNaN<T>(a, b, ref flags);
        bool sign = SignOf<T>(a) != SignOf<T>(b);
        if (absA == inf || absB == inf) return absA == 0 || absB == 0 ? Invalid<T>(ref flags) : Zero<T>(sign) | inf;
        if (absA == 0 || absB == 0) return Zero<T>(sign);
        ulong ma = Unpack<T>(a, out int ea), mb = Unpack<T>(b, out int eb);
        ulong hi = Math.BigMul(ma, mb, out ulong lo);
        // The product is in [2^124, 2^126): value = P * 2^(ea+eb-124).
        return RoundPack128<T>(sign, ea + eb - 124, new UInt128(hi, lo), rm, ref flags);
    }

    private static ulong DivCore<T>(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong absA = Abs<T>(a), absB = Abs<T>(b), inf = Inf<T>();
        if (absA > inf || absB > inf) return PropagateNaN<T>(a, b, ref flags);
        bool sign = SignOf<T>(a) != SignOf<T>(b);
        if (absA == inf) return absB == inf ? Invalid<T>(ref flags) : Zero<T>(sign) | inf;
        if (absB == inf) return Zero<T>(sign);
        if (absB == 0)
        {
            if (absA == 0) return Invalid<T>(ref flags);
            flags |= FpFlags.DZ;
            return Zero<T>(sign) | inf;
        }
        if (absA == 0) return Zero<T>(sign);
        ulong ma = Unpack<T>(a, out int ea), mb = Unpack<T>(b, out int eb);
        // ma/mb is in (1/2, 2), so the quotient of ma*2^62 by mb has 62 or 63 bits.
        UInt128 n = (UInt128)ma << 62;
        ulong q = (ulong)(n / mb);
        ulong sticky = (UInt128)q * mb != n ? 1UL : 0;
        return q >> 62 != 0
            ? RoundPack<T>(sign, ea - eb, q | sticky, rm, ref flags)
            : RoundPack<T>(sign, ea - eb - 1, (q << 1) | sticky, rm, ref flags);
    }

    private static ulong SqrtCore<T>(ulong a, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong absA = Abs<T>(a), inf = Inf<T>();
        if (absA > inf) return PropagateNaN<T>(a, a, ref flags);
        if (absA == 0) return a;
        if (SignOf<T>(a)) return Invalid<T>(ref flags);
        if (absA == inf) return a;
        ulong m = Unpack<T>(a, out int e);
        // N = m * 2^62 (e even) or m * 2^63 (e odd), so that sqrt(N) has its leading one at bit 62.
        int odd = e & 1;
        UInt128 n = (UInt128)m << (62 + odd);
        ulong r = ISqrt(n);
        ulong sticky = (UInt128)r * r != n ? 1UL : 0;
        return RoundPack<T>(false, (e - odd) >> 1, r | sticky, rm, ref flags);
    }

    /// <summary>floor(sqrt(n)) for n in [2^124, 2^126).</summary>
    private static ulong ISqrt(UInt128 n)
    {
        double d = Math.Sqrt((double)n);
        ulong r = d >= 9223372036854775808.0 ? ulong.MaxValue >> 1 : (ulong)d;
        // One Newton step from the host estimate (relative error ~2^-52) leaves an error of at most a few units.
        r = (ulong)(((UInt128)r + n / r) >> 1);
        while ((UInt128)r * r > n) r--;
        while ((UInt128)(r + 1) * (r + 1) <= n) r++;
        return r;
    }

    private static ulong MulAddCore<T>(ulong a, ulong b, ulong c, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        ulong absA = Abs<T>(a), absB = Abs<T>(b), absC = Abs<T>(c), inf = Inf<T>();
        bool infZero = (absA == inf && absB == 0) || (absA == 0 && absB == inf);
        if (absA > inf || absB > inf || absC > inf)
        {
            // RISC-V (as QEMU's softfloat for it): 0 * inf raises NV even when c is a quiet NaN.
            if (IsSNaN<T>(a) || IsSNaN<T>(b) || IsSNaN<T>(c) || infZero) flags |= FpFlags.NV;
            return DefaultNaN<T>();
        }
        if (infZero) return Invalid<T>(ref flags);
        bool sp = SignOf<T>(a) != SignOf<T>(b), sc = SignOf<T>(c);
        if (absA == inf || absB == inf) return absC == inf && sc != sp ? Invalid<T>(ref flags) : Zero<T>(sp) | inf;
        if (absC == inf) return c;
        if (absA == 0 || absB == 0) return absC != 0 ? c : sp == sc ? Zero<T>(sp) : Zero<T>(rm == RoundingMode.Rdn);
        if (absC == 0) return MulCore<T>(a, b, rm, ref flags);

        ulong ma = Unpack<T>(a, out int ea), mb = Unpack<T>(b, out int eb), mc = Unpack<T>(c, out int ec);
        ulong hi = Math.BigMul(ma, mb, out ulong lo);
        // Both terms as X * 2^(E-124): the product P in [2^124, 2^126), c as mc * 2^62.
        UInt128 p = new(hi, lo), cw = (UInt128)mc << 62;
        int ep = ea + eb;
        int e;
        if (ep >= ec)
        {
            cw = ShiftRightJam(cw, ep - ec);
            e = ep;
        }
        else
        {
            p = ShiftRightJam(p, ec - ep);
            e = ec;
        }
        UInt128 s;
        bool sign;
        if (sp == sc)
        {
            s = p + cw;
            sign = sp;
        }
        else if (p >= cw)
        {
            s = p - cw;
            sign = sp;
        }
        else
        {
            s = cw - p;
            sign = sc;
        }
        if (s == 0) return Zero<T>(rm == RoundingMode.Rdn);
        return RoundPack128<T>(sign, e - 124, s, rm, ref flags);
    }

    private static ulong MinMax<T>(ulong a, ulong b, bool max, ref FpFlags flags) where T : struct, IFormat
    {
        bool na = IsNaN<T>(a), nb = IsNaN<T>(b);
        if (IsSNaN<T>(a) || IsSNaN<T>(b)) flags |= FpFlags.NV;
        // IEEE 754-2019 minimumNumber/maximumNumber: a NaN loses to a number; -0 < +0.
        if (na) return nb ? DefaultNaN<T>() : b;
        if (nb) return a;
        return LessTotal<T>(a, b) == max ? b : a;
    }

    /// <summary>a &lt; b for non-NaN values, with -0 below +0.</summary>
    private static bool LessTotal<T>(ulong a, ulong b) where T : struct, IFormat
    {
        bool sa = SignOf<T>(a), sb = SignOf<T>(b);
        if (sa != sb) return sa;
        return a != b && ((a < b) ^ sa);
    }

    private static bool Eq<T>(ulong a, ulong b, ref FpFlags flags) where T : struct, IFormat
    {
        if (IsNaN<T>(a) || IsNaN<T>(b))
        {
            if (IsSNaN<T>(a) || IsSNaN<T>(b)) flags |= FpFlags.NV;
            return false;
        }
        return a == b || (Abs<T>(a) | Abs<T>(b)) == 0;
    }

    private static bool Lt<T>(ulong a, ulong b, bool orEqual, ref FpFlags flags) where T : struct, IFormat
    {
        if (IsNaN<T>(a) || IsNaN<T>(b))
        {
            flags |= FpFlags.NV;
            return false;
        }
        if ((Abs<T>(a) | Abs<T>(b)) == 0) return orEqual;
        return orEqual ? a == b || LessTotal<T>(a, b) : LessTotal<T>(a, b);
    }

    private static ulong Class<T>(ulong a) where T : struct, IFormat
    {
        ulong abs = Abs<T>(a), inf = Inf<T>();
        bool neg = SignOf<T>(a);
        int bit;
        if (abs > inf) bit = (a & QuietBit<T>()) != 0 ? 9 : 8;
        else if (abs == inf) bit = neg ? 0 : 7;
        else if (abs == 0) bit = neg ? 3 : 4;
        else if (abs >> T.FracBits == 0) bit = neg ? 2 : 5;
        else bit = neg ? 1 : 6;
        return 1UL << bit;
    }

    /// <summary>Rounds a finite value to an integer magnitude; <paramref name="inexact"/> when a fraction was dropped.
    /// Magnitudes of 2^64 and above return <c>null</c>.</summary>
    private static ulong? RoundToInteger<T>(ulong a, RoundingMode rm, out bool inexact) where T : struct, IFormat
    {
        inexact = false;
        if (Abs<T>(a) == 0) return 0;
        bool sign = SignOf<T>(a);
        ulong m = Unpack<T>(a, out int e);
        if (e >= 64) return null;
        if (e >= 62) return m << (e - 62);
        ulong ipart, round, half;
        if (e >= -1)
        {
            int s = 62 - e;
            ipart = m >> s;
            round = m & ((1UL << s) - 1);
            half = 1UL << (s - 1);
        }
        else
        {
            // Below 1/2: only the directed modes can round it up.
            ipart = 0;
            round = 1;
            half = 2;
        }
        if (round == 0) return ipart;
        inexact = true;
        return RoundsUp(sign, ipart, round, half, rm) ? ipart + 1 : ipart;
    }

    private static long ToInt<T>(ulong a, RoundingMode rm, long min, long max, ref FpFlags flags) where T : struct, IFormat
    {
        if (IsNaN<T>(a))
        {
            flags |= FpFlags.NV;
            return max;
        }
        bool sign = SignOf<T>(a);
        bool inexact = false;
        ulong? r = Abs<T>(a) == Inf<T>() ? null : RoundToInteger<T>(a, rm, out inexact);
        // Out of range: NV alone (no NX), the limit on the value's side.
        if (r is not ulong v || (sign ? v > (ulong)-(min + 1) + 1 : v > (ulong)max))
        {
            flags |= FpFlags.NV;
            return sign ? min : max;
        }
        if (inexact) flags |= FpFlags.NX;
        return sign ? (long)(0 - v) : (long)v;
    }

    private static ulong ToUInt<T>(ulong a, RoundingMode rm, ulong max, ref FpFlags flags) where T : struct, IFormat
    {
        if (IsNaN<T>(a))
        {
            flags |= FpFlags.NV;
            return max;
        }
        bool sign = SignOf<T>(a);
        bool inexact = false;
        ulong? r = Abs<T>(a) == Inf<T>() ? null : RoundToInteger<T>(a, rm, out inexact);
        // A negative value that rounds to zero is in range (NX only).
        if (r is not ulong v || (sign ? v != 0 : v > max))
        {
            flags |= FpFlags.NV;
            return sign ? 0 : max;
        }
        if (inexact) flags |= FpFlags.NX;
        return v;
    }

    private static ulong FromInt<T>(bool sign, ulong magnitude, RoundingMode rm, ref FpFlags flags) where T : struct, IFormat
    {
        if (magnitude == 0) return 0;
        int lz = BitOperations.LeadingZeroCount(magnitude);
        ulong m = lz == 0 ? (magnitude >> 1) | (magnitude & 1) : magnitude << (lz - 1);
        return RoundPack<T>(sign, 63 - lz, m, rm, ref flags);
    }

    /// <summary>fcvt between the formats: NaN to the target's canonical NaN (NV if signalling), others rounded.</summary>
    private static ulong Convert<TFrom, TTo>(ulong a, RoundingMode rm, ref FpFlags flags)
        where TFrom : struct, IFormat where TTo : struct, IFormat
    {
        ulong abs = Abs<TFrom>(a);
        bool sign = SignOf<TFrom>(a);
        if (abs > Inf<TFrom>())
        {
            if (IsSNaN<TFrom>(a)) flags |= FpFlags.NV;
            return DefaultNaN<TTo>();
        }
        if (abs == Inf<TFrom>()) return Zero<TTo>(sign) | Inf<TTo>();
        if (abs == 0) return Zero<TTo>(sign);
        ulong m = Unpack<TFrom>(a, out int e);
        return RoundPack<TTo>(sign, e, m, rm, ref flags);
    }
}
