using System.Diagnostics;
using Rivet.Cpu;
using Rivet.Devices;

namespace Rivet.Machine;

/// <summary>
/// -icount (docs/LIFECYCLE.md, "Alternate executor: icount"): every hart on one vCPU thread, in
/// turn, a fixed instruction quantum each, with guest time counted from retired instructions
/// (2^shift ns each, one counter for the machine, as QEMU's icount). The controller sees one vCPU,
/// so its protocol is the one verified for every other machine; a kick ends the round only between
/// two harts' slices, where it cannot change what the guest sees (it only delays the next slice).
/// </summary>
internal sealed class IcountExecutor : IVCpuExecutor, IIcountTime, ICounterClock
{
    /// <summary>Instructions a hart runs before the next one's turn (checked at block boundaries, so a little more).</summary>
    public const long DefaultQuantum = 1 << 13;

    private readonly Hart[] _harts;
    private readonly int _shift;
    private readonly bool _sleep;
    private readonly long _quantum;

    // Written by the vCPU thread only (other threads read them racily: the monitor's views).
    private int _next;              // the hart whose slice comes next
    private int _current = -1;      // the hart inside Run, or -1
    private ulong _retiredBefore;   // instructions retired by every hart, up to the running slice's start
    private ulong _sliceStart;      // the running hart's RetiredCount at its slice's start
    private volatile bool _kicked;

    // Guest nanoseconds beyond the instruction count: idle time warped or jumped over. Guarded by
    // _timeGate with the warp below (the vCPU thread, and Freeze from the main loop while it is stopped).
    private readonly object _timeGate = new();
    private ulong _biasNs;
    private long _warpStart = -1;   // host timestamp a sleep=on warp began, or -1
    private ulong _warpCapNs;       // how far that warp may go: to the next timer deadline

    public IcountExecutor(Hart[] harts, int shift, bool sleep, long quantum = DefaultQuantum)
    {
        _harts = harts;
        _shift = shift;
        _sleep = sleep;
        _quantum = quantum;
        foreach (Hart h in harts) h.CounterClock = this;
    }

    public IReadOnlyList<Hart> Harts => _harts;

    // ---- time ----

    private ulong Retired
    {
        get
        {
            int c = Volatile.Read(ref _current);
            if (c < 0) return _retiredBefore;
            // QEMU counts the instruction doing the I/O. From another thread (the monitor) the fields
            // may be caught mid-update: never negative, at worst a slice off for that one look.
            ulong count = _harts[c].RetiredCount, start = _sliceStart;
            return _retiredBefore + (count >= start ? count - start : 0) + 1;
        }
    }

    public ulong Nanoseconds
    {
        get
        {
            ulong ns = _biasNs + (Retired << _shift);
            long start = Volatile.Read(ref _warpStart);
            if (start >= 0) ns += Math.Min(HostNanosSince(start), _warpCapNs);
            return ns;
        }
    }

    public ulong CounterNanoseconds => Nanoseconds;

    private static ulong HostNanosSince(long start)
    {
        long t = Stopwatch.GetTimestamp() - start;
        return t <= 0 ? 0 : (ulong)(t / (double)Stopwatch.Frequency * 1e9);
    }

    private ulong NextDeadlineNs
    {
        get
        {
            ulong d = ulong.MaxValue;
            foreach (Hart h in _harts) d = Math.Min(d, h.NextTimerNanoseconds);
            return d;
        }
    }

    /// <summary>
    /// sleep=on: while every hart sleeps, guest time runs with the host's up to the next deadline
    /// (QEMU's icount warp); with no deadline it stands still. sleep=off never sleeps with a deadline
    /// (<see cref="Execute"/> jumps to it), so only an interrupt from outside ends the sleep.
    /// </summary>
    public long HostTimestampAt(ulong nanoseconds)
    {
        if (!_sleep) return long.MaxValue;
        BeginWarp();
        lock (_timeGate)
        {
            if (_warpStart < 0) return long.MaxValue;
            ulong now = _biasNs + (Retired << _shift);
            if (nanoseconds <= now) return Stopwatch.GetTimestamp();
            double ticks = Math.Ceiling((nanoseconds - now) / 1e9 * Stopwatch.Frequency);
            return ticks >= long.MaxValue - _warpStart ? long.MaxValue : _warpStart + (long)ticks;
        }
    }

    private void BeginWarp()
    {
        ulong deadline = NextDeadlineNs;
        lock (_timeGate)
        {
            if (_warpStart >= 0 || deadline == ulong.MaxValue) return;
            ulong now = _biasNs + (Retired << _shift);
            _warpCapNs = deadline > now ? deadline - now : 0;
            Volatile.Write(ref _warpStart, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Folds a warp into the bias: guest time keeps what passed and stops moving with the host.</summary>
    private void EndWarp()
    {
        lock (_timeGate)
        {
            if (_warpStart < 0) return;
            _biasNs += Math.Min(HostNanosSince(_warpStart), _warpCapNs);
            Volatile.Write(ref _warpStart, -1);
        }
    }

    public void Freeze(bool frozen)
    {
        // Paused: no warp. Resumed: the next idle sleep begins a new one, from where this one stopped.
        if (frozen) EndWarp();
    }

    // ---- the executor ----

    public ExecExit Execute()
    {
        EndWarp();
        for (int turn = 0; turn < _harts.Length; turn++)
        {
            if (_kicked) return ExecExit.ExitRequest;
            // A breakpoint, watchpoint or finished step: the round ends and the vCPU stops for gdb.
            if (RunSlice() == ExecExit.Debug) return ExecExit.Debug;
        }
        if (!AllHaltedAndQuiet()) return ExecExit.Budget;
        if (!_sleep)
        {
            // sleep=off: jump guest time to the next deadline at once (QEMU adds it to the bias).
            ulong deadline = NextDeadlineNs;
            if (deadline != ulong.MaxValue)
            {
                lock (_timeGate)
                {
                    ulong now = _biasNs + (Retired << _shift);
                    if (deadline > now) _biasNs += deadline - now;
                }
                return ExecExit.Budget;
            }
        }
        return ExecExit.Halted;
    }

    /// <summary>
    /// Harts gdb keeps stopped while it resumes others (vCont for some threads only), as QEMU's
    /// round-robin thread skips stopped CPUs; null: none. Set while the machine is stopped.
    /// </summary>
    internal bool[]? Held { get; set; }

    private bool IsHeld(int hart) => Held is { } held && held[hart];

    private ExecExit RunSlice()
    {
        int i = _next;
        Hart h = _harts[i];
        _next = i + 1 == _harts.Length ? 0 : i + 1;
        if (IsHeld(i)) return ExecExit.Budget;
        // Ends at the next deadline (at a block boundary), so a timer interrupt is taken close to it.
        long budget = _quantum;
        ulong deadline = NextDeadlineNs;
        if (deadline != ulong.MaxValue)
        {
            ulong now = _biasNs + (_retiredBefore << _shift);
            ulong left = deadline <= now ? 1 : ((deadline - now + (1UL << _shift) - 1) >> _shift);
            if (left < (ulong)budget) budget = (long)left;
        }
        _sliceStart = h.RetiredCount;
        _current = i;
        // A plugin's instrumentation flush kicks the hart itself (Hart.FlushInstrumentation); the flush
        // is applied as the slice starts, so the kick has done its work: withdraw it or the hart never runs.
        h.ClearExitRequest();
        try
        {
            return h.Run(budget);
        }
        finally
        {
            _current = -1;
            _retiredBefore += h.RetiredCount - _sliceStart;
        }
    }

    private bool AllHaltedAndQuiet()
    {
        for (int i = 0; i < _harts.Length; i++)
        {
            if (!IsHeld(i) && (!_harts[i].Halted || _harts[i].HasPendingInterrupt)) return false;
        }
        return true;
    }

    /// <summary>Every hart is in WFI; under sleep=off only with no deadline ahead (with one, Execute jumps to it).</summary>
    public bool IsHalted
    {
        get
        {
            for (int i = 0; i < _harts.Length; i++)
            {
                if (!IsHeld(i) && !_harts[i].Halted) return false;
            }
            return _sleep || NextDeadlineNs == ulong.MaxValue;
        }
    }

    public bool HasPendingInterrupt
    {
        get
        {
            bool any = false;
            for (int i = 0; i < _harts.Length; i++) any |= _harts[i].HasPendingInterrupt && !IsHeld(i); // each refreshes its timer
            return any;
        }
    }

    public long WakeDeadline
    {
        get
        {
            ulong d = NextDeadlineNs;
            return d == ulong.MaxValue ? long.MaxValue : HostTimestampAt(d);
        }
    }

    /// <summary>Ends the round after the running slice: never inside one, so guest-visible order is the same.</summary>
    public void Kick() => _kicked = true;

    public void ClearKick() => _kicked = false;

    public ulong ProgramCounter => _harts[Math.Max(_current, 0)].Pc;

    public int HartCount => _harts.Length;

    public int? RunningHart => _current >= 0 ? _current : null;

    public void AttachWaker(IHartWaker waker)
    {
        foreach (Hart h in _harts) h.Waker = waker;
    }
}
