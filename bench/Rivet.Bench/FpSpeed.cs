using System.Diagnostics;
using Rivet.Cpu.Fpu;

namespace Rivet.Bench;

/// <summary>
/// SoftFloat's speed on ordinary operands (normal, magnitudes around 1): nanoseconds per operation in
/// round-to-nearest-even (the host fast path where it applies) and round-towards-zero (always the
/// software path), through <see cref="HardFloat"/> in RNE with NX already accrued (what a hart
/// runs once any earlier operation was inexact), next to the host's own arithmetic (no flags, RNE only).
/// </summary>
internal static class FpSpeed
{
    private const int N = 1 << 16;

    public static void Print(TextWriter w, bool quick)
    {
        int rounds = quick ? 20 : 100;
        var rng = new Random(1);
        var a = new ulong[N];
        var b = new ulong[N];
        var c = new ulong[N];
        for (int i = 0; i < N; i++)
        {
            a[i] = BitConverter.DoubleToUInt64Bits((1 + rng.NextDouble()) * Math.ScaleB(1, rng.Next(-10, 10)));
            b[i] = BitConverter.DoubleToUInt64Bits((1 + rng.NextDouble()) * Math.ScaleB(1, rng.Next(-10, 10)));
            c[i] = BitConverter.DoubleToUInt64Bits((1 + rng.NextDouble()) * Math.ScaleB(1, rng.Next(-10, 10)));
        }
        var a32 = a.Select(x => BitConverter.SingleToUInt32Bits((float)BitConverter.UInt64BitsToDouble(x))).ToArray();
        var b32 = b.Select(x => BitConverter.SingleToUInt32Bits((float)BitConverter.UInt64BitsToDouble(x))).ToArray();
        var c32 = c.Select(x => BitConverter.SingleToUInt32Bits((float)BitConverter.UInt64BitsToDouble(x))).ToArray();

        var table = new TextTable(["operation", "RNE ns", "RTZ ns", "RNE+NX ns", "host ns"]);
        void Row(string name, Func<int, RoundingMode, uint, ulong> op, Func<int, double> host)
        {
            double Time(Func<int, ulong> f)
            {
                ulong sink = 0;
                // Warm-up long enough for the tiered JIT's delayed recompilation (about 100 ms).
                var warm = Stopwatch.StartNew();
                while (warm.ElapsedMilliseconds < (quick ? 150 : 400))
                    for (int i = 0; i < N; i++) sink += f(i);
                var sw = Stopwatch.StartNew();
                for (int r = 0; r < rounds; r++)
                    for (int i = 0; i < N; i++) sink += f(i);
                double ns = sw.Elapsed.TotalNanoseconds / ((double)rounds * N);
                GC.KeepAlive(sink);
                return ns;
            }
            double rne = Time(i => op(i, RoundingMode.Rne, 0)), rtz = Time(i => op(i, RoundingMode.Rtz, 0));
            double hard = Time(i => op(i, RoundingMode.Rne, (uint)FpFlags.NX));
            double hostNs = Time(i => BitConverter.DoubleToUInt64Bits(host(i)));
            table.Add(name, $"{rne:F1}", $"{rtz:F1}", $"{hard:F1}", $"{hostNs:F1}");
        }
        FpFlags f = FpFlags.None;
        Row("fadd.s", (i, rm, fl) => HardFloat.Add32(a32[i], b32[i], rm, fl, ref f), i => BitConverter.UInt32BitsToSingle(a32[i]) + BitConverter.UInt32BitsToSingle(b32[i]));
        Row("fmul.s", (i, rm, fl) => HardFloat.Mul32(a32[i], b32[i], rm, fl, ref f), i => BitConverter.UInt32BitsToSingle(a32[i]) * BitConverter.UInt32BitsToSingle(b32[i]));
        Row("fdiv.s", (i, rm, fl) => HardFloat.Div32(a32[i], b32[i], rm, fl, ref f), i => BitConverter.UInt32BitsToSingle(a32[i]) / BitConverter.UInt32BitsToSingle(b32[i]));
        Row("fsqrt.s", (i, rm, fl) => HardFloat.Sqrt32(a32[i], rm, fl, ref f), i => MathF.Sqrt(BitConverter.UInt32BitsToSingle(a32[i])));
        Row("fmadd.s", (i, rm, fl) => HardFloat.MulAdd32(a32[i], b32[i], c32[i], rm, fl, ref f), i => MathF.FusedMultiplyAdd(BitConverter.UInt32BitsToSingle(a32[i]), BitConverter.UInt32BitsToSingle(b32[i]), BitConverter.UInt32BitsToSingle(c32[i])));
        Row("fadd.d", (i, rm, fl) => HardFloat.Add64(a[i], b[i], rm, fl, ref f), i => BitConverter.UInt64BitsToDouble(a[i]) + BitConverter.UInt64BitsToDouble(b[i]));
        Row("fmul.d", (i, rm, fl) => HardFloat.Mul64(a[i], b[i], rm, fl, ref f), i => BitConverter.UInt64BitsToDouble(a[i]) * BitConverter.UInt64BitsToDouble(b[i]));
        Row("fdiv.d", (i, rm, fl) => HardFloat.Div64(a[i], b[i], rm, fl, ref f), i => BitConverter.UInt64BitsToDouble(a[i]) / BitConverter.UInt64BitsToDouble(b[i]));
        Row("fsqrt.d", (i, rm, fl) => HardFloat.Sqrt64(a[i], rm, fl, ref f), i => Math.Sqrt(BitConverter.UInt64BitsToDouble(a[i])));
        Row("fmadd.d", (i, rm, fl) => HardFloat.MulAdd64(a[i], b[i], c[i], rm, fl, ref f), i => Math.FusedMultiplyAdd(BitConverter.UInt64BitsToDouble(a[i]), BitConverter.UInt64BitsToDouble(b[i]), BitConverter.UInt64BitsToDouble(c[i])));
        Row("fcvt.w.d", (i, rm, _) => (ulong)SoftFloat.ToInt32(a[i], rm, ref f), i => (int)BitConverter.UInt64BitsToDouble(a[i]));
        Row("fcvt.d.l", (i, rm, _) => SoftFloat.Int64To64((long)a[i], rm, ref f), i => (long)a[i]);
        table.Write(w);
    }
}
