using System.Globalization;
using Rivet.Cpu;

namespace Rivet.Bench;

/// <summary>
/// Guest speed: each compute guest on one hart, Rivet's instructions per second with each chosen
/// engine (translator and interpreter by default, --engine for one), and the same program under
/// QEMU (TCG) in the same run, run by run in turn, so a busier host slows every column alike.
/// </summary>
internal sealed class MipsSection : IBenchSection
{
    /// <summary>Issue 16's targets for the translator, as ratios of QEMU's MIPS.</summary>
    public const double TranslatorGeomeanTarget = 1.0;
    public const double TranslatorFloorTarget = 0.5;
    public const double MixedWorkloadTarget = 1.0;
    /// <summary>"Beyond QEMU on tight loops": intloop's ratio must exceed this.</summary>
    public const double IntloopBeyondTarget = 1.0;
    private static readonly string[] MixedWorkloads = ["coremarkish", "dhrystoneish"];

    /// <summary>The interpreter's own targets (the first speed issue), kept as a floor for the reference engine.</summary>
    public const double InterpreterGeomeanTarget = 0.15;
    public const double InterpreterIntloopMipsTarget = 300;

    /// <summary>QEMU net times below this are within the start-up noise and give no ratio.</summary>
    private const double MinQemuNetSeconds = 0.001;

    public string Name => "mips";
    public string Title => "guest MIPS: translator and interpreter beside QEMU";

    private sealed record Result(Guest Guest, Dictionary<ExecutionEngine, RivetRun> Rivet, QemuRun? Qemu, List<string> Notes)
    {
        public bool Ok(ExecutionEngine e) => Rivet.TryGetValue(e, out RivetRun? r) && r.Ok;

        public double Mips(ExecutionEngine e) => Rivet[e].Instructions / Rivet[e].Elapsed.TotalSeconds / 1e6;

        /// <summary>The instruction count for QEMU's MIPS: the first engine that ran the guest to the end (the count is the same program's).</summary>
        public ulong Instructions => Rivet.Values.FirstOrDefault(r => r.Ok)?.Instructions ?? Rivet.Values.FirstOrDefault()?.Instructions ?? 0;
    }

    public int Run(BenchContext context)
    {
        BenchOptions o = context.Options;
        TextWriter w = context.Out, progress = context.Progress;
        IReadOnlyList<Guest>? guests = BenchGuests.Locate(context);
        if (guests == null) return 2;
        IReadOnlyList<ExecutionEngine> engines = o.Engines;

        string warmUp = o.WarmUp ? " after 1 warm-up run" : ", no warm-up";
        w.WriteLine($"guests: {Path.GetDirectoryName(guests[0].Path)}");
        w.WriteLine($"rivet:  in-process, 1 hart, MachineConfig.Engine = {string.Join(" and ", engines.Select(EngineName))}; "
            + $"time = Start..WaitForExit, best of {o.Runs} run(s){warmUp}");

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
        if (engines.Count > 1 || qemu != null)
            w.WriteLine($"order:  per guest{(o.WarmUp ? ", the warm-up runs first, then" : ",")} run by run {(engines.Count > 1 ? "every engine" : "rivet")}{(qemu != null ? " and QEMU" : "")} in turn");
        w.WriteLine();
        w.Flush();

        List<Result> results = [];
        foreach (Guest g in guests) results.Add(Measure(g, o, engines, qemu, progress));

        var table = new TextTable([
            "guest", "instr (M)",
            .. engines.SelectMany(e => new[] { $"{ShortName(e)} s", $"{ShortName(e)} MIPS" }),
            "QEMU s", "QEMU MIPS",
            .. engines.Select(e => $"{ShortName(e)}/QEMU"),
        ]);
        var ratios = engines.ToDictionary(e => e, _ => new List<(string Guest, double Ratio)>());
        List<string> notes = [];
        foreach (Result r in results)
        {
            notes.AddRange(r.Notes.Select(n => $"{r.Guest.Name}: {n}"));
            double? qemuMips = null;
            string qs = "-", qm = "-";
            if (r.Qemu != null && r.Instructions > 0)
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
                        qm = "n/a";
                        notes.Add($"{r.Guest.Name}: QEMU's net time is within its start-up noise; no ratio");
                    }
                    else
                    {
                        qemuMips = r.Instructions / net / 1e6;
                        qs = F(net, 3);
                        qm = F(qemuMips.Value, 1);
                    }
                }
            }
            List<string> cells = [r.Guest.Name, r.Instructions > 0 ? F(r.Instructions / 1e6, 1) : "-"];
            List<string> ratioCells = [];
            foreach (ExecutionEngine e in engines)
            {
                if (!r.Ok(e))
                {
                    cells.Add(r.Rivet.TryGetValue(e, out RivetRun? failed) && failed.ExitCode is int c ? $"FAIL({c})" : r.Rivet.ContainsKey(e) ? "FAIL" : "-");
                    cells.Add("-");
                    ratioCells.Add("-");
                    continue;
                }
                cells.Add(F(r.Rivet[e].Elapsed.TotalSeconds, 3));
                cells.Add(F(r.Mips(e), 1));
                if (qemuMips is double q)
                {
                    double ratio = r.Mips(e) / q;
                    ratios[e].Add((r.Guest.Name, ratio));
                    ratioCells.Add(F(ratio, 3));
                }
                else
                {
                    ratioCells.Add(qm == "n/a" ? "n/a" : "-");
                }
            }
            table.Add([.. cells, qs, qm, .. ratioCells]);
        }
        table.Write(w);
        w.WriteLine();
        foreach (string n in notes) w.WriteLine($"note: {n}");
        if (notes.Count > 0) w.WriteLine();

        bool any = false;
        foreach (ExecutionEngine e in engines)
        {
            List<(string Guest, double Ratio)> rs = ratios[e];
            if (rs.Count == 0) continue;
            w.WriteLine($"geomean {ShortName(e)}/QEMU: {F(Geomean(rs), 3)} (over {rs.Count} guest(s))");
            any = true;
        }
        if (engines.Count > 1)
        {
            List<double> speedups = [.. results.Where(r => engines.All(r.Ok)).Select(r => r.Mips(engines[0]) / r.Mips(engines[1]))];
            if (speedups.Count > 0)
            {
                w.WriteLine($"geomean {ShortName(engines[0])}/{ShortName(engines[1])}: {F(Math.Exp(speedups.Average(Math.Log)), 3)} (over {speedups.Count} guest(s))");
                any = true;
            }
        }
        if (any) w.WriteLine();

        if (engines.Contains(ExecutionEngine.Translator)) PrintTranslatorTargets(w, ratios[ExecutionEngine.Translator], guests);
        if (engines.Contains(ExecutionEngine.Interpreter)) PrintInterpreterTargets(w, ratios[ExecutionEngine.Interpreter], results, guests);
        w.Flush();

        return results.All(r => engines.All(r.Ok)) ? 0 : 1;
    }

    /// <summary>Issue 16's targets, each PASS, FAIL or "not measured".</summary>
    private static void PrintTranslatorTargets(TextWriter w, List<(string Guest, double Ratio)> rs, IReadOnlyList<Guest> guests)
    {
        const string who = "translator (issue 16)";
        if (rs.Count == 0)
        {
            w.WriteLine($"target: {who}: not measured (no QEMU figures)");
            return;
        }
        double geomean = Geomean(rs);
        Target(w, $"{who}: geomean translator/QEMU >= {F(TranslatorGeomeanTarget, 1)}", $"{F(geomean, 3)} over {rs.Count} guest(s)", geomean >= TranslatorGeomeanTarget);
        (string worst, double min) = rs.MinBy(x => x.Ratio);
        Target(w, $"{who}: no guest below {F(TranslatorFloorTarget, 1)}x QEMU", $"lowest {worst} {F(min, 3)}", min >= TranslatorFloorTarget);
        foreach (string name in MixedWorkloads)
            GuestTarget(w, $"{who}: {name} >= {F(MixedWorkloadTarget, 1)}x QEMU", rs, guests, name, r => r >= MixedWorkloadTarget);
        GuestTarget(w, $"{who}: intloop beyond QEMU (> {F(IntloopBeyondTarget, 1)}x)", rs, guests, "intloop", r => r > IntloopBeyondTarget);
    }

    private static void PrintInterpreterTargets(TextWriter w, List<(string Guest, double Ratio)> rs, List<Result> results, IReadOnlyList<Guest> guests)
    {
        const string who = "interpreter";
        if (rs.Count > 0)
        {
            double geomean = Geomean(rs);
            Target(w, $"{who}: geomean interpreter/QEMU >= {F(InterpreterGeomeanTarget, 2)}", F(geomean, 3), geomean >= InterpreterGeomeanTarget);
        }
        else
        {
            w.WriteLine($"target: {who}: geomean interpreter/QEMU >= {F(InterpreterGeomeanTarget, 2)}: not measured (no QEMU figures)");
        }
        string what = $"{who}: intloop >= {InterpreterIntloopMipsTarget:F0} MIPS";
        Result? intloop = results.FirstOrDefault(r => r.Guest.Name == "intloop");
        if (intloop != null && intloop.Ok(ExecutionEngine.Interpreter))
        {
            double mips = intloop.Mips(ExecutionEngine.Interpreter);
            Target(w, what, $"{F(mips, 1)} MIPS", mips >= InterpreterIntloopMipsTarget);
        }
        else
        {
            w.WriteLine($"target: {what}: not measured (intloop {(guests.Any(g => g.Name == "intloop") ? "failed" : "not run")})");
        }
    }

    private static void GuestTarget(TextWriter w, string what, List<(string Guest, double Ratio)> rs, IReadOnlyList<Guest> guests, string name, Func<double, bool> met)
    {
        if (rs.FirstOrDefault(x => x.Guest == name) is { Guest: not null } hit)
            Target(w, what, F(hit.Ratio, 3), met(hit.Ratio));
        else
            w.WriteLine($"target: {what}: not measured ({name} {(guests.Any(g => g.Name == name) ? "has no ratio" : "not run")})");
    }

    private static void Target(TextWriter w, string what, string measured, bool met)
        => w.WriteLine($"target: {what}: measured {measured}, {(met ? "PASS" : "FAIL")}");

    private static double Geomean(List<(string Guest, double Ratio)> rs) => Math.Exp(rs.Average(x => Math.Log(x.Ratio)));

    private static Result Measure(Guest g, BenchOptions o, IReadOnlyList<ExecutionEngine> engines, Qemu? qemu, TextWriter progress)
    {
        List<string> notes = [];
        var best = new Dictionary<ExecutionEngine, RivetRun>();
        var failed = new HashSet<ExecutionEngine>();
        var counts = engines.ToDictionary(e => e, _ => (Min: ulong.MaxValue, Max: 0UL));

        void Record(ExecutionEngine e, RivetRun run, bool timed)
        {
            if (!run.Ok)
            {
                best[e] = run;
                failed.Add(e);
                notes.Add($"Rivet ({EngineName(e)}): {run.Error}");
                return;
            }
            (ulong min, ulong max) = counts[e];
            counts[e] = (Math.Min(min, run.Instructions), Math.Max(max, run.Instructions));
            if (timed && (!best.TryGetValue(e, out RivetRun? b) || run.Elapsed < b.Elapsed)) best[e] = run;
        }

        if (o.WarmUp)
        {
            foreach (ExecutionEngine e in engines)
            {
                RivetRun warm = RivetRunner.Run(g.Path, engine: e);
                progress.WriteLine($"[mips] {g.Name}: rivet {EngineName(e)} warm-up {Describe(warm)}");
                Record(e, warm, timed: false);
            }
        }

        QemuRun? bestQemu = null;
        bool qemuFailed = false;
        for (int i = 1; i <= o.Runs; i++)
        {
            foreach (ExecutionEngine e in engines)
            {
                if (failed.Contains(e)) continue;
                RivetRun run = RivetRunner.Run(g.Path, engine: e);
                progress.WriteLine($"[mips] {g.Name}: rivet {EngineName(e)} run {i}/{o.Runs} {Describe(run)}");
                Record(e, run, timed: true);
            }
            if (qemu != null && !qemuFailed)
            {
                QemuRun run = qemu.Run(g.Path);
                progress.WriteLine($"[mips] {g.Name}: qemu run {i}/{o.Runs} {(run.Ok ? $"{run.Elapsed.TotalSeconds:F3} s" : "FAIL: " + run.Error)}");
                if (!run.Ok)
                {
                    notes.Add($"QEMU: {run.Error}");
                    bestQemu = run;
                    qemuFailed = true;
                }
                else if (bestQemu == null || run.Elapsed < bestQemu.Elapsed)
                {
                    bestQemu = run;
                }
            }
            progress.Flush();
        }

        foreach (ExecutionEngine e in engines)
        {
            (ulong min, ulong max) = counts[e];
            if (min != ulong.MaxValue && min != max)
                notes.Add($"{EngineName(e)}: instruction count varies by {max - min} between runs ({min}..{max}); the best run's count is used");
        }
        // Both engines run the same program: a different instret is a bug in one of them.
        List<ulong> perEngine = [.. engines.Where(e => best.TryGetValue(e, out RivetRun? r) && r.Ok).Select(e => best[e].Instructions).Distinct()];
        if (perEngine.Count > 1)
            notes.Add($"the engines retired different instruction counts: {string.Join(", ", engines.Where(best.ContainsKey).Select(e => $"{EngineName(e)} {best[e].Instructions}"))}");
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

    public static string EngineName(ExecutionEngine e) => e switch
    {
        ExecutionEngine.Translator => "translator",
        ExecutionEngine.Interpreter => "interpreter",
        _ => e.ToString(),
    };

    private static string ShortName(ExecutionEngine e) => e switch
    {
        ExecutionEngine.Translator => "transl",
        ExecutionEngine.Interpreter => "interp",
        _ => e.ToString(),
    };

    private static string Describe(RivetRun r)
        => r.Ok ? $"{r.Elapsed.TotalSeconds:F3} s, {r.Instructions / 1e6:F1} M instructions, {r.Instructions / r.Elapsed.TotalSeconds / 1e6:F1} MIPS"
                : $"FAIL: {r.Error}";

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
