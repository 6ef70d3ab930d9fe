using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rivet.Tests;

/// <summary>
/// Debian's gdb-multiarch driven line by line through its standard input, as a user types: each
/// command is followed by an echo of a marker, and <see cref="Run"/> returns what gdb printed
/// (standard output and error) up to that marker. Deadlines only turn a hang into a failure.
/// </summary>
internal sealed class GdbDriver : IDisposable
{
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(90);
    private const string Marker = "@@rivet-gdb-done@@";

    private readonly Process _gdb;
    private readonly object _gate = new();
    private readonly StringBuilder _out = new(); // guarded by _gate
    private readonly StringBuilder _all = new(); // guarded by _gate: everything, for failure messages
    private bool _exited; // guarded by _gate: gdb's output and error both ended
    private int _streamsOpen = 2; // guarded by _gate: gdb's output and error, until their end

    public GdbDriver(string elf)
    {
        // One pipe for both: gdb prints a target's console output (qRcmd's O packets) on its
        // standard error, and two pipes read apart lose the order against the marker on standard output.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-c", "exec gdb-multiarch \"$@\" 2>&1", "gdb", "-nx", "-q", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", "set width 0", "-ex", "set height 0", elf })
            psi.ArgumentList.Add(a);
        _gdb = Process.Start(psi) ?? throw new InvalidOperationException("cannot start gdb-multiarch");
        _gdb.OutputDataReceived += (_, e) => Append(e.Data);
        _gdb.ErrorDataReceived += (_, e) => Append(e.Data);
        _gdb.BeginOutputReadLine();
        _gdb.BeginErrorReadLine();
    }

    public int ProcessId => _gdb.Id;

    public bool HasExited => _gdb.HasExited;

    // The handlers never touch _gdb: they may run after Dispose (a late end of stream), where
    // any Process member throws on the thread pool and takes the test host down.
    private void Append(string? line)
    {
        lock (_gate)
        {
            if (line == null)
            {
                // Both streams at their end: gdb can print nothing more, whether or not it has exited.
                if (--_streamsOpen == 0) _exited = true;
            }
            else
            {
                _out.Append(line).Append('\n');
                _all.Append(line).Append('\n');
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Runs gdb commands (one per line); returns their output, markers removed.</summary>
    public string Run(params string[] commands)
    {
        var input = new StringBuilder();
        foreach (string c in commands) input.Append(c).Append('\n');
        input.Append("echo ").Append(Marker).Append("\\n\n");
        _gdb.StandardInput.Write(input.ToString());
        _gdb.StandardInput.Flush();
        return WaitFor(Marker);
    }

    /// <summary>Sends a command without waiting (e.g. a continue to interrupt later).</summary>
    public void Send(string command)
    {
        _gdb.StandardInput.Write(command + "\n");
        _gdb.StandardInput.Flush();
    }

    /// <summary>Waits for <paramref name="text"/> in gdb's output; returns the output up to and without it (and consumes it).</summary>
    public string WaitFor(string text)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(HangLimit.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (true)
            {
                string s = _out.ToString();
                int at = s.IndexOf(text, StringComparison.Ordinal);
                if (at >= 0)
                {
                    int end = s.IndexOf('\n', at);
                    _out.Remove(0, end < 0 ? s.Length : end + 1);
                    return s[..at];
                }
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || _exited)
                    throw new TimeoutException($"gdb: no '{text}' ({(_exited ? "gdb exited" : "timed out")}); output so far:\n{_all}");
                Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            }
        }
    }

    /// <summary>Everything gdb printed so far.</summary>
    public string Transcript
    {
        get
        {
            lock (_gate)
            {
                return _all.ToString();
            }
        }
    }

    /// <summary>Waits for gdb to exit (after quit, or its connection closing with nothing left to read).</summary>
    public bool WaitForExit(TimeSpan timeout) => _gdb.WaitForExit(timeout);

    public void Kill() => _gdb.Kill(true);

    public void Dispose()
    {
        if (!_gdb.HasExited)
        {
            try
            {
                _gdb.Kill(true);
                _gdb.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
        _gdb.Dispose();
    }

    /// <summary>A TCP port nobody listens on now (the emulator binds it next; gdb retries refused connections).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
