using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Rivet.Monitor.Tests;

/// <summary>The rivet command with -qmp, as a child process.</summary>
public sealed class QmpProcessTests
{
    private const int SIGTERM = 15;

    private static string Guest(string name) => Repo.Guest($"build/lifecycle/{name}.elf");

    [Fact]
    public async Task ServesQmpOnAUnixSocketAndQuitEndsTheProcessWithZero()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-machine", "virt", "-bios", "none", "-nographic", "-smp", "4", "-name", "box",
            "-kernel", Guest("spin_forever"), "-qmp", $"unix:{sock},server,wait=off");
        await using QmpClient c = await p.ConnectAsync(sock);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sock));
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        Assert.Equal("box", (await c.ReturnOfAsync("query-name")).GetProperty("name").GetString());
        Assert.Equal(4, (await c.ReturnOfAsync("query-cpus-fast")).GetArrayLength());
        await c.ReturnOfAsync("stop");
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        Assert.Equal("paused", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        await c.ReturnOfAsync("cont");
        Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
        int before = c.Transcript.Count;
        await c.ReturnOfAsync("quit");
        Received shutdown = await c.NextEventAsync();
        Assert.Equal("SHUTDOWN", shutdown.EventName);
        Assert.Equal("host-qmp-quit", shutdown.Message.GetProperty("data").GetProperty("reason").GetString());
        Assert.True(await c.WaitForCloseAsync(), "rivet kept the connection open after quit");
        Assert.Equal(0, p.WaitForExit());
        // The reply came before the event, and nothing after it.
        Assert.Equal(2, c.Transcript.Count - before);
        Assert.False(File.Exists(sock), "the socket file was left behind");
        Assert.Null(c.FramingViolation);
    }

    [Fact]
    public async Task WaitOnHoldsTheMachineUntilTheFirstClientConnects()
    {
        // htif_pass exits the moment it runs: had rivet started it before our connection, the
        // process would be gone and the connection refused.
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-nographic", "-kernel", Repo.Guest("build/htif/htif_pass.elf"), "-qmp", $"unix:{sock},server=on,wait=on");
        Assert.Equal($"rivet: waiting for a QMP connection on unix:{sock}", await p.FirstErrorLineAsync());
        Assert.False(p.HasExited);
        await using QmpClient c = await QmpClient.ConnectAsync(new UnixDomainSocketEndPoint(sock), negotiate: false);
        Assert.True(await c.WaitForCloseAsync());
        Assert.Equal(0, p.WaitForExit());
    }

    [Fact]
    public async Task WaitOnWithMinusSStaysInPrelaunchUntilCont()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-S", "-nographic", "-kernel", Repo.Guest("build/htif/htif_pass.elf"), "-qmp", $"unix:{sock},server");
        await p.FirstErrorLineAsync();
        await using QmpClient c = await QmpClient.ConnectAsync(new UnixDomainSocketEndPoint(sock));
        Assert.Equal("prelaunch", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        Assert.False(p.HasExited);
        await c.ReturnOfAsync("cont");
        Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
        Received shutdown = await c.NextEventAsync();
        Assert.Equal("SHUTDOWN", shutdown.EventName);
        Assert.Equal("{\"guest\":true,\"reason\":\"guest-shutdown\"}", shutdown.Message.GetProperty("data").GetRawText());
        Assert.True(await c.WaitForCloseAsync());
        Assert.Equal(0, p.WaitForExit());
    }

    [Fact]
    public async Task MinusSWithoutWaitStartsInPrelaunch()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-S", "-smp", "2", "-nographic", "-kernel", Guest("idle_forever"), "-qmp", $"unix:{sock},server,wait=off");
        await using QmpClient c = await p.ConnectAsync(sock);
        Assert.Equal("prelaunch", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        await c.ReturnOfAsync("cont");
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        await c.ReturnOfAsync("quit");
        Assert.Equal(0, p.WaitForExit());
    }

    [Fact]
    public async Task SeveralEndpointsAndSeveralClients()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        int port = FreePort();
        using RivetProcess p = RivetProcess.Start("-nographic", "-kernel", Guest("spin_forever"),
            "-qmp", $"unix:{sock},server,wait=off", "-qmp", $"tcp:127.0.0.1:{port},server,nowait");
        await using QmpClient u = await p.ConnectAsync(sock);
        await using QmpClient t = await QmpClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await t.ReturnOfAsync("stop");
        Assert.Equal("STOP", (await u.NextEventAsync()).EventName);
        Assert.Equal("paused", (await u.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        await u.ReturnOfAsync("quit");
        Assert.Equal("SHUTDOWN", (await t.NextEventAsync("SHUTDOWN")).EventName);
        Assert.Equal(0, p.WaitForExit());
    }

    /// <summary>A port nobody listens on right now (the kernel's choice); rivet binds it a moment later.</summary>
    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task TheGuestsOwnExitClosesTheClientsAfterTheShutdownEvent()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-S", "-nographic", "-kernel", Repo.Guest("build/htif/htif_fail.elf"), "-qmp", $"unix:{sock},server,wait=off");
        await using QmpClient c = await p.ConnectAsync(sock);
        await c.ReturnOfAsync("cont");
        Received shutdown = await c.NextEventAsync("SHUTDOWN");
        Assert.True(shutdown.Message.GetProperty("data").GetProperty("guest").GetBoolean());
        Assert.True(await c.WaitForCloseAsync());
        Assert.NotEqual(0, p.WaitForExit()); // the guest's failure code, not the monitor's business
    }

    [Fact]
    public async Task SigtermWhileWaitingForAClientExitsCleanly()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-nographic", "-kernel", Guest("spin_forever"), "-qmp", $"unix:{sock},server");
        await p.FirstErrorLineAsync(); // waiting: the machine exists, its main loop runs in prelaunch
        Assert.Equal(0, Rivet.Tests.RivetProcess.Kill(p.Id, SIGTERM));
        Assert.Equal(0, p.WaitForExit());
        Assert.Contains("terminating on signal 15", p.StdErr);
        Assert.False(File.Exists(sock));
    }

    public static TheoryData<string, string> BadValues() => new()
    {
        { "unix:/nonexistent-dir/x.sock", "Failed to connect to '/nonexistent-dir/x.sock': No such file or directory" },
        { "pipe:/nonexistent-dir/x", "Could not open '/nonexistent-dir/x': No such file or directory" },
        { "tcp:localhost,server", "expected HOST:PORT" },
        { "unix:/tmp/x.sock,server,wait=sometimes", "expected on or off" },
        { "unix:/no/such/dir/q.sock,server,wait=off", "Failed to bind socket" },
        { "tcp:192.0.2.1:4444,server,wait=off", "Failed to bind socket to tcp:192.0.2.1:4444" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void MalformedOrUnusableQmpValuesAreOneLineAndExitOne(string value, string message)
    {
        (int code, string err) = RivetProcess.Run("-nographic", "-kernel", Guest("spin_forever"), "-qmp", value);
        Assert.Equal(1, code);
        string[] lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("rivet: -qmp", lines[0]);
        Assert.Contains(message, lines[0]);
    }

    [Fact]
    public async Task MinusNameTakesQemusSyntax()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-S", "-nographic", "-kernel", Guest("idle_forever"),
            "-name", "guest=web,,1,process=rivet-web,debug-threads=on", "-qmp", $"unix:{sock},server,wait=off");
        await using QmpClient c = await p.ConnectAsync(sock);
        Assert.Equal("web,1", (await c.ReturnOfAsync("query-name")).GetProperty("name").GetString());
        await c.ReturnOfAsync("quit");
        Assert.Equal(0, p.WaitForExit());

        (int code, string err) = RivetProcess.Run("-nographic", "-kernel", Guest("idle_forever"), "-name", "web,colour=blue");
        Assert.Equal(1, code);
        Assert.Equal("rivet: -name web,colour=blue: unsupported option 'colour=blue'", err.Trim());
    }

    [Fact]
    public void MinusQmpWithoutAValueIsAUsageError()
    {
        (int code, string err) = RivetProcess.Run("-nographic", "-kernel", Guest("spin_forever"), "-qmp");
        Assert.Equal(1, code);
        Assert.Equal("rivet: -qmp: requires an argument", err.Trim());
    }

    [Fact]
    public async Task QuerySaysTheCpuThreadsAreTheProcesssOwn()
    {
        using var dir = new TempDir();
        string sock = dir.File("q.sock");
        using RivetProcess p = RivetProcess.Start("-smp", "2", "-nographic", "-kernel", Guest("idle_forever"), "-qmp", $"unix:{sock},server,wait=off");
        await using QmpClient c = await p.ConnectAsync(sock);
        await c.ReturnOfAsync("stop"); // every vCPU thread has run by now
        foreach (JsonElement cpu in (await c.ReturnOfAsync("query-cpus-fast")).EnumerateArray())
        {
            int tid = cpu.GetProperty("thread-id").GetInt32();
            Assert.True(Directory.Exists($"/proc/{p.Id}/task/{tid}"), $"thread {tid} is not a thread of rivet ({p.Id})");
        }
        await c.ReturnOfAsync("quit");
        Assert.Equal(0, p.WaitForExit());
    }
}
