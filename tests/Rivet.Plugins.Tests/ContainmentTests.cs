using Rivet.Machine;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Misbehaving plugins (docs/PLUGINS.md, containment): a callback that throws is reported and
/// disabled, a slow one stalls only its own vCPU, one that never returns cannot hang exit, and
/// requests from callbacks racing each other are never lost and never hang.
/// </summary>
public sealed class ContainmentTests
{
    [RivetPlugin(PluginApi.Version)]
    private sealed class Thrower : IRivetPlugin
    {
        public int InsnCalls, IdleCalls;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block =>
            {
                if (block.Pc == 0x8000000c) throw new FormatException("no thanks");
                foreach (IInstruction insn in block.Instructions)
                {
                    insn.RegisterExecute((cpu, pc) =>
                    {
                        if (Interlocked.Increment(ref InsnCalls) == 100) throw new InvalidOperationException("the hundredth");
                    });
                }
            });
            context.RegisterVCpuIdle(cpu =>
            {
                Interlocked.Increment(ref IdleCalls);
                throw new InvalidOperationException("idle is boring");
            });
            context.RegisterAtExit(() => throw new NotSupportedException("not today"));
        }
    }

    /// <summary>Counts what the thrower disturbs, to show the rest carries on.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Witness : IRivetPlugin
    {
        public long LoopBlocks, Idles;
        public bool AtExitRan;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block =>
            {
                if (block.Pc == 0x80000004) block.RegisterExecute((_, _) => LoopBlocks++);
            });
            context.RegisterVCpuIdle(_ => Interlocked.Increment(ref Idles));
            context.RegisterAtExit(() => AtExitRan = true);
        }
    }

    [Fact]
    public void ThrowingCallbacksAreReportedOnceDisabledAndTheMachineCarriesOn()
    {
        var thrower = new Thrower();
        var witness = new Witness();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host =>
        {
            host.Install(thrower, "thrower");
            host.Install(witness, "witness");
        });
        Assert.Equal(0, r.ExitCode); // the guest ran to its end
        Assert.Equal(100, thrower.InsnCalls); // disabled after the throw: never called again
        Assert.Equal(999, witness.LoopBlocks);
        Assert.True(witness.AtExitRan); // after the thrower's at-exit threw
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "plugin 'thrower'"
            + " insn-exec callback threw InvalidOperationException on vCPU 0: the hundredth; plugin 'thrower' insn-exec callbacks are disabled"));
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "rivet: plugin 'thrower' block-translated callback threw FormatException on vCPU 0: no thanks"));
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "rivet: plugin 'thrower' at-exit callback threw NotSupportedException: not today"));
        Assert.Equal(3, PluginRun.Count(r.Diagnostics, "rivet: "));
    }

    [Fact]
    public void AThrowingIdleCallbackIsDisabledWhileOtherPluginsKeepTheirs()
    {
        var thrower = new Thrower();
        var witness = new Witness();
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/smp/ipi_wfi.elf", harts: 4), host =>
        {
            host.Install(thrower, "thrower");
            host.Install(witness, "witness");
        });
        Assert.Equal(0, r.ExitCode);
        // At most one call per vCPU can be in flight when the first throw disables the kind.
        Assert.InRange(thrower.IdleCalls, 1, 4);
        Assert.True(witness.Idles > 100, $"witness saw {witness.Idles} idles");
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "plugin 'thrower' vcpu-idle callback threw InvalidOperationException"));
    }

    /// <summary>
    /// vCPU 0's idle callback is slow: it waits until the other vCPUs have made progress (which
    /// they can only do if its slowness does not stall them), then dawdles while the test asks
    /// for a shutdown.
    /// </summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class SlowIdle : IRivetPlugin
    {
        public readonly ManualResetEventSlim OthersProgressed = new(), InsideSlowPart = new(), Finished = new();
        public bool SawProgress;
        private volatile bool _inside;
        private long _progress1, _progress2;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block => block.RegisterExecute((cpu, _) =>
            {
                if (!_inside || cpu == 0) return;
                long p1 = cpu == 1 ? Interlocked.Increment(ref _progress1) : Interlocked.Read(ref _progress1);
                long p2 = cpu == 2 ? Interlocked.Increment(ref _progress2) : Interlocked.Read(ref _progress2);
                if (p1 >= 10_000 && p2 >= 10_000) OthersProgressed.Set();
            }));
            context.RegisterVCpuIdle(cpu =>
            {
                if (cpu != 0) return;
                _inside = true;
                SawProgress = OthersProgressed.Wait(GuestRun.HangLimit);
                InsideSlowPart.Set();
                Thread.Sleep(50); // the slow part: a shutdown requested now waits for it
                _inside = false;
                Finished.Set();
            });
        }
    }

    [Fact]
    public void ASlowIdleCallbackStallsOnlyItsOwnVCpu()
    {
        var slow = new SlowIdle();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.IdleAndSpin, harts: 3), host => host.Install(slow, "slow"), machine =>
        {
            Assert.True(slow.InsideSlowPart.Wait(GuestRun.HangLimit));
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        Assert.True(slow.SawProgress, "vCPUs 1 and 2 did not run while vCPU 0 was inside its idle callback");
        Assert.True(slow.Finished.IsSet);
        Assert.Equal(0, r.ExitCode); // shutdown waited for the callback instead of abandoning the vCPU
        Assert.Equal("", r.Diagnostics);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Stuck(bool inIdle, bool inAtExit) : IRivetPlugin, IDisposable
    {
        public readonly ManualResetEventSlim Entered = new();
        private readonly ManualResetEventSlim _release = new();

        public void Install(IPluginContext context, PluginArgs args)
        {
            if (inIdle)
            {
                context.RegisterVCpuIdle(cpu =>
                {
                    Entered.Set();
                    _release.Wait();
                });
            }
            if (inAtExit)
            {
                context.RegisterAtExit(() =>
                {
                    Entered.Set();
                    _release.Wait();
                });
            }
        }

        public void Dispose() => _release.Set(); // lets the abandoned thread finish after the test
    }

    [Fact]
    public void AnIdleCallbackThatNeverReturnsCannotHangShutdown()
    {
        using var stuck = new Stuck(inIdle: true, inAtExit: false);
        string timeline = Path.Combine(Path.GetTempPath(), $"rivet-stuck-timeline-{Environment.ProcessId}.json");
        var options = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromSeconds(2) };
        try
        {
            PluginRunResult r = PluginRun.Run(Programs.Config(Programs.IdleAndSpin, harts: 3, options), host =>
            {
                host.Load($"timeline,file={timeline}");
                host.Install(stuck, "stuck");
            }, machine =>
            {
                Assert.True(stuck.Entered.Wait(GuestRun.HangLimit));
                machine.RequestShutdown(ShutdownCause.HostSignal);
            });
            Assert.Equal(ExitCodes.AbandonedThread, r.ExitCode);
            Assert.Contains("rivet: shutdown did not complete within its deadline; vCPU states:", r.Diagnostics);
            Assert.Matches(@"vCPU 0: Running for [0-9.]+ s, last pc 0x80000010, inside callback 'plugin 'stuck' vcpu-idle' for [0-9.]+ s", r.Diagnostics);
            Assert.Contains("vCPU 1: Stopped", r.Diagnostics);
            Assert.Contains("vCPU 2: Stopped", r.Diagnostics);
            // The exit callbacks still ran (in the last quarter of the deadline): the timeline of the hang was written.
            TimelineChecks.AssertValid(File.ReadAllText(timeline), vcpus: 3);
        }
        finally
        {
            File.Delete(timeline);
        }
    }

    [Fact]
    public void AnAtExitCallbackThatNeverReturnsCannotHangShutdown()
    {
        using var stuck = new Stuck(inIdle: false, inAtExit: true);
        var options = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(400) };
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop, lifecycle: options), host => host.Install(stuck, "stuck"));
        Assert.True(stuck.Entered.IsSet);
        Assert.Equal(ExitCodes.AbandonedThread, r.ExitCode);
        Assert.Matches(@"rivet: plugin 'stuck' at-exit callback did not return within the shutdown deadline \(inside it for [0-9.]+ s\); abandoned", r.Diagnostics);
    }

    /// <summary>
    /// Every vCPU's idle callback asks for something: vCPUs 0 and 1 a pause, vCPU 2 a resume,
    /// vCPU 3 a resume and now and then a reset (vCPU 1 also asks for a resume when it wakes);
    /// whoever sees a STOP resumes the machine from the main loop. Once 20 pauses and a reset
    /// have happened, an idle callback asks for a shutdown with code 42.
    /// </summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Storm : IRivetPlugin
    {
        public int Stops, Resets, Idles;
        public IPluginContext? Context;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Context = context;
            int vcpu3Idles = 0;
            context.RegisterVCpuIdle(cpu =>
            {
                Interlocked.Increment(ref Idles);
                if (Volatile.Read(ref Stops) >= 20 && Volatile.Read(ref Resets) >= 1) context.RequestShutdown(42);
                else if (cpu < 2) context.RequestPause();
                else if (cpu == 3 && ++vcpu3Idles % 25 == 10) context.RequestReset();
                else context.RequestResume();
            });
            context.RegisterVCpuResume(cpu =>
            {
                if (cpu == 1) context.RequestResume();
            });
        }

        public void OnEvent(MachineEvent e)
        {
            if (e.Name == "RESET") Interlocked.Increment(ref Resets);
            if (e.Name != "STOP") return;
            Interlocked.Increment(ref Stops);
            Context!.RequestResume(); // on the main loop: posted, never waits
        }
    }

    [Fact]
    public void RequestsFromRacingCallbacksAreNeitherLostNorHang()
    {
        var storm = new Storm();
        PluginRunResult r;
        try
        {
            r = PluginRun.Run(Programs.Config(Programs.Ring4, harts: 4), host =>
            {
                host.Install(storm, "storm");
                host.Machine.Event += storm.OnEvent;
            });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (stops {storm.Stops}, resets {storm.Resets}, idles {storm.Idles})", ex);
        }
        Assert.Equal(42, r.ExitCode);
        Assert.True(storm.Stops >= 20);
        Assert.True(storm.Resets >= 1);
        Assert.Equal("", r.Diagnostics);
    }

    /// <summary>vCPU 0's first idle asks for a reset; its idle after the reset asks for a shutdown.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class ResetThenShutdown : IRivetPlugin
    {
        public int Idles, Inits, Resets;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterVCpuInit(_ => Interlocked.Increment(ref Inits));
            context.RegisterVCpuIdle(cpu =>
            {
                if (Interlocked.Increment(ref Idles) == 1) context.RequestReset();
                else context.RequestShutdown(7);
            });
        }
    }

    [Fact]
    public void ACallbackCanResetTheMachine()
    {
        var plugin = new ResetThenShutdown();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.IdleAndSpin, harts: 2), host =>
        {
            host.Install(plugin, "resetter");
            host.Machine.Event += e =>
            {
                if (e.Name == "RESET") Interlocked.Increment(ref plugin.Resets);
            };
        });
        Assert.Equal(7, r.ExitCode);
        Assert.Equal(1, plugin.Resets);
        Assert.Equal(2, plugin.Idles);  // hart 0 idled, was reset, ran from the start and idled again
        Assert.Equal(2, plugin.Inits);  // once per vCPU: a reset does not re-create vCPUs
    }
}
