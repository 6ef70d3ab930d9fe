using System.Net;
using System.Net.Sockets;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>-qmp values, and the sockets they become: permissions, stale files, exact addresses.</summary>
public sealed class QmpEndpointTests
{
    public static TheoryData<string, QmpEndpoint> Valid() => new()
    {
        { "unix:/tmp/x.sock,server,wait=off", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/x.sock", Wait = false } },
        { "unix:/tmp/x.sock,server=on,wait=off", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/x.sock", Wait = false } },
        { "unix:/tmp/x.sock,server,nowait", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/x.sock", Wait = false } },
        { "unix:/tmp/x.sock,server", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/x.sock", Wait = true } },
        { "unix:/tmp/x.sock,server=yes,wait=on", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/x.sock", Wait = true } },
        { "unix:rel/x.sock,wait=off,server", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "rel/x.sock", Wait = false } },
        { "unix:/tmp/a,,b.sock,server,wait=off", new QmpEndpoint { Transport = QmpTransport.Unix, Path = "/tmp/a,b.sock", Wait = false } },
        { "tcp:127.0.0.1:4444,server,wait=off", new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "127.0.0.1", Port = 4444, Wait = false } },
        { "tcp:localhost:4444,server=on,wait=off,nodelay", new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "localhost", Port = 4444, Wait = false } },
        { "tcp:[::1]:5555,server,nowait", new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "::1", Port = 5555, Wait = false } },
        { "tcp::4444,server", new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "", Port = 4444, Wait = true } },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void ParsesQemusSpellings(string spec, QmpEndpoint expected) => Assert.Equal(expected, QmpEndpoint.Parse(spec));

    public static TheoryData<string, string> Invalid() => new()
    {
        { "stdio", "unsupported QMP character device 'stdio'" },
        { "telnet:1.2.3.4:5,server", "unsupported QMP character device 'telnet'" },
        { "/tmp/x.sock", "unsupported QMP character device '/tmp/x.sock'" },
        { "unix:,server", "unix: needs a socket path" },
        { "unix:/tmp/x.sock", "only listening sockets are supported" },
        { "unix:/tmp/x.sock,server=off", "only listening sockets are supported" },
        { "unix:/tmp/x.sock,server,wait=maybe", "'wait=maybe': expected on or off" },
        { "unix:/tmp/x.sock,server,telnet", "unsupported option 'telnet'" },
        { "unix:/tmp/x.sock,server,nodelay", "unsupported option 'nodelay'" },
        { "unix:/tmp/x.sock,server,", "empty option" },
        { "tcp:127.0.0.1,server", "expected HOST:PORT" },
        { "tcp:127.0.0.1:http,server", "'http' is not a port number" },
        { "tcp:127.0.0.1:70000,server", "'70000' is not a port number" },
        { "tcp:127.0.0.1:-1,server", "'-1' is not a port number" },
        { "tcp:::1:4444,server", "write an IPv6 address in brackets" },
        { "tcp:[::1]4444,server", "expected [IPV6-ADDRESS]:PORT" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void RejectsWhatItCannotServeWithOneClearLine(string spec, string message)
    {
        FormatException ex = Assert.Throws<FormatException>(() => QmpEndpoint.Parse(spec));
        Assert.Contains(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static UnixFileMode ModeOf(string path) => File.GetUnixFileMode(path);

    [Fact]
    public async Task TheUnixSocketIsOwnerOnlyAndReplacesAStaleFile()
    {
        using var dir = new TempDir();
        string path = dir.File("q.sock");
        File.WriteAllText(path, "a stale file from an earlier run"); // as QEMU: unlinked before bind
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF);                // rwxrwxrwx: must not survive
        using QmpListener l = QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = path });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(path));
        // Nothing else left behind in the directory (the private staging directory is gone).
        Assert.Equal([path], Directory.GetFileSystemEntries(dir.Path));
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        using Socket accepted = await l.Socket.AcceptAsync();
        Assert.True(accepted.Connected);
        l.Dispose();
        Assert.False(File.Exists(path)); // removed at close, as QEMU does
    }

    [Fact]
    public void AnOldListeningSocketAtThePathIsReplacedToo()
    {
        using var dir = new TempDir();
        string path = dir.File("q.sock");
        using QmpListener first = QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = path });
        using QmpListener second = QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = path });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(path));
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        // The connection reached the second listener.
        second.Socket.Blocking = false;
        using Socket accepted = second.Socket.Accept();
        Assert.True(accepted.Connected);
    }

    [Fact]
    public void APathTooLongForAPrivateStagingDirectoryIsBoundUnderAUmaskAndStillOwnerOnly()
    {
        using var dir = new TempDir();
        // A short file name in a directory whose path nearly fills sun_path: the staging path
        // (directory + ".rivet-qmp-XXXXXXXX/s") would not fit, the final one does.
        string deep = dir.Path;
        while (deep.Length < QmpListener.MaxUnixPathBytes - 12) deep = Path.Combine(deep, "d");
        Directory.CreateDirectory(deep);
        string path = Path.Combine(deep, "q.sock");
        Assert.True(path.Length <= QmpListener.MaxUnixPathBytes);
        File.WriteAllText(path, "stale");
        using QmpListener l = QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = path });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(path));
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        // The umask was restored: a file created now gets the usual permissions.
        string probe = Path.Combine(dir.Path, "probe");
        File.WriteAllText(probe, "");
        Assert.True((ModeOf(probe) & UnixFileMode.UserRead) != 0 && (ModeOf(probe) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0
            || UmaskIsStrict(), $"mode after bind: {ModeOf(probe)}");
    }

    /// <summary>True if this process's own umask already hides group/other read (then the check above proves nothing and passes).</summary>
    private static bool UmaskIsStrict()
    {
        string status = File.ReadAllText("/proc/self/status");
        string line = status.Split('\n').First(l => l.StartsWith("Umask:", StringComparison.Ordinal));
        return (Convert.ToInt32(line[6..].Trim(), 8) & 0x24) == 0x24;
    }

    [Fact]
    public void BindErrorsAreOneLine()
    {
        using var dir = new TempDir();
        string tooLong = "/tmp/" + new string('x', 120);
        Assert.Contains("is too long", Assert.Throws<QmpBindException>(() => QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = tooLong })).Message);
        string missing = dir.File("no/such/dir/q.sock");
        Assert.Contains("Failed to bind socket", Assert.Throws<QmpBindException>(() => QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = missing })).Message);
        Directory.CreateDirectory(dir.File("adir"));
        Assert.Contains("Is a directory", Assert.Throws<QmpBindException>(() => QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Unix, Path = dir.File("adir") })).Message);
        Assert.True(Directory.Exists(dir.File("adir")));
        // No directories were created on the way, and no staging directory was left behind.
        Assert.Equal([dir.File("adir")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void TcpBindsExactlyTheAddressGiven()
    {
        using QmpListener l = QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "127.0.0.1", Port = 0 });
        int port = l.BoundEndpoint.Port;
        Assert.NotEqual(0, port);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)l.Socket.LocalEndPoint!).Address);
        using (var ok = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            ok.Connect(new IPEndPoint(IPAddress.Loopback, port));
        }
        // 127.0.0.2 is this host too, but not the address that was bound.
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketException refused = Assert.Throws<SocketException>(() => other.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        // The port is taken now: a second bind fails with one line.
        QmpBindException busy = Assert.Throws<QmpBindException>(() => QmpListener.Bind(new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "127.0.0.1", Port = port }));
        Assert.Contains("Failed to bind socket to tcp:127.0.0.1:", busy.Message);
    }
}
