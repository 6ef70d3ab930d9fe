using System.Diagnostics;
using System.Text;
using Rivet.Cpu.Fpu;

namespace Rivet.FpRef;

/// <summary>The operations the differential test compares (fpref.c's numbering; +32 is binary64).</summary>
internal enum FpOp
{
    Add, Sub, Mul, Div, Sqrt, MulAdd, Min, Max, Eq, Lt, Le, Class,
    CvtW, CvtWU, CvtL, CvtLU, FromW, FromWU, FromL, FromLU,
    /// <summary>binary32: fcvt.d.s; binary64: fcvt.s.d.</summary>
    CvtFormat,
}

/// <summary>One mismatch between Rivet and the reference, printable.</summary>
internal sealed record FpMismatch(string Op, RoundingMode Rm, ulong A, ulong B, ulong C, ulong Expected, FpFlags ExpectedFlags, ulong Got, FpFlags GotFlags)
{
    public override string ToString() =>
        $"{Op} rm={Rm} a={A:x16} b={B:x16} c={C:x16}: reference {Expected:x16} [{ExpectedFlags}], Rivet {Got:x16} [{GotFlags}]";
}

/// <summary>Counts for one operation and width.</summary>
internal sealed class FpOpResult(string name)
{
    public string Name { get; } = name;
    public long Cases { get; set; }
    public long Mismatches { get; set; }
    public long[] CasesPerMode { get; } = new long[5];
    /// <summary>Hardfloat runs: the cases the host path took (the rest went to the software path).</summary>
    public long HostCases { get; set; }
    /// <summary>Time Rivet spent computing the cases (the reference runs meanwhile).</summary>
    public TimeSpan RivetTime { get; set; }
    public List<FpMismatch> First { get; } = [];
}

/// <summary>
/// The differential test: generates cases biased to the hard ones, has both the native reference
/// (fpref.c, built with the host gcc) and Rivet's <see cref="SoftFloat"/> compute them, and
/// compares result bits and flags. Shared by the unit test (a fast subset) and the bench (--section fpdiff).
/// </summary>
internal sealed class FpDiff : IDisposable
{
    public const int Batch = 8192;
    public const int Ops = 21;

    private readonly Process _process;
    private readonly Stream _in, _out;
    private readonly byte[] _sendBuffer = new byte[12 + 24 * Batch];
    private readonly byte[] _receiveBuffer = new byte[9 * Batch];

    private FpDiff(Process process)
    {
        _process = process;
        _in = process.StandardInput.BaseStream;
        _out = process.StandardOutput.BaseStream;
    }

    public static string OpName(FpOp op, bool dbl) => op switch
    {
        FpOp.MulAdd => dbl ? "fmadd.d" : "fmadd.s",
        FpOp.Class => dbl ? "fclass.d" : "fclass.s",
        FpOp.CvtW => dbl ? "fcvt.w.d" : "fcvt.w.s",
        FpOp.CvtWU => dbl ? "fcvt.wu.d" : "fcvt.wu.s",
        FpOp.CvtL => dbl ? "fcvt.l.d" : "fcvt.l.s",
        FpOp.CvtLU => dbl ? "fcvt.lu.d" : "fcvt.lu.s",
        FpOp.FromW => dbl ? "fcvt.d.w" : "fcvt.s.w",
        FpOp.FromWU => dbl ? "fcvt.d.wu" : "fcvt.s.wu",
        FpOp.FromL => dbl ? "fcvt.d.l" : "fcvt.s.l",
        FpOp.FromLU => dbl ? "fcvt.d.lu" : "fcvt.s.lu",
        FpOp.CvtFormat => dbl ? "fcvt.s.d" : "fcvt.d.s",
        _ => $"f{op.ToString().ToLowerInvariant()}.{(dbl ? 'd' : 's')}",
    };

    /// <summary>Whether the operation rounds (and so is run in every rounding mode).</summary>
    public static bool Rounds(FpOp op, bool dbl) => op switch
    {
        FpOp.Min or FpOp.Max or FpOp.Eq or FpOp.Lt or FpOp.Le or FpOp.Class => false,
        FpOp.FromW or FpOp.FromWU => !dbl,
        FpOp.CvtFormat => dbl,
        _ => true,
    };

    /// <summary>Builds fpref.c (next to this assembly, in fpref/) with gcc if needed and starts it.</summary>
    public static FpDiff Start()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fpref");
        string source = Path.Combine(dir, "fpref.c"), exe = Path.Combine(dir, "fpref");
        if (!File.Exists(exe) || File.GetLastWriteTimeUtc(exe) < File.GetLastWriteTimeUtc(source))
        {
            // Built under a unique name and moved into place, so concurrent runs never see half a file.
            string tmp = exe + "." + Environment.ProcessId;
            Process cc;
            try
            {
                cc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-frounding-math", "-fsignaling-nans", "-o", tmp, source, "-lm"])
                {
                    RedirectStandardError = true,
                }) ?? throw new InvalidOperationException("fpref: cannot start gcc");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException($"fpref: cannot run gcc ({ex.Message}); install gcc and libc6-dev (test.sh does)", ex);
            }
            string err = cc.StandardError.ReadToEnd();
            cc.WaitForExit();
            if (cc.ExitCode != 0) throw new InvalidOperationException($"fpref: gcc failed: {err}");
            File.Move(tmp, exe, overwrite: true);
        }
        var p = Process.Start(new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("fpref: cannot start the reference");
        return new FpDiff(p);
    }

    public void Dispose()
    {
        _in.Dispose();
        _process.WaitForExit(10_000);
        _process.Dispose();
    }

    /// <summary>The operations with a hardfloat path (<see cref="HardFloat"/>): add, sub, mul, div, sqrt, fma.</summary>
    public static bool HasHardPath(FpOp op) => op <= FpOp.MulAdd;

    /// <summary>
    /// Runs <paramref name="count"/> generated cases of one operation; rounding modes rotate per batch.
    /// <paramref name="hard"/>: the hardfloat run instead, RNE only, through the hart's entry points
    /// (<see cref="HardFloat"/>) with NX already accrued, on operands biased to the host path's
    /// edges; a case matches when the bits are equal and the flags equal once NX is ORed into both,
    /// against the reference and against the software path alike.
    /// </summary>
    public FpOpResult Run(FpOp op, bool dbl, long count, ulong seed, int keepMismatches = 10, bool hard = false)
    {
        if (hard && !HasHardPath(op)) throw new ArgumentException($"{op} has no hardfloat path", nameof(op));
        var result = new FpOpResult(OpName(op, dbl) + (hard ? "+nx" : ""));
        var gen = new FpCaseGenerator(seed ^ ((ulong)op * 0x9e3779b97f4a7c15UL) ^ (dbl ? 0x5555UL : 0) ^ (hard ? 0xa5a5a5a5UL : 0), hard);
        bool rounds = Rounds(op, dbl) && !hard;
        var a = new ulong[Batch];
        var b = new ulong[Batch];
        var c = new ulong[Batch];
        var got = new ulong[Batch];
        var gotFlags = new FpFlags[Batch];
        long batchIndex = 0;
        for (long done = 0; done < count; done += Batch, batchIndex++)
        {
            int n = (int)Math.Min(Batch, count - done);
            var rm = rounds ? (RoundingMode)(batchIndex % 5) : RoundingMode.Rne;
            for (int i = 0; i < n; i++) gen.Next(op, dbl, out a[i], out b[i], out c[i]);
            Send((uint)op | (dbl ? 32u : 0), rm, n, a, b, c);
            // Rivet computes while the reference does.
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                FpFlags f = FpFlags.None;
                got[i] = hard ? ComputeHard(op, dbl, a[i], b[i], c[i], rm, (uint)FpFlags.NX, ref f) : Compute(op, dbl, a[i], b[i], c[i], rm, ref f);
                gotFlags[i] = f;
            }
            result.RivetTime += Stopwatch.GetElapsedTime(t0);
            Receive(n);
            for (int i = 0; i < n; i++)
            {
                ulong expected = BitConverter.ToUInt64(_receiveBuffer, 8 * i);
                var expectedFlags = (FpFlags)_receiveBuffer[8 * n + i];
                if (hard)
                {
                    // The accrued NX hides the operation's own; the software path is a second reference.
                    expectedFlags |= FpFlags.NX;
                    gotFlags[i] |= FpFlags.NX;
                    FpFlags sf = FpFlags.None;
                    ulong soft = Compute(op, dbl, a[i], b[i], c[i], rm, ref sf);
                    if (soft != got[i] || (sf | FpFlags.NX) != gotFlags[i])
                    {
                        result.Mismatches++;
                        if (result.First.Count < keepMismatches)
                            result.First.Add(new FpMismatch(result.Name + " vs software", rm, a[i], b[i], c[i], soft, sf | FpFlags.NX, got[i], gotFlags[i]));
                        continue;
                    }
                    if (HostTakes(op, dbl, a[i], b[i], c[i])) result.HostCases++;
                }
                if (expected != got[i] || expectedFlags != gotFlags[i])
                {
                    result.Mismatches++;
                    if (result.First.Count < keepMismatches)
                        result.First.Add(new FpMismatch(result.Name, rm, a[i], b[i], c[i], expected, expectedFlags, got[i], gotFlags[i]));
                }
            }
            result.Cases += n;
            result.CasesPerMode[(int)rm] += n;
        }
        return result;
    }

    private void Send(uint op, RoundingMode rm, int n, ulong[] a, ulong[] b, ulong[] c)
    {
        Span<byte> s = _sendBuffer;
        BitConverter.TryWriteBytes(s, op);
        BitConverter.TryWriteBytes(s[4..], (uint)rm);
        BitConverter.TryWriteBytes(s[8..], (uint)n);
        for (int i = 0; i < n; i++)
        {
            BitConverter.TryWriteBytes(s[(12 + 24 * i)..], a[i]);
            BitConverter.TryWriteBytes(s[(20 + 24 * i)..], b[i]);
            BitConverter.TryWriteBytes(s[(28 + 24 * i)..], c[i]);
        }
        _in.Write(_sendBuffer, 0, 12 + 24 * n);
        _in.Flush();
    }

    private void Receive(int n)
    {
        try
        {
            _out.ReadExactly(_receiveBuffer, 0, 9 * n);
        }
        catch (EndOfStreamException)
        {
            _process.WaitForExit(10_000);
            throw new InvalidOperationException($"fpref: the reference stopped answering (exit code {(_process.HasExited ? _process.ExitCode : -1)})");
        }
    }

    /// <summary>Rivet's answer, in the reference's encoding (32-bit results zero-extended, fcvt.w sign-extended).</summary>
    public static ulong Compute(FpOp op, bool dbl, ulong a, ulong b, ulong c, RoundingMode rm, ref FpFlags f)
    {
        if (dbl)
        {
            return op switch
            {
                FpOp.Add => SoftFloat.Add64(a, b, rm, ref f),
                FpOp.Sub => SoftFloat.Sub64(a, b, rm, ref f),
                FpOp.Mul => SoftFloat.Mul64(a, b, rm, ref f),
                FpOp.Div => SoftFloat.Div64(a, b, rm, ref f),
                FpOp.Sqrt => SoftFloat.Sqrt64(a, rm, ref f),
                FpOp.MulAdd => SoftFloat.MulAdd64(a, b, c, rm, ref f),
                FpOp.Min => SoftFloat.Min64(a, b, ref f),
                FpOp.Max => SoftFloat.Max64(a, b, ref f),
                FpOp.Eq => SoftFloat.Eq64(a, b, ref f) ? 1UL : 0,
                FpOp.Lt => SoftFloat.Lt64(a, b, ref f) ? 1UL : 0,
                FpOp.Le => SoftFloat.Le64(a, b, ref f) ? 1UL : 0,
                FpOp.Class => SoftFloat.Class64(a),
                FpOp.CvtW => (ulong)(long)SoftFloat.ToInt32(a, rm, ref f),
                FpOp.CvtWU => SoftFloat.ToUInt32(a, rm, ref f),
                FpOp.CvtL => (ulong)SoftFloat.ToInt64(a, rm, ref f),
                FpOp.CvtLU => SoftFloat.ToUInt64(a, rm, ref f),
                FpOp.FromW => SoftFloat.Int32To64((int)a, rm, ref f),
                FpOp.FromWU => SoftFloat.UInt32To64((uint)a, rm, ref f),
                FpOp.FromL => SoftFloat.Int64To64((long)a, rm, ref f),
                FpOp.FromLU => SoftFloat.UInt64To64(a, rm, ref f),
                _ => SoftFloat.To32(a, rm, ref f),
            };
        }
        uint x = (uint)a, y = (uint)b, z = (uint)c;
        return op switch
        {
            FpOp.Add => SoftFloat.Add32(x, y, rm, ref f),
            FpOp.Sub => SoftFloat.Sub32(x, y, rm, ref f),
            FpOp.Mul => SoftFloat.Mul32(x, y, rm, ref f),
            FpOp.Div => SoftFloat.Div32(x, y, rm, ref f),
            FpOp.Sqrt => SoftFloat.Sqrt32(x, rm, ref f),
            FpOp.MulAdd => SoftFloat.MulAdd32(x, y, z, rm, ref f),
            FpOp.Min => SoftFloat.Min32(x, y, ref f),
            FpOp.Max => SoftFloat.Max32(x, y, ref f),
            FpOp.Eq => SoftFloat.Eq32(x, y, ref f) ? 1UL : 0,
            FpOp.Lt => SoftFloat.Lt32(x, y, ref f) ? 1UL : 0,
            FpOp.Le => SoftFloat.Le32(x, y, ref f) ? 1UL : 0,
            FpOp.Class => SoftFloat.Class32(x),
            FpOp.CvtW => (ulong)(long)SoftFloat.ToInt32(x, rm, ref f),
            FpOp.CvtWU => SoftFloat.ToUInt32(x, rm, ref f),
            FpOp.CvtL => (ulong)SoftFloat.ToInt64(x, rm, ref f),
            FpOp.CvtLU => SoftFloat.ToUInt64(x, rm, ref f),
            FpOp.FromW => SoftFloat.Int32To32((int)a, rm, ref f),
            FpOp.FromWU => SoftFloat.UInt32To32((uint)a, rm, ref f),
            FpOp.FromL => SoftFloat.Int64To32((long)a, rm, ref f),
            FpOp.FromLU => SoftFloat.UInt64To32(a, rm, ref f),
            _ => SoftFloat.To64(x, ref f),
        };
    }

    /// <summary>Rivet's answer through the hart's hardfloat entry points, with the accrued flags <paramref name="fflags"/>.</summary>
    public static ulong ComputeHard(FpOp op, bool dbl, ulong a, ulong b, ulong c, RoundingMode rm, uint fflags, ref FpFlags f)
    {
        if (dbl)
        {
            return op switch
            {
                FpOp.Add => HardFloat.Add64(a, b, rm, fflags, ref f),
                FpOp.Sub => HardFloat.Sub64(a, b, rm, fflags, ref f),
                FpOp.Mul => HardFloat.Mul64(a, b, rm, fflags, ref f),
                FpOp.Div => HardFloat.Div64(a, b, rm, fflags, ref f),
                FpOp.Sqrt => HardFloat.Sqrt64(a, rm, fflags, ref f),
                _ => HardFloat.MulAdd64(a, b, c, rm, fflags, ref f),
            };
        }
        uint x = (uint)a, y = (uint)b, z = (uint)c;
        return op switch
        {
            FpOp.Add => HardFloat.Add32(x, y, rm, fflags, ref f),
            FpOp.Sub => HardFloat.Sub32(x, y, rm, fflags, ref f),
            FpOp.Mul => HardFloat.Mul32(x, y, rm, fflags, ref f),
            FpOp.Div => HardFloat.Div32(x, y, rm, fflags, ref f),
            FpOp.Sqrt => HardFloat.Sqrt32(x, rm, fflags, ref f),
            _ => HardFloat.MulAdd32(x, y, z, rm, fflags, ref f),
        };
    }

    /// <summary>Whether the host path answers the case (to show how much of a hardfloat run it covers).</summary>
    public static bool HostTakes(FpOp op, bool dbl, ulong a, ulong b, ulong c)
    {
        FpFlags f = FpFlags.None;
        if (dbl)
        {
            return op switch
            {
                FpOp.Add => HardFloat.TryAdd64(a, b, out _, ref f),
                FpOp.Sub => HardFloat.TryAdd64(a, b ^ (1UL << 63), out _, ref f),
                FpOp.Mul => HardFloat.TryMul64(a, b, out _, ref f),
                FpOp.Div => HardFloat.TryDiv64(a, b, out _, ref f),
                FpOp.Sqrt => HardFloat.TrySqrt64(a, out _),
                _ => HardFloat.TryMulAdd64(a, b, c, out _, ref f),
            };
        }
        uint x = (uint)a, y = (uint)b, z = (uint)c;
        return op switch
        {
            FpOp.Add => HardFloat.TryAdd32(x, y, out _, ref f),
            FpOp.Sub => HardFloat.TryAdd32(x, y ^ 0x80000000, out _, ref f),
            FpOp.Mul => HardFloat.TryMul32(x, y, out _, ref f),
            FpOp.Div => HardFloat.TryDiv32(x, y, out _, ref f),
            FpOp.Sqrt => HardFloat.TrySqrt32(x, out _),
            _ => HardFloat.TryMulAdd32(x, y, z, out _, ref f),
        };
    }

    /// <summary>The hardfloat run's table: cases, how many the host answered, mismatches, time per case.</summary>
    public static string HardTable(IEnumerable<FpOpResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"operation",-11} {"cases",12} {"host path",12} {"host %",6} {"mismatches",10} {"Rivet ns",8}");
        foreach (FpOpResult r in results)
            sb.AppendLine($"{r.Name,-11} {r.Cases,12} {r.HostCases,12} {100.0 * r.HostCases / Math.Max(1, r.Cases),6:F1} {r.Mismatches,10} {r.RivetTime.TotalNanoseconds / Math.Max(1, r.Cases),8:F1}");
        return sb.ToString();
    }

    /// <summary>The per-operation table the bench and the test print.</summary>
    public static string Table(IEnumerable<FpOpResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"operation",-11} {"cases",12} {"RNE",11} {"RTZ",11} {"RDN",11} {"RUP",11} {"RMM",11} {"mismatches",10} {"Rivet ns",8}");
        foreach (FpOpResult r in results)
        {
            sb.Append($"{r.Name,-11} {r.Cases,12}");
            foreach (long m in r.CasesPerMode) sb.Append($" {m,11}");
            sb.AppendLine($" {r.Mismatches,10} {r.RivetTime.TotalNanoseconds / Math.Max(1, r.Cases),8:F1}");
        }
        return sb.ToString();
    }
}

/// <summary>
/// Operands biased to the hard cases: specials (zeros, infinities, quiet and signalling NaNs),
/// subnormals, exponent extremes, significands with long runs of zeros or ones (ties and carries),
/// operands close to each other (cancellation), fma addends close to -a*b, integers around the
/// conversion limits and at .5 fractions; and plain random bits.
/// </summary>
internal sealed class FpCaseGenerator(ulong seed, bool hard = false)
{
    private ulong _state = seed == 0 ? 0x853c49e6748fea9bUL : seed;

    private ulong NextU64()
    {
        // SplitMix64.
        ulong z = _state += 0x9e3779b97f4a7c15UL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    private int Below(int n) => (int)(NextU64() % (ulong)n);

    public void Next(FpOp op, bool dbl, out ulong a, out ulong b, out ulong c)
    {
        int fracBits = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
        switch (op)
        {
            case FpOp.FromW or FpOp.FromWU or FpOp.FromL or FpOp.FromLU:
                a = Integer(op is FpOp.FromW or FpOp.FromWU ? 32 : 64);
                b = c = 0;
                return;
            case FpOp.CvtW or FpOp.CvtWU or FpOp.CvtL or FpOp.CvtLU:
                a = Below(3) == 0 ? Value(fracBits, bias) : NearInteger(op, fracBits, bias);
                b = c = 0;
                return;
            case FpOp.CvtFormat when !dbl:
                a = Value(23, 127);
                b = c = 0;
                return;
            case FpOp.CvtFormat:
                // Doubles around binary32's range and precision.
                a = Below(2) == 0 ? Value(52, 1023) : Around(52, 1023, 127 + Below(60) - 30 - (Below(2) == 0 ? 0 : 150), 52 - 23);
                b = c = 0;
                return;
        }
        a = Value(fracBits, bias);
        b = Below(4) == 0 ? Near(a, fracBits, bias) : Value(fracBits, bias);
        c = Value(fracBits, bias);
        if (op is FpOp.Mul or FpOp.Div or FpOp.MulAdd && Below(3) == 0) b = Steer(op, a, fracBits, bias);
        if (op == FpOp.MulAdd && Below(2) == 0)
        {
            // c close to -(a*b): massive cancellation, and ties after it.
            ulong p = dbl
                ? BitConverter.DoubleToUInt64Bits(BitConverter.UInt64BitsToDouble(a) * BitConverter.UInt64BitsToDouble(b))
                : BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle((uint)a) * BitConverter.UInt32BitsToSingle((uint)b));
            ulong sign = 1UL << (dbl ? 63 : 31);
            c = (p ^ sign) + (ulong)(Below(5) - 2);
            if (!dbl) c &= 0xffffffff;
        }
        if (op is FpOp.Eq or FpOp.Lt or FpOp.Le or FpOp.Min or FpOp.Max && Below(4) == 0) b = Below(2) == 0 ? a : a ^ (1UL << (dbl ? 63 : 31));
        if (hard) Harden(op, dbl, ref a, ref b, ref c);
    }

    /// <summary>
    /// The hardfloat run's bias: mostly zero or normal operands (the host path's domain; subnormals
    /// become the smallest normals' binade, infinities and NaNs the largest), zeros of both signs,
    /// and results steered to a few ulps around the smallest normal and the largest finite value
    /// (where the host's result must be refused or overflow raised).
    /// </summary>
    private void Harden(FpOp op, bool dbl, ref ulong a, ref ulong b, ref ulong c)
    {
        int fracBits = dbl ? 52 : 23;
        a = Normalish(a, fracBits);
        b = Normalish(b, fracBits);
        c = Normalish(c, fracBits);
        if (Below(3) != 0 || op is FpOp.Sqrt) return;
        // A target magnitude: the smallest normal or the largest finite value, times a few ulps.
        bool low = Below(2) == 0;
        double min = dbl ? BitConverter.UInt64BitsToDouble(0x0010000000000000) : BitConverter.UInt32BitsToSingle(0x00800000), max = dbl ? double.MaxValue : float.MaxValue;
        double fa = Val(a, dbl);
        if (fa == 0) return;
        switch (op)
        {
            case FpOp.Mul:
                b = Jitter(Bits((low ? min : max) / fa, dbl), fracBits);
                break;
            case FpOp.Div:
                b = Jitter(Bits(fa / (low ? min : max), dbl), fracBits);
                break;
            case FpOp.MulAdd:
                if (low)
                {
                    // A product a few binades above the smallest normal, and c = target - product: the sum lands near it.
                    b = Bits(Math.ScaleB(min, Below(fracBits + 3)) / fa, dbl);
                    double p = fa * Val(b, dbl), target = (Below(2) == 0 ? min : -min) * (1 + Below(4));
                    c = Jitter(Bits(target - p, dbl), fracBits);
                }
                else
                {
                    // The product around the largest finite value, plus an addend a few binades below it.
                    b = Jitter(Bits(max / fa, dbl), fracBits);
                    c = Bits(Math.ScaleB(max, -Below(fracBits + 3)) * (Below(2) == 0 ? 1 : -1), dbl);
                }
                break;
            default:
                // add/sub: b near (target - a), so the sum is near the target (or its negation for sub).
                {
                    double t = (low ? min : max) * (Below(2) == 0 ? 1 : -1);
                    b = Jitter(Bits(op == FpOp.Sub ? fa - t : t - fa, dbl), fracBits);
                    break;
                }
        }
        b = Normalish(b, fracBits);
        c = Normalish(c, fracBits);
    }

    private static double Val(ulong x, bool dbl) => dbl ? BitConverter.UInt64BitsToDouble(x) : BitConverter.UInt32BitsToSingle((uint)x);

    private static ulong Bits(double x, bool dbl) => dbl ? BitConverter.DoubleToUInt64Bits(x) : BitConverter.SingleToUInt32Bits((float)x);

    /// <summary>A few ulps either side (bit increments within the sign-magnitude encoding).</summary>
    private ulong Jitter(ulong x, int fracBits)
    {
        ulong mag = x & ((1UL << (fracBits == 52 ? 63 : 31)) - 1), sign = x ^ mag;
        long d = Below(9) - 4;
        return mag >= 4 ? sign | (ulong)((long)mag + d) : x;
    }

    /// <summary>Mostly a zero or normal: subnormals move to the smallest normal binade, infinities and NaNs to the largest; some zeros.</summary>
    private ulong Normalish(ulong x, int fracBits)
    {
        int r = Below(16);
        if (r == 15) return x; // keep a few as they are (the software path's cases through the entry point)
        ulong signBit = 1UL << (fracBits == 52 ? 63 : 31), sign = x & signBit;
        if (r == 0) return (NextU64() & 1) == 0 ? 0 : signBit; // a zero of either sign
        ulong expMax = fracBits == 52 ? 0x7FFUL : 0xFFUL, e = (x >> fracBits) & expMax, frac = x & ((1UL << fracBits) - 1);
        if (e == 0 && frac != 0) e = 1;
        else if (e == expMax) e = expMax - 1;
        return sign | (e << fracBits) | frac;
    }

    private ulong Value(int fracBits, int bias)
    {
        ulong sign = (NextU64() & 1) << (fracBits == 52 ? 63 : 31);
        ulong fracMask = (1UL << fracBits) - 1, expMax = (ulong)(2 * bias + 1);
        ulong exp, frac;
        switch (Below(16))
        {
            case 0:
                return NextU64() & (fracBits == 52 ? ulong.MaxValue : 0xffffffff);
            case 1:
                {
                    // Specials.
                    ulong q = 1UL << (fracBits - 1);
                    ulong[] specials =
                    [
                        0, expMax << fracBits, (expMax << fracBits) | q, (expMax << fracBits) | q | (NextU64() & (q - 1)),
                        (expMax << fracBits) | 1, (expMax << fracBits) | ((NextU64() & (q - 1)) | 1), 1, fracMask,
                        1UL << fracBits, ((expMax - 1) << fracBits) | fracMask, (ulong)bias << fracBits,
                    ];
                    return sign | specials[Below(specials.Length)];
                }
            case 2 or 3:
                exp = 0; // subnormal
                break;
            case 4 or 5:
                exp = (ulong)(1 + Below(fracBits + 3)); // just above the subnormals
                break;
            case 6 or 7:
                exp = expMax - 1 - (ulong)Below(fracBits + 3); // near overflow
                break;
            case 8 or 9:
                exp = (ulong)(bias - 40 + Below(80)); // around 1
                break;
            default:
                exp = (ulong)(1 + Below((int)expMax - 1));
                break;
        }
        frac = Significand(fracBits);
        return sign | (exp << fracBits) | frac;
    }

    /// <summary>
    /// A b that puts a*b or a/b at the edges of the range: around the smallest normal (where
    /// tininess after rounding differs from before), in the subnormals, or around overflow.
    /// </summary>
    private ulong Steer(FpOp op, ulong a, int fracBits, int bias)
    {
        int ea = (int)((a >> fracBits) & (ulong)(2 * bias + 1)) - bias;
        int target = Below(3) switch
        {
            0 => -bias - Below(3) + 1,            // emin - 2 .. emin
            1 => -bias + 1 - Below(fracBits + 2), // the subnormal range
            _ => bias - 1 + Below(3),             // emax - 1 .. emax + 1
        };
        int eb = op == FpOp.Div ? ea - target : target - ea;
        int field = Math.Clamp(eb + bias + Below(3) - 1, 1, 2 * bias);
        ulong sign = (NextU64() & 1) << (fracBits == 52 ? 63 : 31);
        ulong mask = (1UL << fracBits) - 1, frac = Significand(fracBits);
        if (Below(2) == 0)
        {
            // A significand making the result's significand all ones or all zeros, give or take a few ulps.
            ulong fa = a & mask;
            if (op != FpOp.Div)
            {
                double recip = 2.0 / (1.0 + fa / (double)(1UL << fracBits));
                fa = recip >= 2.0 ? 0 : (ulong)((recip - 1.0) * (1UL << fracBits));
            }
            frac = (fa + (ulong)(Below(7) - 3)) & mask;
        }
        return sign | ((ulong)field << fracBits) | frac;
    }

    /// <summary>A fraction: random, or with long runs of zeros/ones at the bottom or top (ties, carries).</summary>
    private ulong Significand(int fracBits)
    {
        ulong mask = (1UL << fracBits) - 1, r = NextU64() & mask;
        return Below(6) switch
        {
            0 => r & ~((1UL << Below(fracBits)) - 1),                  // trailing zeros
            1 => r | ((1UL << Below(fracBits)) - 1),                   // trailing ones
            2 => (r >> Below(fracBits + 1)),                           // leading zeros
            3 => (mask << Below(fracBits + 1)) & mask,                 // leading ones
            4 => (1UL << Below(fracBits)) | (Below(2) == 0 ? 0UL : 1UL), // one or two bits
            _ => r,
        };
    }

    /// <summary>An operand near x: a few ulps away, or with a nearby exponent.</summary>
    private ulong Near(ulong x, int fracBits, int bias)
    {
        ulong mask = fracBits == 52 ? ulong.MaxValue : 0xffffffff;
        return Below(2) == 0
            ? (x + (ulong)(Below(9) - 4)) & mask
            : (x + ((ulong)(Below(5) - 2) << fracBits) ^ (NextU64() & ((1UL << Below(fracBits)) - 1))) & mask;
    }

    /// <summary>A value with the given unbiased exponent, and maybe a tie-prone significand around position <paramref name="cut"/>.</summary>
    private ulong Around(int fracBits, int bias, int exponent, int cut)
    {
        ulong sign = (NextU64() & 1) << (fracBits == 52 ? 63 : 31);
        int e = Math.Clamp(exponent + bias, 1, 2 * bias);
        ulong frac = Significand(fracBits);
        if (Below(2) == 0)
        {
            // Exactly halfway at the cut, or just either side of it.
            frac &= ~((1UL << cut) - 1);
            frac |= (1UL << (cut - 1)) + (ulong)(Below(3) - 1);
            frac &= (1UL << fracBits) - 1;
        }
        return sign | ((ulong)e << fracBits) | frac;
    }

    private ulong NearInteger(FpOp op, int fracBits, int bias)
    {
        int limit = op is FpOp.CvtW or FpOp.CvtWU ? 32 : 64;
        ulong x;
        switch (Below(3))
        {
            case 0:
                {
                    // Around the limits: 2^31, 2^32, 2^63, 2^64 (and their negatives), a few ulps either side.
                    int e = limit - 1 + Below(2);
                    x = ((ulong)(e + bias) << fracBits) + (ulong)(Below(9) - 4);
                    break;
                }
            case 1:
                // k + 1/2 and neighbours: ties for RNE/RMM.
                x = Around(fracBits, bias, Below(Math.Min(limit, fracBits)), Math.Max(1, fracBits - Below(Math.Min(limit, fracBits) + 1)));
                x &= ~(1UL << (fracBits == 52 ? 63 : 31));
                break;
            default:
                // Small magnitudes, around and below 1.
                x = ((ulong)(bias - 3 + Below(8)) << fracBits) | Significand(fracBits);
                break;
        }
        return x | ((NextU64() & 1) << (fracBits == 52 ? 63 : 31));
    }

    private ulong Integer(int width)
    {
        ulong v = Below(4) switch
        {
            0 => NextU64(),
            1 => 1UL << Below(64) ^ (ulong)(Below(5) - 2),                                    // around powers of two
            2 => (NextU64() >> Below(64)) & ~((1UL << Below(40)) - 1) | (1UL << Below(40)),   // tie-prone patterns
            _ when width == 32 => (ulong)(Below(2) == 0 ? int.MinValue : int.MaxValue) + (ulong)(Below(9) - 4),
            _ => (ulong)(Below(2) == 0 ? long.MinValue : long.MaxValue) + (ulong)(Below(9) - 4),
        };
        return width == 32 ? v & 0xffffffff : v;
    }
}
