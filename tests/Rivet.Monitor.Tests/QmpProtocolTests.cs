using System.Text.Json;
using Rivet.Machine;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>The protocol as the QMP spec describes it: greeting, negotiation, commands, ids, events, framing.</summary>
public sealed class QmpProtocolTests
{
    [Fact]
    public async Task GreetingAnnouncesVersionAndOobThenNegotiationEntersCommandMode()
    {
        using QmpRig rig = QmpRig.Start(options: new QmpServerOptions { Version = "1.2.3" });
        await using QmpClient c = await rig.ConnectAsync(negotiate: false);
        // The QEMU interface level Rivet implements; the package names Rivet's own version.
        JsonElement qemu = c.Greeting.GetProperty("version").GetProperty("qemu");
        Assert.Equal(7, qemu.GetProperty("major").GetInt32());
        Assert.Equal(2, qemu.GetProperty("minor").GetInt32());
        Assert.Equal(0, qemu.GetProperty("micro").GetInt32());
        Assert.Equal(" (Rivet 1.2.3)", c.Greeting.GetProperty("version").GetProperty("package").GetString());
        Assert.Equal(["oob"], c.Greeting.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));

        // Negotiation mode: everything but qmp_capabilities is refused, with QEMU's wording.
        foreach (string command in new[] { "query-status", "stop", "quit", "no-such-command" })
        {
            (string cls, string desc) = await c.ErrorOfAsync(command);
            Assert.Equal("CommandNotFound", cls);
            Assert.Equal("Expecting capabilities negotiation with 'qmp_capabilities'", desc);
        }
        Assert.Equal(RunState.Running, rig.Machine.RunState); // the refused stop did nothing

        Assert.Equal(JsonValueKind.Object, (await c.ReturnOfAsync("qmp_capabilities")).ValueKind);
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());

        (string again, string againDesc) = await c.ErrorOfAsync("qmp_capabilities");
        Assert.Equal("CommandNotFound", again);
        Assert.Equal("Capabilities negotiation is already complete, command ignored", againDesc);
        Assert.Null(c.FramingViolation);
    }

    [Fact]
    public async Task NoEventsBeforeNegotiation()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient quiet = await rig.ConnectAsync(negotiate: false);
        await using QmpClient loud = await rig.ConnectAsync();
        await loud.ReturnOfAsync("stop");
        await loud.ReturnOfAsync("cont");
        await loud.NextEventAsync("RESUME");
        // The quiet client's next message must be the reply to its negotiation, not STOP/RESUME.
        await quiet.ReturnOfAsync("qmp_capabilities");
        await quiet.ReturnOfAsync("stop");
        Assert.Equal(["STOP"], quiet.Events.Select(e => e.EventName));
    }

    [Fact]
    public async Task OobCanBeEnabledButNoCommandRunsOutOfBand()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync(negotiate: false);
        await c.ReturnOfAsync("qmp_capabilities", new { enable = new[] { "oob" } });
        await c.SendRawAsync("{\"exec-oob\": \"query-status\", \"id\": \"x\"}\r\n");
        JsonElement r = (await c.NextResponseAsync()).Message;
        Assert.Equal(("GenericError", "The command query-status does not support OOB"), QmpClient.ErrorOf(r));
        Assert.Equal("x", r.GetProperty("id").GetString());

        await using QmpClient plain = await rig.ConnectAsync();
        await plain.SendRawAsync("{\"exec-oob\": \"query-status\"}\r\n");
        Assert.Equal(("GenericError", "QMP input member 'exec-oob' is unexpected"), QmpClient.ErrorOf((await plain.NextResponseAsync()).Message));
    }

    [Fact]
    public async Task QmpCapabilitiesChecksItsArguments()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync(negotiate: false);
        Assert.Equal(("GenericError", "Invalid parameter type for 'enable', expected: array"), await c.ErrorOfAsync("qmp_capabilities", new { enable = "oob" }));
        Assert.Equal(("GenericError", "Parameter 'enable[0]' does not accept value 'turbo'"), await c.ErrorOfAsync("qmp_capabilities", new { enable = new[] { "turbo" } }));
        Assert.Equal(("GenericError", "Invalid parameter type for 'enable[0]', expected: string"), await c.ErrorOfAsync("qmp_capabilities", new { enable = new[] { 1 } }));
        Assert.Equal(("GenericError", "Parameter 'bogus' is unexpected"), await c.ErrorOfAsync("qmp_capabilities", new { bogus = true }));
        // Still negotiating after all of that.
        Assert.Equal("CommandNotFound", (await c.ErrorOfAsync("query-status")).Class);
        await c.ReturnOfAsync("qmp_capabilities", new { enable = Array.Empty<string>() });
        await c.ReturnOfAsync("query-status");
    }

    public static TheoryData<string> Ids() => new()
    {
        "1",
        "-0.5e3",
        "12345678901234567890123",
        "\"a string\"",
        "{\"nested\":[1,{\"x\":null},true]}",
        "[]",
        "null",
        "false",
    };

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task IdIsEchoedVerbatimOnSuccessAndError(string id)
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        await c.SendRawAsync($"{{\"execute\": \"query-name\", \"id\": {id}}}\r\n");
        Received ok = await c.NextResponseAsync();
        await c.SendRawAsync($"{{\"execute\": \"no-such\", \"id\": {id}}}\r\n");
        Received bad = await c.NextResponseAsync();
        foreach (Received r in new[] { ok, bad })
        {
            Assert.True(r.Message.TryGetProperty("id", out JsonElement echoed), r.Line);
            Assert.Equal(id, echoed.GetRawText());
        }
        Assert.True(ok.Message.TryGetProperty("return", out _));
        Assert.True(bad.Message.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task NoIdMeansNoIdInTheReply()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        await c.SendRawAsync("{\"execute\": \"query-name\"}\r\n");
        Received r = await c.NextResponseAsync();
        Assert.False(r.Message.TryGetProperty("id", out _), r.Line);
        Assert.Equal("{\"return\":{}}\r\n", r.Line);
    }

    [Fact]
    public async Task MessagesMaySpanLinesAndShareLinesAndArriveByteByByte()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        // Three on one line, one spread over lines with tabs, CRs and spaces.
        await c.SendRawAsync("{\"execute\":\"query-name\",\"id\":1}{\"execute\":\"query-name\",\"id\":2} {\"execute\":\"query-name\",\"id\":3}\r\n");
        await c.SendRawAsync("\r\n{\r\n\t\"execute\"\r\n:\r\n \"query-status\",\n\"id\":\n4\n}\n");
        // One sent a byte at a time, with a multi-byte UTF-8 character in its id.
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes("{\"execute\":\"query-name\",\"id\":\"\u00e9\u6f22\"}")) await c.SendRawAsync([b]);
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            Received r = await c.NextResponseAsync();
            Assert.True(r.Message.TryGetProperty("return", out _), r.Line);
            ids.Add(r.Message.GetProperty("id").ToString());
        }
        Assert.Equal(["1", "2", "3", "4", "\u00e9\u6f22"], ids);
        Assert.Null(c.FramingViolation);
    }

    [Fact]
    public async Task QueryCommandsListsEveryCommandAndEachOneAnswers()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        string[] names = (await c.ReturnOfAsync("query-commands")).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray();
        string[] expected = ["qmp_capabilities", "query-version", "query-commands", "query-status", "query-name", "query-cpus-fast",
            "query-target", "query-kvm", "query-machines", "query-cpu-definitions", "query-chardev", "query-hotpluggable-cpus",
            "query-memory-size-summary", "query-iothreads", "query-qmp-schema",
            "stop", "cont", "system_reset", "system_powerdown", "quit", "human-monitor-command"];
        Assert.Equal(expected.Order(), names.Order());
        JsonElement version = await c.ReturnOfAsync("query-version");
        Assert.Equal(c.Greeting.GetProperty("version").GetRawText(), version.GetRawText());
    }

    [Fact]
    public async Task QueryNameReportsTheNameOnlyWhenThereIsOne()
    {
        using (QmpRig rig = QmpRig.Start())
        {
            await using QmpClient c = await rig.ConnectAsync();
            Assert.Equal("{}", (await c.ReturnOfAsync("query-name")).GetRawText());
        }
        using (QmpRig rig = QmpRig.Start(options: new QmpServerOptions { Name = "guest \"one\"" }))
        {
            await using QmpClient c = await rig.ConnectAsync();
            Assert.Equal("guest \"one\"", (await c.ReturnOfAsync("query-name")).GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task QueryCpusFastShowsEveryHartWithItsHostThread()
    {
        using QmpRig rig = QmpRig.Start(harts: 3);
        await using QmpClient c = await rig.ConnectAsync();
        // A vCPU's thread id is known once its thread runs; the stop handshake guarantees that.
        await c.ReturnOfAsync("stop");
        JsonElement[] cpus = (await c.ReturnOfAsync("query-cpus-fast")).EnumerateArray().ToArray();
        Assert.Equal(3, cpus.Length);
        IReadOnlyList<VCpuInfo> vcpus = rig.Machine.VCpus;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, cpus[i].GetProperty("cpu-index").GetInt32());
            Assert.Equal($"/machine/soc0/harts[{i}]", cpus[i].GetProperty("qom-path").GetString());
            Assert.Equal("riscv64", cpus[i].GetProperty("target").GetString());
            Assert.Equal(i, cpus[i].GetProperty("props").GetProperty("core-id").GetInt32());
            int tid = cpus[i].GetProperty("thread-id").GetInt32();
            Assert.Equal(vcpus[i].HostThreadId, tid);
            // A real host thread of this process, and not the test's own.
            Assert.True(Directory.Exists($"/proc/self/task/{tid}"), $"thread-id {tid} is not a thread of this process");
            Assert.Equal($"vcpu-{i}", File.ReadAllText($"/proc/self/task/{tid}/comm").Trim());
        }
    }

    [Fact]
    public async Task EventsCarryTimestampsAndDataAsQemuSendsThem()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await c.ReturnOfAsync("stop");
        await c.ReturnOfAsync("system_reset");
        await c.ReturnOfAsync("system_powerdown");
        await c.ReturnOfAsync("cont");
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Received[] events = [await c.NextEventAsync(), await c.NextEventAsync(), await c.NextEventAsync(), await c.NextEventAsync()];
        Assert.Equal(["STOP", "RESET", "POWERDOWN", "RESUME"], events.Select(e => e.EventName));
        foreach (Received e in events)
        {
            JsonElement ts = e.Message.GetProperty("timestamp");
            long s = ts.GetProperty("seconds").GetInt64();
            long us = ts.GetProperty("microseconds").GetInt64();
            Assert.InRange(s, before, after);
            Assert.InRange(us, 0, 999_999);
        }
        JsonElement reset = events[1].Message.GetProperty("data");
        Assert.False(reset.GetProperty("guest").GetBoolean());
        Assert.Equal("host-qmp-system-reset", reset.GetProperty("reason").GetString());
        // STOP, RESUME and POWERDOWN carry no data; QEMU leaves the member out.
        Assert.False(events[0].Message.TryGetProperty("data", out _));
        Assert.False(events[2].Message.TryGetProperty("data", out _));
        Assert.Null(c.FramingViolation);
    }

    [Fact]
    public async Task EveryClientGetsEveryEvent()
    {
        using QmpRig rig = QmpRig.Start();
        QmpClient[] clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => rig.ConnectAsync()));
        try
        {
            await clients[0].ReturnOfAsync("stop");
            await clients[1].ReturnOfAsync("system_reset");
            await clients[2].ReturnOfAsync("cont");
            foreach (QmpClient c in clients)
            {
                Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
                Assert.Equal("RESET", (await c.NextEventAsync()).EventName);
                Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
            }
        }
        finally
        {
            foreach (QmpClient c in clients) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task WorksOverTcpToo()
    {
        using QmpRig rig = QmpRig.Start(tcp: true);
        Assert.NotEqual(0, rig.Endpoint.Port);
        await using QmpClient c = await rig.ConnectAsync();
        await c.ReturnOfAsync("stop");
        Assert.Equal("paused", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
    }

    [Fact]
    public async Task HumanMonitorCommandSpeaksALittleHmp()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("VM status: running\r\n", (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info status" })).GetString());
        Assert.Equal("", (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "stop" })).GetString());
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        Assert.Equal("VM status: paused\r\n", (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info status" })).GetString());
        string cpus = (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info cpus", ["cpu-index"] = 1 })).GetString()!;
        Assert.Matches(@"^  CPU #0: thread_id=\d+\r\n\* CPU #1: thread_id=\d+\r\n$", cpus);
        Assert.Equal("unknown command: 'frobnicate'\r\n", (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "frobnicate" })).GetString());
        Assert.Equal(("GenericError", "Parameter 'cpu-index' expects a CPU number"),
            await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info cpus", ["cpu-index"] = 2 }));
    }
}
