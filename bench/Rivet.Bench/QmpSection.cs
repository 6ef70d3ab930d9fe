using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Rivet.Bench;

/// <summary>
/// The QMP monitor as a management tool feels it: the round trip of <c>stop</c> and <c>cont</c>
/// over a Unix socket (send the command, read until its reply), with 4 busy harts
/// (guests/lifecycle/spin_forever.S) and 4 idle ones (idle_forever.S), for the rivet CLI and for
/// qemu-system-riscv64 on the same guest, both started the same way:
/// <c>-machine virt -bios none -nographic -smp 4 -kernel ELF -qmp unix:SOCK,server,wait=off</c>.
/// The client is this program: one blocking socket, System.Text.Json, no library.
/// </summary>
internal sealed class QmpSection : IBenchSection
{
    public const double StopP50TargetMs = 1.0;

    private const int Harts = 4;
    /// <summary>Untimed gap before each timed command: random in this range (ms), so stops land at random points of the harts' work.</summary>
    private const int MinGapMs = 2, MaxGapMs = 8;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    public string Name => "qmp";
    public string Title => "QMP monitor: stop and cont round-trip latency";

    private sealed record Plan(int Iterations, int WarmUp)
    {
        public static readonly Plan Full = new(200, 20);
        public static readonly Plan Quick = new(50, 5);
    }


    private sealed record Emulator(string Name, string Program, string[] PrefixArgs);

    private sealed record Result(Emulator Emulator, Workload Workload, Stats? StopMs, Stats? ContMs, string? Error);

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
        if (OperatingSystem.IsWindows())
        {
            w.WriteLine("-- not measured: the QMP endpoints here are Unix sockets --");
            return 0;
        }
        if (BenchGuests.LifecycleGuests(context, context.RepoRoot) is not { } guests) return 2;
        (string guestsDir, Workload busy, Workload idle) = guests;

        List<string> notes = [];
        if (RivetCli.Find(context, notes, out int cliError) is not RivetCli cli) return cliError;
        var rivet = new Emulator("rivet", cli.Launcher, ["-machine", "virt", "-bios", "none"]);
        List<Emulator> emulators = [rivet];
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
            emulators.Add(new Emulator("qemu", q.Path, ["-machine", "virt", "-bios", "none"]));
            qemuLine = $"{q.Path} -machine virt -bios none {string.Join(' ', CommonArgs("<guest>.elf", "<sock>"))} ({q.Version()})";
        }

        w.WriteLine($"guests: {guestsDir} (busy = spin_forever.elf: every hart spins; idle = idle_forever.elf: every hart in wfi), {Harts} harts");
        w.WriteLine($"rivet:  {rivet.Program} -machine virt -bios none {string.Join(' ', CommonArgs("<guest>.elf", "<sock>"))}");
        w.WriteLine($"qemu:   {qemuLine}");
        w.WriteLine($"time:   per iteration a random {MinGapMs}-{MaxGapMs} ms gap, then {{\"execute\":\"stop\"}} sent .. its reply read (events skipped),");
        w.WriteLine($"        another gap, then the same for cont; {plan.WarmUp} untimed warm-up pairs, {plan.Iterations} timed; p99 is the nearest rank");
        w.WriteLine();
        w.Flush();

        List<Result> results = [];
        foreach (Emulator e in emulators)
        {
            foreach (Workload wl in new[] { busy, idle })
            {
                Result r = Measure(e, wl, plan);
                results.Add(r);
                context.Progress.WriteLine(r.Error == null
                    ? $"[qmp] {e.Name}, {Harts} {wl.Label} harts: stop p50 {F(r.StopMs!.P50, 3)} ms, cont p50 {F(r.ContMs!.P50, 3)} ms"
                    : $"[qmp] {e.Name}, {Harts} {wl.Label} harts: FAIL: {r.Error}");
                context.Progress.Flush();
            }
        }

        var table = new TextTable("emulator", "harts", "iterations", "stop p50 ms", "stop p99 ms", "cont p50 ms", "cont p99 ms");
        foreach (Result r in results)
        {
            string label = $"{Harts} {r.Workload.Label}";
            if (r.StopMs is Stats s && r.ContMs is Stats c)
                table.Add(r.Emulator.Name, label, s.Count.ToString(CultureInfo.InvariantCulture), F(s.P50, 3), F(s.P99, 3), F(c.P50, 3), F(c.P99, 3));
            else
                table.Add(r.Emulator.Name, label, "FAIL", "-", "-", "-", "-");
        }
        table.Write(w);
        w.WriteLine();
        foreach (Result r in results.Where(r => r.Error != null)) w.WriteLine($"note: {r.Emulator.Name}, {r.Workload.Label}: {r.Error}");
        foreach (string n in notes) w.WriteLine($"note: {n}");

        Result target = results.First(r => r.Emulator == rivet && r.Workload == busy);
        if (target.StopMs is Stats t)
            w.WriteLine($"target: stop p50 <= {F(StopP50TargetMs, 0)} ms (rivet, {Harts} busy harts): measured {F(t.P50, 3)} ms, {(t.P50 <= StopP50TargetMs ? "met" : "not met")}");
        else
            w.WriteLine($"target: stop p50 <= {F(StopP50TargetMs, 0)} ms (rivet, {Harts} busy harts): not measured (the run failed)");
        w.Flush();
        context.Progress.WriteLine($"[qmp] section took {elapsed.Elapsed.TotalSeconds:F1} s");
        return results.All(r => r.Error == null) ? 0 : 1;
    }

    private static string[] CommonArgs(string guest, string socket)
        => ["-nographic", "-smp", Harts.ToString(CultureInfo.InvariantCulture), "-kernel", guest, "-qmp", $"unix:{socket},server,wait=off"];

    private static Result Measure(Emulator e, Workload wl, Plan plan)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("rivet-qmp-bench-");
        string socket = Path.Combine(dir.FullName, "q.sock");
        List<double> stops = [], conts = [];
        string? error = null;
        ChildProcess? child = null;
        try
        {
            child = ChildProcess.Start(e.Program, [.. e.PrefixArgs, .. CommonArgs(wl.Path, socket)]);
            using BenchQmpClient qmp = BenchQmpClient.Connect(socket, child, StartTimeout);
            var random = new Random(wl.Label.Length);
            for (int i = 0; i < plan.WarmUp + plan.Iterations; i++)
            {
                Thread.Sleep(random.Next(MinGapMs, MaxGapMs + 1));
                double stop = qmp.RoundTrip("stop");
                Thread.Sleep(random.Next(MinGapMs, MaxGapMs + 1));
                double cont = qmp.RoundTrip("cont");
                if (i < plan.WarmUp) continue;
                stops.Add(stop);
                conts.Add(cont);
            }
            qmp.RoundTrip("quit"); // a client that hangs up before its quit is read loses it (QEMU drops it)
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or InvalidDataException or JsonException or System.ComponentModel.Win32Exception)
        {
            error = ex.Message;
        }
        finally
        {
            if (child != null)
            {
                if (!child.WaitForExit(ExitTimeout))
                {
                    error ??= $"did not exit within {ExitTimeout.TotalSeconds:F0} s of quit";
                    child.KillHard();
                }
                else if (error != null)
                {
                    error += $" ({child.Errors()})";
                }
                child.Dispose();
            }
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // the emulator left its socket behind; /tmp is cleaned eventually
            }
        }
        return error == null ? new Result(e, wl, new Stats(stops), new Stats(conts), null) : new Result(e, wl, null, null, error);
    }

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
