using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>
/// CSR access: the privilege and counter-enable checks, WARL rules and the S-mode views of the
/// machine registers (sstatus, sie, sip), with QEMU 7.2's writable masks (docs/PRIVILEGED.md).
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>QEMU 7.2's delegable exceptions: 0-13, 15 and the (H) 20-23.</summary>
    private const ulong MedelegWritable = 0xF0BFFF;
    /// <summary>QEMU 7.2's delegable interrupts: the S and VS bits and LCOFI (13).</summary>
    private const ulong MidelegWritable = 0x2666;
    /// <summary>QEMU 7.2's mie: M, S and VS bits and LCOFI.</summary>
    private const ulong MieWritable = 0x2EEE;
    /// <summary>The mip bits M-mode may write: the S and VS ones and LCOFI (MSIP/MTIP/MEIP are devices').</summary>
    private const ulong MipWritable = 0x2666;
    /// <summary>S-level interrupts, as sie/sip show them (through mideleg).</summary>
    private const ulong SupervisorInterrupts = 0x2222;
    /// <summary>The sip bits S-mode may write: SSIP and LCOFIP.</summary>
    private const ulong SipWritable = 0x2002;
    private const ulong MenvcfgStce = 1UL << 63;
    /// <summary>QEMU 7.2: STCE, PBMTE, CBZE, CBCFE, CBIE, FIOM.</summary>
    private const ulong MenvcfgWritable = 0xC0000000_000000F1;
    private const ulong SenvcfgWritable = 0xF1;
    private const int SatpModeShift = 60;
    private const int CounterTime = 1; // the TM bit of mcounteren/scounteren

    private static bool CounterEnabled(ulong counteren, int csr) => ((counteren >> (csr & 0x1F)) & 1) != 0;

    /// <summary>The mip bits M-mode may write now: with Sstc on (menvcfg.STCE) STIP follows stimecmp only.</summary>
    private ulong MipWritableNow => (_menvcfg & MenvcfgStce) != 0 ? MipWritable & ~(1UL << Cause.SupervisorTimer) : MipWritable;

    /// <summary>Reads a CSR; false if it does not exist or is not accessible (illegal instruction).</summary>
    /// <param name="debug">A debugger's (plugin's) read: no privilege, counter-enable, TVM or FS check.</param>
    internal bool TryReadCsr(int csr, out ulong value, bool debug = false)
    {
        value = 0;
        if (!debug && ((csr >> 8) & 3) > Privilege) return false;
        switch (csr)
        {
            case Csr.Fflags or Csr.Frm or Csr.Fcsr:
                if (!debug && !FpEnabled) return false;
                value = csr switch { Csr.Fflags => _fflags, Csr.Frm => _frm, _ => (_frm << 5) | _fflags };
                return true;
            case Csr.Cycle or Csr.Time or Csr.Instret or (>= Csr.HpmCounter3 and <= Csr.HpmCounter31):
                // Below M the counter must be enabled in mcounteren, and for U also in scounteren.
                if (!debug && Privilege < Priv.Machine && !CounterEnabled(_mcounteren, csr)) return false;
                if (!debug && Privilege == Priv.User && !CounterEnabled(_scounteren, csr)) return false;
                value = csr switch
                {
                    Csr.Cycle => Mcycle,
                    Csr.Time => _time.Mtime,
                    Csr.Instret => Minstret,
                    _ => 0,
                };
                return true;
            case Csr.Sstatus: value = (_mstatus | Mstatus.Uxl64) & Mstatus.SstatusMask; return true;
            case Csr.Sie: value = _mie & _mideleg & SupervisorInterrupts; return true;
            case Csr.Stvec: value = _stvec; return true;
            case Csr.Scounteren: value = _scounteren; return true;
            case Csr.Senvcfg: value = _senvcfg; return true;
            case Csr.Sscratch: value = _sscratch; return true;
            case Csr.Sepc: value = _sepc; return true;
            case Csr.Scause: value = _scause; return true;
            case Csr.Stval: value = _stval; return true;
            case Csr.Sip: RefreshTimer(); value = Mip & _mideleg & SupervisorInterrupts; return true;
            case Csr.Stimecmp:
                if (!debug && !StimecmpAccessible) return false;
                value = _stimecmp;
                return true;
            case Csr.Satp:
                if (!debug && Privilege == Priv.Supervisor && (_mstatus & Mstatus.Tvm) != 0) return false;
                value = _satp;
                return true;
            case Csr.Mvendorid or Csr.Marchid or Csr.Mimpid or Csr.Mconfigptr: return true;
            case Csr.Mhartid: value = (ulong)HartId; return true;
            case Csr.Mstatus: value = _mstatus | Mstatus.Uxl64 | Mstatus.Sxl64; return true;
            case Csr.Misa: value = MisaValue; return true;
            case Csr.Medeleg: value = _medeleg; return true;
            case Csr.Mideleg: value = _mideleg; return true;
            case Csr.Mie: value = _mie; return true;
            case Csr.Mtvec: value = _mtvec; return true;
            case Csr.Mcounteren: value = _mcounteren; return true;
            case Csr.Menvcfg: value = _menvcfg; return true;
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
            case Csr.Mcycle: value = Mcycle; return true;
            case Csr.Minstret: value = Minstret; return true;
            case >= Csr.MhpmCounter3 and <= Csr.MhpmCounter31: return true;
            default: return false;
        }
    }

    /// <summary>Sstc: M always; S when mcounteren.TM and menvcfg.STCE allow it (as QEMU 7.2).</summary>
    private bool StimecmpAccessible
        => Privilege == Priv.Machine || (CounterEnabled(_mcounteren, CounterTime) && (_menvcfg & MenvcfgStce) != 0);

    /// <summary>Writes a CSR (after a successful read check). False means illegal instruction.</summary>
    /// <param name="debug">A debugger's (plugin's) write: no privilege or FS check (read-only CSRs stay read-only).</param>
    internal bool TryWriteCsr(int csr, ulong value, bool debug = false)
    {
        if ((csr >> 10) == 3) return false; // read-only range
        if (!debug && ((csr >> 8) & 3) > Privilege) return false;
        switch (csr)
        {
            case Csr.Fflags or Csr.Frm or Csr.Fcsr:
                if (!debug && !FpEnabled) return false;
                if (csr != Csr.Frm) _fflags = (uint)value & 0x1F;
                if (csr == Csr.Frm) _frm = (uint)value & 7;
                else if (csr == Csr.Fcsr) _frm = (uint)(value >> 5) & 7;
                MarkFsDirty();
                return true;
            case Csr.Sstatus:
                WriteMstatus((_mstatus & ~Mstatus.SstatusWritable) | (value & Mstatus.SstatusWritable));
                return true;
            case Csr.Sie:
                {
                    ulong mask = _mideleg & SupervisorInterrupts;
                    _mie = (_mie & ~mask) | (value & mask);
                    RaiseSignal(SignalInterrupt);
                    return true;
                }
            case Csr.Stvec:
                if ((value & 3) < 2) _stvec = value; // reserved modes: write ignored, as QEMU
                else if (Log is { } slog && slog.Has(LogItems.Unimp)) slog.Write("CSR_STVEC: reserved mode not supported\n");
                return true;
            case Csr.Scounteren: _scounteren = value & 0xFFFF_FFFF; return true;
            case Csr.Senvcfg: _senvcfg = value & SenvcfgWritable; return true;
            case Csr.Sscratch: _sscratch = value; return true;
            case Csr.Sepc: _sepc = value & ~1UL; return true;
            case Csr.Scause: _scause = value; return true;
            case Csr.Stval: _stval = value; return true;
            case Csr.Sip:
                WriteMip(_mideleg & SipWritable, value);
                return true;
            case Csr.Stimecmp:
                WriteStimecmp(value);
                return true;
            case Csr.Satp:
                {
                    // WARL: a write with an unsupported MODE is ignored (QEMU's validate_vm).
                    ulong mode = value >> SatpModeShift;
                    if (!SatpModeSupported(mode)) return true;
                    _satp = value;
                    FlushTranslations();
                    return true;
                }
            case Csr.Mstatus:
                WriteMstatus((_mstatus & ~Mstatus.Writable) | (value & Mstatus.Writable));
                return true;
            case Csr.Misa: return true; // WARL, fixed
            case Csr.Medeleg: _medeleg = value & MedelegWritable; return true;
            case Csr.Mideleg:
                _mideleg = value & MidelegWritable;
                RaiseSignal(SignalInterrupt);
                return true;
            case Csr.Mie:
                _mie = value & MieWritable;
                RaiseSignal(SignalInterrupt);
                return true;
            case Csr.Mtvec:
                if ((value & 3) < 2) _mtvec = value; // reserved modes: write ignored, as QEMU
                else if (Log is { } log && log.Has(LogItems.Unimp)) log.Write("CSR_MTVEC: reserved mode not supported\n");
                return true;
            case Csr.Mcounteren: _mcounteren = value & 0xFFFF_FFFF; return true;
            case Csr.Menvcfg: _menvcfg = value & MenvcfgWritable; return true;
            case Csr.Mcountinhibit: return true;
            case >= Csr.MhpmEvent3 and <= Csr.MhpmEvent31: return true;
            case Csr.Mscratch: _mscratch = value; return true;
            case Csr.Mepc: _mepc = value & ~1UL; return true;
            case Csr.Mcause: _mcause = value; return true;
            case Csr.Mtval: _mtval = value; return true;
            case Csr.Mip:
                WriteMip(MipWritableNow, value);
                return true;
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15:
                if ((csr & 1) != 0) return false;
                if (csr - Csr.Pmpcfg0 < 4)
                {
                    int first = (csr - Csr.Pmpcfg0) * 4;
                    for (int b = 0; b < 8; b++)
                    {
                        if ((_pmpcfg[first + b] & 0x80) != 0)
                        {
                            GuestError("ignoring pmpcfg write - locked\n");
                            continue;
                        }
                        byte cfg = (byte)(value >> (8 * b));
                        if ((cfg & 3) == 2) cfg &= unchecked((byte)~2); // R=0,W=1 is reserved
                        _pmpcfg[first + b] = (byte)(cfg & 0x9F);
                    }
                    PmpChanged();
                }
                return true;
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63:
                {
                    int idx = csr - Csr.Pmpaddr0;
                    // A locked entry, or a locked TOR entry above it (which uses it as its bottom), keeps it.
                    if (idx >= _pmpaddr.Length) return true;
                    if (idx + 1 < _pmpaddr.Length && (_pmpcfg[idx + 1] & 0x98) == 0x88)
                    {
                        GuestError("ignoring pmpaddr write - pmpcfg + 1 locked\n");
                    }
                    else if ((_pmpcfg[idx] & 0x80) != 0)
                    {
                        GuestError("ignoring pmpaddr write - locked\n");
                    }
                    else
                    {
                        _pmpaddr[idx] = value & ((1UL << 54) - 1);
                        PmpChanged();
                    }
                    return true;
                }
            // A write takes effect for the next instruction: the writing instruction's own
            // retirement (counted after this) brings the counters to the written value.
            case Csr.Tselect or Csr.Tdata1 or Csr.Tdata2 or Csr.Tdata3 or Csr.Tinfo: return true; // WARL, no triggers
            case Csr.Mcycle when CounterClock is { } clock: _icountCycleDelta = value - clock.CounterNanoseconds; return true;
            case Csr.Minstret when CounterClock is { } clock: _icountInstretDelta = value - clock.CounterNanoseconds; return true;
            case Csr.Mcycle: _cycleDelta = value - 1 - _instret; return true;
            case Csr.Minstret:
                _cycleDelta += _instret - (value - 1);
                _instretAdjust += _instret - (value - 1);
                _instret = value - 1;
                return true;
            case >= Csr.MhpmCounter3 and <= Csr.MhpmCounter31: return true;
            default: return false;
        }
    }

    /// <summary>satp.MODE values this hart translates with: Bare, Sv39, Sv48, Sv57 (WARL: others leave satp unchanged).</summary>
    private static bool SatpModeSupported(ulong mode) => mode is 0 or 8 or 9 or 10;

    private void WriteMstatus(ulong v)
    {
        // MPP is WARL with M, S and U: the reserved 2 reads back as U.
        if (((v & Mstatus.Mpp) >> (int)Mstatus.MppShift) == 2) v &= ~Mstatus.Mpp;
        // SD summarises FS (XS is always 0): it is read-only, computed here.
        v = (v & Mstatus.Fs) == Mstatus.FsDirty ? v | Mstatus.Sd : v & ~Mstatus.Sd;
        ulong changed = _mstatus ^ v;
        _mstatus = v;
        // MXR changes what every cached load translation allows; the others only pick other TLBs.
        if ((changed & Mstatus.Mxr) != 0) TranslationChanged();
        else if ((changed & (Mstatus.Mprv | Mstatus.Mpp | Mstatus.Sum)) != 0) ContextChanged();
        RaiseSignal(SignalInterrupt);
    }

    /// <summary>Sets the <paramref name="mask"/> bits of mip from <paramref name="value"/>, atomically with device updates.</summary>
    private void WriteMip(ulong mask, ulong value)
    {
        long old, next;
        do
        {
            old = Volatile.Read(ref _mip);
            next = (long)(((ulong)old & ~mask) | (value & mask));
        } while (Interlocked.CompareExchange(ref _mip, next, old) != old);
        RaiseSignal(SignalInterrupt);
    }

    // Under -icount both count virtual nanoseconds (QEMU 7.2's get_ticks reads icount_get()), each with
    // its own offset from writes; otherwise retired instructions (mcycle with its own offset).
    private ulong Mcycle => CounterClock is { } c ? c.CounterNanoseconds + _icountCycleDelta : _instret + _cycleDelta;
    private ulong Minstret => CounterClock is { } c ? c.CounterNanoseconds + _icountInstretDelta : _instret;

    /// <summary>Sstc: a stimecmp in the past raises STIP at once; a later one lowers it and arms the compare.</summary>
    private void WriteStimecmp(ulong value)
    {
        _stimecmp = value;
        _stimecmpExpiryNs = _time.ExpiryNanoseconds(value);
        if (_time.Mtime >= value)
        {
            _stimecmpArmed = false;
            SetPending(Cause.SupervisorTimer, true);
        }
        else
        {
            _stimecmpArmed = true;
            SetPending(Cause.SupervisorTimer, false);
        }
    }

    private bool ExecuteCsr(DecodedInsn* d)
    {
        int csr = d->Imm & 0xFFF;
        bool immediate = d->Op >= Op.Csrrwi;
        ulong operand = immediate ? d->Rs1 : _x[d->Rs1];
        Op kind = immediate ? d->Op - (Op.Csrrwi - Op.Csrrw) : d->Op;
        // csrrs/csrrc with x0 (or zimm 0) do not write, so they may target read-only CSRs.
        bool writes = kind == Op.Csrrw || d->Rs1 != 0;
        if (!TryReadCsr(csr, out ulong old)) return false;
        // A set or clear of no bits still counts as a write to a read-only CSR (the spec; csr_readonly),
        // but QEMU 7.2 calls no write function for it, so it has no side effect (FS stays as it was).
        if (writes && kind != Op.Csrrw && operand == 0 && (csr >> 10) != 3) writes = false;
        if (writes)
        {
            ulong value = kind switch
            {
                Op.Csrrw => operand,
                Op.Csrrs => old | operand,
                _ => old & ~operand,
            };
            if (!TryWriteCsr(csr, value)) return false;
        }
        _x[d->Rd] = old;
        return true;
    }
}
