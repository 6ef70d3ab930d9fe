using System.Diagnostics;
using System.Runtime.CompilerServices;
using Rivet.Cpu.Translator;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>
/// The hart's side of the translator (docs/TRANSLATOR.md): which engine runs, when a block head is
/// hot enough to translate, what a region holds, and the statistics.
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>Set before the hart runs: the interpreter alone, or with translated regions.</summary>
    public ExecutionEngine Engine { get; set; } = ExecutionEngine.Translator;

    /// <summary>Entries into a block head before it is translated (a region that never gets hot is never compiled).</summary>
    public int HotThreshold
    {
        get => _hotThreshold;
        set => _hotThreshold = Math.Clamp(value, 1, ushort.MaxValue); // heat counts in 16 bits
    }

    private int _hotThreshold = RegionTranslator.DefaultHotThreshold;

    /// <summary>-accel tcg,tb-size=: the IL this hart may hold in regions before it drops them all and starts again (as QEMU flushes a full buffer).</summary>
    public long TranslationCacheBytes { get; set; } = RegionTranslator.DefaultCacheBytes;

    private long _cachedIlBytes;

    /// <summary>
    /// Regions are compiled by the background thread (<see cref="RegionCompiler"/>) while this hart
    /// interprets; otherwise by the JIT at their first entry, on this thread (what the differential
    /// tests want: every region runs from its first entry on).
    /// </summary>
    public bool CompileInBackground { get; set; }

    /// <summary>The machine's regions, shared by its harts (null: this hart keeps its own; the board sets it with <see cref="CompileInBackground"/>).</summary>
    public SharedRegions? SharedRegions { get; set; }

    /// <summary>Drops every region of every page (heat too): the cache is full.</summary>
    private void FlushRegions()
    {
        foreach (CodePage?[]? chunk in _codePages)
        {
            if (chunk == null) continue;
            foreach (CodePage? page in chunk)
            {
                if (page == null) continue;
                page.Regions = null;
                if (page.Heat != null) Array.Clear(page.Heat);
            }
        }
        _cachedIlBytes = 0;
        Translations.Flushes++;
        SharedRegions?.Clear();
    }

    /// <summary>Where the last region left (written by the region's code).</summary>
#pragma warning disable CS0649 // assigned by emitted IL only
    private RegionExit _regionExit;
#pragma warning restore CS0649

    /// <summary>What the translator did on this hart (read by the monitor's info jit while the hart may run: figures may lag).</summary>
    public TranslatorStatistics Translations { get; } = new();

    /// <summary>
    /// Paged regions: the RAM offset of a load, or ulong.MaxValue (the region leaves: the interpreter
    /// then does the access, or raises its fault). Called where a region's page cache misses (once per
    /// base register and call, mostly): not inlined, so each access's code stays small (the JIT's time
    /// grows faster than a region's size).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong RegionLoadOffset(Hart hart, ulong va, int size) => hart.RegionDataOffset(hart._tlbLoad, va, size, Access.Load);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong RegionStoreOffset(Hart hart, ulong va, int size) => hart.RegionDataOffset(hart._tlbStore, va, size, Access.Store);

    /// <summary>
    /// The TLB, else the walk the interpreter would make (A and D bits included), so a TLB miss does not
    /// leave the region (the interpreter would run the rest of the block, up to its next branch). A
    /// fault, a device, an access across pages or one PMP splits still leave, nothing of it done: the
    /// interpreter walks again and raises the fault or makes the access. So does every miss under
    /// -d mmu, whose log lines the interpreter writes.
    /// </summary>
    private ulong RegionDataOffset(TlbEntry[] tlb, ulong va, int size, Access access)
    {
        ulong off = TlbLookup(tlb, va, size);
        if (off != ulong.MaxValue || _logMmu || (va & PageOffsetMask) > PhysicalMemory.PageSize - (ulong)size) return off;
        if (!TranslateChecked(va, (ulong)size, access, out ulong pa))
        {
            _mmuFault = NoFault;
            return ulong.MaxValue;
        }
        TlbFill(tlb, va, pa); // RAM pages whose PMP is uniform only
        return TlbLookup(tlb, va, size);
    }

    /// <summary>An F/D operation other than a load or store, as the interpreter runs it; false (nothing done) when it must trap.</summary>
    private static bool RegionFp(Hart hart, DecodedInsn* d) => hart.ExecuteFp<PlainRun>(d) == FpExit.Done;

    /// <summary>flw/fld from RAM at <paramref name="off"/>; false (nothing done) when FS is off.</summary>
    private static bool RegionFpLoad(Hart hart, DecodedInsn* d, ulong off)
    {
        if (!hart.FpEnabled) return false;
        byte* p = hart._memory.Ram + off;
        if (d->Op == Op.Flw) hart.WriteS(d->Rd, *(uint*)p);
        else hart.WriteD(d->Rd, *(ulong*)p);
        return true;
    }

    /// <summary>fsw/fsd to RAM at <paramref name="off"/> (fsw stores the low 32 bits whatever the boxing); false when FS is off.</summary>
    private static bool RegionFpStore(Hart hart, DecodedInsn* d, ulong off)
    {
        if (!hart.FpEnabled) return false;
        byte* p = hart._memory.Ram + off;
        if (d->Op == Op.Fsw) *(uint*)p = (uint)hart._f[d->Rs2];
        else *(ulong*)p = hart._f[d->Rs2];
        return true;
    }

    /// <summary>
    /// Translates the region entered at <paramref name="head"/> of <paramref name="cp"/> (virtual page
    /// <paramref name="pageBase"/>): from the head, every instruction reached by falling through or by a
    /// direct branch inside the page, up to <see cref="RegionTranslator.MaxInstructions"/>; an instruction
    /// a region cannot run ends its path. Null when the head itself cannot be translated.
    /// </summary>
    private Region? TranslateRegion(CodePage cp, int head, ulong pageBase, ulong physBase, bool paged, bool retranslation, Region? previous = null)
    {
        long start = Stopwatch.GetTimestamp();
        // Instrumented: each slot's inline adds, where known; the region's instructions all make the same ones.
        bool[]? countable = null;
        HookOp[]?[]? slotCounts = Instrumentation != null ? SlotCounts(cp, out countable) : null;
        HookOp[]? counts = null;
        bool countsSet = false;
        var seen = new bool[SlotsPerPage];
        var insns = new List<RegionInsn>();
        List<int>? indirect = null;
        // First the head's own flow, breadth first (so a loop near the head is whole before far code);
        // then the likely targets of its indirect jumps, a few instructions each.
        Walk(head, RegionTranslator.MaxInstructions, primary: true);
        foreach (int t in indirect ?? [])
        {
            Walk(t, RegionTranslator.IndirectTargetInstructions, primary: false);
        }
        if (insns.Count == 0 || insns[0].Stop) return null;
        insns.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        int[] shape = new int[insns.Count + 1 + (indirect?.Count ?? 0)];
        for (int i = 0; i < insns.Count; i++) shape[i] = 2 * insns[i].Slot + (insns[i].Stop ? 1 : 0);
        shape[insns.Count] = -1;
        indirect?.CopyTo(shape, insns.Count + 1);
        if (previous != null && previous.Shape.AsSpan().SequenceEqual(shape))
        {
            // The same code again: the JIT's time (most of a region's cost) is not spent twice.
            Translations.TranslationTicks += Stopwatch.GetTimestamp() - start;
            return previous;
        }
        Region region = RegionTranslator.Translate(insns, head, pageBase, paged, new RamLayout((nint)_memory.Ram, _memory.RamBase, _memory.RamSize, (nint)_memory.PageFlagsPointer), indirect ?? [], retranslation, Translations);
        region.PhysBase = physBase;
        region.Shape = shape;
        region.Generation = cp.Generation;
        region.Instrumentation = Instrumentation;
        region.Counts = slotCounts != null ? counts ?? [] : null;
        if (_cachedIlBytes + region.IlBytes > TranslationCacheBytes) FlushRegions();
        _cachedIlBytes += region.IlBytes;
        Translations.Regions++;
        Translations.GuestInstructions += region.Instructions;
        Translations.IlBytes += region.IlBytes;
        Translations.TranslationTicks += Stopwatch.GetTimestamp() - start;
        return region;

        // From slot s: every instruction reached by falling through or by a direct branch inside the page.
        void Walk(int from, int limit, bool primary)
        {
            var work = new Queue<int>();
            work.Enqueue(from);
            int count = 0;
            while (work.Count > 0)
            {
                int s = work.Dequeue();
                // The indirect targets come on top of a full region: they are what keeps its calls inside.
                while (s < SlotsPerPage && !seen[s] && count < limit && (!primary || insns.Count < RegionTranslator.MaxInstructions))
                {
                    DecodedInsn* d = cp.Base + s;
                    seen[s] = true;
                    bool ok = true;
                    if (d->Op == Op.Undecoded)
                    {
                        // The last slot may reach into the next page: the interpreter decodes that one.
                        ok = s < SlotsPerPage - 1 && DecodeSlot(cp, d, physBase + 2 * (ulong)s, pageBase + 2 * (ulong)s);
                        if (!ok) _mmuFault = NoFault;
                    }
                    ok = ok && RegionTranslator.Supports(d->Op) && !(s == SlotsPerPage - 1 && d->Length == 4) && Countable(s);
                    insns.Add(new RegionInsn(s, *d, !ok));
                    if (!ok) break;
                    count++;
                    Op op = d->Op;
                    if (op is (>= Op.Beq and <= Op.Bgeu) or Op.Jal)
                    {
                        ulong target = pageBase + 2 * (ulong)s + (ulong)(long)d->Imm;
                        if (target - pageBase < PhysicalMemory.PageSize) work.Enqueue((int)((target - pageBase) >> 1));
                    }
                    if (op is Op.Jal or Op.Jalr)
                    {
                        // A call: where it returns to belongs to the region too (returns inside it stay inside).
                        if (primary && d->Rd is 1 or 5) work.Enqueue(s + (d->Length >> 1));
                        // An indirect jump: the page's hot block heads are its likely targets (the interpreter's profile).
                        // (A return, jalr x0 through ra or t0, goes back to a call's return point instead.)
                        if (primary && op == Op.Jalr && !(d->Rd is 0 or DecodedInsn.ZeroSink && d->Rs1 is 1 or 5))
                            indirect ??= HotHeads(cp, RegionTranslator.MaxIndirectTargets);
                        break;
                    }
                    s += d->Length >> 1;
                }
            }
        }

        // Instrumented: the slot's adds are known and the same as the region's other instructions'.
        bool Countable(int s)
        {
            if (slotCounts == null) return true;
            if (!countable![s]) return false;
            if (!countsSet)
            {
                counts = slotCounts[s];
                countsSet = true;
            }
            return SameCounts(counts, slotCounts[s]);
        }
    }

    /// <summary>
    /// Under instrumentation a region holds only code the instrumentation has seen (in blocks the
    /// instrumented interpreter found, so their translation callbacks ran) whose instructions make
    /// inline adds and nothing else: no block-entry hooks, callbacks or memory hooks (such blocks are
    /// stepped by the interpreter). Per slot: those adds (null: none), and whether they are known
    /// (seen, and the same in every block holding the slot).
    /// </summary>
    private static HookOp[]?[] SlotCounts(CodePage cp, out bool[] countable)
    {
        var counts = new HookOp[]?[SlotsPerPage];
        countable = new bool[SlotsPerPage];
        var conflict = new bool[SlotsPerPage];
        foreach (InstrBlock? b in cp.Blocks ?? [])
        {
            if (b == null || !b.ValidIn(cp)) continue;
            bool adds = !b.Stepped && b.Hooks?.Entry == null;
            for (int i = 0; i < b.Length; i++)
            {
                int s = (int)(b.SlotOf(i) - cp.Base);
                HookOp[]? ops = b.Hooks?.Insn?[i];
                if (!adds || (countable[s] && !SameCounts(counts[s], ops))) conflict[s] = true;
                countable[s] = true;
                counts[s] = ops;
            }
        }
        for (int s = 0; s < SlotsPerPage; s++)
        {
            if (conflict[s]) countable[s] = false;
        }
        return counts;
    }

    private static bool SameCounts(HookOp[]? a, HookOp[]? b)
    {
        int n = a?.Length ?? 0;
        if ((b?.Length ?? 0) != n) return false;
        for (int i = 0; i < n; i++)
        {
            HookOp x = a![i], y = b![i];
            if (x.Kind != y.Kind || x.Board != y.Board || x.Slot != y.Slot || x.Immediate != y.Immediate) return false;
        }
        return true;
    }

    /// <summary>
    /// The likely targets of an indirect jump (at most <paramref name="max"/>): the slots of the page where
    /// indirect jumps landed most, else (no landing seen yet) those entered most often as block heads.
    /// </summary>
    private static List<int> HotHeads(CodePage cp, int max)
    {
        ushort[]? landings = cp.Landings;
        ushort[] heat = landings ?? cp.Heat!;
        var heads = new List<int>();
        for (int i = 0; i < heat.Length; i++)
        {
            // (In the heat, the top value marks a head that cannot be translated.)
            if (heat[i] != 0 && (landings != null || heat[i] != ushort.MaxValue)) heads.Add(i);
        }
        heads.Sort((a, b) => heat[b].CompareTo(heat[a]));
        if (heads.Count > max) heads.RemoveRange(max, heads.Count - max);
        return heads;
    }

    /// <summary>
    /// A block head got hot: its region, translated now (null when its first instruction cannot be
    /// translated). Every block start of the region becomes a way in, where the page has none yet.
    /// </summary>
    private RegionEntry? HotRegion(CodePage cp, int slot, ulong pageBase, ulong physBase, bool paged)
    {
        // Another hart's region from the same code, unless breakpoints are marked in this hart's decodes (a region ends before one).
        // Nor when instrumented (its counters are this hart's).
        SharedRegions? shared = _breakpointsActive || Instrumentation != null ? null : SharedRegions;
        Region? region = shared?.Find(physBase, pageBase, slot, paged, cp.Generation);
        if (region != null)
        {
            Translations.Shared++;
        }
        else
        {
            region = TranslateRegion(cp, slot, pageBase, physBase, paged, retranslation: false);
            if (region == null)
            {
                cp.Heat![slot] = ushort.MaxValue; // counts again from zero: a retry only after another 65536 entries
                return null;
            }
            if (CompileInBackground) RegionCompiler.Enqueue(region);
            shared?.Add(region, slot);
        }
        Register(cp, region, pageBase, paged, replacing: null, Instrumentation);
        return cp.Regions![slot];
    }

    /// <summary>The region of <paramref name="entry"/> made again from its head with today's profile; its ways in now lead to the new one.</summary>
    private RegionEntry Retranslate(CodePage cp, RegionEntry entry, int slot, ulong pageBase, ulong physBase, bool paged)
    {
        Region old = entry.Region;
        // Once, by whichever hart sharing it gets there first.
        if (Interlocked.Exchange(ref old.Retranslating, 1) != 0) return entry;
        Region? region = TranslateRegion(cp, old.EntrySlots[0], pageBase, physBase, paged, retranslation: true, previous: old);
        if (region == null || region == old) return entry;
        Translations.Retranslated++;
        if (CompileInBackground)
        {
            // The old one runs on until the new one is compiled (Successor), on every hart that has it.
            Volatile.Write(ref old.Successor, region);
            RegionCompiler.Enqueue(region);
            if (!_breakpointsActive && Instrumentation == null) SharedRegions?.Add(region, old.EntrySlots[0]);
            return entry;
        }
        Register(cp, region, pageBase, paged, replacing: old, Instrumentation);
        return cp.Regions![slot] ?? entry;
    }

    /// <summary>The way in at <paramref name="slot"/> once the retranslation of its region is compiled (or refused: then the old one stays).</summary>
    private RegionEntry TakeSuccessor(CodePage cp, RegionEntry entry, int slot, ulong pageBase, bool paged)
    {
        Region old = entry.Region;
        Region next = Volatile.Read(ref old.Successor)!;
        if (next.Compiled)
        {
            // Every way into the old one on this page goes (other harts may still use it), then the new one's come.
            Unregister(cp, old);
            Register(cp, next, pageBase, paged, replacing: null, Instrumentation);
            return cp.Regions![slot] ?? entry;
        }
        if (next.Refused)
        {
            old.Successor = null;
            Refused(next, slot);
        }
        return entry;
    }

    /// <summary>The page's ways into <paramref name="region"/> go (Register makes them at its entry slots only).</summary>
    private static void Unregister(CodePage cp, Region region)
    {
        RegionEntry?[] entries = cp.Regions!;
        foreach (int s in region.EntrySlots)
        {
            if (entries[s]?.Region == region) entries[s] = null;
        }
    }

    /// <summary>Every block start of <paramref name="region"/> becomes a way in where the page has none (or one into <paramref name="replacing"/>).</summary>
    private static void Register(CodePage cp, Region region, ulong pageBase, bool paged, Region? replacing, IHartInstrumentation? instrumentation)
    {
        RegionEntry?[] entries = cp.Regions ??= new RegionEntry?[SlotsPerPage];
        for (int i = 0; i < region.EntrySlots.Length; i++)
        {
            int s = region.EntrySlots[i];
            RegionEntry? old = entries[s];
            if (i == 0 || old == null || old.Region == replacing || !old.Region.Fits(pageBase, paged, instrumentation))
                entries[s] = new RegionEntry(region, i);
        }
    }

    /// <summary>
    /// An entry into a region not compiled yet. In the background tier the interpreter runs on until
    /// the JIT is done (false); otherwise the JIT compiles it now (true: it runs). A method the JIT
    /// refuses (a translator bug) was never run: the interpreter takes over its heads for good.
    /// </summary>
    private bool CompileNow(RegionEntry entry, CodePage cp, int slot)
    {
        Region region = entry.Region;
        if (!region.Refused)
        {
            if (CompileInBackground) return false;
            if (RegionCompiler.Compile(region))
            {
                region.MarkCompiled();
                Translations.Entries++;
                region.Entries++;
                return true;
            }
            region.MarkRefused();
        }
        Unregister(cp, region);
        cp.Heat![slot] = ushort.MaxValue;
        Refused(region, slot);
        return false;
    }

    private void Refused(Region region, int slot)
    {
        Translations.Refused++;
        Console.Error.WriteLine($"rivet: hart {HartId}: the translation of {region.PageBase + 2 * (ulong)slot:x} was refused ({region.RefusedBecause}); the interpreter runs it");
    }
}
