using System.Globalization;
using System.Runtime.InteropServices;

namespace Rivet.Bench;

/// <summary>
/// The bits of Linux the process measurements need: kill(2), the clock tick, and /proc (caught
/// signals, CPU time, thread names). Every /proc reader returns null once the process is gone.
/// </summary>
internal static partial class Linux
{
    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int ScClkTck = 2; // _SC_CLK_TCK in glibc and musl

    /// <summary>True where the process measurements can run (/proc and POSIX signals).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && Directory.Exists("/proc/self");

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    private static partial nint SysConf(int name);

    /// <summary>kill(pid, sig); false (with errno) if it failed.</summary>
    public static bool Kill(int pid, int signal, out int errno)
    {
        bool ok = KillNative(pid, signal) == 0;
        errno = ok ? 0 : Marshal.GetLastPInvokeError();
        return ok;
    }

    /// <summary>Clock ticks per second, the unit of utime and stime in /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond
    {
        get
        {
            long t = SysConf(ScClkTck);
            return t > 0 ? t : 100;
        }
    }

    /// <summary>True if the process has a handler installed for the signal (SigCgt in /proc/PID/status).</summary>
    public static bool? Catches(int pid, int signal) => SignalBit(pid, "SigCgt:", signal);

    /// <summary>True if process <paramref name="pid"/> blocks <paramref name="signal"/> (SigBlk: the rivet launcher's first act).</summary>
    public static bool? Blocks(int pid, int signal) => SignalBit(pid, "SigBlk:", signal);

    private static bool? SignalBit(int pid, string field, int signal)
    {
        string? status = ReadProc(pid, "status");
        if (status == null) return null;
        foreach (string line in status.Split('\n'))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            if (!ulong.TryParse(line.AsSpan(field.Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong mask))
                return null;
            return (mask & (1UL << (signal - 1))) != 0;
        }
        return null;
    }

    /// <summary>utime + stime of the whole process (live and finished threads), in clock ticks.</summary>
    public static long? CpuTicks(int pid)
    {
        string? stat = ReadProc(pid, "stat");
        if (stat == null) return null;
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        if (fields.Length < 13) return null;
        if (!long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out long utime)) return null;
        if (!long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long stime)) return null;
        return utime + stime;
    }

    /// <summary>
    /// Context switches (voluntary + involuntary) summed over the process's live threads
    /// (/proc/PID/task/*/status): each is a thread going to sleep or being preempted, so over an
    /// idle window it counts the wake-ups. Threads that finished are not counted.
    /// </summary>
    public static long? ContextSwitches(int pid)
    {
        long sum = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string status;
                try
                {
                    status = File.ReadAllText(Path.Combine(task, "status"));
                }
                catch (IOException)
                {
                    continue; // the thread has just finished
                }
                foreach (string line in status.Split('\n'))
                {
                    if (!line.Contains("_ctxt_switches:", StringComparison.Ordinal)) continue;
                    if (long.TryParse(line.AsSpan(line.IndexOf(':') + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n)) sum += n;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process is gone
        }
        return sum;
    }

    /// <summary>The names of the process's threads (/proc/PID/task/*/comm).</summary>
    public static IReadOnlyList<string> ThreadNames(int pid)
    {
        List<string> names = [];
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    names.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
                }
                catch (IOException)
                {
                    // the thread has just finished
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // the process is gone
        }
        return names;
    }

    private static string? ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
