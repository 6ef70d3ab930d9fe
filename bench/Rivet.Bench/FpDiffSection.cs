using System.Diagnostics;
using Rivet.FpRef;

namespace Rivet.Bench;

/// <summary>
/// The full floating-point differential test (docs/FLOATING-POINT.md): every F/D operation the
/// arithmetic core implements, in both widths, against the host C library (tests/fpref/fpref.c,
/// built with gcc), 10,000,000 generated cases per operation and width by default, the rounding
/// modes rotating per batch; then the hardfloat runs (add, sub, mul, div, sqrt, fma "+nx": RNE with
/// NX already accrued, through the hart's entry points, on operands biased to the host path's edges).
/// Prints the cases per operation and mode and the mismatches (with the first few of each); exit
/// code 1 if any. --filter selects operations by name.
/// </summary>
internal sealed class FpDiffSection : IBenchSection
{
    public const long DefaultCases = 10_000_000, QuickCases = 200_000;

    public string Name => "fpdiff";
    public string Title => "floating point: SoftFloat against the host C library (differential test)";

    public int Run(BenchContext context)
    {
        BenchOptions o = context.Options;
        long cases = o.Cases ?? (o.Quick ? QuickCases : DefaultCases);
        TextWriter w = context.Out;
        w.WriteLine($"{cases} cases per operation and width, seed {o.Seed}; reference: gcc-built fpref (x86-64 SSE + glibc)");
        w.Flush();
        FpDiff diff;
        try
        {
            diff = FpDiff.Start();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            context.Progress.WriteLine($"error: {ex.Message}");
            return 2;
        }
        List<FpOpResult> results = [], hardResults = [];
        var total = Stopwatch.StartNew();
        using (diff)
        {
            foreach (bool dbl in new[] { false, true })
            {
                for (int op = 0; op < FpDiff.Ops; op++)
                {
                    if (!o.Selects(FpDiff.OpName((FpOp)op, dbl))) continue;
                    var sw = Stopwatch.StartNew();
                    FpOpResult r = diff.Run((FpOp)op, dbl, cases, o.Seed);
                    results.Add(r);
                    context.Progress.WriteLine($"  {r.Name}: {r.Cases} cases, {r.Mismatches} mismatches, {sw.Elapsed.TotalSeconds:F1} s");
                }
            }
            foreach (bool dbl in new[] { false, true })
            {
                for (int op = 0; op < FpDiff.Ops; op++)
                {
                    if (!FpDiff.HasHardPath((FpOp)op) || !o.Selects(FpDiff.OpName((FpOp)op, dbl) + "+nx")) continue;
                    var sw = Stopwatch.StartNew();
                    FpOpResult r = diff.Run((FpOp)op, dbl, cases, o.Seed, hard: true);
                    hardResults.Add(r);
                    context.Progress.WriteLine($"  {r.Name}: {r.Cases} cases, {r.HostCases} on the host path, {r.Mismatches} mismatches, {sw.Elapsed.TotalSeconds:F1} s");
                }
            }
        }
        w.WriteLine();
        if (results.Count > 0) w.Write(FpDiff.Table(results));
        if (hardResults.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("hardfloat (RNE, NX already accrued; a case matches when bits and flags|NX equal the reference's and the software path's):");
            w.Write(FpDiff.HardTable(hardResults));
        }
        results.AddRange(hardResults);
        long all = results.Sum(r => r.Cases), bad = results.Sum(r => r.Mismatches);
        w.WriteLine($"total: {results.Count} operations, {all} cases, {bad} mismatches, {total.Elapsed.TotalSeconds:F0} s");
        foreach (FpOpResult r in results)
            foreach (FpMismatch m in r.First) w.WriteLine($"  {m}");
        w.WriteLine();
        w.WriteLine("speed on ordinary operands (normal, magnitudes 2^-10..2^10), ns per operation:");
        FpSpeed.Print(w, o.Quick);
        return bad == 0 ? 0 : 1;
    }
}
