using System.Numerics;
using System.Runtime.CompilerServices;

namespace Rivet.Cpu.Fpu;

/// <summary>Rounding modes as the instruction's rm field and frm encode them (5-7 are not modes).</summary>
internal enum RoundingMode : byte
{
    /// <summary>Round to nearest, ties to even.</summary>
    Rne = 0,
    /// <summary>Round towards zero.</summary>
    Rtz = 1,
    /// <summary>Round down (towards -infinity).</summary>
    Rdn = 2,
    /// <summary>Round up (towards +infinity).</summary>
    Rup = 3,
    /// <summary>Round to nearest, ties to max magnitude.</summary>
    Rmm = 4,
}

/// <summary>The accrued exception flags as fflags holds them.</summary>
[Flags]
internal enum FpFlags : byte
{
    None = 0,
    /// <summary>Inexact.</summary>
    NX = 1,
    /// <summary>Underflow.</summary>
    UF = 2,
    /// <summary>Overflow.</summary>
    OF = 4,
    /// <summary>Divide by zero.</summary>
    DZ = 8,
    /// <summary>Invalid operation.</summary>
    NV = 16,
}

/// <summary>
/// IEEE 754-2008 binary32 and binary64 arithmetic as RISC-V's F and D define it: values are raw
/// bits (binary32 in a uint, binary64 in a ulong), every operation rounds in the given mode,
/// ORs the exceptions it raises into <c>flags</c>, detects tininess after rounding and returns
/// the canonical NaN (0x7fc00000 / 0x7ff8000000000000) for every NaN result.
///
/// Each arithmetic operation has a software path (SoftFloat.Core.cs: exact integer arithmetic on
/// the significands, then one rounding) and, for round-to-nearest-even, a host fast path that is
/// taken only where the host's result is provably the correctly rounded one and its inexactness
/// can be decided exactly (see docs/FLOATING-POINT.md). Both are checked against the host C library
/// by the differential test (tests/fpref).
/// </summary>
internal static partial class SoftFloat
{
    public const uint CanonicalNaN32 = 0x7fc00000;
    public const ulong CanonicalNaN64 = 0x7ff8000000000000;

    // Host fast paths apply to results (and, where said, operands) whose magnitude lies in these
    // ranges: normal with margin, so that the error-free transformations below are exact.
    private static readonly double FastMin64 = Math.ScaleB(1.0, -900), FastMax64 = Math.ScaleB(1.0, 900);
    private static readonly float FastMin32 = MathF.ScaleB(1f, -100), FastMax32 = MathF.ScaleB(1f, 100);

    private static float F(uint a) => BitConverter.UInt32BitsToSingle(a);
    private static double D(ulong a) => BitConverter.UInt64BitsToDouble(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InFast(float x) => MathF.Abs(x) >= FastMin32 && MathF.Abs(x) <= FastMax32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InFast(double x) => Math.Abs(x) >= FastMin64 && Math.Abs(x) <= FastMax64;

    // ---------------- binary32 ----------------

    public static uint Add32(uint a, uint b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            float x = F(a), y = F(b), s = x + y;
            // TwoSum: the rounding error of s, exact for any finite operands (no overflow here).
            if (InFast(s) && InFast(x) && InFast(y))
            {
                float bb = s - x, err = (x - (s - bb)) + (y - bb);
                if (err != 0) flags |= FpFlags.NX;
                return BitConverter.SingleToUInt32Bits(s);
            }
        }
        return (uint)AddCore<F32>(a, b, rm, ref flags);
    }

    public static uint Sub32(uint a, uint b, RoundingMode rm, ref FpFlags flags) => Add32(a, b ^ F32.Sign32, rm, ref flags);

    public static uint Mul32(uint a, uint b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            // A product of two 24-bit significands is exact in a double: one rounding to float.
            double p = (double)F(a) * F(b);
            float r = (float)p;
            if (InFast(r))
            {
                if (r != p) flags |= FpFlags.NX;
                return BitConverter.SingleToUInt32Bits(r);
            }
        }
        return (uint)MulCore<F32>(a, b, rm, ref flags);
    }

    public static uint Div32(uint a, uint b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            // Double rounding through binary64 is innocuous for division (53 >= 2*24+2);
            // the quotient is exact iff r*y == x, which the 48-bit product decides exactly.
            double x = F(a), y = F(b);
            float r = (float)(x / y);
            if (InFast(r) && InFast((float)x) && InFast((float)y))
            {
                if ((double)r * y != x) flags |= FpFlags.NX;
                return BitConverter.SingleToUInt32Bits(r);
            }
        }
        return (uint)DivCore<F32>(a, b, rm, ref flags);
    }

    public static uint Sqrt32(uint a, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne && a - 0x00800000u < 0x7f000000u)
        {
            // Positive normal operand; double rounding is innocuous for sqrt (53 >= 2*24+2).
            double x = F(a);
            float r = (float)Math.Sqrt(x);
            if ((double)r * r != x) flags |= FpFlags.NX;
            return BitConverter.SingleToUInt32Bits(r);
        }
        return (uint)SqrtCore<F32>(a, rm, ref flags);
    }

    /// <summary>a * b + c with one rounding (fmsub/fnmsub/fnmadd negate a and/or c before the call).</summary>
    public static uint MulAdd32(uint a, uint b, uint c, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            // The product is exact in a double; if the sum is exact too (its TwoSum error is 0),
            // converting it to float is the only rounding.
            double p = (double)F(a) * F(b), z = F(c), s = p + z;
            double bb = s - p, err = (p - (s - bb)) + (z - bb);
            float r = (float)s;
            if (err == 0 && InFast(r))
            {
                if (r != s) flags |= FpFlags.NX;
                return BitConverter.SingleToUInt32Bits(r);
            }
        }
        return (uint)MulAddCore<F32>(a, b, c, rm, ref flags);
    }

    public static uint Min32(uint a, uint b, ref FpFlags flags) => (uint)MinMax<F32>(a, b, false, ref flags);
    public static uint Max32(uint a, uint b, ref FpFlags flags) => (uint)MinMax<F32>(a, b, true, ref flags);
    /// <summary>feq (quiet: NV only for signalling NaNs).</summary>
    public static bool Eq32(uint a, uint b, ref FpFlags flags) => Eq<F32>(a, b, ref flags);
    /// <summary>flt (signalling: NV for any NaN).</summary>
    public static bool Lt32(uint a, uint b, ref FpFlags flags) => Lt<F32>(a, b, false, ref flags);
    /// <summary>fle (signalling: NV for any NaN).</summary>
    public static bool Le32(uint a, uint b, ref FpFlags flags) => Lt<F32>(a, b, true, ref flags);
    /// <summary>fclass's one-hot mask.</summary>
    public static ulong Class32(uint a) => Class<F32>(a);
    public static bool IsSignalingNaN32(uint a) => IsSNaN<F32>(a);
    public static int ToInt32(uint a, RoundingMode rm, ref FpFlags flags) => (int)ToInt<F32>(a, rm, int.MinValue, int.MaxValue, ref flags);
    public static uint ToUInt32(uint a, RoundingMode rm, ref FpFlags flags) => (uint)ToUInt<F32>(a, rm, uint.MaxValue, ref flags);
    public static long ToInt64(uint a, RoundingMode rm, ref FpFlags flags) => ToInt<F32>(a, rm, long.MinValue, long.MaxValue, ref flags);
    public static ulong ToUInt64(uint a, RoundingMode rm, ref FpFlags flags) => ToUInt<F32>(a, rm, ulong.MaxValue, ref flags);
    public static uint Int32To32(int a, RoundingMode rm, ref FpFlags flags) => (uint)FromInt<F32>(a < 0, (ulong)Math.Abs((long)a), rm, ref flags);
    public static uint UInt32To32(uint a, RoundingMode rm, ref FpFlags flags) => (uint)FromInt<F32>(false, a, rm, ref flags);
    public static uint Int64To32(long a, RoundingMode rm, ref FpFlags flags) => (uint)FromInt<F32>(a < 0, a < 0 ? (ulong)-a : (ulong)a, rm, ref flags);
    public static uint UInt64To32(ulong a, RoundingMode rm, ref FpFlags flags) => (uint)FromInt<F32>(false, a, rm, ref flags);
    /// <summary>fcvt.d.s (exact; NV for a signalling NaN).</summary>
    public static ulong To64(uint a, ref FpFlags flags) => Convert<F32, F64>(a, RoundingMode.Rne, ref flags);

    // ---------------- binary64 ----------------

    public static ulong Add64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            double x = D(a), y = D(b), s = x + y;
            if (InFast(s) && InFast(x) && InFast(y))
            {
                double bb = s - x, err = (x - (s - bb)) + (y - bb);
                if (err != 0) flags |= FpFlags.NX;
                return BitConverter.DoubleToUInt64Bits(s);
            }
        }
        return AddCore<F64>(a, b, rm, ref flags);
    }

    public static ulong Sub64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) => Add64(a, b ^ F64.Sign64, rm, ref flags);

    public static ulong Mul64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            double x = D(a), y = D(b), p = x * y;
            // With the product well inside the normal range, x*y - p is a double, and the FMA gives it exactly.
            if (InFast(p))
            {
                if (Math.FusedMultiplyAdd(x, y, -p) != 0) flags |= FpFlags.NX;
                return BitConverter.DoubleToUInt64Bits(p);
            }
        }
        return MulCore<F64>(a, b, rm, ref flags);
    }

    public static ulong Div64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            double x = D(a), y = D(b), q = x / y;
            // The remainder x - q*y of a correctly rounded quotient is a double (no underflow here).
            if (InFast(q) && InFast(x) && InFast(y))
            {
                if (Math.FusedMultiplyAdd(-q, y, x) != 0) flags |= FpFlags.NX;
                return BitConverter.DoubleToUInt64Bits(q);
            }
        }
        return DivCore<F64>(a, b, rm, ref flags);
    }

    public static ulong Sqrt64(ulong a, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            double x = D(a);
            if (x >= FastMin64 && x <= FastMax64)
            {
                double r = Math.Sqrt(x);
                if (Math.FusedMultiplyAdd(-r, r, x) != 0) flags |= FpFlags.NX;
                return BitConverter.DoubleToUInt64Bits(r);
            }
        }
        return SqrtCore<F64>(a, rm, ref flags);
    }

    /// <summary>a * b + c with one rounding (fmsub/fnmsub/fnmadd negate a and/or c before the call).</summary>
    public static ulong MulAdd64(ulong a, ulong b, ulong c, RoundingMode rm, ref FpFlags flags)
    {
        if (rm == RoundingMode.Rne)
        {
            // When the product is exact (its FMA residual is 0), a*b + c is one addition: TwoSum's error decides NX.
            double x = D(a), y = D(b), z = D(c), p = x * y;
            if (InFast(p) && Math.FusedMultiplyAdd(x, y, -p) == 0)
            {
                double s = p + z;
                if (InFast(s) && (z == 0 || InFast(z)))
                {
                    double bb = s - p, err = (p - (s - bb)) + (z - bb);
                    if (err != 0) flags |= FpFlags.NX;
                    return BitConverter.DoubleToUInt64Bits(s);
                }
            }
        }
        return MulAddCore<F64>(a, b, c, rm, ref flags);
    }

    public static ulong Min64(ulong a, ulong b, ref FpFlags flags) => MinMax<F64>(a, b, false, ref flags);
    public static ulong Max64(ulong a, ulong b, ref FpFlags flags) => MinMax<F64>(a, b, true, ref flags);
    public static bool Eq64(ulong a, ulong b, ref FpFlags flags) => Eq<F64>(a, b, ref flags);
    public static bool Lt64(ulong a, ulong b, ref FpFlags flags) => Lt<F64>(a, b, false, ref flags);
    public static bool Le64(ulong a, ulong b, ref FpFlags flags) => Lt<F64>(a, b, true, ref flags);
    public static ulong Class64(ulong a) => Class<F64>(a);
    public static bool IsSignalingNaN64(ulong a) => IsSNaN<F64>(a);
    public static int ToInt32(ulong a, RoundingMode rm, ref FpFlags flags) => (int)ToInt<F64>(a, rm, int.MinValue, int.MaxValue, ref flags);
    public static uint ToUInt32(ulong a, RoundingMode rm, ref FpFlags flags) => (uint)ToUInt<F64>(a, rm, uint.MaxValue, ref flags);
    public static long ToInt64(ulong a, RoundingMode rm, ref FpFlags flags) => ToInt<F64>(a, rm, long.MinValue, long.MaxValue, ref flags);
    public static ulong ToUInt64(ulong a, RoundingMode rm, ref FpFlags flags) => ToUInt<F64>(a, rm, ulong.MaxValue, ref flags);
    public static ulong Int32To64(int a, RoundingMode rm, ref FpFlags flags) => BitConverter.DoubleToUInt64Bits(a);
    public static ulong UInt32To64(uint a, RoundingMode rm, ref FpFlags flags) => BitConverter.DoubleToUInt64Bits(a);
    public static ulong Int64To64(long a, RoundingMode rm, ref FpFlags flags) => FromInt<F64>(a < 0, a < 0 ? (ulong)-a : (ulong)a, rm, ref flags);
    public static ulong UInt64To64(ulong a, RoundingMode rm, ref FpFlags flags) => FromInt<F64>(false, a, rm, ref flags);
    /// <summary>fcvt.s.d (rounds).</summary>
    public static uint To32(ulong a, RoundingMode rm, ref FpFlags flags) => (uint)Convert<F64, F32>(a, rm, ref flags);
}
