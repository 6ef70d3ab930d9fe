using System.Runtime.CompilerServices;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>
/// Address translation: Sv39/Sv48/Sv57 page walks with hardware A/D updates, and direct-mapped
/// TLBs that cache RAM pages only: one per access kind (fetch, load, store) for each translation
/// context (U, S, S with SUM, M under PMP), so traps and returns only switch TLBs (as QEMU's
/// MMU indexes) and SUM toggles cost nothing. satp writes, sfence.vma without an address, MXR
/// and PMP changes bump <see cref="_tlbEpoch"/>, which empties them all at once; sfence.vma
/// with an address drops that page (docs/PRIVILEGED.md).
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>Entries per TLB: the memory bench's 4 MiB random walk fits (docs/PRIVILEGED.md has the sizes measured).</summary>
    private const int TlbSize = 4096;
    private const int TlbContexts = 4;
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

    /// <summary>[context * 3 + access]: the TLBs of every context, allocated on first use.</summary>
    private readonly TlbEntry[]?[] _tlbs = new TlbEntry[TlbContexts * 3][];
    /// <summary>What the TLB fields hold while translation is off: never read or filled then.</summary>
    private static readonly TlbEntry[] s_noTlb = new TlbEntry[TlbSize];
    /// <summary>The TLBs of the current contexts (fetch: the privilege; load and store: the data privilege and SUM).</summary>
    private TlbEntry[] _tlbFetch = null!, _tlbLoad = null!, _tlbStore = null!;
    private int _tlbEpoch = 1; // entries start at epoch 0, so they never match
    /// <summary>Virtual addresses of superpages cached since the last full flush, as one aligned region (QEMU's large-page tracking).</summary>
    private ulong _tlbLargeAddress = ulong.MaxValue, _tlbLargeMask;
    /// <summary>Bumped by satp writes and sfence.vma: decoded instructions that straddle two virtual pages depend on it.</summary>
    private int _mappingEpoch;
    /// <summary>The exception a failed translation or paged access reports (NoFault when none).</summary>
    private ulong _mmuFault = NoFault;
    private ulong _mmuFaultAddress;
    /// <summary>Set when the run loop left because translation turned on or off (the other specialisation must run).</summary>
    private bool _modeSwitch;
    /// <summary>The offset mask of the page the last <see cref="Translate"/> found (larger for a superpage).</summary>
    private ulong _walkPageMask = PageOffsetMask;
    /// <summary>The leaf entry the last successful walk used (0 when translation was off): -d mmu reports its permissions.</summary>
    private ulong _walkPte;
    /// <summary>The device page -d mmu last logged per access kind (QEMU caches device pages in its TLB, so logs them once).</summary>
    private readonly (ulong Vpn, int Epoch, int Context)[] _mmuLoggedDevice = [(ulong.MaxValue, 0, 0), (ulong.MaxValue, 0, 0), (ulong.MaxValue, 0, 0)];

    private int DataPrivilege
        => Privilege == Priv.Machine && (_mstatus & Mstatus.Mprv) != 0 ? (int)((_mstatus & Mstatus.Mpp) >> (int)Mstatus.MppShift) : Privilege;

    private bool FetchTranslated => Privilege < Priv.Machine && (_satp >> SatpModeShift) != 0;

    /// <summary>Fetches or data accesses go through page tables or PMP checks now (the paged interpreter must run).</summary>
    private bool TranslationActive => Privilege < Priv.Machine || DataPrivilege < Priv.Machine || _pmpBindsMachine || _logMmu;

    /// <summary>The TLB context of an access at <paramref name="priv"/>: 0 U, 1 S, 2 S with SUM (SUM only matters to data), 3 M.</summary>
    private int TlbContext(int priv, bool data)
        => priv == Priv.Machine ? 3 : priv == Priv.Supervisor ? (data && (_mstatus & Mstatus.Sum) != 0 ? 2 : 1) : 0;

    private TlbEntry[] Tlb(int context, Access access)
        => _tlbs[context * 3 + (int)access] ??= new TlbEntry[TlbSize];

    /// <summary>After a privilege, MPRV, MPP or SUM change: point the fast paths at that context's TLBs.</summary>
    private void SelectTlbs()
    {
        if (!TranslationActive && Instrumentation == null)
        {
            // Only the paged and instrumented interpreters use TLBs, and the paged one runs only
            // while translation is active: a bare-metal M-mode hart allocates none (start-up, -smp 8).
            _tlbFetch = _tlbLoad = _tlbStore = s_noTlb;
            return;
        }
        _tlbFetch = Tlb(TlbContext(Privilege, false), Access.Fetch);
        int data = TlbContext(DataPrivilege, true);
        _tlbLoad = Tlb(data, Access.Load);
        _tlbStore = Tlb(data, Access.Store);
    }

    /// <summary>The privilege or what data accesses use changed: other TLBs, and the code page must be looked up again.</summary>
    private void ContextChanged()
    {
        SelectTlbs();
        RaiseSignal(SignalCodeStale | SignalModeSwitch);
    }

    /// <summary>Something every cached translation depends on changed (MXR, PMP): forget them all.</summary>
    private void TranslationChanged()
    {
        if (++_tlbEpoch == int.MaxValue)
        {
            // Entries dropped one by one carry epoch 0; start again only from empty TLBs.
            foreach (TlbEntry[]? tlb in _tlbs)
            {
                if (tlb != null) Array.Clear(tlb);
            }
            _tlbEpoch = 1;
        }
        _tlbLargeAddress = ulong.MaxValue;
        _tlbLargeMask = 0;
        ContextChanged();
    }

    /// <summary>sfence.vma without an address (any ASID: QEMU 7.2 ignores ASIDs) and satp writes.</summary>
    private void FlushTranslations()
    {
        _mappingEpoch++;
        TranslationChanged();
    }

    /// <summary>sfence.vma with an address: that page goes from every TLB; everything if it lies in a cached superpage.</summary>
    private void FlushTranslation(ulong va)
    {
        if ((va & _tlbLargeMask) == _tlbLargeAddress)
        {
            FlushTranslations();
            return;
        }
        ulong vpn = va >> PhysicalMemory.PageShift;
        foreach (TlbEntry[]? tlb in _tlbs)
        {
            if (tlb == null) continue;
            ref TlbEntry e = ref tlb[(int)(vpn & (TlbSize - 1))];
            if (e.Vpn == vpn) e.Epoch = 0;
        }
        _mappingEpoch++;
        RaiseSignal(SignalCodeStale);
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
        if (_walkPageMask > PageOffsetMask) NoteLargePage(va, _walkPageMask);
        ulong vpn = va >> PhysicalMemory.PageShift;
        ref TlbEntry e = ref tlb[(int)(vpn & (TlbSize - 1))];
        e.Vpn = vpn;
        e.RamOffset = off;
        e.Epoch = _tlbEpoch;
    }

    /// <summary>Widens the tracked superpage region to cover the superpage of <paramref name="va"/> (QEMU's tlb_add_large_page).</summary>
    private void NoteLargePage(ulong va, ulong pageMask)
    {
        ulong mask = ~pageMask;
        if (_tlbLargeAddress != ulong.MaxValue)
        {
            // Both regions must fit one aligned region: widen until they agree.
            mask &= _tlbLargeMask;
            while (((_tlbLargeAddress ^ va) & mask) != 0) mask <<= 1;
        }
        _tlbLargeMask = mask;
        _tlbLargeAddress = va & mask;
    }

    private static ulong PageFaultCause(Access access)
        => access switch { Access.Fetch => Cause.InstructionPageFault, Access.Load => Cause.LoadPageFault, _ => Cause.StorePageFault };

    private static ulong AccessFaultCause(Access access)
        => access switch { Access.Fetch => Cause.InstructionAccessFault, Access.Load => Cause.LoadAccessFault, _ => Cause.StoreAccessFault };

    /// <summary>Translates and applies PMP to [va, va + size) within one page; false with <see cref="_mmuFault"/> set.</summary>
    private bool TranslateChecked(ulong va, ulong size, Access access, out ulong pa)
    {
        if (!Translate(va, access, out pa))
        {
            if (_logMmu) LogTlbFill(va, access, false, 0, 0);
            return false;
        }
        int priv = access == Access.Fetch ? Privilege : DataPrivilege;
        byte allowed = PmpPrivileges(pa, size, priv);
        if (_logMmu) LogTlbFill(va, access, true, pa, allowed);
        return (allowed & PmpNeed(access)) != 0 || Fail(AccessFaultCause(access), va);
    }

    /// <summary>-d mmu: QEMU's riscv_cpu_tlb_fill lines for a translation the TLBs did not hold.</summary>
    private void LogTlbFill(ulong va, Access access, bool translated, ulong pa, byte pmpAllowed)
    {
        int context = TlbContext(access == Access.Fetch ? Privilege : DataPrivilege, access != Access.Fetch);
        if (translated && pa - _memory.RamBase >= _memory.RamSize)
        {
            // Rivet never caches device pages; QEMU does, and logs each once per TLB flush.
            ref (ulong Vpn, int Epoch, int Context) last = ref _mmuLoggedDevice[(int)access];
            if (last == (va >> PhysicalMemory.PageShift, _tlbEpoch, context)) return;
            last = (va >> PhysicalMemory.PageShift, _tlbEpoch, context);
        }
        int prot = 7;
        if (_walkPte != 0)
        {
            ulong pte = _walkPte;
            prot = ((pte & PteR) != 0 || ((pte & PteX) != 0 && (_mstatus & Mstatus.Mxr) != 0) ? 1 : 0)
                | ((pte & PteW) != 0 && (access == Access.Store || (pte & PteD) != 0) ? 2 : 0)
                | ((pte & PteX) != 0 ? 4 : 0);
        }
        int rw = access switch { Access.Load => 0, Access.Store => 1, _ => 2 };
        bool allowed = (pmpAllowed & PmpNeed(access)) != 0;
        _log!.Write(GuestLog.TlbFillLines(va, rw, Privilege, translated, pa, prot, allowed, pmpAllowed, PmpUniform(pa & ~PageOffsetMask)));
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
        _walkPageMask = PageOffsetMask;
        _walkPte = 0;
        int priv = access == Access.Fetch ? Privilege : DataPrivilege;
        if (!Walk(va, access, priv, debug: false, out pa, out ulong leaf, out ulong pageMask, out ulong cause)) return Fail(cause, va);
        _walkPageMask = pageMask;
        _walkPte = leaf;
        return true;
    }

    /// <summary>
    /// The monitor's and debuggers' view of <paramref name="va"/> through this hart's current
    /// translation, as QEMU's riscv_cpu_get_phys_page_debug: a load at the current privilege
    /// (U pages readable from S), without setting A or D, logging or touching the hart's state
    /// (safe from another thread).
    /// </summary>
    internal bool DebugTranslate(ulong va, out ulong pa)
        => Walk(va, Access.Load, Privilege, debug: true, out pa, out _, out _, out _);

    /// <summary>
    /// The page walk behind <see cref="Translate"/> and <see cref="DebugTranslate"/>: the
    /// physical address, the leaf entry (0 when translation is off) and its page's offset mask,
    /// or the cause of the fault. <paramref name="debug"/>: no A/D updates and nothing logged.
    /// </summary>
    private bool Walk(ulong va, Access access, int priv, bool debug, out ulong pa, out ulong leaf, out ulong pageMask, out ulong cause)
    {
        pa = va;
        leaf = 0;
        pageMask = PageOffsetMask;
        cause = PageFaultCause(access);
        ulong satp = _satp;
        ulong mode = satp >> SatpModeShift;
        if (priv == Priv.Machine || mode == 0) return true;
        int levels = mode == 8 ? 3 : mode == 9 ? 4 : 5;
        int vaBits = 12 + 9 * levels;
        // The bits above the virtual address must copy its top bit.
        if (((long)va << (64 - vaBits)) >> (64 - vaBits) != (long)va) return false;
        ulong mstatus = _mstatus;
        byte* ram = _memory.Ram;
        ulong ramBase = _memory.RamBase, ramSize = _memory.RamSize;
    Walk:
        ulong table = (satp & ((1UL << 44) - 1)) << 12;
        for (int level = levels - 1; level >= 0; level--)
        {
            ulong pteAddress = table + ((va >> (12 + 9 * level)) & 511) * 8;
            ulong off = pteAddress - ramBase;
            if (off > ramSize - 8)
            {
                // QEMU 7.2 turns a failed page-table read into a page fault (the spec says access fault).
                if (!debug) LogUnmapped(pteAddress, 8, false);
                return false;
            }
            // Page-table reads are S-mode accesses for PMP; a refusal is an access fault (QEMU 7.2).
            if ((PmpPrivileges(pteAddress, 8, Priv.Supervisor, quiet: debug) & PmpR) == 0)
            {
                cause = AccessFaultCause(access);
                return false;
            }
            ref ulong slot = ref *(ulong*)(ram + off);
            ulong pte = Volatile.Read(ref slot);
            if ((pte & PteV) == 0 || (pte & (PteR | PteW)) == PteW || (pte >> 54) != 0) return false;
            ulong ppn = (pte >> 10) & ((1UL << 44) - 1);
            if ((pte & (PteR | PteX)) == 0)
            {
                table = ppn << 12; // a pointer to the next level
                continue;
            }
            // A leaf: superpages must be aligned to their size.
            ulong superMask = (1UL << (9 * level)) - 1;
            if ((ppn & superMask) != 0) return false;
            if ((pte & PteU) != 0)
            {
                // A debugger's read sees U pages from S as if SUM were set (QEMU 7.2).
                if (priv == Priv.Supervisor && (access == Access.Fetch || ((mstatus & Mstatus.Sum) == 0 && !debug))) return false;
            }
            else if (priv == Priv.User)
            {
                return false;
            }
            bool allowed = access switch
            {
                Access.Fetch => (pte & PteX) != 0,
                Access.Load => (pte & PteR) != 0 || ((mstatus & Mstatus.Mxr) != 0 && (pte & PteX) != 0),
                _ => (pte & PteW) != 0,
            };
            if (!allowed) return false;
            ulong updated = pte | PteA | (access == Access.Store ? PteD : 0);
            // Another hart may have changed the entry since it was read: walk again, as QEMU does.
            if (!debug && updated != pte && Interlocked.CompareExchange(ref slot, updated, pte) != pte) goto Walk;
            pageMask = (1UL << (12 + 9 * level)) - 1;
            pa = ((ppn << 12) & ~pageMask) | (va & pageMask);
            leaf = debug ? pte : updated;
            return true;
        }
        return false; // a pointer at the last level
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

    /// <summary>
    /// After a store the TLB did not cover: whether it went to RAM the TLB now covers, on a page holding
    /// no code, which needs no block boundary after it (a device write or a store into code does). A
    /// region walks on a TLB miss (RegionDataOffset) and goes on: both engines stop at the same places.
    /// </summary>
    private bool PlainRamStore(ulong va, int size)
    {
        ulong off = TlbLookup(_tlbStore, va, size);
        return off != ulong.MaxValue && _memory.PageFlags[off >> PhysicalMemory.PageShift] == 0;
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
