using System.Diagnostics;
using System.Text.Json;
using Rivet.Machine;
using Xunit.Abstractions;

namespace Rivet.Monitor.Tests;

/// <summary>
/// Thousands of stop / cont / system_reset from several clients at once, against busy, idle and
/// IPI-passing harts (and idle harts whose idle callback is slow), ending in quit. Checked: no
/// hang, every reply arrives and succeeds, every client sees the same events, STOP and RESUME
/// alternate, each query-status agrees with the events before it in the same stream, every
/// system_reset produced one RESET, and quit ends the machine with code 0.
/// </summary>
[Collection(nameof(SerialCollection))]
public sealed class QmpStressTests(ITestOutputHelper output)
{
    private const int Commanders = 3;          // clients sending stop / cont / system_reset / query-status
    private const int CommandsPerClient = 1000; // per client, observer included
    private const int Harts = 4;

    private sealed class SlowIdleHook : IVCpuHooks
    {
        public void OnIdle(int cpuIndex) => Thread.Sleep(1);
        public void OnResume(int cpuIndex) { }
    }

    [Theory]
    [InlineData("spin_forever", false)]
    [InlineData("idle_forever", false)]
    [InlineData("ipi_forever", false)]
    [InlineData("idle_forever", true)]
    public async Task StopContResetFromSeveralClientsStaysConsistent(string guest, bool slowIdleCallback)
    {
        var sw = Stopwatch.StartNew();
        using QmpRig rig = QmpRig.Start($"lifecycle/{guest}.elf", Harts,
            beforeStart: m => { if (slowIdleCallback) m.Controller.Hooks = new SlowIdleHook(); });
        QmpClient[] clients = await Task.WhenAll(Enumerable.Range(0, Commanders + 1).Select(_ => rig.ConnectAsync()));
        try
        {
            // Each stream starts with a known state: no command has run yet, so no event is in flight.
            foreach (QmpClient c in clients) Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());

            int resets = 0;
            async Task Commander(QmpClient c, int seed)
            {
                var rng = new Random(seed);
                for (int i = 0; i < CommandsPerClient; i++)
                {
                    int roll = rng.Next(100);
                    string command = roll < 35 ? "stop" : roll < 70 ? "cont" : roll < 85 ? "system_reset" : "query-status";
                    JsonElement r = await c.ExecuteAsync(command);
                    Assert.True(r.TryGetProperty("return", out _), $"{command} failed: {r}");
                    if (command == "system_reset") Interlocked.Increment(ref resets);
                }
            }
            async Task Observer(QmpClient c)
            {
                for (int i = 0; i < CommandsPerClient; i++) await c.ReturnOfAsync("query-status");
            }
            await Task.WhenAll(clients.Take(Commanders).Select((c, i) => Commander(c, i + 1)).Append(Observer(clients[Commanders])))
                .WaitAsync(TimeSpan.FromSeconds(120));

            // One more query each: every event caused by the commands precedes its reply.
            foreach (QmpClient c in clients) await c.ReturnOfAsync("query-status");
            string[][] streams = clients.Select(c => CheckStream(c)).ToArray();
            for (int i = 1; i < streams.Length; i++) Assert.Equal(streams[0], streams[i]);
            Assert.Equal(resets, streams[0].Count(e => e == "RESET"));
            Assert.True(streams[0].Count(e => e == "STOP") > 10, $"too few effective stops to mean anything: {streams[0].Length} events");
            bool running = streams[0].LastOrDefault(e => e is "STOP" or "RESUME") != "STOP";
            Assert.Equal(running ? RunState.Running : RunState.Paused, rig.Machine.RunState);

            await clients[0].ReturnOfAsync("quit");
            Assert.Equal(0, rig.Machine.WaitForExit(QmpRig.ExitLimit));
            foreach (QmpClient c in clients)
            {
                Received shutdown = await c.NextEventAsync("SHUTDOWN");
                Assert.Equal("host-qmp-quit", shutdown.Message.GetProperty("data").GetProperty("reason").GetString());
            }
            output.WriteLine($"{guest}{(slowIdleCallback ? " (slow idle callback)" : "")}: {(Commanders + 1) * CommandsPerClient} commands, "
                + $"{streams[0].Length} events ({streams[0].Count(e => e == "STOP")} STOP, {resets} RESET) in {sw.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (QmpClient c in clients) await c.DisposeAsync();
        }
        Assert.True(rig.Server.WaitForSessions(n => n == 0, QmpClient.Deadline));
        Assert.DoesNotContain("did not complete", rig.Diagnostics);
    }

    /// <summary>
    /// Walks one client's stream in order: STOP only while running, RESUME only while not, and
    /// every query-status reply agrees with the events before it. Returns the event names.
    /// </summary>
    private static string[] CheckStream(QmpClient c)
    {
        Assert.Null(c.FramingViolation);
        bool? running = null;
        var events = new List<string>();
        foreach (Received r in c.Transcript)
        {
            if (r.IsEvent)
            {
                string name = r.EventName!;
                events.Add(name);
                Assert.True(running != null, $"event before the first query-status: {r.Line}");
                if (name == "STOP")
                {
                    Assert.True(running, $"STOP while already stopped, at message {r.Seq}: {c.Describe()}");
                    running = false;
                }
                else if (name == "RESUME")
                {
                    Assert.False(running, $"RESUME while already running, at message {r.Seq}: {c.Describe()}");
                    running = true;
                }
                else
                {
                    Assert.Equal("RESET", name);
                }
            }
            else if (r.Message.TryGetProperty("return", out JsonElement ret) && ret.ValueKind == JsonValueKind.Object && ret.TryGetProperty("status", out JsonElement status))
            {
                bool reported = status.GetString() == "running";
                Assert.Equal(reported, ret.GetProperty("running").GetBoolean());
                if (running != null)
                    Assert.True(reported == running, $"query-status says {status} after events that say {(running == true ? "running" : "stopped")}, at message {r.Seq}");
                running = reported;
            }
        }
        return [.. events];
    }
}
