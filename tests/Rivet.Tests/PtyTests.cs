using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rivet.Tests;

/// <summary>
/// -chardev pty / -serial pty / -monitor pty: QEMU's "char device redirected to" line on standard
/// output, then the slave carries the device for whoever opens it (raw: bytes as they are).
/// </summary>
public sealed partial class PtyTests : IDisposable
{
    private static string Echo => Repo.Guest("build/input/echo.elf");
    private readonly List<Process> _started = [];
    private readonly List<int> _fds = [];

    public void Dispose()
    {
        foreach (int fd in _fds) PseudoTerminal.CloseFd(fd);
        foreach (Process p in _started)
        {
            try
            {
                if (!p.HasExited) p.Kill(true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            p.Dispose(); // here, not by a using in the test: a disposed Process can no longer be killed
        }
    }

    [GeneratedRegex(@"^char device redirected to (/dev/pts/\d+) \(label (\S+)\)$")]
    private static partial Regex Redirected();

    private Process Start(params string[] args)
    {
        Process p = RivetProcess.Start(args);
        _started.Add(p);
        return p;
    }

    /// <summary>Reads QEMU's line and opens the slave it names; returns (fd, label).</summary>
    private (int Fd, string Label) OpenAnnounced(Process rivet)
    {
        string line = rivet.StandardOutput.ReadLine() ?? ""; // standard output, as QEMU 7.2
        Match m = Redirected().Match(line);
        Assert.True(m.Success, $"not QEMU's pty line: {line}");
        int fd = PseudoTerminal.OpenRaw(m.Groups[1].Value);
        Assert.True(fd >= 0, $"cannot open {m.Groups[1].Value}");
        _fds.Add(fd);
        return (fd, m.Groups[2].Value);
    }

    private static string ReadUntil(int fd, string end)
    {
        var sb = new StringBuilder();
        byte[] one = new byte[256];
        var deadline = DateTime.UtcNow + PseudoTerminal.Deadline;
        while (!sb.ToString().Contains(end, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{PseudoTerminal.Escape(end)}' did not come: '{PseudoTerminal.Escape(sb.ToString())}'");
            if (!PseudoTerminal.PollIn(fd, 1000)) continue;
            int n = PseudoTerminal.ReadFd(fd, one);
            if (n <= 0) break;
            sb.Append(Encoding.Latin1.GetString(one, 0, n));
        }
        return sb.ToString();
    }

    [Fact]
    public void SerialPtyCarriesTheUart()
    {
        Process rivet = Start("-kernel", Echo, "-serial", "pty");
        var (fd, label) = OpenAnnounced(rivet);
        Assert.Equal("serial0", label);
        PseudoTerminal.WriteFd(fd, "pty q"u8.ToArray());
        // "echo ready" comes only if the slave was open when the guest printed it (QEMU drops
        // output while nobody has it open); which comes first is a race in QEMU too.
        Assert.Matches("^(echo ready\n)?pty q\n$", ReadUntil(fd, "q\n"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void MonitorPtyGreetsWhoeverOpensIt()
    {
        Process rivet = Start("-kernel", Echo, "-serial", "pty", "-monitor", "pty");
        var (monitor, first) = OpenAnnounced(rivet);
        var (_, second) = OpenAnnounced(rivet);
        Assert.Equal(("compat_monitor0", "serial0"), (first, second)); // QEMU opens -monitor's device first
        Assert.Equal("QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ", ReadUntil(monitor, "(qemu) "));
        PseudoTerminal.WriteFd(monitor, "info status\r"u8.ToArray());
        Assert.EndsWith("info status\u001b[K\r\nVM status: running\r\n(qemu) ", ReadUntil(monitor, "running\r\n(qemu) "));
        PseudoTerminal.WriteFd(monitor, "quit\r"u8.ToArray());
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void MuxedPtySwitchesWithCtrlAC()
    {
        Process rivet = Start("-kernel", Echo, "-chardev", "pty,id=p0,mux=on", "-serial", "chardev:p0", "-mon", "chardev=p0");
        var (fd, label) = OpenAnnounced(rivet);
        Assert.Equal("p0", label);
        PseudoTerminal.WriteFd(fd, "x"u8.ToArray());
        Assert.Matches("^(echo ready\n)?x$", ReadUntil(fd, "x"));
        PseudoTerminal.WriteFd(fd, "\u0001c"u8.ToArray());
        Assert.Equal("QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ", ReadUntil(fd, "(qemu) "));
        PseudoTerminal.WriteFd(fd, "\u0001x"u8.ToArray());
        Assert.Contains("QEMU: Terminated\n\r", ReadUntil(fd, "Terminated\n\r"));
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Fact]
    public void QueryChardevNamesThePty()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-pty-").FullName;
        try
        {
            string q = Path.Combine(dir, "qmp.sock");
            Process rivet = Start("-kernel", Echo, "-serial", "pty", "-qmp", $"unix:{q},server");
            string line = rivet.StandardOutput.ReadLine() ?? "";
            string slave = Redirected().Match(line).Groups[1].Value;
            Assert.StartsWith("/dev/pts/", slave);
            Assert.Contains("waiting for a QMP connection", rivet.StandardError.ReadLine());
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(q));
            using var stream = new NetworkStream(client);
            using var reader = new StreamReader(stream);
            Assert.Contains("\"QMP\"", reader.ReadLine());
            stream.Write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-chardev\"}\n"u8);
            Assert.Contains("\"return\"", reader.ReadLine());
            using JsonDocument reply = JsonDocument.Parse(reader.ReadLine()!);
            JsonElement serial = reply.RootElement.GetProperty("return").EnumerateArray().Single(d => d.GetProperty("label").GetString() == "serial0");
            Assert.Equal($"pty:{slave}", serial.GetProperty("filename").GetString());
            Assert.True(serial.GetProperty("frontend-open").GetBoolean());
            stream.Write("{\"execute\":\"quit\"}\n"u8);
            Assert.True(rivet.WaitForExit(60_000));
            Assert.Equal(0, rivet.ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
