using System.Text;
using System.Text.Json;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>
/// Whatever a client sends, it gets QEMU's error reply or a clean close; the machine keeps
/// running, other clients are unaffected, and nothing leaks.
/// </summary>
public sealed class QmpBadInputTests
{
    private static async Task AssertStillServes(QmpRig rig, QmpClient c)
    {
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        Assert.Equal(Rivet.RunState.Running, rig.Machine.RunState);
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "{\"execute\": query-status}\r\n", "JSON parse error, " },
        { "{\"execute\" \"stop\"}\r\n", "JSON parse error, " },
        { "{\"execute\": \"stop\",}\r\n", "JSON parse error, " },
        { "}\r\n", "JSON parse error, " },
        { "\u0004\r\n", "JSON parse error, " },
        { "{'execute': 'stop'}\r\n", "JSON parse error, " },
        { "{\"execute\": \"stop\", \"execute\": \"cont\"}\r\n", "JSON parse error, " },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedJsonGetsAParseErrorAndTheConnectionStaysUsable(string input, string descPrefix)
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        await c.SendRawAsync(input);
        Received r = await c.NextResponseAsync();
        (string cls, string desc) = QmpClient.ErrorOf(r.Message);
        Assert.Equal("GenericError", cls);
        Assert.StartsWith(descPrefix, desc);
        Assert.False(r.Message.TryGetProperty("id", out _));
        await AssertStillServes(rig, c);
        Assert.Empty(c.Events); // in particular: the bad "stop" did not run
    }

    [Fact]
    public async Task InvalidUtf8AndAByte0xFfAreParseErrors()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        // The QMP spec's way to reset a server's parser: send 0xFF.
        await c.SendRawAsync([0xFF, (byte)'\n']);
        Assert.StartsWith("JSON parse error, ", QmpClient.ErrorOf((await c.NextResponseAsync()).Message).Desc);
        await c.SendRawAsync([.. "{\"execute\": \"quer"u8, 0xC3, 0x28, .. "\"}\r\n"u8]);
        Assert.StartsWith("JSON parse error, ", QmpClient.ErrorOf((await c.NextResponseAsync()).Message).Desc);
        await AssertStillServes(rig, c);
    }

    [Fact]
    public async Task AParseErrorDropsTheRestOfItsLineOnly()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        // The error is on the first line; the command on the next line still runs.
        await c.SendRawAsync("{\"execute\": oops, \"id\": 1} {\"execute\": \"stop\", \"id\": 2}\n{\"execute\": \"query-name\", \"id\": 3}\n");
        Assert.StartsWith("JSON parse error", QmpClient.ErrorOf((await c.NextResponseAsync()).Message).Desc);
        Received next = await c.NextResponseAsync();
        Assert.Equal(3, next.Message.GetProperty("id").GetInt32());
        Assert.Equal(Rivet.RunState.Running, rig.Machine.RunState);
    }

    public static TheoryData<string, string> NotARequest() => new()
    {
        { "[{\"execute\": \"stop\"}]", "QMP input must be a JSON object" },
        { "42", "QMP input must be a JSON object" },
        { "\"stop\"", "QMP input must be a JSON object" },
        { "null", "QMP input must be a JSON object" },
        { "{}", "QMP input lacks member 'execute'" },
        { "{\"arguments\": {}}", "QMP input lacks member 'execute'" },
        { "{\"execute\": 1}", "QMP input member 'execute' must be a string" },
        { "{\"execute\": \"stop\", \"arguments\": []}", "QMP input member 'arguments' must be an object" },
        { "{\"execute\": \"stop\", \"argument\": {}}", "QMP input member 'argument' is unexpected" },
    };

    [Theory]
    [MemberData(nameof(NotARequest))]
    public async Task ValuesThatAreNotRequestsGetQemusErrors(string input, string desc)
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        await c.SendRawAsync(input + "\r\n");
        Assert.Equal(("GenericError", desc), QmpClient.ErrorOf((await c.NextResponseAsync()).Message));
        await AssertStillServes(rig, c);
        Assert.Empty(c.Events);
    }

    [Fact]
    public async Task UnknownCommandsAreCommandNotFound()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal(("CommandNotFound", "The command query-block has not been found"), await c.ErrorOfAsync("query-block"));
        Assert.Equal(("CommandNotFound", "The command STOP has not been found"), await c.ErrorOfAsync("STOP"));
        Assert.Equal(("CommandNotFound", "The command  has not been found"), await c.ErrorOfAsync(""));
        await AssertStillServes(rig, c);
    }

    [Fact]
    public async Task MissingMistypedAndUnexpectedArguments()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal(("GenericError", "Parameter 'command-line' is missing"), await c.ErrorOfAsync("human-monitor-command"));
        Assert.Equal(("GenericError", "Parameter 'command-line' is missing"), await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["cpu-index"] = 0 }));
        Assert.Equal(("GenericError", "Invalid parameter type for 'command-line', expected: string"),
            await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = 5 }));
        Assert.Equal(("GenericError", "Invalid parameter type for 'cpu-index', expected: integer"),
            await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info status", ["cpu-index"] = 1.5 }));
        Assert.Equal(("GenericError", "Invalid parameter type for 'cpu-index', expected: integer"),
            await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "info status", ["cpu-index"] = "0" }));
        Assert.Equal(("GenericError", "Parameter 'verbose' is unexpected"),
            await c.ErrorOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = "stop", ["verbose"] = true }));
        // Commands without parameters refuse any, and do nothing.
        Assert.Equal(("GenericError", "Parameter 'force' is unexpected"), await c.ErrorOfAsync("stop", new { force = true }));
        Assert.Equal(("GenericError", "Parameter 'x' is unexpected"), await c.ErrorOfAsync("quit", new { x = 1 }));
        Assert.Equal(("GenericError", "Parameter 'y' is unexpected"), await c.ErrorOfAsync("system_reset", new { y = 1 }));
        await AssertStillServes(rig, c);
        Assert.Empty(c.Events);
    }

    [Fact]
    public async Task AnOverlongMessageGetsAnErrorAndTheConnectionIsClosed()
    {
        using QmpRig rig = QmpRig.Start(options: new QmpServerOptions { MaxMessageBytes = 64 * 1024 });
        await using QmpClient bystander = await rig.ConnectAsync();
        await using QmpClient c = await rig.ConnectAsync();
        // An unterminated string that never ends: the server must not buffer it forever.
        var huge = new StringBuilder("{\"execute\": \"query-status\", \"id\": \"");
        huge.Append('x', 200 * 1024);
        Task send = c.SendRawAsync(huge.ToString()); // may fail once the server hangs up
        Received r = await c.NextResponseAsync();
        Assert.Equal(("GenericError", "JSON token size limit exceeded"), QmpClient.ErrorOf(r.Message));
        Assert.True(await c.WaitForCloseAsync(), "the server kept the connection open");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await send;
            await c.SendRawAsync(new string(' ', 1 << 20)); // a closed peer fails a large send
        });
        await AssertStillServes(rig, bystander);
        Assert.True(rig.Server.WaitForSessions(n => n == 1, QmpClient.Deadline));
        Assert.Contains("longer than", rig.Diagnostics);
    }

    [Fact]
    public async Task AMessageJustUnderTheLimitIsServed()
    {
        using QmpRig rig = QmpRig.Start(options: new QmpServerOptions { MaxMessageBytes = 64 * 1024 });
        await using QmpClient c = await rig.ConnectAsync();
        string id = new('y', 60 * 1024);
        await c.SendRawAsync(QmpClient.Request("query-name", id: id));
        Received r = await c.NextResponseAsync();
        Assert.Equal(id, r.Message.GetProperty("id").GetString());
    }

    [Fact]
    public async Task AClientThatDisconnectsMidCommandLeavesTheMachineRunningAndTheServerClean()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient watcher = await rig.ConnectAsync();
        for (int i = 0; i < 20; i++)
        {
            QmpClient c = await rig.ConnectAsync();
            // stop then cont, and hang up without reading the replies; half a message at the end
            await c.SendRawAsync("{\"execute\":\"stop\"}{\"execute\":\"cont\"}{\"execute\":\"query-st");
            c.Abort();
            await c.DisposeAsync();
        }
        Assert.True(rig.Server.WaitForSessions(n => n == 1, QmpClient.Deadline), $"sessions left: {rig.Server.ActiveSessions}");
        // Whatever ran ran completely: STOP and RESUME alternate. A stop whose client hung up
        // before its cont was read may leave the machine paused, which is legitimate: resume it.
        await watcher.ReturnOfAsync("query-status");
        IReadOnlyList<Received> events = watcher.Events;
        for (int i = 0; i < events.Count; i++) Assert.Equal(i % 2 == 0 ? "STOP" : "RESUME", events[i].EventName);
        await watcher.ReturnOfAsync("cont");
        await AssertStillServes(rig, watcher);
    }

    [Fact]
    public async Task AFloodOfPipelinedCommandsIsAnsweredInOrder()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        const int N = 5000;
        var text = new StringBuilder();
        for (int i = 0; i < N; i++) text.Append(QmpClient.Request(i % 3 == 0 ? "query-status" : i % 3 == 1 ? "query-name" : "query-cpus-fast", id: i));
        Task send = c.SendRawAsync(text.ToString()); // concurrently with reading: the server pushes back when its reply window is full
        for (int i = 0; i < N; i++)
        {
            Received r = await c.NextResponseAsync();
            Assert.Equal(i, r.Message.GetProperty("id").GetInt32());
            Assert.True(r.Message.TryGetProperty("return", out _), r.Line);
        }
        await send;
        await AssertStillServes(rig, c);
    }

    [Fact]
    public async Task AClientThatNeverReadsIsDisconnectedAndDoesNotStallTheMachine()
    {
        using QmpRig rig = QmpRig.Start(harts: 1, options: new QmpServerOptions { EventBacklog = 50 });
        // A raw socket that negotiates and then never reads again.
        using var deaf = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        deaf.ReceiveBufferSize = 4096;
        await deaf.ConnectAsync(QmpClient.EndPointOf(rig.Endpoint));
        await deaf.SendAsync("{\"execute\":\"qmp_capabilities\"}\r\n"u8.ToArray());
        await using QmpClient c = await rig.ConnectAsync();
        Assert.True(rig.Server.WaitForSessions(n => n == 2, QmpClient.Deadline));
        // Long event lines (RESET carries data) fill the deaf client's socket buffers, then its backlog.
        int cycles = 0;
        while (rig.Server.ActiveSessions == 2)
        {
            Assert.True(cycles < 20_000, "the deaf client was never disconnected");
            await c.ReturnOfAsync("system_reset");
            cycles++;
        }
        Assert.True(rig.Server.WaitForSessions(n => n == 1, QmpClient.Deadline));
        Assert.Contains("events not read; disconnected", rig.Diagnostics);
        await AssertStillServes(rig, c);
        Assert.Equal(cycles, c.Events.Count(e => e.EventName == "RESET"));
    }

    [Fact]
    public async Task ManyClientsAtOnce()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        const int N = 64;
        QmpClient[] clients = await Task.WhenAll(Enumerable.Range(0, N).Select(_ => rig.ConnectAsync()));
        try
        {
            Assert.Equal(N, rig.Server.ActiveSessions);
            JsonElement[] statuses = await Task.WhenAll(clients.Select(c => c.ReturnOfAsync("query-status")));
            Assert.All(statuses, s => Assert.Equal("running", s.GetProperty("status").GetString()));
            await clients[7].ReturnOfAsync("stop");
            await Task.WhenAll(clients.Select(async c => Assert.Equal("STOP", (await c.NextEventAsync()).EventName)));
        }
        finally
        {
            foreach (QmpClient c in clients) await c.DisposeAsync();
        }
        Assert.True(rig.Server.WaitForSessions(n => n == 0, QmpClient.Deadline));
        Assert.Equal(N, rig.Server.SessionsAccepted);
    }
}

/// <summary>Tests that count the process's open sockets: they run alone.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

[Collection(nameof(SerialCollection))]
public sealed class QmpLeakTests
{
    private static int OpenSockets() => new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
        .Count(f => f.LinkTarget is string t && t.StartsWith("socket:", StringComparison.Ordinal));

    /// <summary>The monitor's per-client threads alive in this process.</summary>
    private static int ClientThreads() => Directory.EnumerateDirectories("/proc/self/task")
        .Count(t => File.ReadAllText(Path.Combine(t, "comm")).StartsWith("qmp-client", StringComparison.Ordinal));

    [Fact]
    public async Task TwoHundredConnectDisconnectCyclesLeaveNoSessionsSocketsOrThreads()
    {
        QmpRig rig = QmpRig.Start(harts: 2);
        // Warm up once (the runtime's own sockets, if any, open now).
        await (await rig.ConnectAsync()).DisposeAsync();
        Assert.True(rig.Server.WaitForSessions(n => n == 0, QmpClient.Deadline));
        int before = OpenSockets();
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            QmpClient c = await rig.ConnectAsync(negotiate: i % 4 != 0);
            switch (rng.Next(5))
            {
                case 0: break;                                                       // hang up at once
                case 1: await c.ExecuteAsync("query-status"); break;                 // a command, then hang up
                case 2: await c.SendRawAsync("{\"execute\":\"query-cpus-f"); break;  // half a message
                case 3: await c.SendRawAsync(QmpClient.Request("system_reset")); break; // a waiting command in flight
                default: await c.SendRawAsync("{\"execute\": oops}\r\n"); break;    // an error in flight
            }
            await c.DisposeAsync();
        }
        Assert.True(rig.Server.WaitForSessions(n => n == 0, QmpClient.Deadline), $"{rig.Server.ActiveSessions} sessions still open");
        Assert.Equal(201, rig.Server.SessionsAccepted);
        Assert.Equal(before, OpenSockets());
        // And the server still works.
        await using (QmpClient last = await rig.ConnectAsync())
        {
            Assert.Equal("running", (await last.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        }
        rig.Dispose(); // joins what is left of the session threads
        Assert.Equal(0, ClientThreads());
    }

    [Fact]
    public async Task DisposingTheServerClosesEveryClientAndItsSocketFile()
    {
        using var dir = new TempDir();
        var machine = new Rivet.Machine.Machine(new Rivet.Board.MachineConfig { Harts = 1, RamSize = 16UL << 20, Kernel = Repo.Guest("build/lifecycle/idle_forever.elf") }, new MemoryStream(), TextWriter.Null);
        var server = new QmpServer(machine);
        int before = OpenSockets();
        QmpEndpoint ep = server.Listen(new QmpEndpoint { Transport = QmpTransport.Unix, Path = dir.File("s.sock") });
        machine.Start();
        QmpClient[] clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => QmpClient.ConnectAsync(QmpClient.EndPointOf(ep))));
        machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0);
        Assert.Equal(0, machine.WaitForExit(QmpRig.ExitLimit));
        server.Dispose();
        foreach (QmpClient c in clients)
        {
            Assert.True(await c.WaitForCloseAsync());
            // The final SHUTDOWN went out before the close.
            Assert.Equal("SHUTDOWN", c.Events.Last().EventName);
            await c.DisposeAsync();
        }
        Assert.False(File.Exists(dir.File("s.sock")));
        Assert.Equal(0, server.ActiveSessions);
        Assert.Equal(before, OpenSockets());
        machine.Dispose();
    }
}
