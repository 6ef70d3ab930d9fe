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
}

/// <summary>
/// One RV64IMAC hart with machine and user mode: architectural state, CSRs and traps. The
/// interpreter lives in Hart.Interpreter.cs. Only the hart's own vCPU thread touches its state,
/// except <see cref="SetPending"/>, <see cref="RequestExit"/> and the timer compare, which
/// other threads use through atomics.
/// </summary>
internal sealed unsafe partial class Hart
{
    public const ulong MisaValue = (2UL << 62) | (1UL << ('A' - 'A')) | (1UL << ('C' - 'A')) | (1UL << ('I' - 'A'))
        | (1UL << ('M' - 'A')) | (1UL << ('U' - 'A'));

    // Signal bits (_signal): why the interpreter must look up from guest code at the next block boundary.
    internal const int SignalExit = 1, SignalInterrupt = 2, SignalCodeStale = 4;

    private readonly PhysicalMemory _memory;
    private readonly ITimeSource _time;
    private readonly ulong[] _regs; // x0..x31 plus the x0 write sink; pinned
    private readonly ulong* _x;

    public int HartId { get; }
    public ulong ResetVector { get; set; }
    /// <summary>Value put in a1 at reset (the device tree address on QEMU's virt; 0 when there is none).</summary>
    public ulong ResetA1 { get; set; }
    public IHartWaker? Waker { get; set; }

    public ulong Pc;
    public int Privilege = Priv.Machine;
    /// <summary>Set by WFI when nothing is pending; cleared when the hart wakes.</summary>
    public bool Halted;

    // CSR state.
    private ulong _mstatus, _mtvec, _mscratch, _mepc, _mcause, _mtval, _mie, _mcounteren;
    private readonly byte[] _pmpcfg = new byte[16];
    private readonly ulong[] _pmpaddr = new ulong[16];
    private long _mip; // written by other threads (devices) with Interlocked
    private ulong _instret; // retired instructions, synchronised from the interpreter's local count
    private ulong _cycleDelta; // mcycle = instret + delta
    private long _timerCompare = -1; // mtimecmp as ulong bits; written by the CLINT from any thread

    // LR/SC reservation: SC succeeds if the reserved word still holds the loaded value (as QEMU).
    private ulong _reservationAddress = ulong.MaxValue;
    private ulong _reservationValue;

    private volatile int _signal;

    /// <summary>The -d log, or null (set before the hart runs; read only off the fast path).</summary>
    public GuestLog? Log { get; set; }

    public Hart(int hartId, PhysicalMemory memory, ITimeSource time)
    {
        HartId = hartId;
        _memory = memory;
        _time = time;
        _regs = GC.AllocateArray<ulong>(33, pinned: true);
        _x = (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_regs));
        InitCodeCache();
    }

    public ulong InstructionsRetired => _instret;

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
            // A later deadline may clear MTIP at once; an earlier one may need the sleeper to recompute.
            if (_time.Mtime < value) SetPending(Cause.MachineTimer, false);
            else SetPending(Cause.MachineTimer, true);
            Waker?.Wake();
        }
    }

    /// <summary>Host timestamp of this hart's next timer interrupt (for idle sleeps), or long.MaxValue.</summary>
    public long TimerDeadline
        => (_mie & (1UL << Cause.MachineTimer)) == 0 ? long.MaxValue : _time.HostTimestampAt(TimerCompare);

    /// <summary>Back to the reset state: M-mode at the reset vector, a0 = mhartid.</summary>
    public void Reset()
    {
        Array.Clear(_regs);
        _regs[10] = (ulong)HartId;
        _regs[11] = ResetA1;
        Pc = ResetVector;
        Privilege = Priv.Machine;
        Halted = false;
        _mstatus = 0;
        _mtvec = _mscratch = _mepc = _mcause = _mtval = _mie = _mcounteren = 0;
        Array.Clear(_pmpcfg);
        Array.Clear(_pmpaddr);
        Interlocked.Exchange(ref _mip, 0);
        _instret = 0;
        _cycleDelta = 0;
        Volatile.Write(ref _timerCompare, -1);
        _reservationAddress = ulong.MaxValue;
        FlushCodeCache();
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
        bool due = _time.Mtime >= TimerCompare;
        bool pending = (Volatile.Read(ref _mip) & (1L << Cause.MachineTimer)) != 0;
        if (due != pending) SetPending(Cause.MachineTimer, due);
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
        return new Machine.HartState
        {
            HartId = HartId,
            Pc = Volatile.Read(ref Pc),
            Privilege = Volatile.Read(ref Privilege),
            X = x,
            Mstatus = Volatile.Read(ref _mstatus) | Mstatus.Uxl64,
            Mip = _time.Mtime >= TimerCompare ? Mip | (1UL << Cause.MachineTimer) : Mip & ~(1UL << Cause.MachineTimer), // as a csrr would see it
            Mie = Volatile.Read(ref _mie),
            Mtvec = Volatile.Read(ref _mtvec),
            Mepc = Volatile.Read(ref _mepc),
            Mcause = Volatile.Read(ref _mcause),
            Mtval = Volatile.Read(ref _mtval),
            Mscratch = Volatile.Read(ref _mscratch),
        };
    }

    /// <summary>Takes the highest-priority enabled pending interrupt, if any. Returns true if it did.</summary>
    private bool TryTakeInterrupt()
    {
        ulong pending = (ulong)Volatile.Read(ref _mip) & _mie;
        if (pending == 0) return false;
        // M-mode interrupts are always enabled below M; in M only with mstatus.MIE.
        if (Privilege == Priv.Machine && (_mstatus & Mstatus.Mie) == 0) return false;
        int cause = (pending & (1UL << Cause.MachineExternal)) != 0 ? Cause.MachineExternal
            : (pending & (1UL << Cause.MachineSoftware)) != 0 ? Cause.MachineSoftware
            : (pending & (1UL << Cause.MachineTimer)) != 0 ? Cause.MachineTimer
            : -1;
        if (cause < 0) return false;
        EnterTrap(Cause.InterruptFlag | (uint)cause, 0);
        return true;
    }

    /// <summary>Trap entry into M-mode: Pc must hold the address of the trapping instruction.</summary>
    private void EnterTrap(ulong cause, ulong tval)
    {
        if (Log is { } log && log.Has(LogItems.Int)) log.Write(GuestLog.TrapLine(HartId, cause, Pc & ~1UL, tval));
        _mepc = Pc & ~1UL;
        _mcause = cause;
        _mtval = tval;
        ulong s = _mstatus;
        s = (s & Mstatus.Mie) != 0 ? s | Mstatus.Mpie : s & ~Mstatus.Mpie;
        s &= ~(Mstatus.Mie | Mstatus.Mpp);
        s |= (ulong)Privilege << (int)Mstatus.MppShift;
        _mstatus = s;
        Privilege = Priv.Machine;
        _reservationAddress = ulong.MaxValue;
        ulong baseAddr = _mtvec & ~3UL;
        Pc = (cause & Cause.InterruptFlag) != 0 && (_mtvec & 3) == 1 ? baseAddr + 4 * (cause & 0xFF) : baseAddr;
    }

    private void DoMret()
    {
        ulong s = _mstatus;
        int mpp = (int)((s & Mstatus.Mpp) >> (int)Mstatus.MppShift);
        s = (s & Mstatus.Mpie) != 0 ? s | Mstatus.Mie : s & ~Mstatus.Mie;
        s |= Mstatus.Mpie;
        s &= ~Mstatus.Mpp; // MPP becomes U, the least-privileged mode
        if (mpp != Priv.Machine) s &= ~Mstatus.Mprv;
        _mstatus = s;
        Privilege = mpp;
        _reservationAddress = ulong.MaxValue;
        Pc = _mepc;
    }

    // ---- CSRs ----

    private static bool CounterEnabledForU(ulong mcounteren, int csr) => ((mcounteren >> (csr & 0x1F)) & 1) != 0;

    /// <summary>Reads a CSR; false if it does not exist or is not accessible (illegal instruction).</summary>
    internal bool TryReadCsr(int csr, out ulong value)
    {
        value = 0;
        if (((csr >> 8) & 3) > Privilege) return false;
        switch (csr)
        {
            case Csr.Cycle or Csr.Time or Csr.Instret or (>= Csr.HpmCounter3 and <= Csr.HpmCounter31):
                if (Privilege < Priv.Machine && !CounterEnabledForU(_mcounteren, csr)) return false;
                value = csr switch
                {
                    Csr.Cycle => _instret + _cycleDelta,
                    Csr.Time => _time.Mtime,
                    Csr.Instret => _instret,
                    _ => 0,
                };
                return true;
            case Csr.Mvendorid or Csr.Marchid or Csr.Mimpid or Csr.Mconfigptr: return true;
            case Csr.Mhartid: value = (ulong)HartId; return true;
            case Csr.Mstatus: value = _mstatus | Mstatus.Uxl64; return true;
            case Csr.Misa: value = MisaValue; return true;
            case Csr.Mie: value = _mie; return true;
            case Csr.Mtvec: value = _mtvec; return true;
            case Csr.Mcounteren: value = _mcounteren; return true;
            case Csr.Mcountinhibit: return true;
            case >= Csr.MhpmEvent3 and <= Csr.MhpmEvent31: return true;
            case Csr.Mscratch: value = _mscratch; return true;
            case Csr.Mepc: value = _mepc; return true;
            case Csr.Mcause: value = _mcause; return true;
            case Csr.Mtval: value = _mtval; return true;
            case Csr.Mip: RefreshTimer(); value = Mip; return true;
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15:
                if ((csr & 1) != 0) return false; // odd pmpcfg registers do not exist on RV64
                if (csr - Csr.Pmpcfg0 < 4) value = BitConverter.ToUInt64(_pmpcfg, (csr - Csr.Pmpcfg0) * 4);
                return true;
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63:
                if (csr - Csr.Pmpaddr0 < _pmpaddr.Length) value = _pmpaddr[csr - Csr.Pmpaddr0];
                return true;
            case Csr.Tselect or Csr.Tdata1 or Csr.Tdata2 or Csr.Tdata3: return true;
            case Csr.Tinfo: value = 1; return true; // only type 0: no triggers
            case Csr.Mcycle: value = _instret + _cycleDelta; return true;
            case Csr.Minstret: value = _instret; return true;
            case >= Csr.MhpmCounter3 and <= Csr.MhpmCounter31: return true;
            default: return false;
        }
    }

    /// <summary>Writes a CSR (after a successful read check). False means illegal instruction.</summary>
    internal bool TryWriteCsr(int csr, ulong value)
    {
        if ((csr >> 10) == 3) return false; // read-only range
        if (((csr >> 8) & 3) > Privilege) return false;
        switch (csr)
        {
            case Csr.Mstatus:
                {
                    ulong v = (_mstatus & ~Mstatus.Writable) | (value & Mstatus.Writable);
                    // MPP is WARL with M and U only: anything else reads back as U.
                    ulong mpp = (v & Mstatus.Mpp) >> (int)Mstatus.MppShift;
                    if (mpp != Priv.Machine && mpp != Priv.User) v &= ~Mstatus.Mpp;
                    _mstatus = v;
                    RaiseSignal(SignalInterrupt);
                    return true;
                }
            case Csr.Misa: return true; // WARL, fixed
            case Csr.Mie:
                _mie = value & ((1UL << Cause.MachineSoftware) | (1UL << Cause.MachineTimer) | (1UL << Cause.MachineExternal));
                RaiseSignal(SignalInterrupt);
                return true;
            case Csr.Mtvec:
                if ((value & 3) < 2) _mtvec = value; // reserved modes: write ignored, as QEMU
                else if (Log is { } log && log.Has(LogItems.Unimp)) log.Write("CSR_MTVEC: reserved mode not supported\n");
                return true;
            case Csr.Mcounteren: _mcounteren = value & 0xFFFF_FFFF; return true;
            case Csr.Mcountinhibit: return true;
            case >= Csr.MhpmEvent3 and <= Csr.MhpmEvent31: return true;
            case Csr.Mscratch: _mscratch = value; return true;
            case Csr.Mepc: _mepc = value & ~1UL; return true;
            case Csr.Mcause: _mcause = value; return true;
            case Csr.Mtval: _mtval = value; return true;
            case Csr.Mip: return true; // no software-writable bits without S-mode
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15:
                if ((csr & 1) != 0) return false;
                if (csr - Csr.Pmpcfg0 < 4)
                {
                    int first = (csr - Csr.Pmpcfg0) * 4;
                    for (int b = 0; b < 8; b++)
                    {
                        if ((_pmpcfg[first + b] & 0x80) != 0) continue; // locked entry
                        byte cfg = (byte)(value >> (8 * b));
                        if ((cfg & 3) == 2) cfg &= unchecked((byte)~2); // R=0,W=1 is reserved
                        _pmpcfg[first + b] = (byte)(cfg & 0x9F);
                    }
                }
                return true;
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63:
                {
                    int idx = csr - Csr.Pmpaddr0;
                    if (idx < _pmpaddr.Length && (_pmpcfg[idx] & 0x80) == 0)
                        _pmpaddr[idx] = value & ((1UL << 54) - 1);
                    return true;
                }
            // A write takes effect for the next instruction: the writing instruction's own
            // retirement (counted after this) brings the counters to the written value.
            case Csr.Tselect or Csr.Tdata1 or Csr.Tdata2 or Csr.Tdata3 or Csr.Tinfo: return true; // WARL, no triggers
            case Csr.Mcycle: _cycleDelta = value - 1 - _instret; return true;
            case Csr.Minstret:
                _cycleDelta += _instret - (value - 1);
                _instret = value - 1;
                return true;
            case >= Csr.MhpmCounter3 and <= Csr.MhpmCounter31: return true;
            default: return false;
        }
    }
}
