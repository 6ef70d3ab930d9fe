using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Rivet.Tests;

/// <summary>
/// Every character-device backend, end to end: rivet runs guests/input/echo.c (prints
/// "echo ready", echoes input, passes after a 'q') with the UART on the backend under test.
/// </summary>
public sealed class ChardevTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rivet-chardev-").FullName;

    private static string Echo => Repo.Guest("build/input/echo.elf");
    private static string Demo => Repo.Guest("build/demo/demo.elf");
    private static string DemoOutput => File.ReadAllText(Path.Combine(Repo.Guests, "demo", "demo.expected"));

    private readonly List<Process> _started = [];

    /// <summary>A rivet that a failed assertion left running is killed, not leaked.</summary>
    public void Dispose()
    {
        foreach (Process p in _started)
        {
            try
            {
                if (!p.HasExited) p.Kill(true);
            }
            catch (InvalidOperationException)
            {
                // already disposed by the test: it ended normally
            }
        }
        Directory.Delete(_dir, recursive: true);
    }

    private Process Start(params string[] args)
    {
        Process p = RivetProcess.Start(args);
        _started.Add(p);
        return p;
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    [Theory]
    [InlineData("-serial", "stdio")]
    [InlineData("-serial", "mon:stdio")]
    [InlineData("-chardev", "stdio,id=con", "-serial", "chardev:con")]
    public void StdioCarriesInputAndOutput(params string[] serial)
    {
        using Process p = Start([.. serial, "-kernel", Echo]);
        p.StandardInput.Write("hello q");
        p.StandardInput.Close();
        Assert.Equal("echo ready\nhello q\n", p.StandardOutput.ReadToEnd());
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void FileTakesTheOutputAndAppendKeepsIt()
    {
        string f = Path.Combine(_dir, "out.txt");
        var r = RivetProcess.Run("-smp", "4", "-kernel", Demo, "-serial", $"file:{f}");
        Assert.Equal((0, ""), (r.Code, r.Out));
        Assert.Equal(DemoOutput, File.ReadAllText(f));
        r = RivetProcess.Run("-smp", "4", "-kernel", Demo, "-chardev", $"file,id=log,path={f}", "-serial", "chardev:log");
        Assert.Equal(DemoOutput, File.ReadAllText(f)); // truncated, as QEMU does by default
        r = RivetProcess.Run("-smp", "4", "-kernel", Demo, "-chardev", $"file,id=log,path={f},append=on", "-serial", "chardev:log");
        Assert.Equal(0, r.Code);
        Assert.Equal(DemoOutput + DemoOutput, File.ReadAllText(f));
    }

    [Fact]
    public void NullDropsTheOutput()
    {
        var r = RivetProcess.Run("-smp", "4", "-kernel", Demo, "-chardev", "null,id=n", "-serial", "chardev:n");
        Assert.Equal((0, "", ""), (r.Code, r.Out, r.Err));
    }

    [Fact]
    public void PipeUsesPathInAndPathOut()
    {
        string p = Path.Combine(_dir, "ser");
        Assert.Equal(0, MkFifo(p + ".in", Convert.ToUInt32("600", 8)));
        Assert.Equal(0, MkFifo(p + ".out", Convert.ToUInt32("600", 8)));
        using Process rivet = Start("-kernel", Echo, "-serial", $"pipe:{p}");
        using (var fromGuest = new FileStream(p + ".out", FileMode.Open, FileAccess.Read))
        using (var toGuest = new FileStream(p + ".in", FileMode.Open, FileAccess.Write))
        {
            toGuest.Write("pipe q"u8);
            toGuest.Flush();
            Assert.Equal("echo ready\npipe q\n", ReadUntil(fromGuest, "q\n"));
        }
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void UnixServerWaitsForItsClientBeforeTheGuestRuns()
    {
        string s = Path.Combine(_dir, "ser.sock");
        using Process rivet = Start("-kernel", Echo, "-serial", $"unix:{s},server");
        Assert.Equal($"rivet: -serial unix:{s},server: info: QEMU waiting for connection on: disconnected:unix:{s},server=on", rivet.StandardError.ReadLine());
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(s));
        using var stream = new NetworkStream(client);
        // The guest was held until now, so its first line was not dropped.
        Assert.Equal("echo ready\n", ReadUntil(stream, "\n"));
        stream.Write("unix q"u8);
        Assert.Equal("unix q\n", ReadUntil(stream, "q\n"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
        Assert.False(File.Exists(s)); // removed at exit
    }

    [Fact]
    public void TcpServerReportsItsPortAndTakesTheNextClient()
    {
        using Process rivet = Start("-kernel", Echo, "-chardev", "socket,id=s0,host=127.0.0.1,port=0,server=on,wait=on", "-serial", "chardev:s0");
        string line = rivet.StandardError.ReadLine() ?? "";
        const string marker = "QEMU waiting for connection on: disconnected:tcp:127.0.0.1:";
        Assert.Contains(marker, line);
        int port = int.Parse(line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        using (var first = new TcpClient("127.0.0.1", port))
        {
            NetworkStream s = first.GetStream();
            Assert.Equal("echo ready\n", ReadUntil(s, "\n"));
            s.Write("ab\n"u8); // the console flushes at line ends (and when the guest idles)
            Assert.Equal("ab\n", ReadUntil(s, "ab\n"));
        }
        // The first client left; the server accepts the next one and the same guest goes on.
        using var second = new TcpClient("127.0.0.1", port);
        NetworkStream t = second.GetStream();
        t.Write("cq"u8);
        Assert.Equal("cq\n", ReadUntil(t, "q\n"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void ServerWithWaitOffRunsAtOnce()
    {
        string s = Path.Combine(_dir, "nowait.sock");
        using Process rivet = Start("-kernel", Echo, "-serial", $"unix:{s},server,wait=off");
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        ConnectWhenBound(client, s, rivet);
        using var stream = new NetworkStream(client);
        stream.Write("zq"u8);
        Assert.EndsWith("zq\n", ReadUntil(stream, "q\n"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
        Assert.Equal("", rivet.StandardError.ReadToEnd()); // no waiting message
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ClientConnectsToTheGivenServer(bool unix)
    {
        string s = Path.Combine(_dir, "listen.sock");
        using var listener = unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(unix ? new UnixDomainSocketEndPoint(s) : new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        string spec = unix ? $"socket,id=c,path={s}" : $"socket,id=c,host=127.0.0.1,port={((IPEndPoint)listener.LocalEndPoint!).Port}";
        using Process rivet = Start("-kernel", Echo, "-chardev", spec, "-serial", "chardev:c");
        using Socket peer = listener.Accept();
        using var stream = new NetworkStream(peer);
        Assert.Equal("echo ready\n", ReadUntil(stream, "\n"));
        stream.Write("client q"u8);
        Assert.Equal("client q\n", ReadUntil(stream, "q\n"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void SignalWhileWaitingForAClientEndsTheRun()
    {
        string s = Path.Combine(_dir, "sig.sock");
        using Process rivet = Start("-kernel", Echo, "-serial", $"unix:{s},server=on");
        Assert.Contains("QEMU waiting for connection on", rivet.StandardError.ReadLine());
        Assert.Equal(0, RivetProcess.Kill(rivet.Id, 15));
        Assert.True(rivet.WaitForExit(60_000), "rivet did not exit after SIGTERM while waiting for a client");
        Assert.Equal(0, rivet.ExitCode);
        Assert.Equal("", rivet.StandardOutput.ReadToEnd());
        Assert.False(File.Exists(s));
    }

    [Fact]
    public void MonControlServesQmpOnTheChardevSocket()
    {
        string s = Path.Combine(_dir, "qmp.sock");
        using Process rivet = Start("-kernel", Echo, "-serial", "null", "-chardev", $"socket,id=q,path={s},server=on,wait=on", "-mon", "chardev=q,mode=control");
        Assert.Contains($"waiting for a QMP connection on unix:{s}", rivet.StandardError.ReadLine());
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(s));
        using var stream = new NetworkStream(client);
        Assert.Contains("\"QMP\"", ReadUntil(stream, "\n"));
        stream.Write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n"u8);
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Theory]
    [InlineData("-serial", "file:{D}/no/such/dir/out", "-serial file:{D}/no/such/dir/out: Could not open '{D}/no/such/dir/out': No such file or directory")]
    [InlineData("-serial", "file:{D}", "Could not open '{D}': Is a directory")]
    [InlineData("-serial", "pipe:{D}/nopipe", "-serial pipe:{D}/nopipe: Could not open '{D}/nopipe': No such file or directory")]
    [InlineData("-serial", "unix:{D}/none.sock", "-serial unix:{D}/none.sock: Failed to connect to '{D}/none.sock': No such file or directory")]
    [InlineData("-chardev", "socket,id=s,path={D}/none.sock", "Failed to connect to '{D}/none.sock': No such file or directory")]
    [InlineData("-serial", "unix:{D},server,wait=off", "Is a directory")]
    public void OpenFailuresAreOneLine(string option, string value, string expected)
    {
        string v = value.Replace("{D}", _dir, StringComparison.Ordinal);
        string[] args = option == "-chardev" ? [option, v, "-serial", "chardev:s"] : [option, v];
        RivetProcess.AssertStartupError(RivetProcess.Run([.. args, "-kernel", Echo]), expected.Replace("{D}", _dir, StringComparison.Ordinal));
    }

    [Fact]
    public void RefusedTcpConnectionIsOneLine()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        } // closed: nothing listens there now
        RivetProcess.AssertStartupError(RivetProcess.Run("-serial", $"tcp:127.0.0.1:{port}", "-kernel", Echo),
            $"-serial tcp:127.0.0.1:{port}: Failed to connect to '127.0.0.1:{port}': Connection refused");
    }

    /// <summary>Connects once the server's socket file exists; rivet creates it before the guest starts.</summary>
    private static void ConnectWhenBound(Socket client, string path, Process rivet)
    {
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path));
        var created = new ManualResetEventSlim();
        watcher.Created += (_, _) => created.Set();
        watcher.EnableRaisingEvents = true;
        if (!File.Exists(path)) Assert.True(created.Wait(60_000) || File.Exists(path), $"rivet did not bind {path}; exited: {rivet.HasExited}");
        client.Connect(new UnixDomainSocketEndPoint(path));
    }

    /// <summary>Reads until the text ends with <paramref name="end"/> (or the peer closes); a read that stalls for 60 s fails.</summary>
    private static string ReadUntil(Stream s, string end)
    {
        var text = new StringBuilder();
        byte[] one = new byte[1];
        using var stalled = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            int n = s.ReadAsync(one, stalled.Token).AsTask().GetAwaiter().GetResult();
            if (n == 0) break;
            text.Append((char)one[0]);
        }
        return text.ToString();
    }
}
