using System.Diagnostics;

namespace Rivet.Tests;

/// <summary>
/// The rivet process under signals: whatever the guest does (all harts idle, all spinning,
/// passing IPIs) and whenever the signal lands, it exits within its deadline with code 0.
/// </summary>
public sealed class LifecycleProcessTests
{
    private const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15;
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(15); // generous: turns a hang into a failure

    /// <summary>
    /// Waits until rivet has installed its own handlers (SIGHUP caught, /proc/PID/status SigCgt
    /// bit 0): before that the runtime's default SIGTERM action applies, as before QEMU's
    /// os_setup_signal_handling.
    /// </summary>
    private static void WaitForHandlers(Process p)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ExitLimit)
        {
            if (p.HasExited) throw new InvalidOperationException($"rivet exited early with {p.ExitCode}: {p.StandardError.ReadToEnd()}");
            if (RivetProcess.Catches(p.Id, SIGHUP)) return;
            Thread.Yield();
        }
        throw new TimeoutException("rivet never installed its signal handlers");
    }

    private static (int Code, string Err) Finish(Process p)
    {
        p.StandardInput.Close();
        Task<string> err = p.StandardError.ReadToEndAsync();
        Task<string> _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit((int)ExitLimit.TotalMilliseconds))
        {
            p.Kill(true);
            throw new TimeoutException("rivet did not exit after the signal");
        }
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }

    public static TheoryData<string, int, int> SignalCases()
    {
        var data = new TheoryData<string, int, int>();
        string[] guests = ["idle_forever", "spin_forever", "ipi_forever"];
        int seed = 0;
        foreach (string g in guests)
        {
            foreach (int smp in new[] { 1, 4 })
            {
                data.Add(g, smp, seed++);
                data.Add(g, smp, seed++);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SignalCases))]
    public void SigtermAtARandomMomentExitsWithZero(string guest, int smp, int seed)
    {
        var rng = new Random(seed);
        using Process p = RivetProcess.Start("-smp", smp.ToString(), "-nographic", "-kernel", Repo.Guest($"build/lifecycle/{guest}.elf"));
        WaitForHandlers(p);
        // The moment of the signal is the test's input: from "still building the machine"
        // (no delay) to well into the run.
        if (rng.Next(0, 4) != 0) Thread.Sleep(rng.Next(1, 400));
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, RivetProcess.Kill(p.Id, rng.Next(0, 5) == 0 ? SIGHUP : SIGTERM));
        var (code, err) = Finish(p);
        Assert.True(code == 0, $"exit code {code} after {sw.ElapsedMilliseconds} ms; stderr: {err}");
        Assert.Contains("terminating on signal", err);
    }

    /// <summary>Each shutdown signal at delays from 0 (the runtime has not started) to past start-up.</summary>
    public static TheoryData<int, int> StartupSignalCases()
    {
        var data = new TheoryData<int, int>();
        foreach (int signal in new[] { SIGTERM, SIGINT, SIGHUP })
        {
            foreach (int delayMs in new[] { 0, 1, 3, 8, 15, 25, 40, 60, 90 }) data.Add(signal, delayMs);
        }
        return data;
    }

    /// <summary>
    /// Waits until the launcher has blocked the shutdown signals (its first system call; SigBlk in
    /// /proc/PID/status). Before that instruction no program can catch a signal: the kernel's exec
    /// has just reset every handler (docs/STARTUP.md).
    /// </summary>
    private static void WaitForLauncher(Process p)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ExitLimit)
        {
            string? line;
            try
            {
                line = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(l => l.StartsWith("SigBlk:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                line = null;
            }
            if (line != null && (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << (SIGTERM - 1))) != 0) return;
            if (p.HasExited) throw new InvalidOperationException($"rivet exited early with {p.ExitCode}");
        }
        throw new TimeoutException("the rivet launcher never blocked the shutdown signals");
    }

    /// <summary>
    /// A signal at any moment of start-up, long before rivet's handlers can exist (the launcher
    /// holds it pending while the runtime starts), ends with the documented exit: 0 and
    /// "terminating on signal N".
    /// </summary>
    [Theory]
    [MemberData(nameof(StartupSignalCases))]
    public void SignalDuringStartupExitsWithZero(int signal, int delayMs)
    {
        using Process p = RivetProcess.Start("-smp", "2", "-nographic", "-kernel", Repo.Guest("build/lifecycle/spin_forever.elf"));
        WaitForLauncher(p);
        Assert.False(RivetProcess.Catches(p.Id, SIGHUP) && delayMs == 0, "the handlers already existed: the case tests nothing");
        if (delayMs > 0) Thread.Sleep(delayMs); // the moment of the signal is the test's input
        Assert.Equal(0, RivetProcess.Kill(p.Id, signal));
        var (code, err) = Finish(p);
        Assert.True(code == 0, $"exit code {code} for signal {signal} {delayMs} ms after spawn; stderr: {err}");
        Assert.Contains($"terminating on signal {signal}", err);
    }

    [Fact]
    public void SigtermImmediatelyAfterHandlersExitsWithZero()
    {
        for (int i = 0; i < 5; i++)
        {
            using Process p = RivetProcess.Start("-smp", "8", "-nographic", "-kernel", Repo.Guest("build/lifecycle/ipi_forever.elf"));
            WaitForHandlers(p);
            Assert.Equal(0, RivetProcess.Kill(p.Id, SIGTERM));
            Assert.Equal(0, Finish(p).Code);
        }
    }

    [Fact]
    public void SecondSigintExitsAtOnce()
    {
        using Process p = RivetProcess.Start("-smp", "4", "-nographic", "-kernel", Repo.Guest("build/lifecycle/spin_forever.elf"));
        WaitForHandlers(p);
        Assert.Equal(0, RivetProcess.Kill(p.Id, SIGINT));
        Assert.Equal(0, RivetProcess.Kill(p.Id, SIGINT));
        var (code, err) = Finish(p);
        // Either the first SIGINT's orderly shutdown won (0) or the second cut it short (130).
        Assert.True(code is 0 or 130, $"exit code {code}; stderr: {err}");
        if (code == 130) Assert.Contains("second interrupt", err);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void FinisherRacingSigtermExitsWithZero(int seed)
    {
        var rng = new Random(seed);
        using Process p = RivetProcess.Start("-smp", "2", "-nographic", "-kernel", Repo.Guest("build/lifecycle/spin_then_pass.elf"));
        // The launcher holds the signal from its first instruction on, so the handlers need not
        // exist yet; the moment of the signal is the input: from start-up to around the guest's exit.
        WaitForLauncher(p);
        Thread.Sleep(rng.Next(0, 160));
        RivetProcess.Kill(p.Id, SIGTERM); // may find the process already gone: that is the race
        Assert.Equal(0, Finish(p).Code);
    }
}
