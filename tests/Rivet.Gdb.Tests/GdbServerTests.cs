using System.Net.Sockets;
using Rivet.Qmp;

namespace Rivet.Gdb.Tests;

public sealed class GdbServerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static GdbClient Connect(QmpEndpoint ep)
    {
        Socket s;
        if (ep.Transport == QmpTransport.Tcp)
        {
            s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Connect("127.0.0.1", ep.Port);
            s.NoDelay = true;
        }
        else
        {
            s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(ep.Path));
        }
        return new GdbClient(s);
    }

    [Theory]
    [InlineData("tcp::1234", QmpTransport.Tcp, "", 1234, false)]
    [InlineData("tcp:127.0.0.1:0", QmpTransport.Tcp, "127.0.0.1", 0, false)]
    [InlineData("unix:/tmp/g.sock,server", QmpTransport.Unix, "", 0, true)]
    [InlineData("unix:/tmp/g.sock,server=on,wait=off", QmpTransport.Unix, "", 0, false)]
    public void EndpointsParseAsQemu(string device, QmpTransport transport, string host, int port, bool wait)
    {
        QmpEndpoint ep = GdbEndpoint.Parse(device);
        Assert.Equal((transport, host, port, wait), (ep.Transport, ep.Host, ep.Port, ep.Wait));
    }

    [Theory]
    [InlineData("unix:/tmp/g.sock", "only listens")]
    [InlineData("udp::1234", "unsupported gdb device 'udp'")]
    [InlineData("tcp:1234", "expected HOST:PORT")]
    [InlineData("tcp::99999", "not a port number")]
    public void BadEndpointsGetOneLineReasons(string device, string fragment)
        => Assert.Contains(fragment, Assert.Throws<FormatException>(() => GdbEndpoint.Parse(device)).Message);

    [Fact]
    public void OneGdbAtATimeTheNextWaitsUntilTheFirstHasGone()
    {
        var target = new FakeTarget();
        using GdbServer server = GdbServer.Listen(target, GdbEndpoint.Parse("tcp:127.0.0.1:0"));
        using GdbClient first = Connect(server.BoundEndpoint);
        Assert.Equal("T05thread:01;", first.Ask("?"));
        using GdbClient second = Connect(server.BoundEndpoint); // connects: the kernel's backlog
        second.Send("qC");
        // The first is served after the second asked; the second was not (no second attach).
        Assert.Equal("QC01", first.Ask("qC"));
        Assert.Single(target.Calls, c => c == "Attach");
        first.Dispose();
        Assert.Equal("QC01", second.ReadPacket().Payload);
        Assert.Equal(2, target.Calls.Count(c => c == "Attach"));
        Assert.Single(target.Calls, c => c == "Detach"); // the closed connection detached
        Assert.True(server.WaitForSessionsServed(1, Limit));
        Assert.True(server.IsConnected);
    }

    [Fact]
    public void UnixSocketIsOwnerOnlyAndRemovedAtClose()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-gdb-").FullName;
        string path = Path.Combine(dir, "gdb.sock");
        try
        {
            var target = new FakeTarget();
            GdbServer server = GdbServer.Listen(target, GdbEndpoint.Parse($"unix:{path},server"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using (GdbClient c = Connect(server.BoundEndpoint))
            {
                Assert.True(server.WaitForConnection(Limit));
                Assert.Equal("OK", c.Ask("D"));
                Assert.Equal("", c.ReadToEnd());
            }
            Assert.True(server.WaitForSessionsServed(1, Limit));
            server.Dispose();
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DisposeClosesAConnectedSessionPromptlyWithoutDetaching()
    {
        var target = new FakeTarget { NextStop = null };
        GdbServer server = GdbServer.Listen(target, GdbEndpoint.Parse("tcp:127.0.0.1:0"));
        using GdbClient c = Connect(server.BoundEndpoint);
        c.Send("c");
        target.WaitForCall(call => call.StartsWith("Resume", StringComparison.Ordinal));
        long start = Environment.TickCount64;
        server.Dispose();
        Assert.True(Environment.TickCount64 - start < 10_000, "closing took longer than its deadline allows");
        Assert.Equal("+", c.ReadToEnd()); // the ack of 'c', then the end
        Assert.DoesNotContain("Detach", target.Calls);
        Assert.False(server.IsConnected);
    }

    [Fact]
    public void DisposeWithNoClientEndsTheAcceptLoop()
    {
        GdbServer server = GdbServer.Listen(new FakeTarget(), GdbEndpoint.Parse("tcp:127.0.0.1:0"));
        int port = server.BoundEndpoint.Port;
        server.Dispose();
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Throws<SocketException>(() => s.Connect("127.0.0.1", port));
    }

    [Fact]
    public void BindErrorsAreOneLine()
    {
        using GdbServer first = GdbServer.Listen(new FakeTarget(), GdbEndpoint.Parse("tcp:127.0.0.1:0"));
        var ex = Assert.Throws<QmpBindException>(() => GdbServer.Listen(new FakeTarget(), GdbEndpoint.Parse($"tcp:127.0.0.1:{first.BoundEndpoint.Port}")));
        Assert.StartsWith($"Failed to bind socket to tcp:127.0.0.1:{first.BoundEndpoint.Port}: ", ex.Message);
    }
}
