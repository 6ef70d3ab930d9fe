using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rivet.Cli.HumanMonitor;

namespace Rivet.Tests;

/// <summary>
/// The human monitor on a character device: QEMU's readline, byte for byte against
/// qemu-system-riscv64 7.2's output for the same keystrokes (Data/monitor/readline-*.json,
/// recorded by Data/monitor/record.py over -monitor unix:...), and the ways to ask for it.
/// </summary>
public sealed class HmpReadlineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rivet-hmp-").FullName;
    private readonly List<Process> _started = [];

    private static string Echo => Repo.Guest("build/input/echo.elf");

    public void Dispose()
    {
        foreach (Process p in _started)
        {
            // Killed here, not by a using in the test: a disposed Process can no longer be asked or killed.
            try
            {
                if (!p.HasExited) p.Kill(true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            p.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    private Process Start(params string[] args)
    {
        Process p = RivetProcess.Start(args);
        _started.Add(p);
        return p;
    }

    internal sealed record Step(string Send, string Expect);

    internal static List<Step> Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Data", "monitor", file);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement steps = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("steps");
        return [.. steps.EnumerateArray().Select(s => new Step(s.GetProperty("send").GetString()!, s.GetProperty("expect").GetString()!))];
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fewer if the peer closes), with a deadline.</summary>
    private static string ReadBytes(Socket s, int count)
    {
        var got = new List<byte>();
        byte[] buffer = new byte[4096];
        var end = DateTime.UtcNow + PseudoTerminal.Deadline;
        while (got.Count < count)
        {
            if (DateTime.UtcNow > end) throw new TimeoutException($"only {got.Count} of {count} bytes came: {PseudoTerminal.Escape(Encoding.Latin1.GetString([.. got]))}");
            if (!s.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectRead)) continue;
            int n = s.Receive(buffer, 0, Math.Min(buffer.Length, count - got.Count), SocketFlags.None);
            if (n == 0) break;
            got.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        return Encoding.Latin1.GetString([.. got]);
    }

    private (Process Rivet, Socket Client) StartWithMonitor(string monitorSocket, params string[] more)
    {
        Process rivet = Start(["-kernel", Echo, "-serial", "null", .. more]);
        string line = rivet.StandardError.ReadLine() ?? "";
        Assert.Contains("QEMU waiting for connection on", line);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(monitorSocket));
        return (rivet, client);
    }

    public static TheoryData<string> Recorded() =>
    [
        "readline-info.json", "readline-edit.json", "readline-word.json", "readline-ignored.json", "readline-history.json",
        "readline-history2.json", "readline-clear.json", "readline-errors.json", "readline-csi.json", "readline-latin1.json",
        "readline-runcontrol.json", "readline-complete.json", "readline-quit.json",
    ];

    [Theory]
    [MemberData(nameof(Recorded))]
    public void ReadlineMatchesQemuByteForByte(string file)
    {
        string s = Path.Combine(_dir, "m.sock");
        var (rivet, client) = StartWithMonitor(s, "-monitor", $"unix:{s},server");
        using Socket __ = client;
        foreach (Step step in Load(file))
        {
            // One byte at a time, as the recording typed them.
            foreach (byte b in Encoding.Latin1.GetBytes(step.Send)) client.Send([b]);
            string got = ReadBytes(client, step.Expect.Length);
            Assert.True(step.Expect == got, $"after '{PseudoTerminal.Escape(step.Send)}':\n expected '{PseudoTerminal.Escape(step.Expect)}'\n got      '{PseudoTerminal.Escape(got)}'");
        }
        if (file == "readline-quit.json")
        {
            // quit: no prompt, rivet ends with exit code 0 through the orderly shutdown.
            Assert.True(rivet.WaitForExit(60_000));
            Assert.Equal(0, rivet.ExitCode);
        }
    }

    [Fact]
    public void EachClientGetsTheBannerAndPromptAndTheHistoryStays()
    {
        string s = Path.Combine(_dir, "m.sock");
        var (rivet, first) = StartWithMonitor(s, "-monitor", $"unix:{s},server");
        string banner = "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ";
        Assert.Equal(banner, ReadBytes(first, banner.Length));
        first.Send("info name\r"u8.ToArray());
        string echoed = ReadUntil(first, "(qemu) ");
        Assert.EndsWith("\r\n(qemu) ", echoed);
        first.Dispose();
        using var second = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        second.Connect(new UnixDomainSocketEndPoint(s));
        Assert.Equal(banner, ReadBytes(second, banner.Length));
        second.Send("\u001b[A"u8.ToArray());
        Assert.Equal("info name\u001b[K", ReadBytes(second, "info name\u001b[K".Length));
        second.Send("\u0001\u000bq\r"u8.ToArray()); // C-a, C-k (ignored): the line is now "qinfo name"
        Assert.Contains("unknown command: 'qinfo'", ReadUntil(second, "(qemu) "));
        second.Send("quit\r"u8.ToArray());
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    private static string ReadUntil(Socket s, string end)
    {
        var sb = new StringBuilder();
        while (!sb.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            string one = ReadBytes(s, 1);
            if (one.Length == 0) break;
            sb.Append(one);
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData("-chardev", "socket,id=hmp,path=SOCK,server=on", "-mon", "chardev=hmp,mode=readline")]
    [InlineData("-chardev", "socket,id=hmp,path=SOCK,server=on", "-mon", "hmp")]
    [InlineData("-chardev", "socket,id=hmp,path=SOCK,server=on", "-monitor", "chardev:hmp")]
    [InlineData("-monitor", "unix:SOCK,server=on,wait=on")]
    public void EveryWayToAskForTheMonitorGivesIt(params string[] args)
    {
        string s = Path.Combine(_dir, "m.sock");
        var (rivet, client) = StartWithMonitor(s, [.. args.Select(a => a.Replace("SOCK", s, StringComparison.Ordinal))]);
        using Socket __ = client;
        string banner = "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ";
        Assert.Equal(banner, ReadBytes(client, banner.Length));
        client.Send("info status\r"u8.ToArray());
        Assert.EndsWith("\r\nVM status: running\r\n(qemu) ", ReadUntil(client, "(qemu) "));
        client.Send("q\r"u8.ToArray());
        Assert.True(rivet.WaitForExit(60_000));
        Assert.Equal(0, rivet.ExitCode);
    }

    [Theory]
    [InlineData(new[] { "-monitor", "bogus" }, "-monitor bogus: 'bogus' is not a valid char driver")]
    [InlineData(new[] { "-monitor", "stdio,foo" }, "-monitor stdio,foo: 'stdio,foo' is not a valid char driver")]
    [InlineData(new[] { "-monitor", "chardev:nope" }, "-monitor chardev:nope: chardev \"nope\" not found")]
    [InlineData(new[] { "-mon", "chardev=zz" }, "-mon chardev=zz: chardev \"zz\" not found")]
    [InlineData(new[] { "-mon", "chardev=c,mode=bad" }, "Parameter 'mode' does not accept value 'bad'")]
    [InlineData(new[] { "-chardev", "null,id=c", "-serial", "chardev:c", "-mon", "chardev=c" }, "-mon chardev=c: Device 'c' is in use")]
    [InlineData(new[] { "-chardev", "null,id=c", "-mon", "c", "-monitor", "chardev:c" }, "Device 'c' is in use")]
    [InlineData(new[] { "-serial", "stdio", "-monitor", "stdio" }, "-serial stdio: cannot use stdio by multiple character devices")]
    [InlineData(new[] { "-nographic", "-monitor", "stdio" }, "cannot use stdio by multiple character devices")]
    [InlineData(new[] { "-serial", "mon:bogus" }, "-serial mon:bogus: 'bogus' is not a valid char driver")]
    [InlineData(new[] { "-chardev", "stdio,id=c,signal=maybe" }, "Parameter 'signal' expects 'on' or 'off'")]
    [InlineData(new[] { "-chardev", "pty,id=p,foo=1" }, "Invalid parameter 'foo'")]
    public void BadMonitorOptionsAreOneLine(string[] args, string expected)
    {
        RivetProcess.AssertStartupError(RivetProcess.Run([.. args, "-kernel", Echo]), expected);
    }

    [Fact]
    public void ReadlineEditsAsQemuWithoutATerminal()
    {
        // The line editor on its own: what it prints, and the line it hands over.
        var printed = new StringBuilder();
        var lines = new List<string>();
        var rl = new Readline(s => printed.Append(s), lines.Add, HmpMonitor.Complete);
        rl.ShowPrompt();
        foreach (byte b in "ab\u001b[Dc\u007f\u0017x\t"u8) rl.HandleByte(b);
        string beforeList = printed.ToString()[..printed.ToString().IndexOf('\n', StringComparison.Ordinal)];
        Assert.Equal("(qemu) a\u001b[K" + "\u001b[Dab\u001b[K" + "\u001b[D" + "\u001b[Dacb\u001b[K\u001b[D" + "\u001b[D\u001b[Dab\u001b[K\u001b[D"
            + "\u001b[Db\u001b[K\u001b[D" + "xb\u001b[K\u001b[D", beforeList);
        // Tab after "x": two candidates, listed in 10-wide columns, then the prompt and the line again.
        Assert.EndsWith("\nx         xp        \n(qemu) xb\u001b[K\u001b[D", printed.ToString());
        Assert.Empty(lines);
        rl.HandleByte((byte)'\r');
        Assert.Equal(["xb"], lines);
    }

    [Fact]
    public void CompletionOffersRivetsCommandNames()
    {
        Assert.Equal(["x", "xp"], HmpMonitor.Complete("x").Candidates);
        Assert.Equal(["status"], HmpMonitor.Complete("info sta").Candidates);
        Assert.Equal(2, HmpMonitor.Complete("help qu").Index);
        Assert.Equal(["quit"], HmpMonitor.Complete("help qu").Candidates);
        Assert.Empty(HmpMonitor.Complete("x /3x ").Candidates);
    }
}
