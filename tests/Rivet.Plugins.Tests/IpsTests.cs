using System.Diagnostics;
using Rivet.Machine;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Time control and the <c>ips</c> built-in (docs/PLUGINS.md): guest time (mtime) follows the
/// instruction count at N instructions per virtual second, idle time still moves it, only one
/// plugin owns time, and exit stays bounded while ips throttles.
/// </summary>
public sealed class IpsTests
{
    /// <summary>Samples (instructions executed, mtime) on vCPU 0 every 100,000 instructions.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Sampler(Func<ulong> mtime) : IRivetPlugin
    {
        public readonly List<(long Insns, ulong Mtime)> Samples = [];
        private long _next = 100_000;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Scoreboard insns = context.NewScoreboard();
            context.RegisterBlockTranslated(block =>
            {
                block.RegisterExecuteInline(insns, block.Instructions.Count);
                block.RegisterExecute((cpu, _) =>
                {
                    if (cpu != 0 || insns[0] < _next) return;
                    Samples.Add((insns[0], mtime()));
                    _next += 100_000;
                });
            });
        }
    }

    [Fact]
    public void GuestTimeAdvancesAtNInstructionsPerVirtualSecond()
    {
        Sampler? sampler = null;
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_then_pass.elf", harts: 1), host =>
        {
            host.Load("ips,ips=10m"); // 10 MHz mtime: one tick per instruction
            sampler = new Sampler(() => host.Machine.Board.Clock.Mtime);
            host.Install(sampler, "sampler");
        });
        Assert.Equal(0, r.ExitCode);
        Assert.True(sampler!.Samples.Count >= 50, $"{sampler.Samples.Count} samples");
        const long Quantum = 1_000_000; // ips/10: time moves once per quantum
        foreach ((long insns, ulong mtime) in sampler.Samples)
        {
            // The sample counts the blocks before this one; ips has already counted this one (at most 64 more).
            Assert.InRange((long)mtime, insns - Quantum, insns + 64);
        }
        // And it keeps pace: every quantum boundary crossed moved time by exactly a quantum.
        Assert.Contains(sampler.Samples, s => (long)s.Mtime >= 5 * Quantum);
    }

    [Fact]
    public void IdleTimeStillMovesGuestTimeSoATimerWaitEnds()
    {
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/plugins/timer_wait.elf", harts: 2), host => host.Load("ips,ips=10m"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
    }

    [Fact]
    public void ExitIsBoundedWhileIpsThrottles()
    {
        var options = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromSeconds(2) };
        ulong mtimeAtStop = 0;
        var stopwatch = new Stopwatch();
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 2, options), host => host.Load("ips,ips=1k"), machine =>
        {
            // 1000 instructions a second: every 100 instructions a vCPU sleeps off its lead (about 0.1 s).
            Assert.True(SpinWait.SpinUntil(() => machine.Board.Clock.Mtime > 0, GuestRun.HangLimit), "guest time never moved");
            mtimeAtStop = machine.Board.Clock.Mtime;
            stopwatch.Start();
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        stopwatch.Stop();
        Assert.Equal(0, r.ExitCode); // nothing abandoned
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1.5), $"shutdown took {stopwatch.Elapsed}");
        Assert.Equal("", r.Diagnostics);
        // Time had moved in whole quanta of 100 instructions (0.1 virtual s = 1,000,000 ticks).
        Assert.Equal(0UL, mtimeAtStop % 1_000_000);
        // Far fewer instructions than an unthrottled second would run.
        Assert.True(r.Retired.Sum(x => (long)x) < 20_000, $"retired {r.Retired.Sum(x => (long)x)}");
    }

    /// <summary>Takes time and never moves it; counts idle periods.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class FrozenTime : IRivetPlugin
    {
        public long Idles;
        public readonly ManualResetEventSlim SeveralIdles = new();
        public readonly List<long> Times = []; // vCPU 0's idle timestamps (its thread only, read after exit)

        public void Install(IPluginContext context, PluginArgs args)
        {
            Assert.NotNull(context.RequestTimeControl());
            context.RegisterVCpuIdle(cpu =>
            {
                if (cpu != 0) return;
                Times.Add(Stopwatch.GetTimestamp());
                if (Interlocked.Increment(ref Idles) == 5) SeveralIdles.Set();
            });
        }
    }

    [Fact]
    public void AnOwnerThatNeverMovesTimeHangsNeitherTheHartNorShutdown()
    {
        var frozen = new FrozenTime();
        var stopwatch = new Stopwatch();
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/plugins/timer_wait.elf", harts: 1), host => host.Install(frozen, "frozen"), machine =>
        {
            // The guest's timer is 10 ms of guest time away: the sleep is bounded by 10 ms of host time,
            // so vCPU 0 keeps waking (idle, resume, idle again) instead of sleeping forever.
            Assert.True(frozen.SeveralIdles.Wait(GuestRun.HangLimit), "the idle hart never woke");
            stopwatch.Start();
            Assert.Equal(0UL, machine.Board.Clock.Mtime); // time stood still
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        stopwatch.Stop();
        Assert.Equal(0, r.ExitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"shutdown took {stopwatch.Elapsed}");
        // One wake-up per 10 ms period, not a busy loop (the first sleep may be shorter: its anchor is the start).
        double[] gaps = [.. frozen.Times.Skip(1).Zip(frozen.Times.Skip(2), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds)];
        Assert.NotEmpty(gaps);
        Assert.All(gaps, g => Assert.True(g >= 9, $"idle periods {string.Join(", ", gaps)} ms"));
    }

    [Fact]
    public void OnlyOnePluginMayOwnTime()
    {
        using var machine = new Machine.Machine(Programs.Config(Programs.Loop), Stream.Null, TextWriter.Null);
        var host = new PluginHost(machine);
        host.Load("ips");
        PluginLoadException e = Assert.Throws<PluginLoadException>(() => host.Load("ips,ips=5k"));
        Assert.Equal("plugin 'ips': another plugin already controls time", e.Message);
    }

    [Theory]
    [InlineData("ips,ips=10x", "plugin 'ips': bad suffix: x")]
    [InlineData("ips,ips=9", "plugin 'ips': minimum of 10 instructions per second needed")]
    [InlineData("ips,ips=fast", "plugin 'ips': couldn't parse fast")]
    [InlineData("ips,rate=5", "plugin 'ips': unknown argument 'rate'")]
    public void BadArgumentsAreOneLineErrors(string spec, string message)
    {
        using var machine = new Machine.Machine(Programs.Config(Programs.Loop), Stream.Null, TextWriter.Null);
        var host = new PluginHost(machine);
        PluginLoadException e = Assert.Throws<PluginLoadException>(() => host.Load(spec));
        Assert.StartsWith(message, e.Message);
    }
}
