using System.Runtime.CompilerServices;

namespace Rivet.Cpu.Fpu;

/// <summary>
/// QEMU's "hardfloat" (fpu/softfloat.c, <c>can_use_fpu</c>): when the rounding mode is
/// round-to-nearest-even and the inexact flag is already accrued, an F/D arithmetic instruction
/// need not find out whether it is inexact, so the host's correctly rounded result is enough
/// wherever no other flag can arise. The entry points here are what <c>Hart.ExecuteFp</c> calls:
/// they take the accrued fflags, try the host, and fall back to <see cref="SoftFloat"/>.
///
/// A Try method assumes RNE and NX already set. It takes the host only for zero or normal operands
/// (no NaN, infinity or subnormal, so no NV and no DZ) and accepts the result only when it is
/// finite and above the smallest normal (then it is not tiny after rounding: no UF), or infinite
/// (overflow: OF|NX, as the software path raises), or when an exact zero is certain (QEMU's post
/// checks: both addends or factors zero, a zero dividend, a zero product in fma). Everything else,
/// a result at or below the smallest normal included, goes to the software path, whose flags
/// then accrue as usual. So the bits are the software path's and the flags differ at most in NX,
/// which is already set (docs/FLOATING-POINT.md, "Hardfloat"; checked by the differential test).
/// </summary>
internal static class HardFloat
{
    private const uint Abs32 = 0x7FFFFFFF, MinNormal32 = 0x00800000, Inf32 = 0x7F800000, Sign32 = 0x80000000;
    private const ulong Abs64 = 0x7FFFFFFF_FFFFFFFF, MinNormal64 = 0x00100000_00000000, Inf64 = 0x7FF00000_00000000, Sign64 = 0x80000000_00000000;

    /// <summary>Whether the host may be tried: RNE, and NX already in the accrued flags.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Usable(RoundingMode rm, uint fflags) => rm == RoundingMode.Rne && (fflags & (uint)FpFlags.NX) != 0;

    // ---------------- entry points (what the hart calls) ----------------

    public static uint Add32(uint a, uint b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryAdd32(a, b, out uint r, ref flags) ? r : SoftFloat.Add32(a, b, rm, ref flags);

    public static uint Sub32(uint a, uint b, RoundingMode rm, uint fflags, ref FpFlags flags) => Add32(a, b ^ Sign32, rm, fflags, ref flags);

    public static uint Mul32(uint a, uint b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryMul32(a, b, out uint r, ref flags) ? r : SoftFloat.Mul32(a, b, rm, ref flags);

    public static uint Div32(uint a, uint b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryDiv32(a, b, out uint r, ref flags) ? r : SoftFloat.Div32(a, b, rm, ref flags);

    public static uint Sqrt32(uint a, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TrySqrt32(a, out uint r) ? r : SoftFloat.Sqrt32(a, rm, ref flags);

    /// <summary>a * b + c, one rounding (the instruction negates a and/or c before the call).</summary>
    public static uint MulAdd32(uint a, uint b, uint c, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryMulAdd32(a, b, c, out uint r, ref flags) ? r : SoftFloat.MulAdd32(a, b, c, rm, ref flags);

    public static ulong Add64(ulong a, ulong b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryAdd64(a, b, out ulong r, ref flags) ? r : SoftFloat.Add64(a, b, rm, ref flags);

    public static ulong Sub64(ulong a, ulong b, RoundingMode rm, uint fflags, ref FpFlags flags) => Add64(a, b ^ Sign64, rm, fflags, ref flags);

    public static ulong Mul64(ulong a, ulong b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryMul64(a, b, out ulong r, ref flags) ? r : SoftFloat.Mul64(a, b, rm, ref flags);

    public static ulong Div64(ulong a, ulong b, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryDiv64(a, b, out ulong r, ref flags) ? r : SoftFloat.Div64(a, b, rm, ref flags);

    public static ulong Sqrt64(ulong a, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TrySqrt64(a, out ulong r) ? r : SoftFloat.Sqrt64(a, rm, ref flags);

    /// <summary>a * b + c, one rounding (the instruction negates a and/or c before the call).</summary>
    public static ulong MulAdd64(ulong a, ulong b, ulong c, RoundingMode rm, uint fflags, ref FpFlags flags) =>
        Usable(rm, fflags) && TryMulAdd64(a, b, c, out ulong r, ref flags) ? r : SoftFloat.MulAdd64(a, b, c, rm, ref flags);

    // ---------------- the host attempts (RNE and NX set assumed) ----------------

    /// <summary>Zero or normal: the exponent field is neither all zeros (unless the fraction is 0) nor all ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ZeroOrNormal(uint a) => ((a + MinNormal32) & Inf32) >= 2 * MinNormal32 || (a & Abs32) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ZeroOrNormal(ulong a) => ((a + MinNormal64) & Inf64) >= 2 * MinNormal64 || (a & Abs64) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsZero(uint a) => (a & Abs32) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsZero(ulong a) => (a & Abs64) == 0;

    /// <summary>
    /// The post check of a host result from zero/normal operands: finite and above the smallest
    /// normal is final; infinity is an overflow (OF|NX); at or below the smallest normal (where
    /// UF may be due, or an exact zero has its sign rule) only when <paramref name="exactZero"/>
    /// says the result is an exact zero anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Accept(uint r, bool exactZero, ref FpFlags flags)
    {
        uint m = r & Abs32;
        if (m - (MinNormal32 + 1) < Inf32 - (MinNormal32 + 1)) return true;
        if (m == Inf32)
        {
            flags |= FpFlags.OF | FpFlags.NX;
            return true;
        }
        return exactZero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Accept(ulong r, bool exactZero, ref FpFlags flags)
    {
        ulong m = r & Abs64;
        if (m - (MinNormal64 + 1) < Inf64 - (MinNormal64 + 1)) return true;
        if (m == Inf64)
        {
            flags |= FpFlags.OF | FpFlags.NX;
            return true;
        }
        return exactZero;
    }

    private static float F(uint a) => BitConverter.UInt32BitsToSingle(a);
    private static double D(ulong a) => BitConverter.UInt64BitsToDouble(a);
    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);
    private static ulong Bits(double x) => BitConverter.DoubleToUInt64Bits(x);

    public static bool TryAdd32(uint a, uint b, out uint r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b)) return false;
        r = Bits(F(a) + F(b));
        return Accept(r, IsZero(a) && IsZero(b), ref flags);
    }

    public static bool TryMul32(uint a, uint b, out uint r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b)) return false;
        r = Bits(F(a) * F(b));
        return Accept(r, IsZero(a) && IsZero(b), ref flags);
    }

    public static bool TryDiv32(uint a, uint b, out uint r, ref FpFlags flags)
    {
        r = 0;
        // A zero divisor (DZ or NV) is the software path's.
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b) || IsZero(b)) return false;
        r = Bits(F(a) / F(b));
        return Accept(r, IsZero(a), ref flags);
    }

    /// <summary>+0 or a positive normal: the root is exact zero or a normal, never tiny nor infinite.</summary>
    public static bool TrySqrt32(uint a, out uint r)
    {
        r = 0;
        if (!ZeroOrNormal(a) || (a & Sign32) != 0) return false;
        r = Bits(MathF.Sqrt(F(a)));
        return true;
    }

    public static bool TryMulAdd32(uint a, uint b, uint c, out uint r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b) || !ZeroOrNormal(c)) return false;
        // A zero product: the result is c exactly, or a zero with IEEE's sum-of-zeros sign (the host's fma gives both).
        bool zeroProduct = IsZero(a) || IsZero(b);
        r = Bits(MathF.FusedMultiplyAdd(F(a), F(b), F(c)));
        return zeroProduct || Accept(r, false, ref flags);
    }

    public static bool TryAdd64(ulong a, ulong b, out ulong r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b)) return false;
        r = Bits(D(a) + D(b));
        return Accept(r, IsZero(a) && IsZero(b), ref flags);
    }

    public static bool TryMul64(ulong a, ulong b, out ulong r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b)) return false;
        r = Bits(D(a) * D(b));
        return Accept(r, IsZero(a) && IsZero(b), ref flags);
    }

    public static bool TryDiv64(ulong a, ulong b, out ulong r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b) || IsZero(b)) return false;
        r = Bits(D(a) / D(b));
        return Accept(r, IsZero(a), ref flags);
    }

    public static bool TrySqrt64(ulong a, out ulong r)
    {
        r = 0;
        if (!ZeroOrNormal(a) || (a & Sign64) != 0) return false;
        r = Bits(Math.Sqrt(D(a)));
        return true;
    }

    public static bool TryMulAdd64(ulong a, ulong b, ulong c, out ulong r, ref FpFlags flags)
    {
        r = 0;
        if (!ZeroOrNormal(a) || !ZeroOrNormal(b) || !ZeroOrNormal(c)) return false;
        bool zeroProduct = IsZero(a) || IsZero(b);
        r = Bits(Math.FusedMultiplyAdd(D(a), D(b), D(c)));
        return zeroProduct || Accept(r, false, ref flags);
    }
}
