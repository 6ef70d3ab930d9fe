using System.Text.Json;
using Rivet.Machine;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>stop, cont, system_reset, system_powerdown, quit and their events, with QEMU's semantics.</summary>
public sealed class QmpRunControlTests
{
    private static async Task<string> StatusAsync(QmpClient c)
    {
        JsonElement s = await c.ReturnOfAsync("query-status");
        Assert.False(s.GetProperty("singlestep").GetBoolean());
        string status = s.GetProperty("status").GetString()!;
        Assert.Equal(status == "running", s.GetProperty("running").GetBoolean());
        return status;
    }

    /// <summary>The names of the messages after the last greeting/qmp_capabilities reply: events by name, replies as "return"/"error".</summary>
    private static string[] Stream(QmpClient c, int skip) => c.Transcript.Skip(skip)
        .Select(r => r.EventName ?? (r.Message.TryGetProperty("return", out _) ? "return" : "error")).ToArray();

    [Theory]
    [InlineData("lifecycle/spin_forever.elf")]
    [InlineData("lifecycle/idle_forever.elf")]
    [InlineData("lifecycle/ipi_forever.elf")]
    public async Task StopReturnsOnceEveryVCpuHasStoppedAndContRunsThemAgain(string guest)
    {
        using QmpRig rig = QmpRig.Start(guest, harts: 4);
        await using QmpClient c = await rig.ConnectAsync();
        int skip = c.Transcript.Count;
        await c.ReturnOfAsync("stop");
        // Synchronous, as QEMU's vm_stop: by the time the reply is read every vCPU is parked.
        Assert.All(rig.Machine.VCpus, v => Assert.Equal(VCpuState.Stopped, v.State));
        Assert.Equal(RunState.Paused, rig.Machine.RunState);
        Assert.Equal("paused", await StatusAsync(c));
        ulong frozen = rig.Machine.InstructionsRetired;
        Assert.Equal("paused", await StatusAsync(c));
        Assert.Equal(frozen, rig.Machine.InstructionsRetired);

        await c.ReturnOfAsync("cont");
        Assert.Equal("running", await StatusAsync(c));
        // The event comes before the reply of the command that caused it.
        Assert.Equal(["STOP", "return", "return", "return", "RESUME", "return", "return"], Stream(c, skip));
    }

    [Fact]
    public async Task StopWhenPausedAndContWhenRunningDoNothingAndSendNoEvent()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        int skip = c.Transcript.Count;
        await c.ReturnOfAsync("cont");
        await c.ReturnOfAsync("stop");
        await c.ReturnOfAsync("stop");
        await c.ReturnOfAsync("cont");
        Assert.Equal(["return", "STOP", "return", "return", "RESUME", "return"], Stream(c, skip));
    }

    [Fact]
    public async Task SystemResetKeepsTheRunStateAndSaysWhy()
    {
        using QmpRig rig = QmpRig.Start("lifecycle/spin_forever.elf", harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        await c.ReturnOfAsync("system_reset");
        Received reset = await c.NextEventAsync();
        Assert.Equal("RESET", reset.EventName);
        Assert.Equal("{\"guest\":false,\"reason\":\"host-qmp-system-reset\"}", reset.Message.GetProperty("data").GetRawText());
        Assert.Equal("running", await StatusAsync(c));

        await c.ReturnOfAsync("stop");
        await c.ReturnOfAsync("system_reset");
        Assert.Equal("paused", await StatusAsync(c));
        Assert.Equal(new string?[] { "STOP", "RESET" }, new[] { (await c.NextEventAsync()).EventName, (await c.NextEventAsync()).EventName });
        // A reset while paused restarts the guest from its entry point once it runs again.
        Assert.All(rig.Machine.VCpus, v => Assert.Equal(0x1000UL, v.ProgramCounter)); // the reset ROM
    }

    [Fact]
    public async Task SystemPowerdownOnlyAnnouncesItself()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        await c.ReturnOfAsync("system_powerdown");
        Assert.Equal("POWERDOWN", (await c.NextEventAsync()).EventName);
        // The virt board has no power button: the guest does not see it and keeps running.
        Assert.Equal("running", await StatusAsync(c));
    }

    [Fact]
    public async Task QuitRepliesFirstThenShutsDownWithCodeZero()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        await using QmpClient other = await rig.ConnectAsync();
        int skip = c.Transcript.Count;
        await c.ReturnOfAsync("quit");
        Assert.Equal(0, rig.Machine.WaitForExit(QmpRig.ExitLimit));
        Received shutdown = await c.NextEventAsync("SHUTDOWN");
        Assert.Equal("{\"guest\":false,\"reason\":\"host-qmp-quit\"}", shutdown.Message.GetProperty("data").GetRawText());
        Assert.Equal(["return", "SHUTDOWN"], Stream(c, skip));
        Assert.Equal("SHUTDOWN", (await other.NextEventAsync()).EventName);
        Assert.Equal(RunState.Shutdown, rig.Machine.RunState);
        // After the final SHUTDOWN: run control refuses, queries still answer.
        Assert.Equal(("GenericError", "The machine is shutting down"), await other.ErrorOfAsync("stop"));
        Assert.Equal("shutdown", await StatusAsync(other));
    }

    /// <summary>
    /// CloseAtShutdown (the rivet process's setting): every client gets the quit reply and the
    /// SHUTDOWN event, then end of file, and the socket file is gone, before the server is disposed.
    /// </summary>
    [Fact]
    public async Task CloseAtShutdownFlushesThenClosesBeforeDispose()
    {
        using QmpRig rig = QmpRig.Start(harts: 2, options: new QmpServerOptions { CloseAtShutdown = true });
        await using QmpClient c = await rig.ConnectAsync();
        await using QmpClient other = await rig.ConnectAsync();
        int skip = c.Transcript.Count;
        await c.ReturnOfAsync("quit");
        Assert.Equal(0, rig.Machine.WaitForExit(QmpRig.ExitLimit));
        Assert.Equal("SHUTDOWN", (await c.NextEventAsync("SHUTDOWN")).EventName);
        Assert.Equal("SHUTDOWN", (await other.NextEventAsync("SHUTDOWN")).EventName);
        Assert.True(await c.WaitForCloseAsync(), "the quitting client was not closed");
        Assert.True(await other.WaitForCloseAsync(), "the other client was not closed");
        Assert.Equal(["return", "SHUTDOWN"], Stream(c, skip));
        Assert.False(File.Exists(rig.Endpoint.Path), "the socket file is still there");
    }

    [Fact]
    public async Task QuitFromAClientThatHangsUpAtOnceStillQuits()
    {
        using QmpRig rig = QmpRig.Start();
        QmpClient c = await rig.ConnectAsync();
        await c.SendRawAsync(QmpClient.Request("quit"));
        await c.DisposeAsync(); // the reply cannot be delivered; the command still counts
        Assert.Equal(0, rig.Machine.WaitForExit(QmpRig.ExitLimit));
    }

    [Fact]
    public async Task GuestShutdownWithNoShutdownNeedsSystemResetBeforeCont()
    {
        using QmpRig rig = QmpRig.Start("lifecycle/spin_then_pass.elf", harts: 2,
            tweak: m => m with { Lifecycle = m.Lifecycle with { NoShutdown = true } }, start: false);
        await using QmpClient c = await rig.ConnectAsync();
        rig.Machine.Start();
        Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
        Received shutdown = await c.NextEventAsync();
        Assert.Equal("SHUTDOWN", shutdown.EventName);
        Assert.Equal("{\"guest\":true,\"reason\":\"guest-shutdown\"}", shutdown.Message.GetProperty("data").GetRawText());
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        Assert.Equal("shutdown", await StatusAsync(c));

        Assert.Equal(("GenericError", "Resetting the Virtual Machine is required"), await c.ErrorOfAsync("cont"));
        Assert.Equal("shutdown", await StatusAsync(c));
        await c.ReturnOfAsync("system_reset");
        Assert.Equal("RESET", (await c.NextEventAsync()).EventName);
        Assert.Equal("paused", await StatusAsync(c));
        await c.ReturnOfAsync("cont");
        Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
        // The guest runs again from the start, and shuts down again.
        Assert.Equal("SHUTDOWN", (await c.NextEventAsync()).EventName);
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        Assert.Equal("shutdown", await StatusAsync(c));
        Assert.Null(rig.Machine.WaitForExit(TimeSpan.Zero)); // still alive: -no-shutdown
    }

    [Fact]
    public async Task InPrelaunchStatusSaysSoAndContStartsTheMachine()
    {
        using QmpRig rig = QmpRig.Start(tweak: m => m with { StartPaused = true });
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("prelaunch", await StatusAsync(c));
        await c.ReturnOfAsync("stop"); // as QEMU: nothing to stop, no event
        Assert.Equal("prelaunch", await StatusAsync(c));
        await c.ReturnOfAsync("cont");
        Assert.Equal("running", await StatusAsync(c));
        Assert.Equal(["RESUME"], c.Events.Select(e => e.EventName));
    }

    [Fact]
    public async Task HeldCommandsWaitForOpen()
    {
        using QmpRig rig = QmpRig.Start(options: new QmpServerOptions { HoldCommandsUntilOpen = true }, tweak: m => m with { StartPaused = true });
        await using QmpClient c = await rig.ConnectAsync(negotiate: false); // the greeting comes at once
        await c.SendRawAsync(QmpClient.Request("qmp_capabilities", id: 1));
        Task<Received> reply = c.NextResponseAsync();
        Assert.False(reply.IsCompleted);
        rig.Server.Open();
        Assert.Equal(1, (await reply).Message.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task AWaitingCommandDoesNotHoldUpOtherClientsOrEvents()
    {
        // A slow idle callback holds up the pause handshake of an idle hart (and with it the main
        // loop); meanwhile another client's commands are still answered.
        var hook = new GatedIdleHook();
        using QmpRig rig = QmpRig.Start("lifecycle/idle_forever.elf", harts: 2, beforeStart: m => m.Controller.Hooks = hook);
        await using QmpClient a = await rig.ConnectAsync();
        await using QmpClient b = await rig.ConnectAsync();
        await a.ReturnOfAsync("stop");
        hook.Gate.Reset(); // from now on an idle callback blocks until the gate opens
        await a.ReturnOfAsync("cont");
        for (int i = 0; i < 2; i++) Assert.True(hook.Entered.Wait(QmpClient.Deadline), "the harts never went idle");
        Task<JsonElement> stop = a.ReturnOfAsync("stop"); // cannot finish: both harts are inside the callback
        for (int i = 0; i < 20; i++) Assert.Equal("running", await StatusAsync(b));
        Assert.Equal(2, (await b.ReturnOfAsync("query-cpus-fast")).GetArrayLength());
        Assert.False(stop.IsCompleted);
        hook.Gate.Set();
        await stop;
        Assert.Equal("paused", await StatusAsync(b));
        Assert.Equal("STOP", (await b.NextEventAsync("STOP")).EventName);
    }

    private sealed class GatedIdleHook : IVCpuHooks
    {
        public ManualResetEventSlim Gate { get; } = new(true);
        public SemaphoreSlim Entered { get; } = new(0);

        public void OnIdle(int cpuIndex)
        {
            if (Gate.IsSet) return;
            Entered.Release();
            Gate.Wait(QmpClient.Deadline);
        }

        public void OnResume(int cpuIndex)
        {
        }
    }
}
