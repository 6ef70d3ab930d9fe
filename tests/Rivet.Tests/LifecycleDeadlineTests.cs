using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// Rule 6: a vCPU stuck in a callback produces a hang report, not a hang. Shutdown still
/// finishes within its deadline and says so with exit code 125.
/// </summary>
public sealed class LifecycleDeadlineTests
{
    /// <summary>An idle hook that blocks one vCPU until released (a plugin that never returns).</summary>
    private sealed class StuckIdleHook(int stuckCpu) : IVCpuHooks, IDisposable
    {
        public readonly ManualResetEvent Entered = new(false);
        private readonly ManualResetEvent _release = new(false);

        public void OnIdle(int cpu)
        {
            if (cpu != stuckCpu) return;
            Entered.Set();
            _release.WaitOne();
        }

        public void OnResume(int cpu)
        {
        }

        public void Dispose() => _release.Set(); // lets the abandoned thread finish after the test
    }

    private static Machine.Machine Build(int harts, LifecycleOptions options, StringWriter diagnostics)
    {
        var config = new MachineConfig
        {
            Harts = harts,
            RamSize = 16 << 20,
            Kernel = Repo.Guest("build/lifecycle/idle_forever.elf"),
            Lifecycle = options,
        };
        return new Machine.Machine(config, Stream.Null, TextWriter.Synchronized(diagnostics));
    }

    [Fact]
    public void ShutdownAbandonsAVCpuStuckInACallbackAndReportsIt()
    {
        var diagnostics = new StringWriter();
        using var hook = new StuckIdleHook(stuckCpu: 1);
        var options = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(300) };
        using var m = Build(3, options, diagnostics);
        m.Controller.Hooks = hook;
        m.Start();
        Assert.True(hook.Entered.WaitOne(GuestRun.HangLimit));
        m.RequestShutdown(ShutdownCause.HostSignal);
        int? code = m.WaitForExit(GuestRun.HangLimit);
        Assert.Equal(ExitCodes.AbandonedThread, code);
        string report;
        lock (diagnostics) report = diagnostics.ToString();
        Assert.Contains("shutdown did not complete within its deadline", report);
        Assert.Contains("vCPU 1: Running", report);
        Assert.Contains("inside callback 'vcpu-idle'", report);
        Assert.Contains("vCPU 0: Stopped", report);
        Assert.Contains("vCPU 2: Stopped", report);
    }

    [Fact]
    public void PauseReportsAStuckVCpuInsteadOfHanging()
    {
        var diagnostics = new StringWriter();
        using var hook = new StuckIdleHook(stuckCpu: 0);
        var options = new LifecycleOptions { PauseTimeout = TimeSpan.FromMilliseconds(300), ShutdownTimeout = TimeSpan.FromMilliseconds(300) };
        using var m = Build(2, options, diagnostics);
        m.Controller.Hooks = hook;
        m.Start();
        Assert.True(hook.Entered.WaitOne(GuestRun.HangLimit));
        Assert.False(m.Pause()); // reported, not hung
        string report;
        lock (diagnostics) report = diagnostics.ToString();
        Assert.Contains("pause did not complete within its deadline", report);
        Assert.Contains("vCPU 0: Running", report);
        Assert.Contains("vCPU 1: Stopped", report);
        Assert.Equal(VCpuState.Stopped, m.VCpus[1].State);
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(ExitCodes.AbandonedThread, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public async Task SlowIdleCallbackDelaysShutdownByAboutOneCallbackNotOnePerVCpu()
    {
        // Every vCPU's idle hook takes 200 ms; they sleep in parallel on their own threads, so
        // shutdown (deadline 20 s) completes and nobody is abandoned.
        var hooks = new SlowHooks(TimeSpan.FromMilliseconds(200));
        var diagnostics = new StringWriter();
        using var m = Build(8, new LifecycleOptions { ShutdownTimeout = TimeSpan.FromSeconds(20) }, diagnostics);
        m.Controller.Hooks = hooks;
        m.Start();
        await hooks.AllEntered(8).WaitAsync(GuestRun.HangLimit);
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    private sealed class SlowHooks(TimeSpan delay) : IVCpuHooks
    {
        private readonly HashSet<int> _entered = [];
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _want = int.MaxValue;

        public Task AllEntered(int count)
        {
            lock (_entered)
            {
                _want = count;
                if (_entered.Count >= _want) _all.TrySetResult();
            }
            return _all.Task;
        }

        public void OnIdle(int cpu)
        {
            lock (_entered)
            {
                _entered.Add(cpu);
                if (_entered.Count >= _want) _all.TrySetResult();
            }
            Thread.Sleep(delay); // the plugin's own slowness, not a test wait
        }

        public void OnResume(int cpu)
        {
        }
    }
}
