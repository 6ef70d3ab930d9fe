namespace Rivet.Cpu;

/// <summary>
/// Traps: exception and interrupt entry (with medeleg/mideleg delegation to S-mode), the
/// choice of which pending interrupt is taken, and mret/sret (docs/PRIVILEGED.md).
/// </summary>
internal sealed partial class Hart
{
    /// <summary>
    /// Interrupt numbers from the highest priority down, as the privileged spec (and the AIA's
    /// default order) ranks them: MEI, MSI, MTI, SEI, SSI, STI, then the VS and counter-overflow
    /// bits QEMU lets software set. QEMU 7.2 without AIA takes the lowest number first instead.
    /// </summary>
    private static readonly int[] InterruptPriority = [11, 3, 7, 9, 1, 5, 12, 10, 2, 6, 13];

    /// <summary>The interrupt the hart would take now, or -1: M-level (not delegated) ones first, then S-level.</summary>
    private int SelectInterrupt()
    {
        ulong pending = (ulong)Volatile.Read(ref _mip) & _mie;
        if (pending == 0) return -1;
        // An interrupt for a more-privileged mode is always enabled; for the current mode only with xIE.
        bool mEnabled = Privilege < Priv.Machine || (_mstatus & Mstatus.Mie) != 0;
        bool sEnabled = Privilege < Priv.Supervisor || (Privilege == Priv.Supervisor && (_mstatus & Mstatus.Sie) != 0);
        ulong m = mEnabled ? pending & ~_mideleg : 0;
        if (m != 0) return HighestPriority(m);
        ulong s = sEnabled ? pending & _mideleg : 0;
        return s != 0 ? HighestPriority(s) : -1;
    }

    private static int HighestPriority(ulong bits)
    {
        foreach (int i in InterruptPriority)
        {
            if ((bits & (1UL << i)) != 0) return i;
        }
        return System.Numerics.BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>Takes the highest-priority enabled pending interrupt, if any. Returns true if it did.</summary>
    private bool TryTakeInterrupt()
    {
        int cause = SelectInterrupt();
        if (cause < 0) return false;
        EnterTrap(Cause.InterruptFlag | (uint)cause, 0);
        return true;
    }

    private void RaiseException(ulong cause, ulong tval) => EnterTrap(cause, tval);

    /// <summary>Raises the exception a failed translation or paged access left in <see cref="_mmuFault"/>.</summary>
    private void RaiseMmuFault()
    {
        ulong cause = _mmuFault;
        _mmuFault = NoFault;
        EnterTrap(cause, _mmuFaultAddress);
    }

    /// <summary>
    /// Trap entry: Pc must hold the address of the trapping instruction. A trap from S or U whose
    /// bit is set in medeleg (exceptions) or mideleg (interrupts) goes to S-mode, any other to M.
    /// </summary>
    private void EnterTrap(ulong cause, ulong tval)
    {
        ulong from = Pc & ~1UL;
        if (Log is { } log && log.Has(LogItems.Int)) log.Write(GuestLog.TrapLine(HartId, cause, Pc & ~1UL, tval));
        bool interrupt = (cause & Cause.InterruptFlag) != 0;
        int code = (int)(cause & 63);
        ulong deleg = interrupt ? _mideleg : _medeleg;
        ulong s = _mstatus;
        ulong vector;
        if (Privilege <= Priv.Supervisor && ((deleg >> code) & 1) != 0)
        {
            _sepc = Pc & ~1UL;
            _scause = cause;
            _stval = tval;
            s = (s & Mstatus.Sie) != 0 ? s | Mstatus.Spie : s & ~Mstatus.Spie;
            s = Privilege == Priv.Supervisor ? s | Mstatus.Spp : s & ~Mstatus.Spp;
            s &= ~Mstatus.Sie;
            Privilege = Priv.Supervisor;
            vector = _stvec;
        }
        else
        {
            _mepc = Pc & ~1UL;
            _mcause = cause;
            _mtval = tval;
            s = (s & Mstatus.Mie) != 0 ? s | Mstatus.Mpie : s & ~Mstatus.Mpie;
            s &= ~(Mstatus.Mie | Mstatus.Mpp);
            s |= (ulong)Privilege << (int)Mstatus.MppShift;
            Privilege = Priv.Machine;
            vector = _mtvec;
        }
        _mstatus = s;
        _reservationAddress = ulong.MaxValue;
        ContextChanged();
        ulong baseAddr = vector & ~3UL;
        Pc = interrupt && (vector & 3) == 1 ? baseAddr + 4 * (ulong)code : baseAddr;
        ReportDiscon(interrupt ? DisconKind.Interrupt : DisconKind.Exception, cause, from, interrupt ? 0 : tval);
    }

    /// <summary>mret; false means illegal instruction.</summary>
    private bool TryDoMret()
    {
        ulong s = _mstatus;
        int mpp = (int)((s & Mstatus.Mpp) >> (int)Mstatus.MppShift);
        // QEMU 7.2 refuses to leave M-mode while no PMP entry is active (S and U could access nothing).
        if (mpp != Priv.Machine && !PmpAnyActive) return false;
        s = (s & Mstatus.Mpie) != 0 ? s | Mstatus.Mie : s & ~Mstatus.Mie;
        s |= Mstatus.Mpie;
        s &= ~Mstatus.Mpp; // MPP becomes U, the least-privileged mode
        if (mpp != Priv.Machine) s &= ~Mstatus.Mprv;
        _mstatus = s;
        Privilege = mpp;
        _reservationAddress = ulong.MaxValue;
        ContextChanged();
        ulong from = Pc;
        Pc = _mepc;
        ReportDiscon(DisconKind.TrapReturn, 0, from, 0);
        return true;
    }

    /// <summary>sret; false means illegal instruction (from U, or from S with mstatus.TSR).</summary>
    private bool TryDoSret()
    {
        if (Privilege < Priv.Supervisor || (Privilege == Priv.Supervisor && (_mstatus & Mstatus.Tsr) != 0)) return false;
        ulong s = _mstatus;
        int spp = (s & Mstatus.Spp) != 0 ? Priv.Supervisor : Priv.User;
        s = (s & Mstatus.Spie) != 0 ? s | Mstatus.Sie : s & ~Mstatus.Sie;
        s |= Mstatus.Spie;
        s &= ~Mstatus.Spp; // SPP becomes U; MPRV stays, as QEMU 7.2 (the 1.12 spec clears it)
        _mstatus = s;
        Privilege = spp;
        _reservationAddress = ulong.MaxValue;
        ContextChanged();
        ulong from = Pc;
        Pc = _sepc;
        ReportDiscon(DisconKind.TrapReturn, 0, from, 0);
        return true;
    }
}
