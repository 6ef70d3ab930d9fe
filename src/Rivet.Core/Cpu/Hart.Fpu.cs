using System.Runtime.CompilerServices;
using Rivet.Cpu.Fpu;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>What <see cref="Hart.ExecuteFp{TMode}"/> asks the interpreter loop to do next.</summary>
internal enum FpExit : byte
{
    /// <summary>Retired: go on with the next instruction.</summary>
    Done,
    /// <summary>FS is Off, or the rounding mode is reserved: illegal instruction.</summary>
    Illegal,
    LoadFault,
    StoreFault,
    /// <summary>A store into a page that holds decoded code (the address is in <c>_fpFlagged</c>).</summary>
    FlaggedStore,
    /// <summary>A store to a device: re-check interrupts at a block boundary.</summary>
    MmioStore,
}

/// <summary>
/// F and D: the f registers (binary32 values NaN-boxed in the upper 32 bits), fflags and frm,
/// mstatus.FS, and every F/D instruction, with the arithmetic in <see cref="SoftFloat"/> (the
/// six arithmetic operations through <see cref="HardFloat"/>, which uses the host when RNE and
/// an accrued NX make that exact). The
/// interpreter's loop calls <see cref="ExecuteFp{TMode}"/> for every op from <see cref="Op.Flw"/>
/// on, so its integer dispatch stays as it was (docs/FLOATING-POINT.md).
/// </summary>
internal sealed unsafe partial class Hart
{
    private const ulong NanBox = 0xFFFFFFFF_00000000;

    private readonly ulong[] _fregs; // f0..f31; pinned
    private readonly ulong* _f;
    private uint _fflags; // the accrued exception flags (5 bits)
    private uint _frm;    // the dynamic rounding mode (3 bits; 5-7 make dynamic-rm instructions illegal)
    private ulong _fpFlagged; // the physical address of an FP store into a page holding code

    // The small helpers below are forced inline: ExecuteFp is too large for the JIT to inline them on its own (a profile of the float guest showed them as calls).
    /// <summary>mstatus.FS is not Off: F/D instructions and the FP CSRs may run.</summary>
    private bool FpEnabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_mstatus & Mstatus.Fs) != 0;
    }

    /// <summary>An f register or an FP CSR was written: FS becomes Dirty (and SD with it), as QEMU 7.2's mark_fs_dirty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MarkFsDirty() => _mstatus |= Mstatus.FsDirty | Mstatus.Sd;

    /// <summary>A binary32 operand: an f register that is not a proper NaN-box reads as the canonical NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadS(int r)
    {
        ulong v = _f[r];
        return (v & NanBox) == NanBox ? (uint)v : SoftFloat.CanonicalNaN32;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteS(int r, uint v)
    {
        _f[r] = NanBox | v;
        MarkFsDirty();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteD(int r, ulong v)
    {
        _f[r] = v;
        MarkFsDirty();
    }

    /// <summary>fflags accrue; in QEMU 7.2 the flags live in the softfloat status, so raising them alone leaves FS as it was.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accrue(FpFlags flags) => _fflags |= (uint)flags;

    /// <summary>The instruction's rounding mode (rm 7: frm); false for the reserved 5 and 6, or a dynamic frm of 5-7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryRoundingMode(int imm, out RoundingMode rm)
    {
        uint r = (uint)(imm >> 8) & 7;
        if (r == 7) r = _frm;
        rm = (RoundingMode)r;
        return r <= 4;
    }

    /// <summary>Executes one F/D instruction (everything from <see cref="Op.Flw"/> on).</summary>
    private FpExit ExecuteFp<TMode>(DecodedInsn* d)
        where TMode : struct, IRunMode
    {
        if (!FpEnabled) return FpExit.Illegal;
        ulong* x = _x;
        ulong* f = _f;
        FpFlags fl = FpFlags.None;
        RoundingMode rm;
        switch (d->Op)
        {
            case Op.Flw or Op.Fld:
                {
                    int size = d->Op == Op.Flw ? 4 : 8;
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, size) : a - _memory.RamBase;
                    ulong v;
                    if (off <= _memory.RamSize - (ulong)size) v = size == 4 ? *(uint*)(_memory.Ram + off) : *(ulong*)(_memory.Ram + off);
                    else if (!(TMode.Paged ? LoadPaged(a, size, out v) : LoadSlow(a, size, out v))) return FpExit.LoadFault;
                    if (size == 4) WriteS(d->Rd, (uint)v);
                    else WriteD(d->Rd, v);
                    if (TMode.Instrumented) AfterMemory(a, size, false, v);
                    return FpExit.Done;
                }
            case Op.Fsw or Op.Fsd:
                {
                    // fsw stores the low 32 bits whatever the boxing.
                    int size = d->Op == Op.Fsw ? 4 : 8;
                    ulong v = size == 4 ? (uint)f[d->Rs2] : f[d->Rs2];
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbStore, a, size) : a - _memory.RamBase;
                    if (off <= _memory.RamSize - (ulong)size)
                    {
                        if (size == 4) *(uint*)(_memory.Ram + off) = (uint)v;
                        else *(ulong*)(_memory.Ram + off) = v;
                        if (TMode.Instrumented) AfterMemory(a, size, true, v);
                        if (_memory.PageFlags[off >> PhysicalMemory.PageShift] != 0)
                        {
                            _fpFlagged = _memory.RamBase + off;
                            return FpExit.FlaggedStore;
                        }
                        return FpExit.Done;
                    }
                    if (!(TMode.Paged ? StorePaged(a, size, v) : StoreSlow(a, size, v))) return FpExit.StoreFault;
                    if (TMode.Instrumented) AfterMemory(a, size, true, v);
                    return TMode.Paged && PlainRamStore(a, size) ? FpExit.Done : FpExit.MmioStore;
                }

            // Single precision.
            case Op.FaddS or Op.FsubS or Op.FmulS or Op.FdivS:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    uint a = ReadS(d->Rs1), b = ReadS(d->Rs2);
                    uint r = d->Op switch
                    {
                        Op.FaddS => HardFloat.Add32(a, b, rm, _fflags, ref fl),
                        Op.FsubS => HardFloat.Sub32(a, b, rm, _fflags, ref fl),
                        Op.FmulS => HardFloat.Mul32(a, b, rm, _fflags, ref fl),
                        _ => HardFloat.Div32(a, b, rm, _fflags, ref fl),
                    };
                    WriteS(d->Rd, r);
                    break;
                }
            case Op.FsqrtS:
                if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                WriteS(d->Rd, HardFloat.Sqrt32(ReadS(d->Rs1), rm, _fflags, ref fl));
                break;
            case Op.FminS: WriteS(d->Rd, SoftFloat.Min32(ReadS(d->Rs1), ReadS(d->Rs2), ref fl)); break;
            case Op.FmaxS: WriteS(d->Rd, SoftFloat.Max32(ReadS(d->Rs1), ReadS(d->Rs2), ref fl)); break;
            // Sign injection is not arithmetic: no flags, NaN payloads kept (only the boxing check applies).
            case Op.FsgnjS: WriteS(d->Rd, (ReadS(d->Rs1) & 0x7FFFFFFF) | (ReadS(d->Rs2) & 0x80000000)); break;
            case Op.FsgnjnS: WriteS(d->Rd, (ReadS(d->Rs1) & 0x7FFFFFFF) | (~ReadS(d->Rs2) & 0x80000000)); break;
            case Op.FsgnjxS: WriteS(d->Rd, ReadS(d->Rs1) ^ (ReadS(d->Rs2) & 0x80000000)); break;
            case Op.FmaddS or Op.FmsubS or Op.FnmsubS or Op.FnmaddS:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    // One rounding: the negations are sign flips of the operands (fmsub: -c, fnmsub: -a, fnmadd: -a and -c).
                    uint a = ReadS(d->Rs1), b = ReadS(d->Rs2), c = ReadS(d->Imm & 31);
                    if (d->Op is Op.FnmsubS or Op.FnmaddS) a ^= 0x80000000;
                    if (d->Op is Op.FmsubS or Op.FnmaddS) c ^= 0x80000000;
                    WriteS(d->Rd, HardFloat.MulAdd32(a, b, c, rm, _fflags, ref fl));
                    break;
                }
            case Op.FeqS: x[d->Rd] = SoftFloat.Eq32(ReadS(d->Rs1), ReadS(d->Rs2), ref fl) ? 1UL : 0UL; break;
            case Op.FltS: x[d->Rd] = SoftFloat.Lt32(ReadS(d->Rs1), ReadS(d->Rs2), ref fl) ? 1UL : 0UL; break;
            case Op.FleS: x[d->Rd] = SoftFloat.Le32(ReadS(d->Rs1), ReadS(d->Rs2), ref fl) ? 1UL : 0UL; break;
            case Op.FclassS: x[d->Rd] = SoftFloat.Class32(ReadS(d->Rs1)); break;
            case Op.FmvXW: x[d->Rd] = (ulong)(long)(int)(uint)f[d->Rs1]; break; // the low 32 bits, boxed or not
            case Op.FmvWX: WriteS(d->Rd, (uint)x[d->Rs1]); break;
            case Op.FcvtWS or Op.FcvtWuS or Op.FcvtLS or Op.FcvtLuS:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    uint a = ReadS(d->Rs1);
                    // 32-bit results are sign-extended, fcvt.wu's too.
                    x[d->Rd] = d->Op switch
                    {
                        Op.FcvtWS => (ulong)(long)SoftFloat.ToInt32(a, rm, ref fl),
                        Op.FcvtWuS => (ulong)(long)(int)SoftFloat.ToUInt32(a, rm, ref fl),
                        Op.FcvtLS => (ulong)SoftFloat.ToInt64(a, rm, ref fl),
                        _ => SoftFloat.ToUInt64(a, rm, ref fl),
                    };
                    break;
                }
            case Op.FcvtSW or Op.FcvtSWu or Op.FcvtSL or Op.FcvtSLu:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    ulong a = x[d->Rs1];
                    WriteS(d->Rd, d->Op switch
                    {
                        Op.FcvtSW => SoftFloat.Int32To32((int)a, rm, ref fl),
                        Op.FcvtSWu => SoftFloat.UInt32To32((uint)a, rm, ref fl),
                        Op.FcvtSL => SoftFloat.Int64To32((long)a, rm, ref fl),
                        _ => SoftFloat.UInt64To32(a, rm, ref fl),
                    });
                    break;
                }

            // Double precision.
            case Op.FaddD or Op.FsubD or Op.FmulD or Op.FdivD:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    ulong a = f[d->Rs1], b = f[d->Rs2];
                    ulong r = d->Op switch
                    {
                        Op.FaddD => HardFloat.Add64(a, b, rm, _fflags, ref fl),
                        Op.FsubD => HardFloat.Sub64(a, b, rm, _fflags, ref fl),
                        Op.FmulD => HardFloat.Mul64(a, b, rm, _fflags, ref fl),
                        _ => HardFloat.Div64(a, b, rm, _fflags, ref fl),
                    };
                    WriteD(d->Rd, r);
                    break;
                }
            case Op.FsqrtD:
                if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                WriteD(d->Rd, HardFloat.Sqrt64(f[d->Rs1], rm, _fflags, ref fl));
                break;
            case Op.FminD: WriteD(d->Rd, SoftFloat.Min64(f[d->Rs1], f[d->Rs2], ref fl)); break;
            case Op.FmaxD: WriteD(d->Rd, SoftFloat.Max64(f[d->Rs1], f[d->Rs2], ref fl)); break;
            case Op.FsgnjD: WriteD(d->Rd, (f[d->Rs1] & ~SignD) | (f[d->Rs2] & SignD)); break;
            case Op.FsgnjnD: WriteD(d->Rd, (f[d->Rs1] & ~SignD) | (~f[d->Rs2] & SignD)); break;
            case Op.FsgnjxD: WriteD(d->Rd, f[d->Rs1] ^ (f[d->Rs2] & SignD)); break;
            case Op.FmaddD or Op.FmsubD or Op.FnmsubD or Op.FnmaddD:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    ulong a = f[d->Rs1], b = f[d->Rs2], c = f[d->Imm & 31];
                    if (d->Op is Op.FnmsubD or Op.FnmaddD) a ^= SignD;
                    if (d->Op is Op.FmsubD or Op.FnmaddD) c ^= SignD;
                    WriteD(d->Rd, HardFloat.MulAdd64(a, b, c, rm, _fflags, ref fl));
                    break;
                }
            case Op.FeqD: x[d->Rd] = SoftFloat.Eq64(f[d->Rs1], f[d->Rs2], ref fl) ? 1UL : 0UL; break;
            case Op.FltD: x[d->Rd] = SoftFloat.Lt64(f[d->Rs1], f[d->Rs2], ref fl) ? 1UL : 0UL; break;
            case Op.FleD: x[d->Rd] = SoftFloat.Le64(f[d->Rs1], f[d->Rs2], ref fl) ? 1UL : 0UL; break;
            case Op.FclassD: x[d->Rd] = SoftFloat.Class64(f[d->Rs1]); break;
            case Op.FmvXD: x[d->Rd] = f[d->Rs1]; break;
            case Op.FmvDX: WriteD(d->Rd, x[d->Rs1]); break;
            case Op.FcvtWD or Op.FcvtWuD or Op.FcvtLD or Op.FcvtLuD:
                {
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    ulong a = f[d->Rs1];
                    x[d->Rd] = d->Op switch
                    {
                        Op.FcvtWD => (ulong)(long)SoftFloat.ToInt32(a, rm, ref fl),
                        Op.FcvtWuD => (ulong)(long)(int)SoftFloat.ToUInt32(a, rm, ref fl),
                        Op.FcvtLD => (ulong)SoftFloat.ToInt64(a, rm, ref fl),
                        _ => SoftFloat.ToUInt64(a, rm, ref fl),
                    };
                    break;
                }
            case Op.FcvtDW or Op.FcvtDWu or Op.FcvtDL or Op.FcvtDLu:
                {
                    // Exact for 32-bit sources, but the rm field is still checked (as QEMU 7.2).
                    if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                    ulong a = x[d->Rs1];
                    WriteD(d->Rd, d->Op switch
                    {
                        Op.FcvtDW => SoftFloat.Int32To64((int)a, rm, ref fl),
                        Op.FcvtDWu => SoftFloat.UInt32To64((uint)a, rm, ref fl),
                        Op.FcvtDL => SoftFloat.Int64To64((long)a, rm, ref fl),
                        _ => SoftFloat.UInt64To64(a, rm, ref fl),
                    });
                    break;
                }
            case Op.FcvtSD:
                if (!TryRoundingMode(d->Imm, out rm)) return FpExit.Illegal;
                WriteS(d->Rd, SoftFloat.To32(f[d->Rs1], rm, ref fl));
                break;
            case Op.FcvtDS:
                if (!TryRoundingMode(d->Imm, out _)) return FpExit.Illegal;
                WriteD(d->Rd, SoftFloat.To64(ReadS(d->Rs1), ref fl));
                break;
            default:
                return FpExit.Illegal;
        }
        if (fl != FpFlags.None) Accrue(fl);
        return FpExit.Done;
    }

    private const ulong SignD = 1UL << 63;
}
