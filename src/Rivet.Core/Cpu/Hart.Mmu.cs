using System.Runtime.CompilerServices;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>
/// Address translation: Sv39/Sv48/Sv57 page walks with hardware A/D updates, and one small
/// direct-mapped TLB per access kind (fetch, load, store) that caches RAM pages only. Every
/// change translation depends on (satp, privilege, MPRV/MPP, SUM, MXR, sfence.vma) bumps
/// <see cref="_tlbEpoch"/>, which empties all three at once (docs/PRIVILEGED.md).
/// </summary>
internal sealed unsafe partial class Hart
{
    private const int TlbSize = 256;
    private const ulong PageOffsetMask = PhysicalMemory.PageSize - 1;
    private const ulong PteV = 1, PteR = 2, PteW = 4, PteX = 8, PteU = 16, PteA = 64, PteD = 128;
    private const ulong NoFault = ulong.MaxValue;

    private enum Access
    {
        Fetch,
        Load,
        Store,
    }

    /// <summary>One cached translation: virtual page number to the page's offset in RAM.</summary>
    private struct TlbEntry
    {
        public ulong Vpn;
        public ulong RamOffset;
        public int Epoch;
    }

    private readonly TlbEntry[] _tlbFetch = new TlbEntry[TlbSize], _tlbLoad = new TlbEntry[TlbSize], _tlbStore = new TlbEntry[TlbSize];
    private int _tlbEpoch = 1; // entries start at epoch 0, so they never match
    /// <summary>Bumped by satp writes and sfence.vma: decoded instructions that straddle two virtual pages depend on it.</summary>
    private int _mappingEpoch;
    /// <summary>The exception a failed translation or paged access reports (NoFault when none).</summary>
    private ulong _mmuFault = NoFault;
    private ulong _mmuFaultAddress;
    /// <summary>Set when the run loop left because translation turned on or off (the other specialisation must run).</summary>
    private bool _modeSwitch;

    private int DataPrivilege
        => Privilege == Priv.Machine && (_mstatus & Mstatus.Mprv) != 0 ? (int)((_mstatus & Mstatus.Mpp) >> (int)Mstatus.MppShift) : Privilege;

    private bool FetchTranslated => Privilege < Priv.Machine && (_satp >> SatpModeShift) != 0;

    /// <summary>Fetches or data accesses go through page tables or PMP checks now (the paged interpreter must run).</summary>
    private bool TranslationActive => Privilege < Priv.Machine || DataPrivilege < Priv.Machine || _pmpBindsMachine;

    /// <summary>Something translation depends on changed: forget cached translations and look the code page up again.</summary>
    private void TranslationChanged()
    {
        _tlbEpoch++;
        RaiseSignal(SignalCodeStale | SignalModeSwitch);
    }

    /// <summary>sfence.vma (any address, any ASID: flushing everything is always allowed) and satp writes.</summary>
    private void FlushTranslations()
    {
        _mappingEpoch++;
        TranslationChanged();
    }

    /// <summary>The RAM offset of <paramref name="va"/> if a TLB entry covers the whole access, else ulong.MaxValue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong TlbLookup(TlbEntry[] tlb, ulong va, int size)
    {
        ulong vpn = va >> PhysicalMemory.PageShift;
        ref TlbEntry e = ref tlb[(int)(vpn & (TlbSize - 1))];
        ulong inPage = va & PageOffsetMask;
        return e.Vpn == vpn && e.Epoch == _tlbEpoch && inPage <= PhysicalMemory.PageSize - (ulong)size ? e.RamOffset + inPage : ulong.MaxValue;
    }

    private void TlbFill(TlbEntry[] tlb, ulong va, ulong pa)
    {
        ulong off = (pa & ~PageOffsetMask) - _memory.RamBase;
        if (off >= _memory.RamSize) return; // devices are always translated afresh
        if (!PmpUniform(pa & ~PageOffsetMask)) return; // PMP decides below page granularity: check every access
        ulong vpn = va >> PhysicalMemory.PageShift;
        ref TlbEntry e = ref tlb[(int)(vpn & (TlbSize - 1))];
        e.Vpn = vpn;
        e.RamOffset = off;
        e.Epoch = _tlbEpoch;
    }

    private static ulong PageFaultCause(Access access)
        => access switch { Access.Fetch => Cause.InstructionPageFault, Access.Load => Cause.LoadPageFault, _ => Cause.StorePageFault };

    private static ulong AccessFaultCause(Access access)
        => access switch { Access.Fetch => Cause.InstructionAccessFault, Access.Load => Cause.LoadAccessFault, _ => Cause.StoreAccessFault };

    /// <summary>Translates and applies PMP to [va, va + size) within one page; false with <see cref="_mmuFault"/> set.</summary>
    private bool TranslateChecked(ulong va, ulong size, Access access, out ulong pa)
    {
        if (!Translate(va, access, out pa)) return false;
        int priv = access == Access.Fetch ? Privilege : DataPrivilege;
        return PmpAllows(pa, size, access, priv) || Fail(AccessFaultCause(access), va);
    }

    private bool Fail(ulong cause, ulong va)
    {
        _mmuFault = cause;
        _mmuFaultAddress = va;
        return false;
    }

    /// <summary>
    /// Translates <paramref name="va"/> for one access, walking the page tables (and setting A,
    /// and D for stores, with a compare-and-swap so other harts' updates are not lost). False
    /// with <see cref="_mmuFault"/> set on a page fault (also when a page-table entry lies
    /// outside RAM, as QEMU 7.2).
    /// </summary>
    private bool Translate(ulong va, Access access, out ulong pa)
    {
        pa = va;
        int priv = access == Access.Fetch ? Privilege : DataPrivilege;
        ulong mode = _satp >> SatpModeShift;
        if (priv == Priv.Machine || mode == 0) return true;
        int levels = mode == 8 ? 3 : mode == 9 ? 4 : 5;
        int vaBits = 12 + 9 * levels;
        // The bits above the virtual address must copy its top bit.
        if (((long)va << (64 - vaBits)) >> (64 - vaBits) != (long)va) return Fail(PageFaultCause(access), va);
        byte* ram = _memory.Ram;
        ulong ramBase = _memory.RamBase, ramSize = _memory.RamSize;
    Walk:
        ulong table = (_satp & ((1UL << 44) - 1)) << 12;
        for (int level = levels - 1; level >= 0; level--)
        {
            ulong pteAddress = table + ((va >> (12 + 9 * level)) & 511) * 8;
            ulong off = pteAddress - ramBase;
            if (off > ramSize - 8)
            {
                // QEMU 7.2 turns a failed page-table read into a page fault (the spec says access fault).
                LogUnmapped(pteAddress, 8, false);
                return Fail(PageFaultCause(access), va);
            }
            // Page-table reads are S-mode accesses for PMP; a refusal is an access fault (QEMU 7.2).
            if (!PmpAllows(pteAddress, 8, Access.Load, Priv.Supervisor)) return Fail(AccessFaultCause(access), va);
            ref ulong slot = ref *(ulong*)(ram + off);
            ulong pte = Volatile.Read(ref slot);
            if ((pte & PteV) == 0 || (pte & (PteR | PteW)) == PteW || (pte >> 54) != 0) return Fail(PageFaultCause(access), va);
            ulong ppn = (pte >> 10) & ((1UL << 44) - 1);
            if ((pte & (PteR | PteX)) == 0)
            {
                table = ppn << 12; // a pointer to the next level
                continue;
            }
            // A leaf: superpages must be aligned to their size.
            ulong superMask = (1UL << (9 * level)) - 1;
            if ((ppn & superMask) != 0) return Fail(PageFaultCause(access), va);
            if ((pte & PteU) != 0)
            {
                if (priv == Priv.Supervisor && (access == Access.Fetch || (_mstatus & Mstatus.Sum) == 0)) return Fail(PageFaultCause(access), va);
            }
            else if (priv == Priv.User)
            {
                return Fail(PageFaultCause(access), va);
            }
            bool allowed = access switch
            {
                Access.Fetch => (pte & PteX) != 0,
                Access.Load => (pte & PteR) != 0 || ((_mstatus & Mstatus.Mxr) != 0 && (pte & PteX) != 0),
                _ => (pte & PteW) != 0,
            };
            if (!allowed) return Fail(PageFaultCause(access), va);
            ulong updated = pte | PteA | (access == Access.Store ? PteD : 0);
            // Another hart may have changed the entry since it was read: walk again, as QEMU does.
            if (updated != pte && Interlocked.CompareExchange(ref slot, updated, pte) != pte) goto Walk;
            ulong pageMask = (1UL << (12 + 9 * level)) - 1;
            pa = ((ppn << 12) & ~pageMask) | (va & pageMask);
            return true;
        }
        return Fail(PageFaultCause(access), va); // a pointer at the last level
    }

    /// <summary>The physical address of an instruction fetch (TLB first); false with <see cref="_mmuFault"/> set.</summary>
    private bool TranslateFetch(ulong va, out ulong pa)
    {
        ulong off = TlbLookup(_tlbFetch, va, 2);
        if (off != ulong.MaxValue)
        {
            pa = off + _memory.RamBase;
            return true;
        }
        if (!TranslateChecked(va, 2, Access.Fetch, out pa)) return false;
        TlbFill(_tlbFetch, va, pa);
        return true;
    }

    /// <summary>
    /// The RAM offset of a naturally aligned data access (LR/SC/AMO) through the TLB, or the
    /// physical address minus the RAM base when it is not RAM; ulong.MaxValue with
    /// <see cref="_mmuFault"/> set when translation fails.
    /// </summary>
    private ulong DataOffset(ulong va, int size, Access access)
    {
        TlbEntry[] tlb = access == Access.Store ? _tlbStore : _tlbLoad;
        ulong off = TlbLookup(tlb, va, size);
        if (off != ulong.MaxValue) return off;
        if (!TranslateChecked(va, (ulong)size, access, out ulong pa)) return ulong.MaxValue;
        TlbFill(tlb, va, pa);
        return pa - _memory.RamBase;
    }

    /// <summary>Physical addresses of the bytes of an access that may cross a page; false with <see cref="_mmuFault"/> set.</summary>
    private bool TranslateSpan(ulong va, int size, Access access, out ulong pa, out ulong pa2, out int split)
    {
        pa2 = 0;
        split = size;
        ulong inPage = va & PageOffsetMask;
        ulong firstPart = Math.Min((ulong)size, PhysicalMemory.PageSize - inPage);
        if (!TranslateChecked(va, firstPart, access, out pa)) return false;
        if (inPage + (ulong)size <= PhysicalMemory.PageSize)
        {
            TlbFill(access == Access.Store ? _tlbStore : _tlbLoad, va, pa);
            return true;
        }
        // QEMU splits a page-crossing access: a fault on the second page reports that page's address.
        ulong va2 = (va | PageOffsetMask) + 1;
        if (!TranslateChecked(va2, (ulong)size - firstPart, access, out pa2)) return false;
        split = (int)(va2 - va);
        return true;
    }

    /// <summary>A load under translation that missed the TLB (or crosses a page, or is a device).</summary>
    private bool LoadPaged(ulong va, int size, out ulong value)
    {
        value = 0;
        if (!TranslateSpan(va, size, Access.Load, out ulong pa, out ulong pa2, out int split)) return false;
        if (split == size || pa2 == pa + (ulong)split)
        {
            ulong off = pa - _memory.RamBase;
            if (off <= _memory.RamSize - (ulong)size)
            {
                value = ReadRam(off, size);
                return true;
            }
            if (LoadSlow(pa, size, out value)) return true;
            return Fail(Cause.LoadAccessFault, va);
        }
        // Two pages that are not adjacent in RAM: byte by byte.
        for (int i = size - 1; i >= 0; i--)
        {
            ulong off = (i < split ? pa + (ulong)i : pa2 + (ulong)(i - split)) - _memory.RamBase;
            if (off >= _memory.RamSize) return Fail(Cause.LoadAccessFault, va);
            value = (value << 8) | _memory.Ram[off];
        }
        return true;
    }

    /// <summary>A store under translation that missed the TLB; keeps the decoded-code cache honest.</summary>
    private bool StorePaged(ulong va, int size, ulong value)
    {
        if (!TranslateSpan(va, size, Access.Store, out ulong pa, out ulong pa2, out int split)) return false;
        for (int i = 0; i < size; i++)
        {
            ulong p = i < split ? pa + (ulong)i : pa2 + (ulong)(i - split);
            if (i == 0 || i == split)
            {
                int part = i == 0 ? split : size - split;
                ulong off = p - _memory.RamBase;
                if (off > _memory.RamSize - (ulong)part)
                {
                    if (part == size && StoreSlow(p, size, value)) return true;
                    return Fail(Cause.StoreAccessFault, va);
                }
            }
        }
        for (int i = 0; i < size; i++)
        {
            ulong p = i < split ? pa + (ulong)i : pa2 + (ulong)(i - split);
            _memory.Ram[p - _memory.RamBase] = (byte)(value >> (8 * i));
        }
        NoteStore(pa, split);
        if (split < size) NoteStore(pa2, size - split);
        return true;
    }

    private void NoteStore(ulong pa, int size)
    {
        if (_memory.PageFlags[(pa - _memory.RamBase) >> PhysicalMemory.PageShift] == 0) return;
        _memory.OnFlaggedStore(pa, size);
        RaiseSignal(SignalCodeStale);
    }

    private ulong ReadRam(ulong off, int size)
    {
        byte* p = _memory.Ram + off;
        return size switch
        {
            1 => *p,
            2 => *(ushort*)p,
            4 => *(uint*)p,
            _ => *(ulong*)p,
        };
    }
}
