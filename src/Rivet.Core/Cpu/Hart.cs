using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>Guest time as the CLINT counts it (10 MHz), frozen while the machine is paused.</summary>
internal interface ITimeSource
{
    ulong Mtime { get; }

    /// <summary>The host <see cref="System.Diagnostics.Stopwatch"/> timestamp at which mtime reaches <paramref name="mtime"/>, or long.MaxValue.</summary>
    long HostTimestampAt(ulong mtime);

    /// <summary>
    /// The guest time in nanoseconds at which a compare value written now fires, or ulong.MaxValue:
    /// as QEMU's timers, now + (compare - mtime) ticks, so it fires when mtime has reached the compare.
    /// Only -icount's executor uses it (its next deadline, its jumps over idle time).
    /// </summary>
    ulong ExpiryNanoseconds(ulong compare);
}

/// <summary>Under -icount: what mcycle and minstret count (QEMU 7.2's get_ticks reads icount_get(), virtual nanoseconds).</summary>
internal interface ICounterClock
{
    ulong CounterNanoseconds { get; }
}

/// <summary>Wakes the thread that runs a hart (implemented by the vCPU; sticky, never lost).</summary>
internal interface IHartWaker
{
    void Wake();
}

/// <summary>Why <see cref="Hart.Run"/> returned.</summary>
internal enum ExecExit
{
    /// <summary>The instruction budget is used up.</summary>
    Budget,
    /// <summary>Somebody asked the hart to leave guest code (a kick).</summary>
    ExitRequest,
    /// <summary>The guest executed WFI with no enabled interrupt pending.</summary>
    Halted,
    /// <summary>A breakpoint, a single step or a watchpoint stopped the hart (<see cref="Hart.TakeDebugEvent"/> says which).</summary>
    Debug,
}

/// <summary>
/// One RV64GC (IMAFDC) hart with machine, supervisor and user mode: architectural state. CSR access
/// lives in Hart.Csr.cs, traps and interrupt selection in Hart.Trap.cs, the interpreter in
/// Hart.Interpreter.cs (docs/PRIVILEGED.md), F and D in Hart.Fpu.cs (docs/FLOATING-POINT.md). Only the hart's own vCPU thread touches its state,
/// except <see cref="SetPending"/>, <see cref="RequestExit"/> and the timer compare, which
/// other threads use through atomics.
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>RV64 IMAFDC with S and U (QEMU 7.2's rv64 also sets H, which Rivet does not have).</summary>
    public const ulong MisaValue = (2UL << 62) | (1UL << ('A' - 'A')) | (1UL << ('C' - 'A')) | (1UL << ('D' - 'A'))
        | (1UL << ('F' - 'A')) | (1UL << ('I' - 'A')) | (1UL << ('M' - 'A')) | (1UL << ('S' - 'A')) | (1UL << ('U' - 'A'));

    // Signal bits (_signal): why the interpreter must look up from guest code at the next block boundary.
    internal const int SignalExit = 1, SignalInterrupt = 2, SignalCodeStale = 4, SignalModeSwitch = 8;

    private readonly PhysicalMemory _memory;
    private readonly ITimeSource _time;
    private readonly ulong[] _regs; // x0..x31 plus the x0 write sink; pinned
    private readonly ulong* _x;

    public int HartId { get; }
    /// <summary>Where the hart starts (QEMU virt: the ROM's reset vector at 0x1000, which sets a0, a1 and a2).</summary>
    public ulong ResetVector { get; set; }
    public IHartWaker? Waker { get; set; }

    public ulong Pc;
    public int Privilege = Priv.Machine;
    /// <summary>Set by WFI when nothing is pending; cleared when the hart wakes.</summary>
    public bool Halted;

    // CSR state.
    private ulong _mstatus, _mtvec, _mscratch, _mepc, _mcause, _mtval, _mie, _mcounteren;
    private ulong _medeleg, _mideleg, _menvcfg;
    private ulong _stvec, _sscratch, _sepc, _scause, _stval, _scounteren, _senvcfg, _satp;
    private ulong _stimecmp;
    private bool _stimecmpArmed; // Sstc: STIP is raised when mtime reaches stimecmp (set by a stimecmp write, as QEMU's timer)
    private readonly byte[] _pmpcfg = new byte[16];
    private readonly ulong[] _pmpaddr = new ulong[16];
    private long _mip; // written by other threads (devices) with Interlocked
    private ulong _instret; // retired instructions, synchronised from the interpreter's local count
    private ulong _cycleDelta; // mcycle = instret + delta
    private ulong _instretAdjust; // RetiredCount - _instret: keeps RetiredCount monotonic over minstret writes and resets
    private ulong _icountCycleDelta, _icountInstretDelta; // under -icount: counter = virtual ns + delta
    private ulong _timerExpiryNs = ulong.MaxValue, _stimecmpExpiryNs = ulong.MaxValue; // ITimeSource.ExpiryNanoseconds at the last compare write
    private long _timerCompare = -1; // mtimecmp as ulong bits; written by the CLINT from any thread

    // LR/SC reservation: SC succeeds if the reserved word still holds the loaded value (as QEMU).
    private ulong _reservationAddress = ulong.MaxValue;
    private ulong _reservationValue;

    private volatile int _signal;

    /// <summary>The -d log, or null (set before the hart runs; read only off the fast path).</summary>
    public GuestLog? Log
    {
        get => _log;
        set
        {
            _log = value;
            // -d mmu logs every TLB fill, M-mode's too (as QEMU): every access goes through the TLBs then.
            _logMmu = value?.Has(LogItems.Mmu) == true;
            SelectTlbs();
        }
    }

    private GuestLog? _log;
    private bool _logMmu;

    public Hart(int hartId, PhysicalMemory memory, ITimeSource time)
    {
        HartId = hartId;
        _memory = memory;
        _time = time;
        _regs = GC.AllocateArray<ulong>(33, pinned: true);
        _x = (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_regs));
        _fregs = GC.AllocateArray<ulong>(32, pinned: true);
        _f = (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_fregs));
        InitCodeCache();
        SelectTlbs();
    }

    public ulong InstructionsRetired => _instret;

    /// <summary>
    /// Instructions this hart has executed since it was built, as QEMU's icount counts them: the retired
    /// ones and ecall and ebreak (which trap without retiring; other trapping instructions do not count).
    /// Never goes back: minstret writes and resets do not move it.
    /// </summary>
    public ulong RetiredCount => _instret + _instretAdjust;

    /// <summary>Set (before the hart runs) under -icount: mcycle and minstret then read its nanoseconds.</summary>
    public ICounterClock? CounterClock { get; set; }

    /// <summary>Guest nanoseconds of this hart's next enabled timer interrupt (mtimecmp, Sstc's stimecmp), or ulong.MaxValue.</summary>
    public ulong NextTimerNanoseconds
    {
        get
        {
            ulong m = (_mie & (1UL << Cause.MachineTimer)) == 0 || TimerCompare == ulong.MaxValue ? ulong.MaxValue : Volatile.Read(ref _timerExpiryNs);
            ulong s = !_stimecmpArmed || (_mie & (1UL << Cause.SupervisorTimer)) == 0 ? ulong.MaxValue : _stimecmpExpiryNs;
            return Math.Min(m, s);
        }
    }

    public ulong ReadRegister(int index) => index == 0 ? 0 : _regs[index];

    public void WriteRegister(int index, ulong value)
    {
        if (index != 0) _regs[index] = value;
    }

    public ulong TimerCompare
    {
        get => (ulong)Volatile.Read(ref _timerCompare);
        set
        {
            Volatile.Write(ref _timerCompare, (long)value);
            Volatile.Write(ref _timerExpiryNs, _time.ExpiryNanoseconds(value));
            // A later deadline may clear MTIP at once; an earlier one may need the sleeper to recompute.
            if (_time.Mtime < value) SetPending(Cause.MachineTimer, false);
            else SetPending(Cause.MachineTimer, true);
            Waker?.Wake();
        }
    }

    /// <summary>Host timestamp of this hart's next timer interrupt (for idle sleeps), or long.MaxValue.</summary>
    public long TimerDeadline
    {
        get
        {
            long m = (_mie & (1UL << Cause.MachineTimer)) == 0 ? long.MaxValue : _time.HostTimestampAt(TimerCompare);
            long s = !_stimecmpArmed || (_mie & (1UL << Cause.SupervisorTimer)) == 0 ? long.MaxValue : _time.HostTimestampAt(_stimecmp);
            return Math.Min(m, s);
        }
    }

    /// <summary>Back to the reset state: M-mode at the reset vector, every register zero (as QEMU's).</summary>
    public void Reset()
    {
        Array.Clear(_regs);
        Array.Clear(_fregs);
        _fflags = _frm = 0;
        Pc = ResetVector;
        Privilege = Priv.Machine;
        Halted = false;
        _mstatus = 0; // FS Off, as QEMU 7.2: firmware turns the FPU on
        _mtvec = _mscratch = _mepc = _mcause = _mtval = _mie = _mcounteren = 0;
        _medeleg = _mideleg = _menvcfg = 0;
        _stvec = _sscratch = _sepc = _scause = _stval = _scounteren = _senvcfg = _satp = 0;
        _stimecmp = 0;
        _stimecmpArmed = false;
        Array.Clear(_pmpcfg);
        Array.Clear(_pmpaddr);
        _pmpBindsMachine = false;
        Interlocked.Exchange(ref _mip, 0);
        _instretAdjust += _instret;
        _instret = 0;
        _cycleDelta = 0;
        _icountCycleDelta = _icountInstretDelta = 0;
        Volatile.Write(ref _timerCompare, -1);
        Volatile.Write(ref _timerExpiryNs, ulong.MaxValue);
        _stimecmpExpiryNs = ulong.MaxValue;
        _reservationAddress = ulong.MaxValue;
        FlushCodeCache();
        _mappingEpoch++;
        TranslationChanged();
        _mmuFault = NoFault;
        _modeSwitch = false;
        ResetInstrumentationState();
    }

    /// <summary>Raise or lower an interrupt-pending bit; wakes the hart if it sleeps. Any thread.</summary>
    public void SetPending(int cause, bool on)
    {
        long bit = 1L << cause;
        long old = on ? Interlocked.Or(ref _mip, bit) : Interlocked.And(ref _mip, ~bit);
        if (on && (old & bit) == 0)
        {
            RaiseSignal(SignalInterrupt);
            Waker?.Wake();
        }
    }

    /// <summary>Asks the interpreter to return at the next block boundary (a kick). Any thread.</summary>
    public void RequestExit() => RaiseSignal(SignalExit);

    /// <summary>Withdraws a kick; the vCPU loop calls this before it re-checks its stop requests.</summary>
    public void ClearExitRequest()
    {
        int s;
        do { s = _signal; } while ((s & SignalExit) != 0 && Interlocked.CompareExchange(ref _signal, s & ~SignalExit, s) != s);
    }

    private void RaiseSignal(int bit)
    {
        int s;
        do { s = _signal; } while ((s & bit) == 0 && Interlocked.CompareExchange(ref _signal, s | bit, s) != s);
    }

    private void ClearSignal(int bit)
    {
        int s;
        do { s = _signal; } while ((s & bit) != 0 && Interlocked.CompareExchange(ref _signal, s & ~bit, s) != s);
    }

    private void RefreshTimer()
    {
        ulong now = _time.Mtime;
        bool due = now >= TimerCompare;
        bool pending = (Volatile.Read(ref _mip) & (1L << Cause.MachineTimer)) != 0;
        if (due != pending) SetPending(Cause.MachineTimer, due);
        if (_stimecmpArmed && now >= _stimecmp)
        {
            // Like QEMU's stimecmp timer: it raises STIP once; only a stimecmp write lowers it.
            _stimecmpArmed = false;
            SetPending(Cause.SupervisorTimer, true);
        }
    }

    /// <summary>cpu_has_work: an interrupt is pending and enabled in mie, whatever mstatus.MIE says.</summary>
    public bool HasPendingInterrupt
    {
        get
        {
            RefreshTimer();
            return ((ulong)Volatile.Read(ref _mip) & _mie) != 0;
        }
    }

    public ulong Mip => (ulong)Volatile.Read(ref _mip);

    /// <summary>
    /// The registers the monitor shows, read with no side effect (no timer refresh, no privilege
    /// check). Any thread: each value is one 64-bit read, so a running hart gives values from
    /// around one moment (its last block boundary for pc), as QEMU's monitor does under TCG.
    /// </summary>
    public Machine.HartState CaptureState()
    {
        var x = new ulong[32];
        for (int i = 1; i < 32; i++) x[i] = Volatile.Read(ref _regs[i]);
        var f = new ulong[32];
        for (int i = 0; i < 32; i++) f[i] = Volatile.Read(ref _fregs[i]);
        return new Machine.HartState
        {
            HartId = HartId,
            Pc = Volatile.Read(ref Pc),
            Privilege = Volatile.Read(ref Privilege),
            X = x,
            Mstatus = Volatile.Read(ref _mstatus) | Mstatus.Uxl64 | Mstatus.Sxl64,
            Mip = _time.Mtime >= TimerCompare ? Mip | (1UL << Cause.MachineTimer) : Mip & ~(1UL << Cause.MachineTimer), // as a csrr would see it
            Mie = Volatile.Read(ref _mie),
            Mtvec = Volatile.Read(ref _mtvec),
            Mepc = Volatile.Read(ref _mepc),
            Mcause = Volatile.Read(ref _mcause),
            Mtval = Volatile.Read(ref _mtval),
            Mscratch = Volatile.Read(ref _mscratch),
            Mideleg = Volatile.Read(ref _mideleg),
            Medeleg = Volatile.Read(ref _medeleg),
            Stvec = Volatile.Read(ref _stvec),
            Sepc = Volatile.Read(ref _sepc),
            Scause = Volatile.Read(ref _scause),
            Stval = Volatile.Read(ref _stval),
            Sscratch = Volatile.Read(ref _sscratch),
            Satp = Volatile.Read(ref _satp),
            F = f,
        };
    }
}
