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
    private const string TargetFramework = "net10.0";
    /// <summary>Untimed gap before each timed command: random in this range (ms), so stops land at random points of the harts' work.</summary>
    private const int MinGapMs = 2, MaxGapMs = 8;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);
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

        Emulator? rivet = FindRivet(context);
        if (rivet == null) return 2;
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
        w.WriteLine($"rivet:  dotnet {rivet.PrefixArgs[0]} -machine virt -bios none {string.Join(' ', CommonArgs("<guest>.elf", "<sock>"))}");
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

    /// <summary><c>dotnet src/Rivet.Cli/bin/Release/net10.0/rivet.dll</c>, built first if it is missing.</summary>
    private static Emulator? FindRivet(BenchContext context)
    {
        string cliDir = Path.Combine(context.RepoRoot!, "src", "Rivet.Cli");
        string dll = Path.Combine(cliDir, "bin", "Release", TargetFramework, "rivet.dll");
        string? dotnet = ChildProcess.FindOnPath("dotnet");
        if (dotnet == null)
        {
            context.Progress.WriteLine("error: dotnet is not on PATH; cannot run the rivet CLI");
            return null;
        }
        if (!File.Exists(dll))
        {
            context.Progress.WriteLine($"{dll} is missing: running dotnet build -c Release {cliDir}");
            var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "build", "-c", "Release", "--nologo", "-v", "q", Path.Combine(cliDir, "Rivet.Cli.csproj") }) psi.ArgumentList.Add(a);
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0 || !File.Exists(dll))
            {
                context.Progress.WriteLine($"error: building the rivet CLI failed: {err.Result.Trim()}");
                return null;
            }
        }
        return new Emulator("rivet", dotnet, [dll, "-machine", "virt", "-bios", "none"]);
    }

    private static string F(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>
    /// The smallest QMP client that measures honestly: one blocking socket, the greeting and
    /// qmp_capabilities first, then one command at a time, reading lines until the reply (the
    /// server ends every message with CRLF; events are read and skipped).
    /// </summary>
    private sealed class BenchQmpClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _buffer = new byte[8192];
        private int _start, _end;

        private BenchQmpClient(Socket socket)
        {
            _socket = socket;
            _socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
        }

        public static BenchQmpClient Connect(string path, ChildProcess child, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    s.Connect(new UnixDomainSocketEndPoint(path));
                    var client = new BenchQmpClient(s);
                    using JsonDocument greeting = client.ReadMessage();
                    if (!greeting.RootElement.TryGetProperty("QMP", out _)) throw new InvalidDataException($"not a QMP greeting: {greeting.RootElement}");
                    client.RoundTrip("qmp_capabilities");
                    return client;
                }
                catch (SocketException) when (sw.Elapsed < timeout && !child.HasExited)
                {
                    s.Dispose();
                    Thread.Sleep(10); // not listening yet: the emulator is still starting
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            }
        }

        public void Send(string command) => _socket.Send(Encoding.UTF8.GetBytes($"{{\"execute\":\"{command}\"}}\r\n"));

        /// <summary>Sends a command and reads until its reply; milliseconds from send to reply. Throws if it failed.</summary>
        public double RoundTrip(string command)
        {
            long t0 = Stopwatch.GetTimestamp();
            Send(command);
            while (true)
            {
                using JsonDocument m = ReadMessage();
                JsonElement root = m.RootElement;
                if (root.TryGetProperty("event", out _)) continue;
                long t1 = Stopwatch.GetTimestamp();
                if (!root.TryGetProperty("return", out _)) throw new InvalidDataException($"{command} failed: {root}");
                return Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            }
        }

        private JsonDocument ReadMessage()
        {
            while (true)
            {
                int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (nl >= 0)
                {
                    var line = new ReadOnlyMemory<byte>(_buffer, _start, nl + 1 - _start);
                    _start = nl + 1;
                    return JsonDocument.Parse(line.ToArray());
                }
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length) throw new InvalidDataException("a QMP message longer than 8 KiB");
                int n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
                if (n == 0) throw new IOException("the emulator closed the QMP connection");
                _end += n;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
