using Rivet.Machine;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Threads a plugin starts itself: a foreground one cannot keep rivet alive after shutdown, and an
/// exception nobody catches on one ends the run with one line naming the plugin and exit code 123.
/// </summary>
public sealed class ThreadContainmentTests
{
    private static string Elf(byte[] program, string name) => TinyElf.WriteTemp(TinyElf.Build(0x80000000, program), name);

    /// <summary>Starts a thread in Install that waits for <see cref="Release"/> (or for its at-exit callback, if asked).</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Starter(bool background, bool releaseAtExit) : IRivetPlugin
    {
        public readonly ManualResetEventSlim Release = new();
        public Thread? Worker;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Worker = new Thread(() => Release.Wait()) { Name = "starter-worker", IsBackground = background };
            Worker.Start();
            if (releaseAtExit) context.RegisterAtExit(Release.Set);
        }
    }

    private static readonly LifecycleOptions ShortShutdown = new() { ShutdownTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public void ForegroundThreadStillRunningAtTheDeadlineIsReportedAndAbandoned()
    {
        var plugin = new Starter(background: false, releaseAtExit: false);
        try
        {
            PluginRunResult r = PluginRun.Run(Programs.Config(TinyElf.PassProgram, lifecycle: ShortShutdown), h => h.Install(plugin, "starter"));
            Assert.Equal(ExitCodes.AbandonedThread, r.ExitCode);
            Assert.Equal(
                "rivet: plugin 'starter' thread 'starter-worker' (a foreground thread it started) was still running at the shutdown deadline; abandoned\n",
                r.Diagnostics.ReplaceLineEndings("\n"));
            Assert.True(plugin.Worker!.IsAlive);
        }
        finally
        {
            plugin.Release.Set();
        }
        Assert.True(plugin.Worker!.Join(GuestRun.HangLimit));
    }

    [Fact]
    public void ForegroundThreadTheAtExitCallbackEndsIsWaitedFor()
    {
        var plugin = new Starter(background: false, releaseAtExit: true);
        PluginRunResult r = PluginRun.Run(Programs.Config(TinyElf.PassProgram, lifecycle: ShortShutdown), h => h.Install(plugin, "starter"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.False(plugin.Worker!.IsAlive); // joined by the shutdown, not merely left behind
    }

    [Fact]
    public void BackgroundThreadIsNotWaitedFor()
    {
        var plugin = new Starter(background: true, releaseAtExit: false);
        try
        {
            PluginRunResult r = PluginRun.Run(Programs.Config(TinyElf.PassProgram, lifecycle: ShortShutdown), h => h.Install(plugin, "starter"));
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("", r.Diagnostics);
            Assert.True(plugin.Worker!.IsAlive);
        }
        finally
        {
            plugin.Release.Set();
        }
    }

    /// <summary>A thread started from a vCPU callback (not from Install) belongs to the plugin too.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class StartsOnInit : IRivetPlugin
    {
        public readonly ManualResetEventSlim Release = new();
        public Thread? Worker;

        public void Install(IPluginContext context, PluginArgs args)
            => context.RegisterVCpuInit(_ =>
            {
                Worker = new Thread(() => Release.Wait()) { Name = "init-worker" };
                Worker.Start();
            });
    }

    [Fact]
    public void ThreadStartedFromAVCpuCallbackIsThePlugins()
    {
        var plugin = new StartsOnInit();
        try
        {
            PluginRunResult r = PluginRun.Run(Programs.Config(TinyElf.PassProgram, lifecycle: ShortShutdown), h => h.Install(plugin, "oninit"));
            Assert.Equal(ExitCodes.AbandonedThread, r.ExitCode);
            Assert.Contains("rivet: plugin 'oninit' thread 'init-worker' (a foreground thread it started) was still running at the shutdown deadline; abandoned", r.Diagnostics);
        }
        finally
        {
            plugin.Release.Set();
        }
    }

    /// <summary>On the thread pool, without the plugin's execution context, the plugin is found on the stack.</summary>
    [Fact]
    public void ExceptionFromAPluginAssemblyIsAttributedByItsStack()
    {
        string path = PluginAssemblies.EmitThreadPlugin("attributed", PluginAssemblies.ThreadBody.ThrowInInstall);
        (IRivetPlugin plugin, string name, _) = PluginLoader.Resolve(path);
        Exception ex = Assert.Throws<InvalidOperationException>(() => plugin.Install(null!, PluginArgs.Empty));
        Assert.Equal("attributed", name);
        Assert.Equal("attributed", PluginHost.OwnerOfUnhandledException(ex));
        Assert.Null(PluginHost.OwnerOfUnhandledException(Assert.Throws<FormatException>(() => int.Parse("x", System.Globalization.CultureInfo.InvariantCulture))));
    }

    // ---- the rivet command ----

    [Fact]
    public void ForegroundThreadCannotKeepRivetAlive()
    {
        string plugin = PluginAssemblies.EmitThreadPlugin("sleeper", PluginAssemblies.ThreadBody.SleepForever);
        var r = RivetProcess.Run("-kernel", Elf(TinyElf.PassProgram, "pass.elf"), "-shutdown-timeout", "1", "-plugin", plugin);
        Assert.Equal(ExitCodes.AbandonedThread, r.Code);
        Assert.Equal("rivet: plugin 'sleeper' thread 'plugin-worker' (a foreground thread it started) was still running at the shutdown deadline; abandoned\n", r.Err);
    }

    [Fact]
    public void BackgroundThreadDoesNotChangeTheRun()
    {
        string plugin = PluginAssemblies.EmitThreadPlugin("bgsleeper", PluginAssemblies.ThreadBody.SleepForever, background: true);
        var r = RivetProcess.Run("-kernel", Elf(TinyElf.PassProgram, "pass.elf"), "-shutdown-timeout", "1", "-plugin", plugin);
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void ExceptionOnAPluginThreadEndsTheRunWithOneLine()
    {
        string plugin = PluginAssemblies.EmitThreadPlugin("thrower", PluginAssemblies.ThreadBody.Throw, threadName: "doomed");
        var r = RivetProcess.Run("-kernel", Repo.Guest("build/lifecycle/spin_forever.elf"), "-plugin", plugin);
        Assert.Equal(ExitCodes.PluginThreadFailed, r.Code);
        Assert.Equal("rivet: plugin 'thrower' thread 'doomed' threw InvalidOperationException: boom on a plugin thread; ending the run (exit code 123)\n", r.Err);
    }

    [Fact]
    public void ExceptionInAPluginsThreadPoolWorkEndsTheRunWithOneLine()
    {
        string plugin = PluginAssemblies.EmitThreadPlugin("poolthrower", PluginAssemblies.ThreadBody.ThrowOnPool);
        var r = RivetProcess.Run("-kernel", Repo.Guest("build/lifecycle/spin_forever.elf"), "-plugin", plugin);
        Assert.Equal(ExitCodes.PluginThreadFailed, r.Code);
        string[] lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("rivet: plugin 'poolthrower' thread '", lines[0]);
        Assert.EndsWith("' threw InvalidOperationException: boom on the pool; ending the run (exit code 123)", lines[0]);
    }
}
