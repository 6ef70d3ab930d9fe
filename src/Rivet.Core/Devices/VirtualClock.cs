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
            if (_controlled) return ControlledMtime;
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
        if (_controlled) return ControlledHostTimestampAt(mtime);
        State s = Volatile.Read(ref _state);
        if (s.Frozen || mtime == ulong.MaxValue) return long.MaxValue;
        long ticks = ToHostTicks(mtime);
        return ticks >= long.MaxValue - s.Origin ? long.MaxValue : s.Origin + ticks;
    }

    public void Freeze()
    {
        _icount?.Freeze(true);
        lock (_gate)
        {
            if (_controlled) return;
            if (_state.Frozen) return;
            Volatile.Write(ref _state, new State(_state.Origin, true, Mtime));
        }
    }

    public void Thaw()
    {
        _icount?.Freeze(false);
        lock (_gate)
        {
            if (_controlled) return;
            if (!_state.Frozen) return;
            Volatile.Write(ref _state, new State(Stopwatch.GetTimestamp() - ToHostTicks(_state.FrozenValue), false, 0));
        }
    }

    public void SetMtime(ulong value)
    {
        lock (_gate)
        {
            if (_controlled)
            {
                // A guest write moves mtime by an offset; the owner's nanoseconds go on as they were.
                Volatile.Write(ref _controlledOffset, value - ControlledNs / NanosPerTick);
                return;
            }
            Volatile.Write(ref _state, _state.Frozen
                ? _state with { FrozenValue = value }
                : new State(Stopwatch.GetTimestamp() - ToHostTicks(value), false, 0));
        }
    }

    // ---- plugin time control (IPluginContext.RequestTimeControl) ----

    private const ulong NanosPerTick = 1_000_000_000 / Frequency;
    private volatile bool _controlled;
    private long _controlledNs;      // the owner's time in nanoseconds (as ulong bits); written under _gate
    private ulong _controlledOffset; // guest writes to mtime
    private long _anchor;            // host timestamp of the owner's last update (see ControlledHostTimestampAt)

    /// <summary>True once a plugin owns time: mtime then moves only when it calls <see cref="Advance"/>.</summary>
    public bool IsControlled => _controlled;

    /// <summary>The guest time in nanoseconds (the owner's, when a plugin owns time).</summary>
    public ulong Nanoseconds => _controlled ? ControlledNs : Mtime * NanosPerTick;

    private ulong ControlledNs => _icount is { } icount ? icount.Nanoseconds : (ulong)Volatile.Read(ref _controlledNs);

    private ulong ControlledMtime => ControlledNs / NanosPerTick + Volatile.Read(ref _controlledOffset);

    /// <summary>
    /// QEMU's timers: a compare written now fires at now + (compare - mtime) ticks, in nanoseconds
    /// (so not on a tick boundary unless now is on one); mtime has reached the compare by then.
    /// </summary>
    public ulong ExpiryNanoseconds(ulong compare)
    {
        if (compare == ulong.MaxValue) return ulong.MaxValue;
        ulong now = Nanoseconds, mtime = Mtime;
        if (compare <= mtime) return now;
        ulong diff = compare - mtime;
        return diff > (ulong.MaxValue - now) / NanosPerTick ? ulong.MaxValue : now + diff * NanosPerTick;
    }

    // ---- -icount (Machine/IcountExecutor.cs): time is the executor's, counted in instructions ----

    private IIcountTime? _icount;

    /// <summary>True under -icount: guest time counts instructions, a plugin may not own it.</summary>
    public bool IsIcount => _icount != null;

    /// <summary>Hands time to -icount's executor before the machine starts (guest time starts at 0, as QEMU's).</summary>
    public void UseIcount(IIcountTime icount)
    {
        lock (_gate)
        {
            _icount = icount;
            Volatile.Write(ref _controlledOffset, 0);
            _controlled = true;
        }
    }

    /// <summary>Hands time to a plugin, from the current mtime on (before the machine starts: 0).</summary>
    public void TakeControl()
    {
        lock (_gate)
        {
            if (_controlled || _icount != null) return;
            Volatile.Write(ref _controlledNs, 0);
            Volatile.Write(ref _anchor, Stopwatch.GetTimestamp());
            Volatile.Write(ref _controlledOffset, 0); // taken before the machine starts: guest time starts at 0, as QEMU's
            _controlled = true;
        }
    }

    /// <summary>The owner sets the time; only forward. True if it moved.</summary>
    public bool Advance(ulong nanoseconds)
    {
        lock (_gate)
        {
            if (_icount != null) return false;
            if (nanoseconds <= (ulong)_controlledNs) return false;
            Volatile.Write(ref _controlledNs, (long)nanoseconds);
            Volatile.Write(ref _anchor, Stopwatch.GetTimestamp());
            return true;
        }
    }

    /// <summary>
    /// Under a plugin's time, when a sleeping hart's timer falls due is unknown: the sleep is bounded
    /// as if guest time ran at host speed from the owner's last update (the anchor). A sleeper that
    /// wakes at that bound leaves its idle sleep, so its vCPU's resume callbacks run (where a time
    /// owner like <c>ips</c> moves time across idle periods). If the owner never moves time, the bound
    /// found in the past moves the anchor to now: the next sleep lasts the timer's whole distance
    /// again, so a stalled clock costs one wake-up per guest timer period, never a busy loop.
    /// Stopping the machine wakes sleepers anyway.
    /// </summary>
    private long ControlledHostTimestampAt(ulong mtime)
    {
        if (mtime == ulong.MaxValue) return long.MaxValue;
        if (_icount is { } icount)
        {
            ulong offset = Volatile.Read(ref _controlledOffset);
            return icount.HostTimestampAt(mtime <= offset ? 0 : (mtime - offset) * NanosPerTick);
        }
        long now = Stopwatch.GetTimestamp();
        ulong current = ControlledMtime;
        if (mtime <= current) return now;
        long anchor = Volatile.Read(ref _anchor);
        long ticks = ToHostTicks(mtime - current);
        long at = ticks >= long.MaxValue - anchor ? long.MaxValue : anchor + ticks;
        if (at <= now) Interlocked.CompareExchange(ref _anchor, now, anchor);
        return at;
    }
}

/// <summary>-icount's time: nanoseconds counted from retired instructions (Machine/IcountExecutor.cs).</summary>
internal interface IIcountTime
{
    /// <summary>Guest nanoseconds now (QEMU's icount_get()).</summary>
    ulong Nanoseconds { get; }

    /// <summary>When a sleep should end for guest time to reach <paramref name="nanoseconds"/> (long.MaxValue: only when woken).</summary>
    long HostTimestampAt(ulong nanoseconds);

    /// <summary>Paused or running: an idle warp (sleep=on) stops while paused.</summary>
    void Freeze(bool frozen);
}
