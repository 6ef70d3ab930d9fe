using System.Globalization;

namespace Rivet.Bench;

/// <summary>
/// Interpreter speed: each compute guest on one hart, Rivet's instructions per second, and the
/// same program under QEMU (TCG) for comparison.
/// </summary>
internal sealed class MipsSection : IBenchSection
{
    public const double GeomeanRatioTarget = 0.15;
    public const double IntloopMipsTarget = 300;
    /// <summary>QEMU net times below this are within the start-up noise and give no ratio.</summary>
    private const double MinQemuNetSeconds = 0.001;

    public string Name => "mips";
    public string Title => "interpreter MIPS";

    private sealed record Result(Guest Guest, RivetRun? Rivet, QemuRun? Qemu, List<string> Notes)
    {
        public ulong Instructions => Rivet?.Instructions ?? 0;
        public double RivetSeconds => Rivet!.Elapsed.TotalSeconds;
        public double RivetMips => Instructions / RivetSeconds / 1e6;
    }

    public int Run(BenchContext context)
    {
        BenchOptions o = context.Options;
        TextWriter w = context.Out, progress = context.Progress;
        IReadOnlyList<Guest>? guests = BenchGuests.Locate(context);
        if (guests == null) return 2;

        string warmUp = o.WarmUp ? " after 1 warm-up run" : ", no warm-up";
        w.WriteLine($"guests: {Path.GetDirectoryName(guests[0].Path)}");
        w.WriteLine($"rivet:  in-process, 1 hart; time = Start..WaitForExit, best of {o.Runs} run(s){warmUp}");

        Qemu? qemu = null;
        double baseline = 0;
        if (o.NoQemu)
        {
            w.WriteLine("qemu:   not run (--no-qemu)");
        }
        else if ((qemu = Qemu.Find()) == null)
        {
            w.WriteLine($"qemu:   {Qemu.ProgramName} not on PATH; Rivet only");
        }
        else
        {
            int baselineRuns = Math.Max(o.Runs, 5);
            (double? b, string? error) = MeasureBaseline(qemu, baselineRuns, progress);
            if (b == null)
            {
                w.WriteLine($"qemu:   {qemu.Path}: start-up baseline failed ({error}); Rivet only");
                qemu = null;
            }
            else
            {
                baseline = b.Value;
                w.WriteLine($"qemu:   {qemu.Version()}, -smp 1; time = whole process, best of {o.Runs} run(s),");
                w.WriteLine($"        minus QEMU's start-up baseline of {baseline * 1000:F1} ms (best of {baselineRuns} runs of a guest that exits at once)");
            }
        }
        w.WriteLine();
        w.Flush();

        List<Result> results = [];
        foreach (Guest g in guests) results.Add(Measure(g, o, qemu, progress));

        var table = new TextTable("guest", "instr (M)", "Rivet s", "Rivet MIPS", "QEMU s", "QEMU MIPS", "Rivet/QEMU");
        List<double> ratios = [];
        List<string> notes = [];
        double? intloopMips = null;
        foreach (Result r in results)
        {
            notes.AddRange(r.Notes.Select(n => $"{r.Guest.Name}: {n}"));
            if (r.Rivet is not { Ok: true })
            {
                string why = r.Rivet?.ExitCode is int c ? $"FAIL({c})" : "FAIL";
                table.Add(r.Guest.Name, r.Instructions > 0 ? F(r.Instructions / 1e6, 1) : "-", why, "-", "-", "-", "-");
                continue;
            }
            if (r.Guest.Name == "intloop") intloopMips = r.RivetMips;
            string qs = "-", qm = "-", ratio = "-";
            if (r.Qemu != null)
            {
                if (!r.Qemu.Ok)
                {
                    qs = r.Qemu.ExitCode is int c ? $"FAIL({c})" : "FAIL";
                }
                else
                {
                    double net = r.Qemu.Elapsed.TotalSeconds - baseline;
                    if (net < MinQemuNetSeconds)
                    {
                        qs = $"<{MinQemuNetSeconds:F3}";
                        qm = ratio = "n/a";
                        notes.Add($"{r.Guest.Name}: QEMU's net time is within its start-up noise; no ratio");
                    }
                    else
                    {
                        double qemuMips = r.Instructions / net / 1e6;
                        double rr = r.RivetMips / qemuMips;
                        ratios.Add(rr);
                        qs = F(net, 3);
                        qm = F(qemuMips, 1);
                        ratio = F(rr, 3);
                    }
                }
            }
            table.Add(r.Guest.Name, F(r.Instructions / 1e6, 1), F(r.RivetSeconds, 3), F(r.RivetMips, 1), qs, qm, ratio);
        }
        table.Write(w);
        w.WriteLine();
        foreach (string n in notes) w.WriteLine($"note: {n}");
        if (notes.Count > 0) w.WriteLine();

        if (ratios.Count > 0)
        {
            double geomean = Math.Exp(ratios.Average(Math.Log));
            w.WriteLine($"geomean ratio Rivet/QEMU: {F(geomean, 3)} (over {ratios.Count} guest(s))");
            w.WriteLine($"target: geomean ratio >= {F(GeomeanRatioTarget, 2)}: measured {F(geomean, 3)}, {(geomean >= GeomeanRatioTarget ? "met" : "not met")}");
        }
        else
        {
            w.WriteLine($"target: geomean ratio >= {F(GeomeanRatioTarget, 2)}: not measured (no QEMU figures)");
        }
        if (intloopMips is double im)
            w.WriteLine($"target: intloop >= {IntloopMipsTarget:F0} MIPS: measured {F(im, 1)} MIPS, {(im >= IntloopMipsTarget ? "met" : "not met")}");
        else
            w.WriteLine($"target: intloop >= {IntloopMipsTarget:F0} MIPS: not measured (intloop {(guests.Any(g => g.Name == "intloop") ? "failed" : "not run")})");
        w.Flush();

        return results.All(r => r.Rivet is { Ok: true }) ? 0 : 1;
    }

    private static Result Measure(Guest g, BenchOptions o, Qemu? qemu, TextWriter progress)
    {
        List<string> notes = [];
        RivetRun? best = null;
        ulong minCount = ulong.MaxValue, maxCount = 0;
        if (o.WarmUp)
        {
            RivetRun warm = RivetRunner.Run(g.Path);
            progress.WriteLine($"[mips] {g.Name}: rivet warm-up {Describe(warm)}");
            if (!warm.Ok) return new Result(g, warm, null, [$"Rivet: {warm.Error}"]);
            (minCount, maxCount) = (warm.Instructions, warm.Instructions);
        }
        for (int i = 1; i <= o.Runs; i++)
        {
            RivetRun run = RivetRunner.Run(g.Path);
            progress.WriteLine($"[mips] {g.Name}: rivet run {i}/{o.Runs} {Describe(run)}");
            if (!run.Ok) return new Result(g, run, null, [$"Rivet: {run.Error}"]);
            (minCount, maxCount) = (Math.Min(minCount, run.Instructions), Math.Max(maxCount, run.Instructions));
            if (best == null || run.Elapsed < best.Elapsed) best = run;
        }
        if (minCount != maxCount)
            notes.Add($"instruction count varies by {maxCount - minCount} between runs ({minCount}..{maxCount}); the best run's count is used");

        QemuRun? bestQemu = null;
        if (qemu != null)
        {
            for (int i = 1; i <= o.Runs; i++)
            {
                QemuRun run = qemu.Run(g.Path);
                progress.WriteLine($"[mips] {g.Name}: qemu run {i}/{o.Runs} {(run.Ok ? $"{run.Elapsed.TotalSeconds:F3} s" : "FAIL: " + run.Error)}");
                if (!run.Ok)
                {
                    notes.Add($"QEMU: {run.Error}");
                    bestQemu = run;
                    break;
                }
                if (bestQemu == null || run.Elapsed < bestQemu.Elapsed) bestQemu = run;
            }
        }
        progress.Flush();
        return new Result(g, best, bestQemu, notes);
    }

    /// <summary>QEMU's best time for a guest that exits at once, in seconds, or the error.</summary>
    private static (double? Seconds, string? Error) MeasureBaseline(Qemu qemu, int runs, TextWriter progress)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rivet-bench-exit-{Environment.ProcessId}.elf");
        try
        {
            File.WriteAllBytes(path, Qemu.ExitAtOnceElf());
            QemuRun warm = qemu.Run(path); // loads QEMU into the page cache
            if (!warm.Ok) return (null, warm.Error);
            double best = double.MaxValue;
            for (int i = 0; i < runs; i++)
            {
                QemuRun run = qemu.Run(path);
                if (!run.Ok) return (null, run.Error);
                best = Math.Min(best, run.Elapsed.TotalSeconds);
            }
            progress.WriteLine($"[mips] qemu start-up baseline: {best * 1000:F1} ms (best of {runs})");
            return (best, null);
        }
        catch (IOException ex)
        {
            return (null, ex.Message);
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // a temporary file left behind
            }
        }
    }

    private static string Describe(RivetRun r)
        => r.Ok ? $"{r.Elapsed.TotalSeconds:F3} s, {r.Instructions / 1e6:F1} M instructions, {r.Instructions / r.Elapsed.TotalSeconds / 1e6:F1} MIPS"
                : $"FAIL: {r.Error}";

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
