using System.Diagnostics;
using Rivet.Cpu;

namespace Rivet.Devices;

/// <summary>
/// mtime: 10 MHz guest time derived from the host's monotonic clock, frozen while the machine
/// is paused (so a paused guest sees no time pass, as on QEMU).
/// </summary>
internal sealed class VirtualClock : ITimeSource
{
    public const ulong Frequency = 10_000_000;
    private static readonly ulong HostFrequency = (ulong)Stopwatch.Frequency;

    // Both guarded by _gate for writers; readers take a consistent snapshot through the object.
    private readonly object _gate = new();
    private State _state;

    private sealed record State(long Origin, bool Frozen, ulong FrozenValue);

    public VirtualClock()
    {
        _state = new State(Stopwatch.GetTimestamp(), false, 0);
    }

    public ulong Mtime
    {
        get
        {
            State s = Volatile.Read(ref _state);
            return s.Frozen ? s.FrozenValue : ToMtime(Stopwatch.GetTimestamp() - s.Origin);
        }
    }

    public bool IsFrozen => Volatile.Read(ref _state).Frozen;

    // floor(a * num / den) split as (q*den + r) * num / den = q*num + r*num/den, exact without
    // 128-bit arithmetic (UInt128 division is not precompiled: it would be JIT-compiled at start).
    internal static ulong ToMtime(long hostTicks)
    {
        if (hostTicks <= 0) return 0;
        ulong t = (ulong)hostTicks;
        return t / HostFrequency * Frequency + t % HostFrequency * Frequency / HostFrequency;
    }

    internal static long ToHostTicks(ulong mtime)
    {
        const long limit = long.MaxValue / 2;
        ulong seconds = mtime / Frequency;
        if (seconds > (ulong)limit / HostFrequency) return limit;
        ulong t = seconds * HostFrequency + mtime % Frequency * HostFrequency / Frequency;
        return t > limit ? limit : (long)t;
    }

    public long HostTimestampAt(ulong mtime)
    {
        State s = Volatile.Read(ref _state);
        if (s.Frozen || mtime == ulong.MaxValue) return long.MaxValue;
        long ticks = ToHostTicks(mtime);
        return ticks >= long.MaxValue - s.Origin ? long.MaxValue : s.Origin + ticks;
    }

    public void Freeze()
    {
        lock (_gate)
        {
            if (_state.Frozen) return;
            Volatile.Write(ref _state, new State(_state.Origin, true, Mtime));
        }
    }

    public void Thaw()
    {
        lock (_gate)
        {
            if (!_state.Frozen) return;
            Volatile.Write(ref _state, new State(Stopwatch.GetTimestamp() - ToHostTicks(_state.FrozenValue), false, 0));
        }
    }

    public void SetMtime(ulong value)
    {
        lock (_gate)
        {
            Volatile.Write(ref _state, _state.Frozen
                ? _state with { FrozenValue = value }
                : new State(Stopwatch.GetTimestamp() - ToHostTicks(value), false, 0));
        }
    }
}
