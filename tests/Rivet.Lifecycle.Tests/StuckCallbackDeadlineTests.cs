using System.Diagnostics;
using Rivet.Lifecycle.Tests.Support;
using Rivet.Machine;
using Xunit.Abstractions;
using Op = Rivet.Lifecycle.Tests.Support.ScriptedHart.Op;

namespace Rivet.Lifecycle.Tests;

/// <summary>
/// Hang route (c) at its worst: a callback that never returns by itself. No protocol can make a
/// vCPU stuck in foreign code acknowledge a pause; LIFECYCLE.md rule 6 makes it a report and a
/// bounded exit instead of a hang. Coyote models timed waits as untimed (HostSync.Systematic), so
/// this one runs with real threads and real deadlines, outside the systematic engine.
/// </summary>
[Collection(CoyoteCollection.Name)]
public class StuckCallbackDeadlineTests(ITestOutputHelper output)
{
    [Fact]
    public void PauseReportsAndShutdownAbandonsAVCpuStuckInACallback()
    {
        HostSync.Systematic = false;
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var diagnostics = new StringWriter();
        Controller? c = null;
        try
        {
            var harts = Enumerable.Range(0, 2)
                .Select(i => new ScriptedHart(i, new Op[] { new ScriptedHart.Run(1), new ScriptedHart.Halt() }))
                .ToArray();
            var hooks = new RecordingHooks(2)
            {
                OnIdleAction = (cpu, count) =>
                {
                    if (cpu != 1 || count != 1) return;
                    entered.Set();
                    release.Wait(); // a plugin waiting for something that never comes
                },
            };
            var options = new LifecycleOptions
            {
                PauseTimeout = TimeSpan.FromMilliseconds(300),
                ShutdownTimeout = TimeSpan.FromMilliseconds(500),
            };
            c = new Controller(options, new NullBoard(), TextWriter.Synchronized(diagnostics));
            c.Attach(harts);
            c.Hooks = hooks;
            c.Start(startPaused: false);
            Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "vCPU 1 never went idle");

            var sw = Stopwatch.StartNew();
            Assert.False(c.Pause(), "a pause cannot complete while a vCPU is stuck in a callback");
            TimeSpan pauseTook = sw.Elapsed;
            Assert.Equal(VCpuState.Stopped, c.VCpus[0].State);
            string report = diagnostics.ToString();
            Assert.Contains("pause did not complete within its deadline", report);
            Assert.Contains("vCPU 1: Running", report);
            Assert.Contains("inside callback 'vcpu-idle'", report);

            sw.Restart();
            c.RequestShutdown(ShutdownCause.HostSignal, 0);
            int? code = c.WaitForExit(TimeSpan.FromSeconds(10));
            TimeSpan shutdownTook = sw.Elapsed;
            output.WriteLine($"pause gave up after {pauseTook.TotalMilliseconds:F0} ms, shutdown exited after {shutdownTook.TotalMilliseconds:F0} ms with {code}");
            output.WriteLine(diagnostics.ToString());
            Assert.Equal(ExitCodes.AbandonedThread, code);
            Assert.True(pauseTook < TimeSpan.FromSeconds(5), $"pause took {pauseTook}");
            Assert.True(shutdownTook < TimeSpan.FromSeconds(5), $"shutdown took {shutdownTook}");
        }
        finally
        {
            release.Set(); // let the abandoned thread finish
            if (c != null)
            {
                foreach (VCpu v in c.VCpus) v.Thread?.Join(TimeSpan.FromSeconds(10));
            }
            HostSync.Systematic = true;
        }
    }

    private sealed class NullBoard : IResettable
    {
        public void ResetState()
        {
        }

        public void Close()
        {
        }

        public void FreezeTime(bool frozen)
        {
        }
    }
}
