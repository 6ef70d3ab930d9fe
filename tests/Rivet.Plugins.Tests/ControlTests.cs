using Rivet.Machine;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Plugin control (docs/PLUGINS.md): flushing instrumentation re-runs block-translated callbacks;
/// reset and uninstall requested from inside a plugin's own callbacks neither deadlock nor run
/// old callbacks after their completion callback, which runs exactly once.
/// </summary>
public sealed class ControlTests
{
    [RivetPlugin(PluginApi.Version)]
    private sealed class Flusher : IRivetPlugin
    {
        public int LoopTranslations;
        public long LoopExecutions;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block =>
            {
                if (block.Pc != 0x80000004) return;
                LoopTranslations++;
                block.RegisterExecute((_, _) =>
                {
                    if (++LoopExecutions == 500) context.FlushInstrumentation();
                });
            });
        }
    }

    [Fact]
    public void AFlushFromACallbackTranslatesEveryBlockAgain()
    {
        var flusher = new Flusher();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(flusher, "flusher"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, flusher.LoopTranslations); // once at first sight, once after the flush
        Assert.Equal(999, flusher.LoopExecutions); // nothing lost or counted twice across it
    }

    /// <summary>Counts every block it runs; after <see cref="Trigger"/> blocks resets itself and re-registers a second counter.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Resetter(long trigger) : IRivetPlugin
    {
        public long Trigger => trigger;
        public long Old, New, AfterDone;
        public int DoneCalls, Accepted, Refused, InitAgain;
        public readonly ManualResetEventSlim NewRan = new();
        private volatile bool _done;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block => block.RegisterExecute((_, _) =>
            {
                if (_done) Interlocked.Increment(ref AfterDone);
                if (Interlocked.Increment(ref Old) != trigger) return;
                if (context.Reset(Done)) Interlocked.Increment(ref Accepted);
                if (!context.Reset(Done)) Interlocked.Increment(ref Refused); // one at a time
            }));
            void Done()
            {
                _done = true;
                Interlocked.Increment(ref DoneCalls);
                context.RegisterVCpuInit(_ => Interlocked.Increment(ref InitAgain));
                context.RegisterBlockTranslated(block => block.RegisterExecute((_, _) =>
                {
                    Interlocked.Increment(ref New);
                    NewRan.Set();
                }));
            }
        }
    }

    [Fact]
    public void AResetFromACallbackDropsTheOldCallbacksAndLetsItRegisterAgain()
    {
        var resetter = new Resetter(1000);
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 2), host => host.Install(resetter, "resetter"), machine =>
        {
            Assert.True(resetter.NewRan.Wait(GuestRun.HangLimit), "the callbacks registered by the reset's completion callback never ran");
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref resetter.InitAgain) == 2, GuestRun.HangLimit), "an init callback registered by the reset did not run on every vCPU");
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.Equal(1, resetter.Accepted);
        Assert.Equal(1, resetter.Refused);
        Assert.Equal(1, resetter.DoneCalls);
        Assert.Equal(0, resetter.AfterDone); // no old callback ran once the completion callback had started
        Assert.True(resetter.Old >= resetter.Trigger);
        Assert.Equal(2, resetter.InitAgain); // an init callback registered after the start runs on every vCPU
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Uninstaller : IRivetPlugin
    {
        public int Accepted, Refused, DoneCalls;
        public long AfterDone, Calls;
        public bool AtExitRan;
        public readonly ManualResetEventSlim Done = new();
        private volatile bool _done;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block => block.RegisterExecute((_, _) =>
            {
                if (_done) Interlocked.Increment(ref AfterDone);
                if (Interlocked.Increment(ref Calls) < 100) return;
                // Every vCPU asks, again and again, from inside its callback: only the first call counts.
                if (context.Uninstall(() =>
                {
                    _done = true;
                    Interlocked.Increment(ref DoneCalls);
                    Done.Set();
                }))
                {
                    Interlocked.Increment(ref Accepted);
                }
                else
                {
                    Interlocked.Increment(ref Refused);
                }
            }));
            context.RegisterVCpuDiscon(DisconType.All, (_, _) => { if (_done) Interlocked.Increment(ref AfterDone); });
            context.RegisterAtExit(() => AtExitRan = true);
        }
    }

    [Fact]
    public void UninstallFromInsideCallbacksOnEveryVCpuCompletesOnceWithoutDeadlock()
    {
        var u = new Uninstaller();
        var witness = new Counter();
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 3), host =>
        {
            host.Install(u, "uninstaller");
            host.Install(witness, "witness");
        }, machine =>
        {
            Assert.True(u.Done.Wait(GuestRun.HangLimit), "the uninstall never completed");
            long seen = Interlocked.Read(ref witness.Blocks);
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref witness.Blocks) > seen + 10_000, GuestRun.HangLimit), "the machine stopped running after the uninstall");
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.Equal(1, u.Accepted);
        Assert.Equal(1, u.DoneCalls);
        Assert.Equal(0, u.AfterDone);
        Assert.False(u.AtExitRan); // an uninstalled plugin's at-exit callbacks are gone too
        Assert.True(witness.AtExitRan); // the other plugin's are not
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Counter : IRivetPlugin
    {
        public long Blocks;
        public bool AtExitRan;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block => block.RegisterExecute((_, _) => Interlocked.Increment(ref Blocks)));
            context.RegisterAtExit(() => AtExitRan = true);
        }
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class ResetThenUninstall : IRivetPlugin
    {
        public int ResetDone, UninstallDone, UninstallAccepted;
        public long AfterDone;
        public readonly ManualResetEventSlim Done = new();
        private int _asked;

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterBlockTranslated(block => block.RegisterExecute((_, _) =>
            {
                if (Done.IsSet) Interlocked.Increment(ref AfterDone);
                if (Interlocked.Exchange(ref _asked, 1) != 0) return;
                Assert.True(context.Reset(() => Interlocked.Increment(ref ResetDone)));
                if (context.Uninstall(() =>
                {
                    Interlocked.Increment(ref UninstallDone);
                    Done.Set();
                }))
                {
                    UninstallAccepted++;
                }
            }));
        }
    }

    [Fact]
    public void AnUninstallOvertakesAPendingReset()
    {
        var p = new ResetThenUninstall();
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 2), host => host.Install(p, "both"), machine =>
        {
            Assert.True(p.Done.Wait(GuestRun.HangLimit), "the uninstall never completed");
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.Equal(1, p.UninstallAccepted);
        Assert.Equal(1, p.UninstallDone);
        Assert.Equal(0, p.ResetDone); // the plugin was gone before its reset could complete
        Assert.Equal(0, p.AfterDone);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class EarlyControl : IRivetPlugin
    {
        public string? Error;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Error = Assert.Throws<InvalidOperationException>(() => context.Uninstall()).Message;
            context.FlushInstrumentation(); // harmless before the start
        }
    }

    [Fact]
    public void UninstallDuringInstallIsRefused()
    {
        var p = new EarlyControl();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(p, "early"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("plugin 'early': Uninstall is only valid once the plugin is installed", p.Error);
    }
}
