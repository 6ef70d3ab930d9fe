using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Rivet.Cpu;

namespace Rivet.Bench;

/// <summary>
/// The fixed cost of a run as a user pays it (issue 17): start to exit of a guest that exits at
/// once, SIGTERM to exit in every state (idle, busy, IPI storm, paused by QMP, during start-up)
/// and QMP quit to exit, each for the rivet launcher and qemu-system-riscv64 run by run in turn,
/// both as <c>-machine virt -bios none -nographic -smp N -kernel ELF</c> with standard input
/// closed and standard output discarded. Every row is a Rivet/QEMU ratio, so a busy host moves
/// both sides alike.
/// </summary>
internal sealed class StartStopSection : IBenchSection
{
    public const double StartRatioTarget = 1.5;
    public const double SigtermP50RatioTarget = 1.0;
    public const double SigtermP95RatioTarget = 1.5;

    private static readonly int[] HartCounts = [1, 4, 8];
    private const int QuitHarts = 4;
    /// <summary>After ready, before the signal: the guest runs a little (the lifecycle section waits 300 ms).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private const string RivetSignalMessage = "rivet: terminating on signal 15";

    public string Name => "startstop";
    public string Title => "start and stop: start-to-exit, SIGTERM-to-exit in every state, QMP quit-to-exit";

    private sealed record Plan(int StartRuns, int SignalRuns, int QuitRuns)
    {
        public static readonly Plan Full = new(30, 10, 10);
        public static readonly Plan Quick = new(10, 3, 3);
    }

    /// <summary>
    /// A program run as a process: how to start it on a guest (with a QMP socket or not) and when
    /// it is ready for a signal (a handler in SigCgt, and for rivet its machine thread).
    /// </summary>
    private sealed record Emulator(string Name, string Program, Func<string, string, string?, string[]> Args, int ReadySignal, string? MachineThread, bool IsRivet)
    {
        public string[] ArgsFor(int harts, string guest, string? socket) => Args(harts.ToString(CultureInfo.InvariantCulture), guest, socket);

        public string CommandLine(string harts, string guest) => string.Join(' ', Args(harts, guest, null).Prepend(Program));
    }

    private enum State { Idle, Busy, Ipi, Paused, StartUp }

    private sealed record Sample(double Ms, int ExitCode, double? ReadyMs = null);

    /// <summary>One emulator's side of a row: its samples and, if a run went wrong, why (the row stops there).</summary>
    private sealed class Side(Emulator emulator)
    {
        public Emulator Emulator { get; } = emulator;
        public List<Sample> Samples { get; } = [];
        public string? Error { get; set; }
        public Stats? Ms => Samples.Count > 0 ? new Stats(Samples.Select(s => s.Ms)) : null;
        public string Codes => Samples.Count == 0 ? "-"
            : string.Join(", ", Samples.GroupBy(x => x.ExitCode).OrderBy(g => g.Key).Select(g => $"{g.Key} ({g.Count()}x)"));
        public double? ReadyP50 => Samples.Any(s => s.ReadyMs != null) ? new Stats(Samples.Where(s => s.ReadyMs != null).Select(s => s.ReadyMs!.Value)).P50 : null;
    }

    private sealed class Row(string label, int harts, IEnumerable<Side> sides)
    {
        public string Label { get; } = label;
        public int Harts { get; } = harts;
        public List<Side> Sides { get; } = [.. sides];
        public Side Rivet => Sides[0];
        public Side? Qemu => Sides.Count > 1 ? Sides[1] : null;
    }

    private delegate (Sample? Sample, string? Error) RunOnce(Emulator e, int run);

    public int Run(BenchContext context)
    {
        var elapsed = Stopwatch.StartNew();
        TextWriter w = context.Out;
        Plan plan = context.Options.Quick ? Plan.Quick : Plan.Full;
        if (context.RepoRoot == null)
        {
            context.Progress.WriteLine($"error: cannot find the repository ({RepoLocator.SolutionFile}) above {Environment.CurrentDirectory}; run from the repository");
            return 2;
        }
        if (!Linux.Supported)
        {
            w.WriteLine("-- not measured: needs Linux (/proc, kill(2), Unix sockets) --");
            return 0;
        }
        if (BenchGuests.LifecycleGuests(context, context.RepoRoot) is not { } guests) return 2;
        string guestsDir = guests.Dir;
        string ipiElf = Path.Combine(guestsDir, "ipi_forever.elf");
        if (!File.Exists(ipiElf))
        {
            context.Progress.WriteLine($"error: {ipiElf} is missing (make -C {Path.Combine(context.RepoRoot, "guests")})");
            return 2;
        }
        List<string> notes = [];
        if (RivetCli.Find(context, notes, out int cliError) is not RivetCli cli) return cliError;

        var rivet = new Emulator("rivet", cli.Launcher, (n, elf, sock) => MachineArgs(n, elf, sock), Linux.SIGHUP, RivetCli.MachineThread, IsRivet: true);
        var floor = new Emulator(".net floor", cli.Dotnet, (_, _, _) => [typeof(ExitProbe).Assembly.Location, ExitProbe.Option], Linux.SIGHUP, null, IsRivet: false);
        Emulator? qemu = null;
        string qemuLine;
        if (context.Options.NoQemu)
        {
            qemuLine = "not run (--no-qemu)";
        }
        else if (Qemu.Find() is not Qemu q)
        {
            qemuLine = $"{Qemu.ProgramName} not on PATH; Rivet only";
        }
        else
        {
            qemu = new Emulator("qemu", q.Path, (n, elf, sock) => MachineArgs(n, elf, sock), Linux.SIGTERM, null, IsRivet: false);
            qemuLine = $"{qemu.CommandLine("N", "<guest>.elf")} ({q.Version()})";
        }
        Emulator[] pair = qemu == null ? [rivet] : [rivet, qemu];

        DirectoryInfo temp = Directory.CreateTempSubdirectory("rivet-startstop-");
        try
        {
            string exitElf = Path.Combine(temp.FullName, "exit_at_once.elf");
            File.WriteAllBytes(exitElf, Qemu.ExitAtOnceElf());
            var random = new Random(17);
            int socketCount = 0;
            string NewSocket() => Path.Combine(temp.FullName, $"q{++socketCount}.sock");

            w.WriteLine($"rivet:  {rivet.CommandLine("N", "<guest>.elf")}   (the launcher users run)");
            w.WriteLine($"qemu:   {qemuLine}");
            // The children inherit this process's environment, so RIVET_ENGINE picks their engine too.
            string? engineVar = Environment.GetEnvironmentVariable(ExecutionEngines.EnvironmentVariable);
            w.WriteLine($"engine: rivet runs its {MipsSection.EngineName(ExecutionEngines.FromEnvironment())} "
                + $"({ExecutionEngines.EnvironmentVariable} {(engineVar == null ? "unset: the default" : $"={engineVar}")}; the start-to-exit target, 1.5x, is issue 16's too)");
            w.WriteLine("each:   standard input a closed pipe (end of file at once), standard output discarded; per row the runs alternate");
            w.WriteLine("        rivet, qemu / qemu, rivet, so both see the same host; p95 is the nearest rank; ratio = rivet / qemu (below 1: rivet faster)");
            w.WriteLine();
            w.Flush();

            // One untimed start of each program, so neither pays for a cold page cache in its first row.
            foreach (Emulator e in pair.Append(floor)) StartToExit(e, 1, exitElf);

            int exitCode = 0;

            // ---- 1. start to exit ----
            w.WriteLine("-- start-to-exit (a guest that exits at once) --");
            w.WriteLine($"guest:  {Path.GetFileName(exitElf)} ({Qemu.ExitAtOnceElf().Length} bytes, written by the bench: hart 0 writes pass (0x5555) to the SiFive test finisher; other harts run the same)");
            w.WriteLine($".net:   {floor.CommandLine("", "")}: a .NET program that returns from Main at once;");
            w.WriteLine("        in the rivet columns of the '.net floor' row (ratio against qemu -smp 1): what the runtime alone costs");
            w.WriteLine($"time:   process start (Process.Start) .. exit reaped (Process.WaitForExit), {plan.StartRuns} runs per row; rivet must exit with 0");
            w.WriteLine();
            w.Flush();
            HostLoad? load = HostLoad.Now();
            List<Row> startRows = [];
            foreach (int n in HartCounts)
            {
                Emulator[] who = n == 1 ? [.. pair, floor] : pair;
                startRows.Add(Measure(context, $"start -smp {n}", n, who, plan.StartRuns, (e, _) => StartToExit(e, n, exitElf)));
            }
            Side floorSide = startRows[0].Sides[^1];
            startRows[0].Sides.RemoveAt(startRows[0].Sides.Count - 1);
            var floorRow = new Row(".net floor", 0, qemu == null ? [floorSide] : [floorSide, startRows[0].Qemu!]);
            PrintTable(w, "what", [.. startRows, floorRow], showReady: false);
            PrintHost(w, load);
            foreach (Row r in startRows)
                PrintTarget(w, $"start-to-exit p50 <= {F(StartRatioTarget, 1)}x qemu, -smp {r.Harts}", r, s => s.P50, StartRatioTarget);
            if (PrintErrors(w, startRows)) exitCode = 1;
            if (floorSide.Error != null) w.WriteLine($"note: .net floor: {floorSide.Error}");
            w.WriteLine();
            w.Flush();

            // ---- 2. SIGTERM to exit ----
            w.WriteLine("-- SIGTERM-to-exit, every state --");
            w.WriteLine($"guests: {guestsDir}: idle = idle_forever.elf (every hart in wfi), busy = spin_forever.elf (every hart spins),");
            w.WriteLine("        ipi = ipi_forever.elf (the harts pass an IPI round a ring, each in wfi until its turn), paused = spin_forever.elf stopped over QMP");
            w.WriteLine($"ready:  rivet: SIGHUP handler installed (SigCgt bit 0) and its {RivetCli.MachineThread} thread running; qemu: SIGTERM handler installed (SigCgt bit 14);");
            w.WriteLine($"        then {Settle.TotalMilliseconds:F0} ms before the signal (paused: started with -qmp unix:SOCK,server,wait=off; at ready connect,");
            w.WriteLine($"        qmp_capabilities, stop, its reply read, {Settle.TotalMilliseconds:F0} ms, then the signal)");
            w.WriteLine("        start-up: no wait for ready; the signal at a random moment from 0 to the ready p50 of the idle row (ready ms column)");
            w.WriteLine("        after Process.Start returned (the program has been exec'd); rivet must still exit 0 with \"terminating on signal 15\",");
            w.WriteLine("        qemu may be killed by the default action (exit code 143 = 128 + 15) if its handler does not exist yet");
            w.WriteLine($"time:   kill(pid, SIGTERM) .. exit reaped (Process.WaitForExit), {plan.SignalRuns} runs per row; rivet must exit 0 and say \"terminating on signal 15\"");
            w.WriteLine("        ready ms = p50 of process start .. ready (rivet / qemu)");
            w.WriteLine();
            w.Flush();
            load = HostLoad.Now();
            List<Row> signalRows = [];
            foreach (int n in HartCounts)
            {
                Row? idleRow = null;
                foreach (State st in Enum.GetValues<State>())
                {
                    Row row;
                    if (st == State.StartUp)
                    {
                        Row idle = idleRow!;
                        double LimitMs(Emulator e) => idle.Sides.FirstOrDefault(s => s.Emulator == e)?.ReadyP50 ?? 50;
                        row = Measure(context, $"start-up -smp {n}", n, pair, plan.SignalRuns,
                            (e, _) => SigtermDuringStartUp(e, n, guests.Idle.Path, random.NextDouble() * LimitMs(e)));
                        notes.Add($"start-up -smp {n}: the signal came 0-{F(LimitMs(rivet), 0)} ms after spawn for rivet"
                            + (qemu != null ? $", 0-{F(LimitMs(qemu), 0)} ms for qemu" : ""));
                    }
                    else
                    {
                        string elf = st switch
                        {
                            State.Idle => guests.Idle.Path,
                            State.Ipi => ipiElf,
                            _ => guests.Busy.Path,
                        };
                        row = Measure(context, $"{Label(st)} -smp {n}", n, pair, plan.SignalRuns,
                            (e, _) => SigtermWhenReady(e, n, elf, st == State.Paused ? NewSocket() : null));
                        if (st == State.Idle) idleRow = row;
                    }
                    signalRows.Add(row);
                }
            }
            PrintTable(w, "state", signalRows, showReady: true);
            PrintHost(w, load);
            foreach (string n in notes.Where(n => n.StartsWith("start-up", StringComparison.Ordinal))) w.WriteLine($"note: {n}");
            int met = 0, measured = 0;
            foreach (Row r in signalRows)
            {
                bool? a = PrintTarget(w, $"SIGTERM-to-exit p50 <= {F(SigtermP50RatioTarget, 1)}x qemu, {r.Label}", r, s => s.P50, SigtermP50RatioTarget);
                bool? b = PrintTarget(w, $"SIGTERM-to-exit p95 <= {F(SigtermP95RatioTarget, 1)}x qemu, {r.Label}", r, s => s.P95, SigtermP95RatioTarget);
                foreach (bool? x in new[] { a, b })
                {
                    if (x == null) continue;
                    measured++;
                    if (x.Value) met++;
                }
            }
            w.WriteLine($"SIGTERM-to-exit targets: {met} of {measured} met");
            if (PrintErrors(w, signalRows)) exitCode = 1;
            w.WriteLine();
            w.Flush();

            // ---- 3. QMP quit to exit ----
            w.WriteLine("-- QMP quit-to-exit --");
            w.WriteLine($"each:   -smp {QuitHarts} -qmp unix:SOCK,server,wait=off; at ready (as above) connect, qmp_capabilities, {Settle.TotalMilliseconds:F0} ms, then");
            w.WriteLine($"        {{\"execute\":\"quit\"}} sent .. exit reaped (the connection stays open), {plan.QuitRuns} runs per row; rivet must exit with 0");
            w.WriteLine();
            w.Flush();
            load = HostLoad.Now();
            List<Row> quitRows = [];
            foreach (Workload wl in new[] { guests.Idle, guests.Busy })
                quitRows.Add(Measure(context, $"{wl.Label} -smp {QuitHarts}", QuitHarts, pair, plan.QuitRuns, (e, _) => QuitToExit(e, QuitHarts, wl.Path, NewSocket())));
            PrintTable(w, "state", quitRows, showReady: false);
            PrintHost(w, load);
            if (PrintErrors(w, quitRows)) exitCode = 1;

            foreach (string n in notes.Where(n => !n.StartsWith("start-up", StringComparison.Ordinal))) w.WriteLine($"note: {n}");
            w.Flush();
            context.Progress.WriteLine($"[startstop] section took {elapsed.Elapsed.TotalSeconds:F1} s");
            return exitCode;
        }
        finally
        {
            try
            {
                temp.Delete(recursive: true);
            }
            catch (IOException)
            {
                // a socket an emulator left behind; /tmp is cleaned eventually
            }
        }
    }

    private static string Label(State s) => s switch
    {
        State.Idle => "idle",
        State.Busy => "busy",
        State.Ipi => "ipi",
        State.Paused => "paused",
        _ => "start-up",
    };

    private static string[] MachineArgs(string harts, string elf, string? socket)
    {
        string[] args = ["-machine", "virt", "-bios", "none", "-nographic", "-smp", harts, "-kernel", elf];
        return socket == null ? args : [.. args, "-qmp", $"unix:{socket},server,wait=off"];
    }

    /// <summary>Runs a row: <paramref name="runs"/> rounds, each running every emulator once, in an order that alternates.</summary>
    private static Row Measure(BenchContext context, string label, int harts, Emulator[] who, int runs, RunOnce once)
    {
        var row = new Row(label, harts, who.Select(e => new Side(e)));
        for (int i = 0; i < runs; i++)
        {
            IEnumerable<Side> order = i % 2 == 0 ? row.Sides : Enumerable.Reverse(row.Sides);
            List<string> parts = [];
            foreach (Side side in order)
            {
                if (side.Error != null) continue;
                (Sample? sample, string? error) = once(side.Emulator, i);
                if (sample == null)
                {
                    side.Error = $"run {i + 1}: {error}";
                    parts.Add($"{side.Emulator.Name} FAIL: {error}");
                    continue;
                }
                side.Samples.Add(sample);
                parts.Add($"{side.Emulator.Name} {F(sample.Ms, 2)} ms (code {sample.ExitCode}{(sample.ReadyMs is double r ? $", ready {F(r, 1)} ms" : "")})");
            }
            context.Progress.WriteLine($"[startstop] {label} run {i + 1}/{runs}: {string.Join("; ", parts)}");
            context.Progress.Flush();
            if (row.Sides.All(s => s.Error != null)) break;
        }
        return row;
    }

    private static (Sample?, string?) StartToExit(Emulator e, int harts, string elf)
    {
        long t0 = Stopwatch.GetTimestamp();
        if (ChildProcess.TryStart(e.Program, e.ArgsFor(harts, elf, null), out string cannotStart) is not { } child) return (null, cannotStart);
        using (child)
        {
            bool exited = child.WaitForExit(ExitTimeout);
            long t1 = Stopwatch.GetTimestamp();
            if (!exited)
            {
                child.KillHard();
                return (null, $"still running {ExitTimeout.TotalSeconds:F0} s after start (killed): {child.Errors()}");
            }
            if (e.IsRivet && child.ExitCode != 0) return (null, $"exit code {child.ExitCode} (expected 0): {child.Errors()}");
            return (new Sample(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, child.ExitCode), null);
        }
    }

    /// <summary>Start, wait until ready (and for paused, stop it over QMP), settle, SIGTERM, time until reaped.</summary>
    private static (Sample?, string?) SigtermWhenReady(Emulator e, int harts, string elf, string? socket)
    {
        long start = Stopwatch.GetTimestamp();
        if (ChildProcess.TryStart(e.Program, e.ArgsFor(harts, elf, socket), out string cannotStart) is not { } child) return (null, cannotStart);
        using (child)
        {
            if (!WaitReady(child, e, out string? notReady)) return (null, notReady);
            double readyMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            BenchQmpClient? qmp = null;
            try
            {
                if (socket != null)
                {
                    qmp = BenchQmpClient.Connect(socket, child, ReadyTimeout);
                    qmp.RoundTrip("stop");
                }
                Thread.Sleep(Settle);
                if (child.HasExited) return (null, $"exited (code {child.ExitCode}) before the signal: {child.Errors()}");
                return Signal(child, e, readyMs);
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or InvalidDataException or JsonException)
            {
                return (null, $"QMP: {ex.Message}{(child.HasExited ? $" (exited, code {child.ExitCode}): {child.Errors()}" : "")}");
            }
            finally
            {
                qmp?.Dispose(); // only now: the connection stays open until the process is gone
            }
        }
    }

    /// <summary>Start, SIGTERM after <paramref name="delayMs"/> (from Process.Start returning), time until reaped.</summary>
    private static (Sample?, string?) SigtermDuringStartUp(Emulator e, int harts, string elf, double delayMs)
    {
        if (ChildProcess.TryStart(e.Program, e.ArgsFor(harts, elf, null), out string cannotStart) is not { } child) return (null, cannotStart);
        long spawned = Stopwatch.GetTimestamp();
        using (child)
        {
            // Sleep the bulk, spin the last millisecond: Thread.Sleep alone overshoots by up to a tick.
            if (delayMs > 2) Thread.Sleep(TimeSpan.FromMilliseconds(delayMs - 1));
            while (Stopwatch.GetElapsedTime(spawned).TotalMilliseconds < delayMs) Thread.SpinWait(20);
            if (child.HasExited) return (null, $"exited (code {child.ExitCode}) before the signal: {child.Errors()}");
            // Before the launcher's first instruction (the kernel still in exec, a fraction of a
            // millisecond) no program can catch a signal: the default action is the right outcome.
            bool execWindow = e.IsRivet && Linux.Blocks(child.Pid, Linux.SIGTERM) != true && Linux.Catches(child.Pid, Linux.SIGTERM) != true;
            return Signal(child, e, readyMs: null, startUp: true, execWindow);
        }
    }

    /// <summary>kill(SIGTERM) and time until the process is reaped; rivet must exit 0 and say so.</summary>
    private static (Sample?, string?) Signal(ChildProcess child, Emulator e, double? readyMs, bool startUp = false, bool execWindow = false)
    {
        long t0 = Stopwatch.GetTimestamp();
        if (!Linux.Kill(child.Pid, Linux.SIGTERM, out int errno)) return (null, $"kill({child.Pid}, SIGTERM) failed: errno {errno}");
        bool exited = child.WaitForExit(ExitTimeout);
        long t1 = Stopwatch.GetTimestamp();
        if (!exited)
        {
            child.KillHard();
            return (null, $"still running {ExitTimeout.TotalSeconds:F0} s after SIGTERM (killed): {child.Errors()}");
        }
        if (e.IsRivet && !(execWindow && child.ExitCode == 128 + Linux.SIGTERM))
        {
            string when = startUp ? " during start-up" : "";
            if (child.ExitCode != 0) return (null, $"exit code {child.ExitCode} after SIGTERM{when} (expected 0): {child.Errors()}");
            if (!child.StandardErrorText().Contains(RivetSignalMessage, StringComparison.Ordinal))
                return (null, $"no \"{RivetSignalMessage}\" on standard error after SIGTERM{when}: {child.Errors()}");
        }
        return (new Sample(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, child.ExitCode, readyMs), null);
    }

    /// <summary>Start with a QMP socket, ready, connect, settle, send quit, time until reaped.</summary>
    private static (Sample?, string?) QuitToExit(Emulator e, int harts, string elf, string socket)
    {
        if (ChildProcess.TryStart(e.Program, e.ArgsFor(harts, elf, socket), out string cannotStart) is not { } child) return (null, cannotStart);
        using (child)
        {
            if (!WaitReady(child, e, out string? notReady)) return (null, notReady);
            try
            {
                using BenchQmpClient qmp = BenchQmpClient.Connect(socket, child, ReadyTimeout);
                Thread.Sleep(Settle);
                long t0 = Stopwatch.GetTimestamp();
                qmp.Send("quit");
                bool exited = child.WaitForExit(ExitTimeout);
                long t1 = Stopwatch.GetTimestamp();
                if (!exited)
                {
                    child.KillHard();
                    return (null, $"still running {ExitTimeout.TotalSeconds:F0} s after quit (killed): {child.Errors()}");
                }
                if (e.IsRivet && child.ExitCode != 0) return (null, $"exit code {child.ExitCode} after quit (expected 0): {child.Errors()}");
                return (new Sample(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds, child.ExitCode), null);
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or InvalidDataException or JsonException)
            {
                return (null, $"QMP: {ex.Message}{(child.HasExited ? $" (exited, code {child.ExitCode}): {child.Errors()}" : "")}");
            }
        }
    }

    /// <summary>Polls /proc every millisecond until the handler exists and, for rivet, its machine thread runs.</summary>
    private static bool WaitReady(ChildProcess child, Emulator e, out string? error)
    {
        error = null;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < ReadyTimeout)
        {
            if (child.HasExited)
            {
                error = $"exited (code {child.ExitCode}) before it was ready: {child.Errors()}";
                return false;
            }
            if (Linux.Catches(child.Pid, e.ReadySignal) == true
                && (e.MachineThread == null || Linux.ThreadNames(child.Pid).Contains(e.MachineThread)))
                return true;
            Thread.Sleep(1);
        }
        error = $"not ready {ReadyTimeout.TotalSeconds:F0} s after start";
        return false;
    }

    private static void PrintTable(TextWriter w, string first, List<Row> rows, bool showReady)
    {
        List<string> headers = [first, "runs", "rivet p50", "p95", "max", "qemu p50", "p95", "max", "p50 ratio", "p95 ratio"];
        if (showReady) headers.Add("ready ms");
        headers.AddRange(["rivet codes", "qemu codes"]);
        var table = new TextTable([.. headers]);
        foreach (Row r in rows)
        {
            Stats? rs = r.Rivet.Ms, qs = r.Qemu?.Ms;
            List<string> cells =
            [
                r.Label,
                Math.Max(r.Rivet.Samples.Count, r.Qemu?.Samples.Count ?? 0).ToString(CultureInfo.InvariantCulture),
                rs == null ? "FAIL" : F(rs.P50, 1), rs == null ? "-" : F(rs.P95, 1), rs == null ? "-" : F(rs.Max, 1),
                qs == null ? (r.Qemu == null ? "-" : "FAIL") : F(qs.P50, 1), qs == null ? "-" : F(qs.P95, 1), qs == null ? "-" : F(qs.Max, 1),
                rs != null && qs != null ? F(rs.P50 / qs.P50, 2) : "-",
                rs != null && qs != null ? F(rs.P95 / qs.P95, 2) : "-",
            ];
            if (showReady)
                cells.Add($"{(r.Rivet.ReadyP50 is double a ? F(a, 0) : "-")} / {(r.Qemu?.ReadyP50 is double b ? F(b, 0) : "-")}");
            cells.Add(r.Rivet.Codes);
            cells.Add(r.Qemu?.Codes ?? "-");
            table.Add([.. cells]);
        }
        table.Write(w);
        w.WriteLine();
    }

    private static void PrintHost(TextWriter w, HostLoad? start)
    {
        if (HostLoad.Describe(start, HostLoad.Now()) is string load) w.WriteLine($"host: {load}");
    }

    /// <summary>"target: ...: rivet X ms, qemu Y ms, ratio R, met"; null when it could not be measured.</summary>
    private static bool? PrintTarget(TextWriter w, string what, Row r, Func<Stats, double> pick, double limit)
    {
        Stats? rs = r.Rivet.Ms, qs = r.Qemu?.Ms;
        if (rs == null || qs == null)
        {
            string why = rs == null ? "rivet failed" : r.Qemu == null ? "no QEMU" : "QEMU failed";
            w.WriteLine($"target: {what}: not measured ({why})");
            return null;
        }
        double ratio = pick(rs) / pick(qs);
        bool met = ratio <= limit;
        w.WriteLine($"target: {what}: rivet {F(pick(rs), 1)} ms, qemu {F(pick(qs), 1)} ms, ratio {F(ratio, 2)}, {(met ? "met" : "not met")}");
        return met;
    }

    /// <summary>Notes for the runs that went wrong; true if one of them was rivet's.</summary>
    private static bool PrintErrors(TextWriter w, List<Row> rows)
    {
        bool rivetFailed = false;
        foreach (Row r in rows)
        {
            foreach (Side s in r.Sides.Where(s => s.Error != null))
            {
                w.WriteLine($"note: {r.Label}, {s.Emulator.Name}: {s.Error}");
                if (s.Emulator.IsRivet) rivetFailed = true;
            }
        }
        return rivetFailed;
    }

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
