using System.Diagnostics;

namespace Rivet.Machine;

/// <summary>
/// The one place where lifecycle code waits with a timeout, joins threads or names them, so
/// systematic tests can replace what Coyote cannot model (timed waits look untimed to it;
/// naming a thread detaches it from Coyote's control).
/// </summary>
internal static class HostSync
{
    /// <summary>
    /// Set by systematic tests. Control-path deadlines become untimed waits there, so a lost
    /// wake-up shows as the deadlock it is (correctness never rests on those deadlines); timer
    /// waits, whose expiry is a real wake-up source, become "release, yield, re-acquire".
    /// </summary>
    internal static bool Systematic { get; set; }

    public static long Now => Stopwatch.GetTimestamp();

    public static long DeadlineAfter(TimeSpan span)
        => span == Timeout.InfiniteTimeSpan ? long.MaxValue : Now + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static double SecondsSince(long timestamp) => (Now - timestamp) / (double)Stopwatch.Frequency;

    /// <summary>Waits on <paramref name="gate"/> (held) until pulsed. Callers loop on their predicate.</summary>
    public static void Wait(object gate) => Monitor.Wait(gate);

    /// <summary>
    /// A control-path wait (rule 6): on <paramref name="gate"/> (held) until pulsed or
    /// <paramref name="deadline"/>. Returns false once the deadline has passed, so the caller can
    /// report instead of hanging. Callers loop on their predicate.
    /// </summary>
    public static bool WaitUntil(object gate, long deadline)
    {
        if (deadline == long.MaxValue || Systematic)
        {
            Monitor.Wait(gate);
            return true;
        }
        return TimedWait(gate, deadline);
    }

    /// <summary>
    /// An idle sleep bounded by a guest timer deadline: its expiry is a genuine wake-up source.
    /// Returns false once the deadline has passed.
    /// </summary>
    public static bool WaitForTimer(object gate, long deadline)
    {
        if (deadline == long.MaxValue)
        {
            Monitor.Wait(gate);
            return true;
        }
        if (Systematic)
        {
            Monitor.Exit(gate);
            Thread.Yield();
            Monitor.Enter(gate);
            return false;
        }
        return TimedWait(gate, deadline);
    }

    private static bool TimedWait(object gate, long deadline)
    {
        long remaining = deadline - Now;
        if (remaining <= 0) return false;
        long ms = (remaining * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        Monitor.Wait(gate, (int)Math.Min(ms, int.MaxValue));
        return Now < deadline;
    }

    /// <summary>Joins a thread by a deadline; false if it is still running then.</summary>
    public static bool Join(Thread thread, long deadline)
    {
        if (deadline == long.MaxValue || Systematic)
        {
            thread.Join();
            return true;
        }
        long remaining = deadline - Now;
        long ms = Math.Max(0, (remaining * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
        return thread.Join((int)Math.Min(ms, int.MaxValue));
    }

    public static Thread StartThread(string name, Action body)
    {
        var t = new Thread(() => body()) { IsBackground = true };
        if (!Systematic) t.Name = name;
        t.Start();
        return t;
    }
}
