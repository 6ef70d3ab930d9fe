using Rivet.Cpu.Fpu;

namespace Rivet.Tests;

/// <summary>Famous corner cases of SoftFloat, by hand (the differential test covers the bulk).</summary>
public sealed class SoftFloatTests
{
    private const RoundingMode Rne = RoundingMode.Rne, Rtz = RoundingMode.Rtz, Rdn = RoundingMode.Rdn, Rup = RoundingMode.Rup, Rmm = RoundingMode.Rmm;
    private const uint SNaN32 = 0x7f800001, QNaN32 = 0x7fc12345;
    private const ulong SNaN64 = 0x7ff0000000000001, QNaN64 = 0x7ff8000000012345;

    private static ulong D(double d) => BitConverter.DoubleToUInt64Bits(d);
    private static uint S(float f) => BitConverter.SingleToUInt32Bits(f);

    [Fact]
    public void TininessIsDetectedAfterRounding()
    {
        // (1 + 2^-52) * (1 - 2^-52) * 2^-1022 = (1 - 2^-104) * 2^-1022: rounded with an unbounded
        // exponent it is 2^-1022, not tiny, so RNE raises NX but not UF (before-rounding would say UF).
        // The x86 SSE reference (tests/fpref) gives the same: measured with gcc on this host.
        var f = FpFlags.None;
        Assert.Equal(0x0010000000000000UL, SoftFloat.Mul64(0x3ff0000000000001, 0x000fffffffffffff, Rne, ref f));
        Assert.Equal(FpFlags.NX, f);
        f = FpFlags.None;
        Assert.Equal(0x000fffffffffffffUL, SoftFloat.Mul64(0x3ff0000000000001, 0x000fffffffffffff, Rtz, ref f));
        Assert.Equal(FpFlags.NX | FpFlags.UF, f);
        f = FpFlags.None;
        Assert.Equal(0x00800000u, SoftFloat.Mul32(0x3f800001, 0x007fffff, Rne, ref f));
        Assert.Equal(FpFlags.NX, f);
        // fcvt.s.d of (1 - 2^-26) * 2^-126.
        f = FpFlags.None;
        Assert.Equal(0x00800000u, SoftFloat.To32(D(Math.ScaleB(1 - Math.ScaleB(1, -26), -126)), Rne, ref f));
        Assert.Equal(FpFlags.NX, f);
        // An exact subnormal result raises nothing: UF needs inexactness too.
        f = FpFlags.None;
        Assert.Equal(0x0008000000000000UL, SoftFloat.Mul64(0x0010000000000000, D(0.5), Rne, ref f));
        Assert.Equal(FpFlags.None, f);
    }

    [Fact]
    public void FusedMultiplyAddRoundsOnce()
    {
        // (1 + 2^-27)(1 - 2^-27) - 1 = -2^-54 exactly; rounding the product first would give 0.
        var f = FpFlags.None;
        Assert.Equal(D(-Math.ScaleB(1, -54)), SoftFloat.MulAdd64(D(1 + Math.ScaleB(1, -27)), D(1 - Math.ScaleB(1, -27)), D(-1), Rne, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(S(-MathF.ScaleB(1, -24)), SoftFloat.MulAdd32(S(1 + MathF.ScaleB(1, -12)), S(1 - MathF.ScaleB(1, -12)), S(-1), Rne, ref f));
        Assert.Equal(FpFlags.None, f);
        // (1 + 2^-52) * 1.5 = 1.5 + 2^-52 + 2^-53 is a tie (to even: 1.5 + 2^-51); a tiny negative
        // addend must take it below the tie, to 1.5 + 2^-52, which rounding the product first misses.
        f = FpFlags.None;
        Assert.Equal(D(1.5) + 1, SoftFloat.MulAdd64(0x3ff0000000000001, D(1.5), D(-Math.ScaleB(1, -200)), Rne, ref f));
        Assert.Equal(FpFlags.NX, f);
        Assert.Equal(D(1.5) + 2, SoftFloat.MulAdd64(0x3ff0000000000001, D(1.5), D(Math.ScaleB(1, -200)), Rne, ref f));
        Assert.Equal(S(1.5f) + 1, SoftFloat.MulAdd32(0x3f800001, S(1.5f), S(-MathF.ScaleB(1, -100)), Rne, ref f));
        Assert.Equal(FpFlags.NX, f);
    }

    [Fact]
    public void MinMaxFollowIeee2019()
    {
        var f = FpFlags.None;
        Assert.Equal(0x80000000u, SoftFloat.Min32(0x00000000, 0x80000000, ref f));
        Assert.Equal(0x80000000u, SoftFloat.Min32(0x80000000, 0x00000000, ref f));
        Assert.Equal(0x00000000u, SoftFloat.Max32(0x80000000, 0x00000000, ref f));
        Assert.Equal(0x8000000000000000UL, SoftFloat.Min64(0, 0x8000000000000000, ref f));
        Assert.Equal(0UL, SoftFloat.Max64(0x8000000000000000, 0, ref f));
        Assert.Equal(S(2), SoftFloat.Min32(QNaN32, S(2), ref f));
        Assert.Equal(D(-3), SoftFloat.Max64(D(-3), QNaN64, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(S(2), SoftFloat.Max32(SNaN32, S(2), ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.Min64(QNaN64, QNaN64 | 0x8000000000000000, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.Min32(QNaN32, SNaN32, ref f));
        Assert.Equal(FpFlags.NV, f);
    }

    [Fact]
    public void NaNsAreCanonicalAndSignallingOnesRaiseInvalid()
    {
        var f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.Add32(QNaN32, S(1), Rne, ref f));
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.Mul64(D(2), QNaN64, Rne, ref f));
        Assert.False(SoftFloat.Eq32(QNaN32, QNaN32, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.Add32(SNaN32, S(1), Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.False(SoftFloat.Eq64(SNaN64, D(1), ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.False(SoftFloat.Lt64(QNaN64, D(1), ref f)); // flt/fle signal on any NaN
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.False(SoftFloat.Le32(S(1), QNaN32, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.To64(SNaN32, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.To64(QNaN32, ref f));
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.To32(QNaN64, Rne, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.To32(SNaN64, Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        Assert.True(SoftFloat.IsSignalingNaN32(SNaN32));
        Assert.False(SoftFloat.IsSignalingNaN64(QNaN64));
    }

    [Fact]
    public void InvalidOperations()
    {
        var f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.Add64(D(double.PositiveInfinity), D(double.NegativeInfinity), Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.Mul32(0, S(float.PositiveInfinity), Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.Div64(0, 0x8000000000000000, Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.Sqrt64(D(-1), Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        // RISC-V: fma raises NV for inf * 0 even when the addend is a quiet NaN.
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN64, SoftFloat.MulAdd64(D(double.PositiveInfinity), 0, QNaN64, Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        f = FpFlags.None;
        Assert.Equal(SoftFloat.CanonicalNaN32, SoftFloat.MulAdd32(0x80000000, S(float.NegativeInfinity), QNaN32, Rne, ref f));
        Assert.Equal(FpFlags.NV, f);
        // Not invalid: sqrt(-0) = -0, x/0 = inf with DZ.
        f = FpFlags.None;
        Assert.Equal(0x8000000000000000UL, SoftFloat.Sqrt64(0x8000000000000000, Rne, ref f));
        Assert.Equal(FpFlags.None, f);
        Assert.Equal(S(float.NegativeInfinity), SoftFloat.Div32(S(-1), 0, Rne, ref f));
        Assert.Equal(FpFlags.DZ, f);
    }

    [Fact]
    public void OverflowAndSignedZeroDependOnTheMode()
    {
        ulong max = D(double.MaxValue);
        (RoundingMode Rm, ulong Pos, ulong Neg)[] cases =
        [
            (Rne, D(double.PositiveInfinity), D(double.NegativeInfinity)),
            (Rtz, max, max | 1UL << 63),
            (Rdn, max, D(double.NegativeInfinity)),
            (Rup, D(double.PositiveInfinity), max | 1UL << 63),
            (Rmm, D(double.PositiveInfinity), D(double.NegativeInfinity)),
        ];
        foreach (var (rm, pos, neg) in cases)
        {
            var f = FpFlags.None;
            Assert.Equal(pos, SoftFloat.Mul64(max, D(2), rm, ref f));
            Assert.Equal(neg, SoftFloat.Mul64(max, D(-2), rm, ref f));
            Assert.Equal(FpFlags.OF | FpFlags.NX, f);
            // x - x is +0, except -0 when rounding down.
            Assert.Equal(rm == Rdn ? 0x80000000u : 0u, SoftFloat.Sub32(S(1.5f), S(1.5f), rm, ref f));
        }
    }

    [Fact]
    public void ConversionsAtTheInt64Limits()
    {
        ulong two63 = D(Math.ScaleB(1, 63)), below = 0x43dfffffffffffff; // 2^63 - 1024
        foreach (RoundingMode rm in new[] { Rne, Rtz, Rdn, Rup, Rmm })
        {
            var f = FpFlags.None;
            Assert.Equal(long.MaxValue, SoftFloat.ToInt64(two63, rm, ref f));
            Assert.Equal(FpFlags.NV, f);
            f = FpFlags.None;
            Assert.Equal(long.MinValue, SoftFloat.ToInt64(two63 | 1UL << 63, rm, ref f));
            Assert.Equal(9223372036854774784L, SoftFloat.ToInt64(below, rm, ref f));
            Assert.Equal(1UL << 63, SoftFloat.ToUInt64(two63, rm, ref f));
            Assert.Equal(FpFlags.None, f);
            Assert.Equal(long.MinValue, SoftFloat.ToInt64(0xc3e0000000000001, rm, ref f)); // -(2^63 + 2048)
            Assert.Equal(FpFlags.NV, f);
            f = FpFlags.None;
            Assert.Equal(ulong.MaxValue, SoftFloat.ToUInt64(D(Math.ScaleB(1, 64)), rm, ref f));
            Assert.Equal(long.MaxValue, SoftFloat.ToInt64(SoftFloat.CanonicalNaN64, rm, ref f));
            Assert.Equal(uint.MaxValue, SoftFloat.ToUInt32(SoftFloat.CanonicalNaN32, rm, ref f));
            Assert.Equal(int.MinValue, SoftFloat.ToInt32(D(double.NegativeInfinity), rm, ref f));
            Assert.Equal(0UL, SoftFloat.ToUInt64(D(-1), rm, ref f));
            Assert.Equal(FpFlags.NV, f);
            f = FpFlags.None;
            Assert.Equal((long)(1UL << 62), SoftFloat.ToInt64(S(MathF.ScaleB(1, 62)), rm, ref f));
            Assert.Equal(FpFlags.None, f);
        }
        // 2^31 - 0.5 and -2^31 - 0.5: in or out of range depending on the rounding.
        (RoundingMode Rm, int? Up, int? Down)[] edge =
        [
            (Rne, null, int.MinValue), (Rtz, int.MaxValue, int.MinValue), (Rdn, int.MaxValue, null), (Rup, null, int.MinValue), (Rmm, null, null),
        ];
        foreach (var (rm, up, down) in edge)
        {
            var f = FpFlags.None;
            Assert.Equal(up ?? int.MaxValue, SoftFloat.ToInt32(D(2147483647.5), rm, ref f));
            Assert.Equal(up == null ? FpFlags.NV : FpFlags.NX, f);
            f = FpFlags.None;
            Assert.Equal(down ?? int.MinValue, SoftFloat.ToInt32(D(-2147483648.5), rm, ref f));
            Assert.Equal(down == null ? FpFlags.NV : FpFlags.NX, f);
        }
        // A negative value rounding to 0 is in range for the unsigned conversions (NX only).
        var g = FpFlags.None;
        Assert.Equal(0u, SoftFloat.ToUInt32(D(-0.5), Rne, ref g));
        Assert.Equal(FpFlags.NX, g);
        g = FpFlags.None;
        Assert.Equal(0u, SoftFloat.ToUInt32(D(-0.5), Rdn, ref g));
        Assert.Equal(FpFlags.NV, g);
    }

    [Fact]
    public void RoundingModesOnTies()
    {
        (RoundingMode Rm, long Pos, long Neg)[] cases = [(Rne, 2, -2), (Rtz, 2, -2), (Rdn, 2, -3), (Rup, 3, -2), (Rmm, 3, -3)];
        foreach (var (rm, pos, neg) in cases)
        {
            var f = FpFlags.None;
            Assert.Equal(pos, SoftFloat.ToInt64(D(2.5), rm, ref f));
            Assert.Equal(neg, SoftFloat.ToInt64(S(-2.5f), rm, ref f));
            Assert.Equal(FpFlags.NX, f);
        }
        // 2^24 + 1 to binary32 is a tie: even goes down, max-magnitude up.
        var g = FpFlags.None;
        Assert.Equal(S(16777216f), SoftFloat.Int64To32(16777217, Rne, ref g));
        Assert.Equal(S(16777218f), SoftFloat.Int64To32(16777217, Rmm, ref g));
        Assert.Equal(S(-16777218f), SoftFloat.Int32To32(-16777217, Rmm, ref g));
        Assert.Equal(FpFlags.NX, g);
        g = FpFlags.None;
        Assert.Equal(D(-2147483648.0), SoftFloat.Int32To64(int.MinValue, Rne, ref g));
        Assert.Equal(D(18446744073709551615.0), SoftFloat.UInt64To64(ulong.MaxValue, Rne, ref g)); // rounds to 2^64
        Assert.Equal(0x43efffffffffffffUL, SoftFloat.UInt64To64(ulong.MaxValue, Rtz, ref g));
        Assert.Equal(FpFlags.NX, g);
    }

    [Fact]
    public void ClassIsOneHot()
    {
        (ulong Bits, int Bit)[] d =
        [
            (D(double.NegativeInfinity), 0), (D(-1), 1), (0x800fffffffffffff, 2), (0x8000000000000000, 3),
            (0, 4), (1, 5), (D(1), 6), (D(double.PositiveInfinity), 7), (SNaN64, 8), (QNaN64, 9),
        ];
        foreach (var (bits, bit) in d) Assert.Equal(1UL << bit, SoftFloat.Class64(bits));
        (uint Bits, int Bit)[] s =
        [
            (S(float.NegativeInfinity), 0), (S(-1), 1), (0x807fffff, 2), (0x80000000, 3),
            (0, 4), (1, 5), (S(1), 6), (S(float.PositiveInfinity), 7), (SNaN32, 8), (QNaN32, 9),
        ];
        foreach (var (bits, bit) in s) Assert.Equal(1UL << bit, SoftFloat.Class32(bits));
    }

    [Fact]
    public void ComparisonsOrderZerosAsEqual()
    {
        var f = FpFlags.None;
        Assert.True(SoftFloat.Eq64(0, 0x8000000000000000, ref f));
        Assert.False(SoftFloat.Lt32(0x80000000, 0, ref f));
        Assert.True(SoftFloat.Le32(0x80000000, 0, ref f));
        Assert.True(SoftFloat.Lt64(D(-2), D(-1), ref f));
        Assert.False(SoftFloat.Le64(D(1), D(-1), ref f));
        Assert.Equal(FpFlags.None, f);
    }

    private delegate ulong Op(ref FpFlags f);

    /// <summary>
    /// Answers measured on qemu-system-riscv64 7.2 (Debian bookworm) with tests/fpref/qemu_corners.c:
    /// the RISC-V-specific rules the C reference cannot show by itself (fma's NV for inf*0+qNaN,
    /// canonical NaNs, conversion saturation) and the famous cases, result and fflags.
    /// </summary>
    [Fact]
    public void QemuMeasured()
    {
        (string Name, Op Op, ulong Result, FpFlags Flags)[] cases =
        [
            ("fmadd.d inf*0+qnan", (ref FpFlags f) => SoftFloat.MulAdd64(0x7ff0000000000000, 0, 0x7ff8000000000000, Rne, ref f), 0x7ff8000000000000, FpFlags.NV),
            ("fmadd.s 0*-inf+qnan", (ref FpFlags f) => SoftFloat.MulAdd32(0, 0xff800000, 0x7fc00000, Rne, ref f), 0x7fc00000, FpFlags.NV),
            ("fmul.d tiny rne", (ref FpFlags f) => SoftFloat.Mul64(0x3ff0000000000001, 0x000fffffffffffff, Rne, ref f), 0x0010000000000000, FpFlags.NX),
            ("fmul.d tiny rtz", (ref FpFlags f) => SoftFloat.Mul64(0x3ff0000000000001, 0x000fffffffffffff, Rtz, ref f), 0x000fffffffffffff, FpFlags.NX | FpFlags.UF),
            ("fmul.s tiny rne", (ref FpFlags f) => SoftFloat.Mul32(0x3f800001, 0x007fffff, Rne, ref f), 0x00800000, FpFlags.NX),
            ("fcvt.s.d tiny rne", (ref FpFlags f) => SoftFloat.To32(0x380ffffffc000000, Rne, ref f), 0x00800000, FpFlags.NX),
            ("fmin.s snan,2", (ref FpFlags f) => SoftFloat.Min32(0x7f800001, 0x40000000, ref f), 0x40000000, FpFlags.NV),
            ("fmax.d qnan,snan", (ref FpFlags f) => SoftFloat.Max64(0x7ff8000000000000, 0x7ff0000000000001, ref f), 0x7ff8000000000000, FpFlags.NV),
            ("fmin.d +0,-0", (ref FpFlags f) => SoftFloat.Min64(0, 0x8000000000000000, ref f), 0x8000000000000000, FpFlags.None),
            ("fcvt.w.d nan", (ref FpFlags f) => (ulong)SoftFloat.ToInt32(0x7ff8000000000000, Rtz, ref f), 0x7fffffff, FpFlags.NV),
            ("fcvt.wu.d -0.5 rne", (ref FpFlags f) => SoftFloat.ToUInt32(0xbfe0000000000000, Rne, ref f), 0, FpFlags.NX),
            ("fcvt.wu.d -0.5 rdn", (ref FpFlags f) => SoftFloat.ToUInt32(0xbfe0000000000000, Rdn, ref f), 0, FpFlags.NV),
            ("fcvt.l.d 2^63", (ref FpFlags f) => (ulong)SoftFloat.ToInt64(0x43e0000000000000, Rne, ref f), 0x7fffffffffffffff, FpFlags.NV),
            ("fcvt.lu.d -1", (ref FpFlags f) => SoftFloat.ToUInt64(0xbff0000000000000, Rne, ref f), 0, FpFlags.NV),
            ("fcvt.w.d -2^31-0.5 rmm", (ref FpFlags f) => (ulong)(long)SoftFloat.ToInt32(0xc1e0000000100000, Rmm, ref f), 0xffffffff80000000, FpFlags.NV),
            ("fcvt.w.d -2^31-0.5 rne", (ref FpFlags f) => (ulong)(long)SoftFloat.ToInt32(0xc1e0000000100000, Rne, ref f), 0xffffffff80000000, FpFlags.NX),
            ("fadd.s snan+1", (ref FpFlags f) => SoftFloat.Add32(0x7f800001, 0x3f800000, Rne, ref f), 0x7fc00000, FpFlags.NV),
            ("fcvt.d.s snan", (ref FpFlags f) => SoftFloat.To64(0x7f800001, ref f), 0x7ff8000000000000, FpFlags.NV),
            ("fcvt.s.l 2^24+1 rmm", (ref FpFlags f) => SoftFloat.Int64To32(16777217, Rmm, ref f), 0x4b800001, FpFlags.NX),
            ("fsub.d x-x rdn", (ref FpFlags f) => SoftFloat.Sub64(0x3ff8000000000000, 0x3ff8000000000000, Rdn, ref f), 0x8000000000000000, FpFlags.None),
            ("fmul.d -max*2 rup", (ref FpFlags f) => SoftFloat.Mul64(0xffefffffffffffff, 0x4000000000000000, Rup, ref f), 0xffefffffffffffff, FpFlags.OF | FpFlags.NX),
            ("fmadd.d tie-tiny", (ref FpFlags f) => SoftFloat.MulAdd64(0x3ff0000000000001, 0x3ff8000000000000, 0xb370000000000000, Rne, ref f), 0x3ff8000000000001, FpFlags.NX),
            ("fclass.s snan", (ref FpFlags f) => SoftFloat.Class32(0x7f800001), 0x100, FpFlags.None),
            ("fsqrt.d -0", (ref FpFlags f) => SoftFloat.Sqrt64(0x8000000000000000, Rne, ref f), 0x8000000000000000, FpFlags.None),
            ("flt.d qnan", (ref FpFlags f) => SoftFloat.Lt64(0x7ff8000000000000, 0, ref f) ? 1UL : 0, 0, FpFlags.NV),
            ("feq.d qnan", (ref FpFlags f) => SoftFloat.Eq64(0x7ff8000000000000, 0, ref f) ? 1UL : 0, 0, FpFlags.None),
        ];
        foreach (var (name, op, result, flags) in cases)
        {
            var f = FpFlags.None;
            ulong got = op(ref f);
            Assert.True(got == result && f == flags, $"{name}: QEMU {result:x16} [{flags}], Rivet {got:x16} [{f}]");
        }
    }
}
