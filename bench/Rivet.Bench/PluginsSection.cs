using System.Diagnostics;
using System.Globalization;
using Rivet.Board;
using Rivet.Cpu;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Bench;

/// <summary>
/// What plugins cost (docs/PLUGINS.md): guest MIPS on one hart with no plugin, with the built-in
/// <c>insn</c> counting through inline scoreboard counters (no callback), with <c>insn,inline=false</c> (a callback on every
/// instruction), with a memory callback on every instruction (a small plugin of this program's
/// own), and with the built-in <c>execlog</c> (a line per instruction, written to a null writer)
/// when this rivet has it ("n/a" otherwise). Guests: intloop and crc32 (guests/bench). Each insn
/// run also checks that insn's count equals the harts' own. Every mode runs on the same engine:
/// the default, the translator (issue 16's target is for translated code), or the one --engine names.
/// </summary>
internal sealed class PluginsSection : IBenchSection
{
    private static readonly string[] GuestNames = ["intloop", "crc32"];

    /// <summary>Issue 16: <c>-plugin insn</c> (inline) at least this fraction of the plain speed.</summary>
    public const double InsnInlineRatioTarget = 0.65;

    private sealed record Mode(string Label, string? Plugin, IRivetPlugin? Instance = null, bool Quiet = false);

    private static readonly Mode[] Modes =
    [
        new("no plugin", null),
        new("insn (inline)", "insn"),
        new("insn,inline=false (callback)", "insn,inline=false"),
        new("memory callback", "memcount", new MemoryCounter()),
        new("execlog", "execlog", Quiet: true),
    ];

    /// <summary>The index of the insn (inline) mode in <see cref="Modes"/>.</summary>
    private const int InsnInline = 1;

    /// <summary>A memory callback on every instruction, counting accesses per vCPU.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class MemoryCounter : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args)
        {
            long[] accesses = new long[context.VCpuCount];
            context.RegisterBlockTranslated(b =>
            {
                foreach (IInstruction i in b.Instructions) i.RegisterMemory((cpu, _) => accesses[cpu]++);
            });
        }
    }

    /// <summary>One timed run: wall time Start..WaitForExit, instructions retired, and insn's own total (null without it).</summary>
    private sealed record Timed(TimeSpan Elapsed, ulong Instructions, ulong? Counted, string? Error)
    {
        public double Mips => Instructions / Elapsed.TotalSeconds / 1e6;
    }

    public string Name => "plugins";
    public string Title => "plugin overhead: MIPS with no plugin, insn inline, per-instruction callback, memory callback, execlog";

    public int Run(BenchContext context)
    {
        BenchOptions o = context.Options;
        TextWriter w = context.Out, progress = context.Progress;
        IReadOnlyList<Guest>? all = BenchGuests.Locate(context);
        if (all == null) return 2;
        List<Guest> guests = [.. all.Where(g => GuestNames.Contains(g.Name))];
        if (guests.Count == 0)
        {
            progress.WriteLine($"error: none of {string.Join(", ", GuestNames)} among the selected guests");
            return 2;
        }

        // --engine both (the default) measures the default engine, the translator.
        ExecutionEngine engine = o.Engines[0];
        string warmUp = o.WarmUp ? " after 1 warm-up run" : ", no warm-up";
        w.WriteLine($"rivet: in-process, 1 hart, engine {MipsSection.EngineName(engine)} (MachineConfig.Engine) in every mode; time = Start..WaitForExit, best of {o.Runs} run(s){warmUp} per mode");
        w.WriteLine("qemu:  not measured: QEMU 7.2's -plugin loads plugin .so files (tests/plugin/libinsn.so, ...) that Debian's qemu-system-misc does not ship");
        w.WriteLine();
        w.Flush();

        var table = new TextTable(["guest", "instr (M)", .. Modes.Select(m => m.Label + " MIPS"), .. Modes.Skip(1).Select(m => m.Label + " /plain")]);
        List<string> notes = [], targets = [];
        bool ok = true;
        foreach (Guest g in guests)
        {
            var best = new Timed?[Modes.Length];
            var missing = new bool[Modes.Length];
            for (int m = 0; m < Modes.Length; m++)
            {
                best[m] = Measure(g, Modes[m], engine, o, progress, out string? error);
                if (error != null && error.StartsWith(NotBuiltIn, StringComparison.Ordinal))
                {
                    missing[m] = true; // execlog on a rivet that has no such built-in yet
                }
                else if (error != null)
                {
                    notes.Add($"{g.Name}, {Modes[m].Label}: {error}");
                    ok = false;
                }
                else if (best[m]!.Counted is ulong counted && counted != best[m]!.Instructions)
                {
                    notes.Add($"{g.Name}, {Modes[m].Label}: insn counted {counted} instructions, the hart retired {best[m]!.Instructions}");
                    ok = false;
                }
            }
            string Mips(int m) => missing[m] ? "n/a" : best[m] == null ? "FAIL" : F(best[m]!.Mips, 1);
            string Ratio(int m) => missing[m] ? "n/a" : best[m] == null || best[0] == null ? "-" : F(best[m]!.Mips / best[0]!.Mips, 3);
            table.Add([g.Name, best[0] is { } b0 ? F(b0.Instructions / 1e6, 1) : "-", .. Enumerable.Range(0, Modes.Length).Select(Mips), .. Enumerable.Range(1, Modes.Length - 1).Select(Ratio)]);

            string what = $"target: {g.Name}, -plugin insn inline speed / plain speed >= {F(InsnInlineRatioTarget, 2)} (issue 16, {MipsSection.EngineName(engine)})";
            targets.Add(best[0] is { } plain && best[InsnInline] is { } insn
                ? $"{what}: measured {F(insn.Mips / plain.Mips, 3)}, {(insn.Mips / plain.Mips >= InsnInlineRatioTarget ? "PASS" : "FAIL")}"
                : $"{what}: not measured (a run failed)");
        }
        table.Write(w);
        w.WriteLine();
        foreach (string n in notes) w.WriteLine($"note: {n}");
        if (notes.Count > 0) w.WriteLine();
        foreach (string t in targets) w.WriteLine(t);
        w.Flush();
        return ok ? 0 : 1;
    }

    private static Timed? Measure(Guest g, Mode mode, ExecutionEngine engine, BenchOptions o, TextWriter progress, out string? error)
    {
        error = null;
        if (o.WarmUp)
        {
            Timed warm = RunOnce(g.Path, mode, engine);
            progress.WriteLine($"[plugins] {g.Name}, {mode.Label}: warm-up {Describe(warm)}");
            if (warm.Error != null)
            {
                error = warm.Error;
                return null;
            }
        }
        Timed? best = null;
        for (int i = 1; i <= o.Runs; i++)
        {
            Timed run = RunOnce(g.Path, mode, engine);
            progress.WriteLine($"[plugins] {g.Name}, {mode.Label}: run {i}/{o.Runs} {Describe(run)}");
            if (run.Error != null)
            {
                error = run.Error;
                return null;
            }
            if (best == null || run.Elapsed < best.Elapsed) best = run;
        }
        progress.Flush();
        return best;
    }

    /// <summary>Builds the machine (and installs the plugin) untimed, then times Start..WaitForExit.</summary>
    private const string NotBuiltIn = "no such built-in: ";

    private static Timed RunOnce(string elf, Mode mode, ExecutionEngine engine)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var output = new StringWriter();
        RivetMachine machine;
        try
        {
            machine = new RivetMachine(new MachineConfig { Harts = 1, Kernel = elf, Engine = engine }, new MemoryStream(), TextWriter.Null);
        }
        catch (ImageException ex)
        {
            return new Timed(TimeSpan.Zero, 0, null, $"cannot load {Path.GetFileName(elf)}: {ex.Message}");
        }
        using (machine)
        {
            // execlog writes a line per instruction: formatted and written, then dropped.
            var host = mode.Plugin == null ? null : new PluginHost(machine, mode.Quiet ? TextWriter.Null : TextWriter.Synchronized(output));
            try
            {
                if (mode.Instance != null) host!.Install(mode.Instance, mode.Plugin!);
                else if (mode.Plugin != null) host!.Load(mode.Plugin);
            }
            catch (PluginLoadException ex) when (ex.Message.Contains("no built-in plugin", StringComparison.Ordinal))
            {
                return new Timed(TimeSpan.Zero, 0, null, NotBuiltIn + mode.Plugin);
            }
            var sw = Stopwatch.StartNew();
            machine.Start();
            int? code = machine.WaitForExit(RivetRunner.Timeout);
            sw.Stop();
            if (code == null)
            {
                machine.RequestShutdown(ShutdownCause.HostUi, 1);
                machine.WaitForExit(TimeSpan.FromSeconds(10));
                return new Timed(sw.Elapsed, machine.InstructionsRetired, null, $"did not finish within {RivetRunner.Timeout.TotalSeconds:F0} s");
            }
            if (code != 0) return new Timed(sw.Elapsed, machine.InstructionsRetired, null, $"exit code {code}");
            ulong? counted = null;
            string text = output.ToString();
            const string total = "total insns: ";
            int at = text.LastIndexOf(total, StringComparison.Ordinal);
            if (at >= 0 && ulong.TryParse(text.AsSpan(at + total.Length).TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)) counted = n;
            return new Timed(sw.Elapsed, machine.InstructionsRetired, counted, null);
        }
    }

    private static string Describe(Timed r)
        => r.Error == null ? $"{r.Elapsed.TotalSeconds:F3} s, {r.Instructions / 1e6:F1} M instructions, {r.Mips:F1} MIPS" : $"FAIL: {r.Error}";

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
