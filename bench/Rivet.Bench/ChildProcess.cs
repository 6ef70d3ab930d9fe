using System.Diagnostics;
using System.Text;

namespace Rivet.Bench;

/// <summary>
/// An emulator run as a child process for the signal and idle-CPU measurements: standard input
/// closed at once (end of file, like /dev/null), standard output discarded, the end of standard
/// error kept for failure reports.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int MaxErrorChars = 4000;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process) => _process = process;

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The program's full path from PATH (with .exe on Windows), or null.</summary>
    public static string? FindOnPath(string program)
    {
        string name = OperatingSystem.IsWindows() ? program + ".exe" : program;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Starts the program; null, with <c>cannot start PROGRAM: why</c> in <paramref name="error"/>, if it cannot.</summary>
    public static ChildProcess? TryStart(string program, IEnumerable<string> args, out string error)
    {
        error = "";
        try
        {
            return Start(program, args);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            error = $"cannot start {program}: {ex.Message}";
            return null;
        }
    }

    /// <summary>Starts the program; throws <see cref="System.ComponentModel.Win32Exception"/> if it cannot.</summary>
    public static ChildProcess Start(string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        Process p = Process.Start(psi) ?? throw new System.ComponentModel.Win32Exception($"cannot start {program}");
        var child = new ChildProcess(p);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (child._stderr)
            {
                child._stderr.AppendLine(e.Data);
                if (child._stderr.Length > MaxErrorChars) child._stderr.Remove(0, child._stderr.Length - MaxErrorChars);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.StandardInput.Close();
        return child;
    }

    /// <summary>
    /// Polls /proc/PID/status (every millisecond) until the process has a handler for
    /// <paramref name="signal"/>; false if it exited or the timeout passed first.
    /// </summary>
    public bool WaitUntilCatches(int signal, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited) return false;
            if (Linux.Catches(Pid, signal) == true) return true;
            Thread.Sleep(1);
        }
        return false;
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGKILL and reap, for a process that would not stop.</summary>
    public void KillHard()
    {
        if (_process.HasExited) return;
        Linux.Kill(Pid, Linux.SIGKILL, out _);
        _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>What the process wrote to standard error, as one line (its end if long).</summary>
    public string Errors()
    {
        _process.WaitForExit(TimeSpan.FromSeconds(1)); // lets the reader reach the end of the stream
        string text;
        lock (_stderr) text = _stderr.ToString().Trim();
        if (text.Length > 300) text = "..." + text[^300..];
        return text.ReplaceLineEndings(" | ");
    }

    /// <summary>Everything the process wrote to standard error (its last few KB), once it has exited and the stream is drained.</summary>
    public string StandardErrorText()
    {
        if (!_process.HasExited) return "";
        _process.WaitForExit(); // without a timeout it also waits for the end of the redirected streams
        lock (_stderr) return _stderr.ToString();
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
