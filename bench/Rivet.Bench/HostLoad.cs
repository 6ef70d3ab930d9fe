using System.Diagnostics;
using System.Globalization;

namespace Rivet.Bench;

/// <summary>
/// How busy the rest of the host was while we measured: the CPU time every process used
/// (/proc/stat) minus our own and our reaped children's (/proc/self/stat), per second of wall
/// time, in cores. Latency figures on a host where something else runs are noisy, so the
/// sections print this next to them. Linux only; elsewhere every reading is null.
/// </summary>
internal readonly record struct HostLoad(long AllTicks, long OwnTicks, long Timestamp)
{
    /// <summary>Above this many cores of other work the figures get a warning.</summary>
    public const double NoisyCores = 0.1;

    public static HostLoad? Now()
    {
        if (!Linux.Supported) return null;
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is in user already.
            string? first = File.ReadLines("/proc/stat").FirstOrDefault();
            if (first == null || !first.StartsWith("cpu ", StringComparison.Ordinal)) return null;
            long[] f = [.. first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(s => long.Parse(s, CultureInfo.InvariantCulture))];
            if (f.Length < 8) return null;
            long busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];

            // "pid (comm) state ..." : utime stime cutime cstime are fields 14-17.
            string self = File.ReadAllText("/proc/self/stat");
            string[] s = self[(self.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long own = 0;
            for (int i = 11; i <= 14; i++) own += long.Parse(s[i], CultureInfo.InvariantCulture);
            return new HostLoad(busy, own, Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Cores' worth of CPU used by other processes from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static double? OthersCores(HostLoad? start, HostLoad? end)
    {
        if (start is not HostLoad a || end is not HostLoad b) return null;
        double seconds = Stopwatch.GetElapsedTime(a.Timestamp, b.Timestamp).TotalSeconds;
        if (seconds <= 0) return null;
        long others = (b.AllTicks - a.AllTicks) - (b.OwnTicks - a.OwnTicks);
        return Math.Max(0, others) / (double)Linux.ClockTicksPerSecond / seconds;
    }

    /// <summary>"other processes on the host: 0.02 cores on average" (with a warning when noisy), or null.</summary>
    public static string? Describe(HostLoad? start, HostLoad? end)
    {
        if (OthersCores(start, end) is not double cores) return null;
        string text = $"other processes on the host used {cores.ToString("F2", CultureInfo.InvariantCulture)} cores on average meanwhile";
        return cores > NoisyCores ? text + " (the host was not quiet: expect noisy figures)" : text;
    }
}
