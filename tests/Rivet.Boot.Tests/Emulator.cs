using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rivet.Boot.Tests;

/// <summary>
/// rivet or qemu-system-riscv64 run as a child process with a QEMU command line: everything it
/// writes (the serial console under -nographic, and its diagnostics) is kept, tests wait for
/// text to appear, and can type on its standard input.
/// </summary>
internal sealed class Emulator : IDisposable
{
    public const string QemuProgram = "qemu-system-riscv64";

    /// <summary>Generous: only turns a hang into a failure (a Linux boot takes 3-15 s).</summary>
    public static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly StringBuilder _output = new(); // guarded by _gate
    private readonly StringBuilder _stderr = new(); // guarded by _gate
    private readonly Task _pumps;

    private Emulator(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _pumps = Task.WhenAll(Pump(process.StandardOutput.BaseStream, _output), Pump(process.StandardError.BaseStream, _stderr));
    }

    public string CommandLine { get; }

    public int Id => _process.Id;

    /// <summary>Starts rivet (the launcher users run) or QEMU with <paramref name="args"/>.</summary>
    public static Emulator Start(bool qemu, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(qemu ? QemuProgram : RivetProcess.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        return new Emulator(p, $"{psi.FileName} {string.Join(' ', psi.ArgumentList)}");
    }

    /// <summary>QEMU's command line for the test kernel: the virt board, N harts, 512 MiB, console on the serial port.</summary>
    public static List<string> LinuxArgs(int harts, string append, string? disk = null, bool rng = true)
    {
        List<string> args =
        [
            "-M", "virt", "-smp", harts.ToString(CultureInfo.InvariantCulture), "-m", "512M", "-nographic",
            "-kernel", LinuxImages.Kernel, "-initrd", LinuxImages.Initrd, "-append", append,
        ];
        if (disk != null) args.AddRange(["-drive", $"file={disk},format=raw,if=none,id=hd0", "-device", "virtio-blk-device,drive=hd0"]);
        if (rng) args.AddRange(["-device", "virtio-rng-device"]);
        return args;
    }

    private async Task Pump(Stream stream, StringBuilder into)
    {
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            int c = decoder.GetChars(buffer, 0, n, chars, 0);
            lock (_gate)
            {
                into.Append(chars, 0, c);
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>The console so far (standard output).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Everything, for failure messages.</summary>
    public string Transcript => $"{CommandLine}\n--- console:\n{Output}\n--- stderr:\n{StdErr}";

    /// <summary>Waits until the console holds <paramref name="text"/> <paramref name="count"/> times; fails with the transcript on a hang or an early exit.</summary>
    public void WaitFor(string text, int count = 1, TimeSpan? limit = null)
        => WaitUntil(console => Count(console, text) >= count, $"'{text}' (x{count})", limit);

    /// <summary>Waits until the <paramref name="count"/>-th line starting with <paramref name="prefix"/> is complete (its newline arrived).</summary>
    public void WaitForLine(string prefix, int count = 1, TimeSpan? limit = null)
        => WaitUntil(console => console.Split('\n').SkipLast(1).Count(l => l.StartsWith(prefix, StringComparison.Ordinal)) >= count, $"a line '{prefix}...' (x{count})", limit);

    private void WaitUntil(Func<string, bool> done, string what, TimeSpan? limit)
    {
        var deadline = Stopwatch.StartNew();
        TimeSpan max = limit ?? BootLimit;
        lock (_gate)
        {
            while (!done(_output.ToString()))
            {
                TimeSpan left = max - deadline.Elapsed;
                Assert.True(left > TimeSpan.Zero, $"{what} did not appear within {max.TotalSeconds} s:\n{TranscriptLocked()}");
                if (_process.HasExited && _pumps.IsCompleted)
                    Assert.Fail($"exited ({_process.ExitCode}) before {what} appeared:\n{TranscriptLocked()}");
                // Woken by each chunk of output; the timed wait also notices an exit without output.
                Monitor.Wait(_gate, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            }
        }
    }

    private string TranscriptLocked() => $"{CommandLine}\n--- console:\n{_output}\n--- stderr:\n{_stderr}";

    private static int Count(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Types on the guest's console (standard input).</summary>
    public void Type(string text)
    {
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the process to exit and its output to be read; its exit code.</summary>
    public int WaitForExit(TimeSpan? limit = null)
    {
        TimeSpan max = limit ?? BootLimit;
        if (!_process.WaitForExit(max)) Assert.Fail($"did not exit within {max.TotalSeconds} s:\n{Transcript}");
        Assert.True(_pumps.Wait(max), "the output pipes stayed open after exit");
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }
}

/// <summary>The facts /init prints on its RIVET-INIT line (key=value, space separated).</summary>
internal sealed record InitMarker(IReadOnlyDictionary<string, string> Facts, DateTimeOffset SeenAt)
{
    public const string Prefix = "RIVET-INIT ";

    public string this[string key] => Facts.TryGetValue(key, out string? v) ? v : throw new KeyNotFoundException($"RIVET-INIT has no {key}=");

    /// <summary>The <paramref name="index"/>-th marker line on the console.</summary>
    public static InitMarker Parse(string console, DateTimeOffset seenAt, int index = 0)
    {
        string[] lines = console.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(Prefix, StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length > index, $"no RIVET-INIT line #{index + 1} in:\n{console}");
        var facts = new Dictionary<string, string>();
        foreach (string field in lines[index][Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = field.IndexOf('=');
            if (eq > 0) facts[field[..eq]] = field[(eq + 1)..];
        }
        return new InitMarker(facts, seenAt);
    }
}
