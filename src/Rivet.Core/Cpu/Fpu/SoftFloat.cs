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
/// PLACEHOLDER (lead, session 5): this body is the agreed interface with a naive host-double
/// implementation that ignores the rounding mode and raises no flags; the FPU core work replaces it.
/// </summary>
internal static class SoftFloat
{
    public const uint CanonicalNaN32 = 0x7fc00000;
    public const ulong CanonicalNaN64 = 0x7ff8000000000000;

    private static float F(uint a) => BitConverter.UInt32BitsToSingle(a);
    private static double D(ulong a) => BitConverter.UInt64BitsToDouble(a);
    private static uint B(float a) => float.IsNaN(a) ? CanonicalNaN32 : BitConverter.SingleToUInt32Bits(a);
    private static ulong B(double a) => double.IsNaN(a) ? CanonicalNaN64 : BitConverter.DoubleToUInt64Bits(a);

    public static uint Add32(uint a, uint b, RoundingMode rm, ref FpFlags flags) => B(F(a) + F(b));
    public static uint Sub32(uint a, uint b, RoundingMode rm, ref FpFlags flags) => B(F(a) - F(b));
    public static uint Mul32(uint a, uint b, RoundingMode rm, ref FpFlags flags) => B(F(a) * F(b));
    public static uint Div32(uint a, uint b, RoundingMode rm, ref FpFlags flags) => B(F(a) / F(b));
    public static uint Sqrt32(uint a, RoundingMode rm, ref FpFlags flags) => B(MathF.Sqrt(F(a)));
    /// <summary>a * b + c with one rounding (fmsub/fnmsub/fnmadd negate a and/or c before the call).</summary>
    public static uint MulAdd32(uint a, uint b, uint c, RoundingMode rm, ref FpFlags flags) => B(MathF.FusedMultiplyAdd(F(a), F(b), F(c)));
    public static uint Min32(uint a, uint b, ref FpFlags flags) => B(MathF.Min(F(a), F(b)));
    public static uint Max32(uint a, uint b, ref FpFlags flags) => B(MathF.Max(F(a), F(b)));
    /// <summary>feq (quiet: NV only for signalling NaNs).</summary>
    public static bool Eq32(uint a, uint b, ref FpFlags flags) => F(a) == F(b);
    /// <summary>flt (signalling: NV for any NaN).</summary>
    public static bool Lt32(uint a, uint b, ref FpFlags flags) => F(a) < F(b);
    /// <summary>fle (signalling: NV for any NaN).</summary>
    public static bool Le32(uint a, uint b, ref FpFlags flags) => F(a) <= F(b);
    /// <summary>fclass's one-hot mask.</summary>
    public static ulong Class32(uint a) => 0;
    public static int ToInt32(uint a, RoundingMode rm, ref FpFlags flags) => (int)F(a);
    public static uint ToUInt32(uint a, RoundingMode rm, ref FpFlags flags) => (uint)F(a);
    public static long ToInt64(uint a, RoundingMode rm, ref FpFlags flags) => (long)F(a);
    public static ulong ToUInt64(uint a, RoundingMode rm, ref FpFlags flags) => (ulong)F(a);
    public static uint Int32To32(int a, RoundingMode rm, ref FpFlags flags) => B((float)a);
    public static uint UInt32To32(uint a, RoundingMode rm, ref FpFlags flags) => B((float)a);
    public static uint Int64To32(long a, RoundingMode rm, ref FpFlags flags) => B((float)a);
    public static uint UInt64To32(ulong a, RoundingMode rm, ref FpFlags flags) => B((float)a);
    /// <summary>fcvt.d.s (exact; NV for a signalling NaN).</summary>
    public static ulong To64(uint a, ref FpFlags flags) => B((double)F(a));

    public static ulong Add64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) => B(D(a) + D(b));
    public static ulong Sub64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) => B(D(a) - D(b));
    public static ulong Mul64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) => B(D(a) * D(b));
    public static ulong Div64(ulong a, ulong b, RoundingMode rm, ref FpFlags flags) => B(D(a) / D(b));
    public static ulong Sqrt64(ulong a, RoundingMode rm, ref FpFlags flags) => B(Math.Sqrt(D(a)));
    /// <summary>a * b + c with one rounding (fmsub/fnmsub/fnmadd negate a and/or c before the call).</summary>
    public static ulong MulAdd64(ulong a, ulong b, ulong c, RoundingMode rm, ref FpFlags flags) => B(Math.FusedMultiplyAdd(D(a), D(b), D(c)));
    public static ulong Min64(ulong a, ulong b, ref FpFlags flags) => B(Math.Min(D(a), D(b)));
    public static ulong Max64(ulong a, ulong b, ref FpFlags flags) => B(Math.Max(D(a), D(b)));
    public static bool Eq64(ulong a, ulong b, ref FpFlags flags) => D(a) == D(b);
    public static bool Lt64(ulong a, ulong b, ref FpFlags flags) => D(a) < D(b);
    public static bool Le64(ulong a, ulong b, ref FpFlags flags) => D(a) <= D(b);
    public static ulong Class64(ulong a) => 0;
    public static int ToInt32(ulong a, RoundingMode rm, ref FpFlags flags) => (int)D(a);
    public static uint ToUInt32(ulong a, RoundingMode rm, ref FpFlags flags) => (uint)D(a);
    public static long ToInt64(ulong a, RoundingMode rm, ref FpFlags flags) => (long)D(a);
    public static ulong ToUInt64(ulong a, RoundingMode rm, ref FpFlags flags) => (ulong)D(a);
    public static ulong Int32To64(int a, RoundingMode rm, ref FpFlags flags) => B((double)a);
    public static ulong UInt32To64(uint a, RoundingMode rm, ref FpFlags flags) => B((double)a);
    public static ulong Int64To64(long a, RoundingMode rm, ref FpFlags flags) => B((double)a);
    public static ulong UInt64To64(ulong a, RoundingMode rm, ref FpFlags flags) => B((double)a);
    /// <summary>fcvt.s.d (rounds).</summary>
    public static uint To32(ulong a, RoundingMode rm, ref FpFlags flags) => B((float)D(a));
}
