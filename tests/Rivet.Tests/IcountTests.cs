using System.Diagnostics;
using System.Text;
using Rivet.Board;
using Rivet.Cli;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// -icount (docs/LIFECYCLE.md, "Alternate executor: icount"): the option as QEMU 7.2 words it,
/// deterministic runs of a racing 4-hart guest, counter and mtime readings equal to
/// qemu-system-riscv64's, and the lifecycle (pause, resume, SIGTERM) on the one vCPU thread.
/// </summary>
public sealed class IcountTests
{
    private static readonly string Race = Repo.Guest("build/icount/race.elf");
    private static readonly string Counters = Repo.Guest("build/icount/counters.elf");

    // ---- the option ----

    private static IcountOptions? Parse(string value) => CommandLine.Parse(["-icount", value, "-kernel", "/k.elf"]).Machine.Icount;

    private static string Error(params string[] args)
    {
        var ex = Assert.Throws<UsageException>(() => CommandLine.Parse([.. args, "-kernel", "/k.elf"]));
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }

    [Theory]
    [InlineData("shift=0", 0, true)]
    [InlineData("shift=10", 10, true)]
    [InlineData("3", 3, true)]
    [InlineData("shift=0x2,sleep=off", 2, false)]
    [InlineData("shift=auto", IcountOptions.AutoShift, true)]
    [InlineData("shift=auto,sleep=off", IcountOptions.AutoShift, false)]
    [InlineData("shift=1,align=off,sleep=on", 1, true)]
    public void ShiftAndSleepAreParsedAsQemuDoes(string value, int shift, bool sleep)
    {
        IcountOptions o = Parse(value)!;
        Assert.Equal(shift, o.Shift);
        Assert.Equal(sleep, o.Sleep);
    }

    [Theory]
    [InlineData("sleep=off")]
    [InlineData("")]
    public void WithoutAShiftIcountStaysOffAsOnQemu(string value) => Assert.Null(Parse(value));

    [Theory]
    [InlineData("shift=11", "-icount shift=11: icount: Invalid shift value")]
    [InlineData("shift=x", "-icount shift=x: icount: Invalid shift value")]
    [InlineData("shift=-1", "-icount shift=-1: icount: Invalid shift value")]
    [InlineData("foo=1", "-icount foo=1: Invalid parameter 'foo'")]
    [InlineData("align=on", "-icount align=on: Please specify shift option when using align")]
    [InlineData("shift=0,align=on,sleep=off", "-icount shift=0,align=on,sleep=off: align=on and sleep=off are incompatible")]
    [InlineData("shift=0,sleep=maybe", "-icount shift=0,sleep=maybe: Parameter 'sleep' expects 'on' or 'off'")]
    [InlineData("shift=0,align=on", "-icount shift=0,align=on: align=on is not supported by rivet")]
    [InlineData("shift=0,rr=record,rrfile=x", "-icount shift=0,rr=record,rrfile=x: record/replay (rr, rrfile, rrsnapshot) is not supported by rivet")]
    public void BadValuesGetQemusMessages(string value, string expected) => Assert.StartsWith(expected, Error("-icount", value));


    [Fact]
    public void MultiThreadedTcgIsRefusedUnderIcountAsOnQemu()
    {
        Assert.Equal("-accel tcg,thread=multi: No MTTCG when icount is enabled", Error("-icount", "shift=0", "-accel", "tcg,thread=multi"));
        Assert.Equal("single", CommandLine.Parse(["-icount", "shift=0", "-kernel", "/k.elf"]).AccelThread);
        Assert.Equal("multi", CommandLine.Parse(["-kernel", "/k.elf"]).AccelThread);
    }

    [Fact]
    public void BadConfigurationFromTheApiIsAnArgumentError()
    {
        var config = new MachineConfig { Kernel = Counters, Icount = new IcountOptions { Shift = 11 } };
        Assert.Throws<ArgumentOutOfRangeException>(() => new Machine.Machine(config, Stream.Null, TextWriter.Null));
    }

    // ---- runs ----

    private sealed record Run(int Code, string Output, IReadOnlyList<ulong> Retired, ulong Nanoseconds);

    private static Run RunGuest(string elf, int harts, IcountOptions icount, Action<Machine.Machine>? whileRunning = null)
    {
        var config = new MachineConfig { Harts = harts, Kernel = elf, Icount = icount, StartPaused = whileRunning != null };
        var output = new MemoryStream();
        using var m = new Machine.Machine(config, output, TextWriter.Null);
        m.Start();
        whileRunning?.Invoke(m);
        int? code = m.WaitForExit(GuestRun.HangLimit);
        if (code == null)
        {
            m.RequestShutdown();
            m.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"{Path.GetFileName(elf)} did not finish; output so far: {Encoding.UTF8.GetString(output.ToArray())}");
        }
        return new Run(code.Value, Encoding.UTF8.GetString(output.ToArray()), m.RetiredPerHart, m.GuestNanoseconds);
    }

    [Fact]
    public void FourRacingHartsGiveTheSameOutputAndCountsOnEveryRun()
    {
        var icount = new IcountOptions { Shift = 0 };
        Run first = RunGuest(Race, 4, icount);
        Assert.Equal(0, first.Code);
        Assert.StartsWith("counter 48000 racy ", first.Output);
        Assert.Equal(5, first.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(first.Retired, n => Assert.True(n > 100_000, $"a hart retired only {n}"));
        for (int i = 1; i < 10; i++)
        {
            Run again = RunGuest(Race, 4, icount);
            Assert.Equal(first.Output, again.Output);
            Assert.Equal(first.Retired, again.Retired);
            Assert.Equal(first.Nanoseconds, again.Nanoseconds);
        }
    }

    [Fact]
    public void TheHartsReallyInterleave()
    {
        // The racy counter lost updates: the harts' slices did interleave inside the racing loop
        // (a run that ran each hart to completion would not test determinism at all).
        Run r = RunGuest(Race, 4, new IcountOptions { Shift = 0 });
        string racy = r.Output.Split('\n')[0].Split(' ')[3];
        Assert.True(ulong.Parse(racy) < 48000, r.Output);
        Assert.Matches(@"hart 1 hash \d+ ipis [1-9]", r.Output);
    }

    [Fact]
    public void PausesAndResumesInTheMiddleDoNotChangeTheResult()
    {
        var icount = new IcountOptions { Shift = 0 };
        Run undisturbed = RunGuest(Race, 4, icount);
        int pausedMidRun = 0;
        var trace = new StringBuilder();
        Run disturbed = RunGuest(Race, 4, icount, m =>
        {
            // From -S: run a little, pause, look, run again: each pause lands wherever the host
            // thread happens to be, inside the race, inside a WFI, between slices.
            for (int i = 0; i < 40; i++)
            {
                ulong before = m.InstructionsRetired;
                if (!m.Resume()) break;
                // Let it get somewhere first (a pause right after the resume finds no slice run yet).
                var progress = Stopwatch.StartNew();
                while (m.InstructionsRetired == before && m.RunState == RunState.Running && progress.Elapsed < GuestRun.HangLimit) Thread.Yield();
                bool paused = m.Pause();
                trace.Append($"[{i}: {before} -> {m.InstructionsRetired} {paused} {m.RunState}] ");
                if (!paused || m.RunState != RunState.Paused) break;
                ulong n = m.InstructionsRetired;
                if (n > before) pausedMidRun++;
                Assert.Equal(n, m.InstructionsRetired); // nothing runs while paused
                Assert.Equal(4, m.VCpus.Count); // every hart listed, on the one thread
                Assert.Single(m.VCpus.Select(v => v.HostThreadId).Distinct());
            }
            m.Resume();
        });
        Assert.True(pausedMidRun > 0, $"no pause landed in the middle of the run: {trace}");
        Assert.Equal(undisturbed.Output, disturbed.Output);
        Assert.Equal(undisturbed.Retired, disturbed.Retired);
        Assert.Equal(undisturbed.Nanoseconds, disturbed.Nanoseconds);
    }

    [Fact]
    public void SleepOffJumpsGuestTimeOverWfi()
    {
        // counters.elf sleeps in WFI for 5000 ticks; under sleep=off guest time jumps to the
        // timer's expiry: the run ends with guest time past it, and is the same every time.
        var icount = new IcountOptions { Shift = 0, Sleep = false };
        Run a = RunGuest(Counters, 1, icount);
        Run b = RunGuest(Counters, 1, icount);
        Assert.Equal(0, a.Code);
        Assert.Equal(a.Output, b.Output);
        string[] lines = a.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        ulong before = Convert.ToUInt64(lines[^5], 16), after = Convert.ToUInt64(lines[^1], 16); // mtime readings
        Assert.True(after >= before + 5000, $"mtime {before} then {after}");
        // Fewer instructions ran than 5000 ticks of guest time are worth at shift 0: time jumped.
        Assert.True(a.Retired[0] < a.Nanoseconds - 400_000, $"{a.Retired[0]} instructions, {a.Nanoseconds} ns");
    }

    [Fact]
    public void SleepOnWarpsGuestTimeExactlyToTheDeadline()
    {
        // sleep=on: while the hart sleeps guest time follows the host's (500 us here), and stops at
        // the timer's expiry when it wakes the hart, so the readings equal sleep=off's.
        Run on = RunGuest(Counters, 1, new IcountOptions { Shift = 0, Sleep = true });
        Run off = RunGuest(Counters, 1, new IcountOptions { Shift = 0, Sleep = false });
        Assert.Equal(0, on.Code);
        Assert.Equal(off.Output, on.Output);
        Assert.Equal(off.Nanoseconds, on.Nanoseconds);
    }

    [Fact]
    public void SleepOffGetsThroughAnHourLongWfiAtOnce()
    {
        // long_wfi waits for a timer one hour of guest time ahead: with sleep=on that would take
        // an hour (HangLimit fails the test); sleep=off jumps there, and the guest checks mtime.
        Run r = RunGuest(Repo.Guest("build/icount/long_wfi.elf"), 2, new IcountOptions { Shift = 0, Sleep = false });
        Assert.Equal(0, r.Code);
        Assert.True(r.Nanoseconds >= 3_600_000_000_000UL, $"{r.Nanoseconds} ns");
    }

    // ---- against QEMU ----

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    public void CounterAndMtimeReadingsEqualQemus(int shift)
    {
        // sleep=off: QEMU's sleep=on lets host time into guest time before the first instruction
        // (its readings differ from run to run), so only sleep=off is comparable.
        string qemu = RunQemu("-machine", "virt", "-bios", "none", "-nographic", "-monitor", "none", "-serial", "stdio",
            "-icount", $"shift={shift},sleep=off", "-kernel", Counters);
        Run r = RunGuest(Counters, 1, new IcountOptions { Shift = shift, Sleep = false });
        Assert.Equal(0, r.Code);
        Assert.Equal(32, qemu.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(qemu, r.Output);
    }

    private static string RunQemu(params string[] args)
    {
        var psi = new ProcessStartInfo("qemu-system-riscv64") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException("qemu-system-riscv64 did not exit");
        }
        Assert.True(p.ExitCode == 0, $"qemu-system-riscv64 exited {p.ExitCode}: {err.Result}");
        return output.Replace("\r\n", "\n");
    }

    // ---- the command line, as processes ----

    [Fact]
    public void TheCommandGivesTheSameOutputTwice()
    {
        string[] args = ["-nographic", "-smp", "4", "-icount", "shift=0", "-kernel", Race];
        var a = RivetProcess.Run(args);
        var b = RivetProcess.Run(args);
        Assert.Equal(0, a.Code);
        Assert.StartsWith("counter 48000 ", a.Out);
        Assert.Equal(a.Out, b.Out);
    }

    [Fact]
    public void QmpStopAndContMidRunLeaveTheOutputAsItWas()
    {
        // The QMP path of pause and resume on a process, with the per-hart views: query-cpus-fast
        // and info cpus list every hart on the one thread. Whether a stop lands before the guest
        // finishes is up to the host (the whole run lasts milliseconds): up to five tries for one that does.
        string undisturbed = RivetProcess.Run("-nographic", "-smp", "4", "-icount", "shift=0", "-kernel", Race).Out;
        bool pausedMidRun = false;
        for (int attempt = 0; attempt < 5 && !pausedMidRun; attempt++)
        {
            string serial = Path.Combine(Path.GetTempPath(), $"rivet-icount-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
            try
            {
                var script = new StringBuilder("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-cpus-fast\"}\n");
                script.Append("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info cpus\"}}\n");
                for (int i = 0; i < 20; i++) script.Append("{\"execute\":\"cont\"}\n{\"execute\":\"stop\"}\n{\"execute\":\"query-status\"}\n");
                script.Append("{\"execute\":\"cont\"}\n");
                using Process p = RivetProcess.Start("-display", "none", "-S", "-smp", "4", "-icount", "shift=0", "-serial", $"file:{serial}", "-qmp", "stdio", "-kernel", Race);
                p.StandardInput.Write(script.ToString());
                var (code, qmp) = FinishWithOutput(p);
                Assert.Equal(0, code);
                string[] replies = qmp.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                using (var cpus = System.Text.Json.JsonDocument.Parse(replies.First(l => l.Contains("\"cpu-index\""))))
                {
                    var list = cpus.RootElement.GetProperty("return").EnumerateArray().ToList();
                    Assert.Equal([0, 1, 2, 3], list.Select(c => c.GetProperty("cpu-index").GetInt32()));
                    Assert.Single(list.Select(c => c.GetProperty("thread-id").GetInt32()).Distinct());
                }
                Assert.Matches(@"CPU #3: thread_id=\d+", replies.First(l => l.Contains("CPU #0")));
                pausedMidRun = replies.Any(l => l.Contains("\"status\":\"paused\""));
                Assert.Equal(undisturbed, File.ReadAllText(serial));
            }
            finally
            {
                File.Delete(serial);
            }
        }
        Assert.True(pausedMidRun, "no QMP stop landed before the guest finished, in five runs");
    }

    private static (int Code, string Out) FinishWithOutput(Process p)
    {
        p.StandardInput.Close();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException("rivet -icount did not exit");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result);
    }

    [Fact]
    public void PluginsSeeEveryHartAsItsOwnVCpu()
    {
        // insn counts per vCPU index from inside each hart's blocks: four counts, the same on
        // every run, and the guest's output is what it is without instrumentation.
        string[] args = ["-nographic", "-smp", "4", "-icount", "shift=0", "-kernel", Race];
        var plain = RivetProcess.Run(args);
        var a = RivetProcess.Run([.. args, "-plugin", "insn", "-d", "plugin"]);
        var b = RivetProcess.Run([.. args, "-plugin", "insn", "-d", "plugin"]);
        Assert.Equal(0, a.Code);
        Assert.Equal(plain.Out, a.Out);
        Assert.Equal(a.Err, b.Err);
        var counts = a.Err.Split('\n').Where(l => l.StartsWith("cpu ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, counts.Count);
        for (int i = 0; i < 4; i++) Assert.Matches($@"^cpu {i} insns: [1-9]\d+$", counts[i]);
    }

    [Fact]
    public void PluginTimeControlIsRefusedUnderIcount()
    {
        var r = RivetProcess.Run("-nographic", "-icount", "shift=0", "-kernel", Counters, "-plugin", "ips,ips=10m");
        RivetProcess.AssertStartupError(r, "time control is not available with -icount");
    }

    [Theory]
    [InlineData("spin_forever", 0)]
    [InlineData("idle_forever", 1)]
    [InlineData("ipi_forever", 2)]
    public void SigtermEndsAnIcountRunWithZero(string guest, int seed)
    {
        const int SIGTERM = 15, SIGHUP = 1;
        using Process p = RivetProcess.Start("-smp", "4", "-nographic", "-icount", "shift=0", "-kernel", Repo.Guest($"build/lifecycle/{guest}.elf"));
        var wait = Stopwatch.StartNew();
        while (!RivetProcess.Catches(p.Id, SIGHUP))
        {
            if (p.HasExited) throw new InvalidOperationException($"rivet exited early with {p.ExitCode}: {p.StandardError.ReadToEnd()}");
            if (wait.Elapsed > GuestRun.HangLimit) throw new TimeoutException("rivet never installed its signal handlers");
            Thread.Yield();
        }
        Thread.Sleep(new Random(seed).Next(20, 200)); // the moment of the signal is the test's input
        Assert.Equal(0, RivetProcess.Kill(p.Id, SIGTERM));
        var (code, err) = Finish(p);
        Assert.Equal(0, code);
        Assert.Contains("terminating on signal 15", err);
    }

    private static (int Code, string Err) Finish(Process p)
    {
        p.StandardInput.Close();
        Task<string> err = p.StandardError.ReadToEndAsync();
        Task<string> _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            throw new TimeoutException("rivet -icount did not exit after SIGTERM");
        }
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }
}
