using System.Diagnostics;
using System.Globalization;
using Rivet.Board;
using Rivet.Machine;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Bench;

/// <summary>
/// The vCPU lifecycle (docs/LIFECYCLE.md) as the user feels it: how long pausing every vCPU
/// takes (in-process, 1 to 64 vCPUs, busy and idle), how long the rivet process takes to exit
/// after a SIGTERM (against QEMU on the same guest), and what 4 idle harts cost the host.
/// The guests never exit on their own: guests/lifecycle/spin_forever.S (every hart busy) and
/// idle_forever.S (every hart in wfi).
/// </summary>
internal sealed class LifecycleSection : IBenchSection
{
    public const double PauseP50TargetMs = 1.0;
    public const double SigtermRatioTarget = 1.5;
    public const double IdleCpuTargetPercent = 1.0;

    private const ulong PauseRamSize = 16UL << 20;
    private const int ProcessHarts = 4;

    private static readonly int[] PauseVCpuCounts = [1, 4, 16, 64];
    /// <summary>The untimed gap between Resume and the next Pause: random in this range (ms), so the pauses land at random points of the vCPUs' time slices.</summary>
    private const int MinGapMs = 2, MaxGapMs = 8;
    private static readonly TimeSpan SignalDelay = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    public string Name => "lifecycle";
    public string Title => "vCPU lifecycle: pause latency, SIGTERM-to-exit, idle host CPU";

    /// <summary>How many iterations and runs; --quick takes the small one.</summary>
    private sealed record Plan(int PauseIterations, int MinPauseIterations, TimeSpan PauseBudget, int PauseWarmUp, int SignalRuns, TimeSpan IdleWindow)
    {
        public static readonly Plan Full = new(200, 50, TimeSpan.FromSeconds(6), 20, 20, TimeSpan.FromSeconds(5));
        public static readonly Plan Quick = new(50, 20, TimeSpan.FromSeconds(1.5), 5, 5, TimeSpan.FromSeconds(2));
    }

    /// <summary>A guest and what it makes the harts do.</summary>

    /// <summary>An emulator run as a process: how to start it and when it is ready for a signal.</summary>
    /// <param name="Dotnet">The .NET host (rivet only: it runs the .NET floor).</param>
    private sealed record Emulator(string Name, string Program, Func<string, IEnumerable<string>> Args, int ReadySignal, string? MachineThread, bool MustExitZero, string? Dotnet = null)
    {
        public string CommandLine(string guest) => string.Join(' ', Args(guest).Prepend(Program));
    }

    private sealed record PauseResult(int VCpus, Workload Workload, Stats? Micros, string? Error);

    private sealed record SignalRun(double ExitMs, int ExitCode, double ReadyMs, bool MachineUp);

    private sealed record SignalResult(Workload Workload, Emulator Emulator, List<SignalRun> Runs, string? Error)
    {
        public Stats? ExitMs => Runs.Count > 0 ? new Stats(Runs.Select(r => r.ExitMs)) : null;
    }

    /// <param name="OthersCores">CPU used meanwhile by the rest of the host (not us, not the emulator), in cores.</param>
    /// <param name="Switches">Context switches of the emulator's threads in the window (null if unknown).</param>
    private sealed record IdleResult(Emulator Emulator, double WindowSeconds, double CpuSeconds, int? ExitCode, string? Error, double? OthersCores = null, long? Switches = null)
    {
        public double Percent => CpuSeconds / WindowSeconds * 100;
    }

    public int Run(BenchContext context)
    {
        var elapsed = Stopwatch.StartNew();
        BenchOptions o = context.Options;
        TextWriter w = context.Out;
        Plan plan = o.Quick ? Plan.Quick : Plan.Full;

        if (context.RepoRoot == null)
        {
            context.Progress.WriteLine($"error: cannot find the repository ({RepoLocator.SolutionFile}) above {Environment.CurrentDirectory}; run from the repository");
            return 2;
        }
        if (BenchGuests.LifecycleGuests(context, context.RepoRoot) is not { } guests) return 2;
        (string guestsDir, Workload busy, Workload idle) = guests;
        w.WriteLine($"guests: {guestsDir} (busy = spin_forever.elf: every hart spins; idle = idle_forever.elf: every hart in wfi)");
        w.WriteLine();
        w.Flush();

        int exitCode = 0;
        void Fail(int code)
        {
            if (exitCode == 0) exitCode = code;
        }

        if (!MeasurePauseLatency(context, plan, busy, idle)) Fail(1);

        w.WriteLine();
        if (!Linux.Supported)
        {
            w.WriteLine("-- SIGTERM-to-exit latency and idle host CPU: not measured (they need Linux: /proc and kill(2)) --");
        }
        else
        {
            List<string> notes = [];
            Emulator? rivet = FindRivet(context, notes, out int cliError);
            Emulator? qemu = null;
            string qemuHeader;
            if (o.NoQemu)
            {
                qemuHeader = "not run (--no-qemu)";
            }
            else if (Qemu.Find() is not Qemu q)
            {
                qemuHeader = $"{Qemu.ProgramName} not on PATH; Rivet only";
            }
            else
            {
                qemu = QemuEmulator(q.Path);
                qemuHeader = $"{qemu.CommandLine("<guest>.elf")}\n       ({q.Version()}); ready = SIGTERM handler installed (SigCgt bit 14), then {SignalDelay.TotalMilliseconds:F0} ms";
            }

            if (rivet == null)
            {
                w.WriteLine("-- SIGTERM-to-exit latency and idle host CPU: not measured (no rivet CLI, see standard error) --");
                Fail(cliError);
            }
            else
            {
                if (!MeasureSigterm(context, plan, rivet, qemu, qemuHeader, notes, busy, idle)) Fail(1);
                w.WriteLine();
                if (!MeasureIdleCpu(context, plan, rivet, qemu, idle)) Fail(1);
            }
        }
        w.Flush();
        context.Progress.WriteLine($"[lifecycle] section took {elapsed.Elapsed.TotalSeconds:F1} s");
        return exitCode;
    }

    // ---- 1. pause-all latency, in-process ----

    private static bool MeasurePauseLatency(BenchContext context, Plan plan, Workload busy, Workload idle)
    {
        TextWriter w = context.Out;
        w.WriteLine("-- pause-all latency (in-process Machine) --");
        w.WriteLine($"rivet: Machine with {PauseRamSize >> 20} MiB RAM, Start(), wait until every vCPU runs; then per iteration: a random {MinGapMs}-{MaxGapMs} ms gap,");
        w.WriteLine("       Stopwatch around Pause() (it returns once every vCPU is Stopped), Resume() untimed");
        w.WriteLine($"       {plan.PauseWarmUp} untimed warm-up pause/resume pairs, then {plan.PauseIterations} timed iterations per row");
        w.WriteLine($"       (fewer once a row has run {plan.PauseBudget.TotalSeconds:F1} s, at least {plan.MinPauseIterations}); p99 is the nearest-rank percentile");
        w.WriteLine();
        w.Flush();

        HostLoad? load = HostLoad.Now();
        List<PauseResult> results = [];
        foreach (int n in PauseVCpuCounts)
        {
            foreach (Workload wl in new[] { busy, idle })
            {
                PauseResult r = MeasurePause(wl, n, plan);
                results.Add(r);
                context.Progress.WriteLine(r.Micros is Stats s
                    ? $"[lifecycle] pause, {n} {wl.Label} vCPU(s): {s.Count} iterations, p50 {F(s.P50, 1)} us, p99 {F(s.P99, 1)} us, max {F(s.Max, 1)} us"
                    : $"[lifecycle] pause, {n} {wl.Label} vCPU(s): FAIL: {r.Error}");
                context.Progress.Flush();
            }
        }

        var table = new TextTable("vCPUs", "guest", "iterations", "p50 us", "p99 us", "max us");
        foreach (PauseResult r in results)
        {
            if (r.Micros is Stats s)
                table.Add(r.VCpus.ToString(CultureInfo.InvariantCulture), r.Workload.Label, s.Count.ToString(CultureInfo.InvariantCulture), F(s.P50, 1), F(s.P99, 1), F(s.Max, 1));
            else
                table.Add(r.VCpus.ToString(CultureInfo.InvariantCulture), r.Workload.Label, "FAIL", "-", "-", "-");
        }
        table.Write(w);
        w.WriteLine();
        if (HostLoad.Describe(load, HostLoad.Now()) is string pauseLoad) w.WriteLine($"host: {pauseLoad}");
        foreach (PauseResult r in results.Where(r => r.Error != null))
            w.WriteLine($"note: {r.VCpus} {r.Workload.Label} vCPU(s): {r.Error}");

        PauseResult target = results.First(r => r.VCpus == 4 && r.Workload == busy);
        if (target.Micros is Stats t)
        {
            double ms = t.P50 / 1000;
            w.WriteLine($"target: pause p50 with 4 busy vCPUs <= {F(PauseP50TargetMs, 0)} ms: measured {F(ms, 3)} ms, {(ms <= PauseP50TargetMs ? "met" : "not met")}");
        }
        else
        {
            w.WriteLine($"target: pause p50 with 4 busy vCPUs <= {F(PauseP50TargetMs, 0)} ms: not measured (the run failed)");
        }
        w.Flush();
        return results.All(r => r.Error == null);
    }

    private static PauseResult MeasurePause(Workload wl, int harts, Plan plan)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var diagnostics = new StringWriter();
        RivetMachine machine;
        try
        {
            machine = new RivetMachine(new MachineConfig { Harts = harts, RamSize = PauseRamSize, Kernel = wl.Path }, new MemoryStream(), TextWriter.Synchronized(diagnostics));
        }
        catch (ImageException ex)
        {
            return new PauseResult(harts, wl, null, $"cannot load {Path.GetFileName(wl.Path)}: {ex.Message}");
        }

        List<double> micros = [];
        string? error = null;
        using (machine)
        {
            machine.Start();
            try
            {
                error = Iterate(machine, harts, wl, plan, micros);
            }
            finally
            {
                machine.RequestShutdown(ShutdownCause.HostUi, 0);
                int? code = machine.WaitForExit(ExitTimeout);
                if (error == null && code != 0)
                    error = code == null ? $"did not exit within {ExitTimeout.TotalSeconds:F0} s of a shutdown request" : $"exit code {code} after a shutdown request";
            }
        }
        if (error != null)
        {
            string diag = diagnostics.ToString().Trim();
            if (diag.Length > 300) diag = "..." + diag[^300..];
            if (diag.Length > 0) error += ": " + diag.ReplaceLineEndings(" | ");
        }
        return new PauseResult(harts, wl, micros.Count > 0 && error == null ? new Stats(micros) : null, error);
    }

    /// <summary>The timed loop; returns null, or what went wrong.</summary>
    private static string? Iterate(RivetMachine machine, int harts, Workload wl, Plan plan, List<double> micros)
    {
        var random = new Random(harts);
        var deadline = Stopwatch.StartNew();
        while (!machine.VCpus.All(v => v.State is VCpuState.Running or VCpuState.Idle))
        {
            if (deadline.Elapsed > ReadyTimeout)
                return $"not every vCPU was running {ReadyTimeout.TotalSeconds:F0} s after Start(): {string.Join(", ", machine.VCpus.Select(v => v.State))}";
            Thread.Sleep(1);
        }

        for (int i = 0; i < plan.PauseWarmUp; i++)
        {
            Thread.Sleep(random.Next(MinGapMs, MaxGapMs + 1));
            if (!machine.Pause()) return $"Pause() returned false (warm-up {i + 1})";
            if (!machine.Resume()) return $"Resume() returned false (warm-up {i + 1})";
        }

        ulong before = machine.InstructionsRetired;
        var row = Stopwatch.StartNew();
        for (int i = 0; i < plan.PauseIterations && (i < plan.MinPauseIterations || row.Elapsed < plan.PauseBudget); i++)
        {
            Thread.Sleep(random.Next(MinGapMs, MaxGapMs + 1));
            long t0 = Stopwatch.GetTimestamp();
            bool paused = machine.Pause();
            long t1 = Stopwatch.GetTimestamp();
            if (!paused) return $"Pause() returned false (iteration {i + 1})";
            if (machine.VCpus.FirstOrDefault(v => v.State is not (VCpuState.Stopped or VCpuState.Exited)) is VCpuInfo late)
                return $"Pause() returned with vCPU {late.Index} {late.State} (iteration {i + 1})";
            micros.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds);
            if (!machine.Resume()) return $"Resume() returned false (iteration {i + 1})";
        }
        if (wl.Label == "busy" && machine.InstructionsRetired == before)
            return "the busy guest retired no instructions while it was being paused and resumed";
        return null;
    }

    // ---- 2. SIGTERM-to-exit latency, whole process ----

    private static bool MeasureSigterm(BenchContext context, Plan plan, Emulator rivet, Emulator? qemu, string qemuHeader,
        List<string> notes, Workload busy, Workload idle)
    {
        TextWriter w = context.Out;
        w.WriteLine("-- SIGTERM-to-exit latency (process) --");
        w.WriteLine($"rivet: {rivet.CommandLine("<guest>.elf")}");
        w.WriteLine($"       ready = SIGHUP handler installed (SigCgt bit 0; rivet installs it first thing in Main), then {SignalDelay.TotalMilliseconds:F0} ms");
        w.WriteLine($"qemu:  {qemuHeader}");
        Emulator floor = DotnetFloor(rivet.Dotnet!);
        w.WriteLine($".net:  {floor.CommandLine("")}: a .NET program that only installs rivet's signal handlers");
        w.WriteLine("       and returns from Main on SIGTERM (the floor for rivet; ready and timed the same way)");
        w.WriteLine($"time:  kill(pid, SIGTERM) .. process exit (Process.WaitForExit), {plan.SignalRuns} runs per row;");
        w.WriteLine($"       ready ms = process start .. ready (p50); p99 is the nearest rank (of {plan.SignalRuns} runs: the slowest)");
        w.WriteLine();
        w.Flush();

        HostLoad? load = HostLoad.Now();
        List<SignalResult> results = [];
        foreach (Workload wl in new[] { busy, idle })
        {
            results.Add(MeasureSignals(context, plan, rivet, wl));
            if (qemu != null) results.Add(MeasureSignals(context, plan, qemu, wl));
        }
        results.Add(MeasureSignals(context, plan, floor, new Workload("-", "")));

        var table = new TextTable("guest", "emulator", "runs", "ready ms", "p50 ms", "p99 ms", "max ms", "exit codes");
        foreach (SignalResult r in results)
        {
            string codes = string.Join(", ", r.Runs.GroupBy(x => x.ExitCode).OrderBy(g => g.Key).Select(g => $"{g.Key} ({g.Count()}x)"));
            if (r.ExitMs is Stats s)
            {
                double ready = new Stats(r.Runs.Select(x => x.ReadyMs)).P50;
                table.Add(r.Workload.Label, r.Emulator.Name, s.Count.ToString(CultureInfo.InvariantCulture), F(ready, 1), F(s.P50, 1), F(s.P99, 1), F(s.Max, 1), codes);
            }
            else
            {
                table.Add(r.Workload.Label, r.Emulator.Name, "FAIL", "-", "-", "-", "-", "-");
            }
        }
        table.Write(w);
        w.WriteLine();
        if (HostLoad.Describe(load, HostLoad.Now()) is string signalLoad) w.WriteLine($"host: {signalLoad}");
        foreach (SignalResult r in results)
        {
            if (r.Error != null) w.WriteLine($"note: {r.Workload.Label}, {r.Emulator.Name}: {r.Error}");
            int down = r.Runs.Count(x => !x.MachineUp);
            if (r.Emulator.MachineThread != null && down > 0)
                w.WriteLine($"note: {r.Workload.Label}, {r.Emulator.Name}: in {down} of {r.Runs.Count} runs the machine had not started ({r.Emulator.MachineThread} thread) when the signal was sent");
        }
        foreach (string n in notes) w.WriteLine($"note: {n}");

        foreach (Workload wl in new[] { busy, idle })
        {
            string what = $"target: SIGTERM-to-exit p50 within {F(SigtermRatioTarget, 1)}x of qemu ({wl.Label} guest)";
            Stats? rs = results.FirstOrDefault(r => r.Workload == wl && r.Emulator == rivet)?.ExitMs;
            Stats? qs = qemu == null ? null : results.FirstOrDefault(r => r.Workload == wl && r.Emulator == qemu)?.ExitMs;
            if (rs == null || qs == null)
            {
                string why = rs == null ? "rivet failed" : qemu == null ? "no QEMU" : "QEMU failed";
                w.WriteLine($"{what}: not measured ({why}{(rs != null ? $"; rivet p50 {F(rs.P50, 1)} ms" : "")})");
                continue;
            }
            double ratio = rs.P50 / qs.P50;
            w.WriteLine($"{what}: rivet p50 {F(rs.P50, 1)} ms, qemu p50 {F(qs.P50, 1)} ms, ratio {F(ratio, 2)}, {(ratio <= SigtermRatioTarget ? "met" : "not met")}");
        }
        w.Flush();
        return results.Where(r => r.Emulator == rivet).All(r => r.Error == null);
    }

    private static SignalResult MeasureSignals(BenchContext context, Plan plan, Emulator emulator, Workload wl)
    {
        List<SignalRun> runs = [];
        string? error = null;
        for (int i = 1; i <= plan.SignalRuns; i++)
        {
            (SignalRun? run, string? runError) = SignalOnce(emulator, wl);
            context.Progress.WriteLine(run != null
                ? $"[lifecycle] SIGTERM, {wl.Label}, {emulator.Name} run {i}/{plan.SignalRuns}: ready after {F(run.ReadyMs, 1)} ms, exit {F(run.ExitMs, 2)} ms after the signal, code {run.ExitCode}{(run.MachineUp ? "" : ", machine not started at the signal")}"
                : $"[lifecycle] SIGTERM, {wl.Label}, {emulator.Name} run {i}/{plan.SignalRuns}: FAIL: {runError}");
            context.Progress.Flush();
            if (run == null)
            {
                error = $"run {i}: {runError}";
                break;
            }
            runs.Add(run);
            if (emulator.MustExitZero && run.ExitCode != 0)
            {
                error = $"run {i}: exit code {run.ExitCode} after SIGTERM (expected 0)";
                break;
            }
        }
        return new SignalResult(wl, emulator, runs, error);
    }

    /// <summary>Start, wait until ready, wait <see cref="SignalDelay"/>, SIGTERM, time until the process exits.</summary>
    private static (SignalRun? Run, string? Error) SignalOnce(Emulator emulator, Workload wl)
    {
        long start = Stopwatch.GetTimestamp();
        if (ChildProcess.TryStart(emulator.Program, emulator.Args(wl.Path), out string cannotStart) is not { } child) return (null, cannotStart);
        using (child)
        {
            if (!WaitReady(child, emulator, out string? notReady)) return (null, notReady);
            double readyMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            Thread.Sleep(SignalDelay);
            if (child.HasExited) return (null, $"exited (code {child.ExitCode}) before the signal: {child.Errors()}");
            bool machineUp = emulator.MachineThread == null || Linux.ThreadNames(child.Pid).Contains(emulator.MachineThread);

            long t0 = Stopwatch.GetTimestamp();
            if (!Linux.Kill(child.Pid, Linux.SIGTERM, out int errno)) return (null, $"kill({child.Pid}, SIGTERM) failed: errno {errno}");
            bool exited = child.WaitForExit(ExitTimeout);
            long t1 = Stopwatch.GetTimestamp();
            if (!exited)
            {
                child.KillHard();
                return (null, $"still running {ExitTimeout.TotalSeconds:F0} s after SIGTERM (killed): {child.Errors()}");
            }
            return (new SignalRun(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, child.ExitCode, readyMs, machineUp), null);
        }
    }

    private static bool WaitReady(ChildProcess child, Emulator emulator, out string? error)
    {
        error = null;
        if (child.WaitUntilCatches(emulator.ReadySignal, ReadyTimeout)) return true;
        error = child.HasExited
            ? $"exited (code {child.ExitCode}) before it was ready: {child.Errors()}"
            : $"no handler for signal {emulator.ReadySignal} after {ReadyTimeout.TotalSeconds:F0} s";
        return false;
    }

    // ---- 3. host CPU while idle ----

    private static bool MeasureIdleCpu(BenchContext context, Plan plan, Emulator rivet, Emulator? qemu, Workload idle)
    {
        TextWriter w = context.Out;
        long tick = Linux.ClockTicksPerSecond;
        double window = plan.IdleWindow.TotalSeconds;
        w.WriteLine("-- host CPU while idle (process) --");
        w.WriteLine($"each: {Path.GetFileName(idle.Path)} -smp {ProcessHarts} as above; ready + {IdleSettle.TotalSeconds:F0} s, then utime+stime of the process");
        w.WriteLine($"      (/proc/PID/stat) over {F(window, 0)} s of wall time; clock tick {1000.0 / tick:F0} ms, so the resolution is {F(100.0 / tick / window, 2)} % of a core;");
        w.WriteLine("      switches/s = context switches of the process's threads (/proc/PID/task/*/status) per second: its wake-ups");
        w.WriteLine();
        w.Flush();

        List<IdleResult> results = [IdleOnce(rivet, idle, plan.IdleWindow, tick)];
        if (qemu != null) results.Add(IdleOnce(qemu, idle, plan.IdleWindow, tick));
        foreach (IdleResult r in results)
        {
            context.Progress.WriteLine(r.Error == null
                ? $"[lifecycle] idle CPU, {r.Emulator.Name}: {F(r.CpuSeconds * 1000, 0)} ms over {F(r.WindowSeconds, 2)} s = {F(r.Percent, 2)} % of a core, exit code {r.ExitCode}"
                : $"[lifecycle] idle CPU, {r.Emulator.Name}: FAIL: {r.Error}");
        }

        var table = new TextTable("emulator", "window s", "CPU ms", "% of one core", "switches/s", "exit code");
        foreach (IdleResult r in results)
        {
            if (r.WindowSeconds > 0)
            {
                string switches = r.Switches is long n ? F(Math.Max(0, n) / r.WindowSeconds, 1) : "-";
                table.Add(r.Emulator.Name, F(r.WindowSeconds, 2), F(r.CpuSeconds * 1000, 0), F(r.Percent, 2), switches, r.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-");
            }
            else
            {
                table.Add(r.Emulator.Name, "FAIL", "-", "-", "-", "-");
            }
        }
        table.Write(w);
        w.WriteLine();
        if (results.Where(r => r.OthersCores != null).ToList() is { Count: > 0 } loaded)
        {
            double worst = loaded.Max(r => r.OthersCores!.Value);
            w.WriteLine($"host: other processes used {string.Join(", ", loaded.Select(r => $"{F(r.OthersCores!.Value, 2)} cores during {r.Emulator.Name}'s window"))}"
                + (worst > HostLoad.NoisyCores ? " (the host was not quiet: expect noisy figures)" : ""));
        }
        foreach (IdleResult r in results.Where(r => r.Error != null)) w.WriteLine($"note: {r.Emulator.Name}: {r.Error}");

        IdleResult mine = results[0];
        string target = $"target: idle <= {F(IdleCpuTargetPercent, 0)}% of a core";
        if (mine.WindowSeconds > 0)
            w.WriteLine($"{target}: measured {F(mine.Percent, 2)} %, {(mine.Percent <= IdleCpuTargetPercent ? "met" : "not met")}");
        else
            w.WriteLine($"{target}: not measured (rivet failed)");
        w.Flush();
        return mine.Error == null;
    }

    private static IdleResult IdleOnce(Emulator emulator, Workload idle, TimeSpan window, long tick)
    {
        if (ChildProcess.TryStart(emulator.Program, emulator.Args(idle.Path), out string cannotStart) is not { } child) return new IdleResult(emulator, 0, 0, null, cannotStart);
        using (child)
        {
            if (!WaitReady(child, emulator, out string? notReady)) return new IdleResult(emulator, 0, 0, null, notReady);
            Thread.Sleep(IdleSettle);
            long? before = Linux.CpuTicks(child.Pid);
            long? switchesBefore = Linux.ContextSwitches(child.Pid);
            HostLoad? loadBefore = HostLoad.Now();
            long t0 = Stopwatch.GetTimestamp();
            Thread.Sleep(window);
            long? after = Linux.CpuTicks(child.Pid);
            long? switchesAfter = Linux.ContextSwitches(child.Pid);
            HostLoad? loadAfter = HostLoad.Now();
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (before == null || after == null || child.HasExited)
            {
                string code = child.HasExited ? $" (exit code {child.ExitCode}): {child.Errors()}" : "";
                return new IdleResult(emulator, 0, 0, null, $"the process ended during the measurement{code}");
            }
            double cpu = (double)(after.Value - before.Value) / tick;
            // The emulator is not reaped yet, so the host-wide figure still holds its CPU time.
            double? others = HostLoad.OthersCores(loadBefore, loadAfter) is double all ? Math.Max(0, all - (cpu / seconds)) : null;

            if (!Linux.Kill(child.Pid, Linux.SIGTERM, out int errno))
                return new IdleResult(emulator, seconds, cpu, null, $"kill({child.Pid}, SIGTERM) failed: errno {errno}");
            if (!child.WaitForExit(ExitTimeout))
            {
                child.KillHard();
                return new IdleResult(emulator, seconds, cpu, null, $"still running {ExitTimeout.TotalSeconds:F0} s after SIGTERM (killed)");
            }
            int exit = child.ExitCode;
            string? error = emulator.MustExitZero && exit != 0 ? $"exit code {exit} after SIGTERM (expected 0): {child.Errors()}" : null;
            return new IdleResult(emulator, seconds, cpu, exit, error, others, switchesAfter - switchesBefore);
        }
    }

    // ---- the emulators as processes ----

    private static string[] GuestArgs(string guest)
        => ["-smp", ProcessHarts.ToString(CultureInfo.InvariantCulture), "-nographic", "-kernel", guest];

    private static Emulator DotnetFloor(string dotnet)
        => new(".net floor", dotnet, _ => [typeof(SigtermProbe).Assembly.Location, SigtermProbe.Option], Linux.SIGHUP, null, MustExitZero: true);

    private static Emulator QemuEmulator(string path)
        => new("qemu", path, g => ["-machine", "virt", "-bios", "none", "-nographic", "-smp", ProcessHarts.ToString(CultureInfo.InvariantCulture), "-kernel", g], Linux.SIGTERM, null, MustExitZero: false);

    /// <summary>The rivet launcher (<see cref="RivetCli"/>) as an emulator; null (reason on standard error, exit code in <paramref name="error"/>) if there is none.</summary>
    private static Emulator? FindRivet(BenchContext context, List<string> notes, out int error)
    {
        if (RivetCli.Find(context, notes, out error) is not RivetCli cli) return null;
        return new Emulator("rivet", cli.Launcher, GuestArgs, Linux.SIGHUP, RivetCli.MachineThread, MustExitZero: true, cli.Dotnet);
    }

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
