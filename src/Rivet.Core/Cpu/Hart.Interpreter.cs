using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rivet.Cpu.Translator;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>
/// The interpreter: instructions are decoded once into per-page arrays (one slot per 2-byte
/// position, so compressed code needs no special casing) and executed from there. Exit
/// requests, interrupts and the budget are checked at block boundaries (taken branches,
/// jumps, traps, page changes), so a kick reaches running code within one block.
/// </summary>
internal sealed unsafe partial class Hart
{
    private const int SlotsPerPage = (int)(PhysicalMemory.PageSize / 2);

    /// <summary>Decoded instructions of one guest page; slots past the end hold <see cref="Op.PageEnd"/>.</summary>
    private sealed class CodePage
    {
        public readonly DecodedInsn[] Slots = GC.AllocateArray<DecodedInsn>(SlotsPerPage + 2, pinned: true);
        public readonly DecodedInsn* Base;
        public int Generation;
        public int Epoch;
        public ulong PhysBase;
        /// <summary>Instrumented: the blocks that start at each slot (Hart.Instrumentation.cs); dropped with the decodes.</summary>
        public InstrBlock?[]? Blocks;
        /// <summary>An instruction in the last slot reaches into the next page: that page's generation matters too.</summary>
        public bool TiedToNext;
        public int NextGeneration;
        /// <summary>The RAM page holding the second half (the next one, unless translation put it elsewhere).</summary>
        public ulong NextIndex;
        /// <summary>Under translation: the virtual page the tie was made at, and the mapping epoch then (else ulong.MaxValue).</summary>
        public ulong TieVirtualPage = ulong.MaxValue;
        public int TieMappingEpoch;
        /// <summary>The virtual page whose breakpoints the slots carry (checked only while breakpoints exist: Hart.Debug.cs).</summary>
        public ulong MarkVirtualPage;
        /// <summary>Under the translator, RAM pages only: how often each slot was entered as a block head (Hart.Translation.cs).</summary>
        public ushort[]? Heat;
        /// <summary>The way into a region at each slot (every block start of a translated region); dropped with the decodes.</summary>
        public RegionEntry?[]? Regions;
        /// <summary>Under the translator: how often an indirect jump landed on each slot (made at the first landing).</summary>
        public ushort[]? Landings;

        public CodePage()
        {
            Base = (DecodedInsn*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Slots));
            Slots[SlotsPerPage].Op = Op.PageEnd;
            Slots[SlotsPerPage + 1].Op = Op.PageEnd;
        }
    }

    /// <summary>Stands for "no page": all slots are PageEnd, so dispatching through it looks the pc up.</summary>
    private static readonly CodePage s_noPage = NoPage();

    private static CodePage NoPage()
    {
        var page = new CodePage();
        for (int i = 0; i < SlotsPerPage; i++) page.Slots[i].Op = Op.PageEnd;
        return page;
    }

    private CodePage?[][] _codePages = [];
    private int _codeEpoch;

    private void InitCodeCache()
    {
        ulong pages = (_memory.RamSize + PhysicalMemory.PageSize - 1) / PhysicalMemory.PageSize;
        _codePages = new CodePage?[(int)((pages + 1023) / 1024)][];
    }

    /// <summary>Reset, debug points, instrumentation changes: every decode this hart holds becomes stale.</summary>
    public void FlushCodeCache() => _codeEpoch++;

    /// <summary>
    /// Finds (or starts) the decoded page for a RAM page index, entered at virtual page
    /// <paramref name="virtualPage"/>; reuses the array when stale.
    /// </summary>
    private CodePage GetCodePage(ulong pageIndex, ulong virtualPage)
    {
        CodePage?[] chunk = _codePages[pageIndex >> 10] ??= new CodePage?[1024];
        ref CodePage? slot = ref chunk[pageIndex & 1023];
        int gen = Volatile.Read(ref _memory.CodeGeneration[pageIndex]);
        CodePage? page = slot;
        if (page != null && page.Generation == gen && page.Epoch == _codeEpoch
            && (!_breakpointsActive || page.MarkVirtualPage == virtualPage)
            && (!page.TiedToNext || (page.NextGeneration == Volatile.Read(ref _memory.CodeGeneration[page.NextIndex])
                && (page.TieVirtualPage == ulong.MaxValue || (page.TieVirtualPage == virtualPage && page.TieMappingEpoch == _mappingEpoch)))))
        {
            return page;
        }
        if (page != null && page.Generation == gen && page.Epoch == _codeEpoch && !_breakpointsActive && page.Blocks == null)
        {
            // Only the tie is stale (the next page was written or remapped: sfence.vma and satp writes,
            // at every context switch): only the instruction straddling into it depends on that, so
            // only its slot decodes again; the rest keeps its decodes, heat and regions.
            page.Slots[SlotsPerPage - 1] = default;
            page.TiedToNext = false;
            return page;
        }
        if (page == null)
        {
            page = new CodePage();
            if (Engine == ExecutionEngine.Translator) page.Heat = new ushort[SlotsPerPage];
            slot = page;
        }
        else
        {
            Array.Clear(page.Slots, 0, SlotsPerPage);
            if (page.Blocks != null) Array.Clear(page.Blocks);
            if (page.Heat != null) Array.Clear(page.Heat);
            page.Regions = null;
            page.Landings = null;
            // Re-marked for another virtual alias (same generation and epoch): the block in hand must not go on.
            if (_block?.Page == page) ResetInstrumentationState();
        }
        // Flag first, then record the generation: a store racing with this decode bumps it.
        MarkCode(pageIndex);
        page.Generation = Volatile.Read(ref _memory.CodeGeneration[pageIndex]);
        page.Epoch = _codeEpoch;
        page.PhysBase = _memory.RamBase + (pageIndex << PhysicalMemory.PageShift);
        page.TiedToNext = false;
        page.MarkVirtualPage = virtualPage; // slots are marked as they decode (DecodeSlot)
        return page;
    }

    private CodePage?[] _romPages = [];

    /// <summary>
    /// The decoded page of the board's ROM holding <paramref name="phys"/>, or null when it is not
    /// ROM. The whole page is decoded at once from the ROM's bytes (they change only when the
    /// board programs the ROM, which bumps its generation).
    /// </summary>
    private CodePage? RomCodePage(ulong phys, ulong virtualPage)
    {
        IRomDevice? rom = _memory.Rom;
        if (rom == null || phys - rom.Base >= rom.Size) return null;
        int index = (int)((phys - rom.Base) >> PhysicalMemory.PageShift);
        if (_romPages.Length == 0) _romPages = new CodePage?[(int)((rom.Size + PhysicalMemory.PageSize - 1) >> PhysicalMemory.PageShift)];
        CodePage? page = _romPages[index];
        int gen = rom.Generation;
        if (page != null && page.Generation == gen && page.Epoch == _codeEpoch && (!_breakpointsActive || page.MarkVirtualPage == virtualPage)) return page;
        page ??= _romPages[index] = new CodePage();
        ReadOnlySpan<byte> bytes = rom.Contents;
        int start = index << PhysicalMemory.PageShift;
        for (int i = 0; i < SlotsPerPage; i++)
        {
            int o = start + 2 * i;
            ushort low = o + 2 <= bytes.Length ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[o..]) : (ushort)0;
            if (Decoder.IsFullLength(low))
            {
                // Past the ROM's end the missing half reads as zero, as the bus would.
                uint high = o + 4 <= bytes.Length ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(o + 2)..]) : 0u;
                page.Slots[i] = Decoder.Decode32(low | (high << 16));
            }
            else
            {
                page.Slots[i] = Decoder.Decode16(low);
            }
        }
        page.Generation = gen;
        page.Epoch = _codeEpoch;
        page.PhysBase = rom.Base + (ulong)start;
        page.TiedToNext = false;
        MarkBreakpoints(page, virtualPage);
        return page;
    }

    private void TieToNextPage(CodePage page, ulong nextIndex, ulong virtualPage)
    {
        MarkCode(nextIndex);
        page.NextIndex = nextIndex;
        page.NextGeneration = Volatile.Read(ref _memory.CodeGeneration[nextIndex]);
        page.TieVirtualPage = virtualPage;
        page.TieMappingEpoch = _mappingEpoch;
        page.TiedToNext = true;
    }

    /// <summary>
    /// Flags the page as holding code, so every store to it from now on bumps its generation. The first
    /// time, a process-wide barrier follows (asymmetric Dekker: stores check the flag after writing, with no
    /// fence of their own): every store another hart made before it is visible to the decode that follows,
    /// and every store after it sees the flag. So a page's generation misses no write, and fence.i need not
    /// drop this hart's decodes (it makes the hart look its page up again).
    /// </summary>
    private void MarkCode(ulong pageIndex)
    {
        if ((Volatile.Read(ref _memory.PageFlags[pageIndex]) & PhysicalMemory.FlagCode) != 0) return;
        lock (_memory.PageFlags)
        {
            _memory.PageFlags[pageIndex] |= PhysicalMemory.FlagCode;
        }
        Interlocked.MemoryBarrierProcessWide();
    }

    /// <summary>
    /// Runs guest code until the budget is used, a kick arrives or the hart halts in WFI.
    /// Called only on the hart's own thread.
    /// </summary>
    public ExecExit Run(long budget)
    {
        if (Instrumentation != null) ApplyInstrumentationFlush();
        bool instrumented = Instrumentation != null;
        bool watch = _watchpointsActive; // the instrumented interpreter with a check before every access (Hart.Debug.cs)
        bool step = SingleStep;
        _debugEvent = null;
        _stepStarted = false;
        // Bare code runs the specialisation without translation; the loop switches when translation turns on or off.
        while (true)
        {
            ulong before = _instret;
            ExecExit exit = step
                ? (watch
                    ? (TranslationActive ? Run<WatchStepPagedRun>(budget) : Run<WatchStepRun>(budget))
                    : instrumented
                    ? (TranslationActive ? Run<InstrumentedStepPagedRun>(budget) : Run<InstrumentedStepRun>(budget))
                    : (TranslationActive ? Run<StepPagedRun>(budget) : Run<StepRun>(budget)))
                : watch
                ? (TranslationActive ? Run<WatchPagedRun>(budget) : Run<WatchRun>(budget))
                : instrumented
                ? (TranslationActive ? Run<InstrumentedPagedRun>(budget) : Run<InstrumentedRun>(budget))
                : (TranslationActive ? Run<PagedRun>(budget) : Run<PlainRun>(budget));
            if (!_modeSwitch) return exit;
            _modeSwitch = false;
            budget -= (long)(_instret - before);
            if (budget <= 0) return ExecExit.Budget;
        }
    }

    /// <summary>Set while the hart is stopped (or before it runs); null means plain execution.</summary>
    public IHartInstrumentation? Instrumentation { get; set; }

    private ExecExit Run<TMode>(long budget)
        where TMode : struct, IRunMode
    {
        ulong* x = _x;
        byte* ram = _memory.Ram;
        ulong ramBase = _memory.RamBase, ramSize = _memory.RamSize;
        byte[] flagArray = _memory.PageFlags;
        ulong pc = Pc;
        long n = 0; // instructions retired in this call, folded into _instret on the way out
        // No page yet: every slot of s_noPage is PageEnd, so whatever pc is, the first dispatch looks it up.
        CodePage current = s_noPage;
        DecodedInsn* page = current.Base;
        ulong pageBase = 0; // with s_noPage: PageEnd recovers pc exactly
        ulong physBase = 1; // the physical address of pageBase (the same when not paged)
        ulong flagged = 0; // the physical address of a store into a page that holds code
        // Within a page the slot pointer is the program counter: pc is only materialised
        // (PcOf) by instructions that need it, and at block boundaries.
        DecodedInsn* d = null;
        ExecExit exit;
        LastRunMode = typeof(TMode).Name;
        // Plain and paged runs enter translated regions at block heads (Hart.Translation.cs).
        // Instrumented harts too, where the plugins count with inline adds alone (Hart.Translation.cs).
        bool translate = !TMode.Step && !TMode.Watch && Engine == ExecutionEngine.Translator;
        IHartInstrumentation? instrumentation = TMode.Instrumented ? Instrumentation : null;
        int hot = HotThreshold;
        TranslatorStatistics stats = Translations;
        bool landing = false; // the next block head is where an indirect jump went
        bool resumed = false; // the next block head continues a region's straight-line code: it is as hot

        // A step raises no timer (QEMU's SSTEP_NOTIMER); what is pending stays pending.
        if (!TMode.Step) RefreshTimer();
        if (((ulong)Volatile.Read(ref _mip) & _mie) != 0) RaiseSignal(SignalInterrupt);
        if (Halted)
        {
            if (!HasPendingInterrupt) return ExecExit.Halted;
            Halted = false;
        }
        goto Boundary;

    Boundary:
        {
            // Instrumented: a block left before its end gives back what its unstarted instructions added.
            if (TMode.Instrumented) SuspendBlock(d);
            // A step stops once its instruction retired or trapped.
            if (TMode.Step && _stepStarted) goto DebugStop;
            int s = _signal;
            if (s != 0)
            {
                if ((s & SignalExit) != 0)
                {
                    exit = ExecExit.ExitRequest;
                    goto Leave;
                }
                // A step masks interrupts (QEMU's SSTEP_NOIRQ): the signal stays for the next run.
                if (!TMode.Step && (s & SignalInterrupt) != 0)
                {
                    ClearSignal(SignalInterrupt);
                    Pc = pc;
                    if (TryTakeInterrupt()) pc = Pc;
                    s = _signal; // the trap may have changed the translation
                }
                if ((s & SignalModeSwitch) != 0)
                {
                    ClearSignal(SignalModeSwitch);
                    if (TMode.Paged != TranslationActive)
                    {
                        _modeSwitch = true;
                        exit = ExecExit.Budget;
                        goto Leave;
                    }
                }
                if ((s & SignalCodeStale) != 0)
                {
                    ClearSignal(SignalCodeStale);
                    current = s_noPage;
                    page = current.Base;
                    pageBase = 0;
                }
            }
            if (n >= budget)
            {
                exit = ExecExit.Budget;
                goto Leave;
            }
        }
        if (pc - pageBase >= PhysicalMemory.PageSize) goto Fetch;
    Dispatch:
        d = page + ((pc - pageBase) >> 1);
        if (TMode.Instrumented) Redirect(current, d);
        if (translate) goto Enter;
        goto Next;
    Fetch:
        {
            if (TMode.Step && _stepStarted) goto DebugStop; // the step's instruction jumped: stop before fetching
            ulong phys = pc;
            if (TMode.Paged && !TranslateFetch(pc, out phys))
            {
                Pc = pc;
                RaiseMmuFault();
                pc = Pc;
                goto Boundary;
            }
            ulong off = phys - ramBase;
            if (off >= ramSize)
            {
                if (RomCodePage(phys, pc & ~(PhysicalMemory.PageSize - 1)) is { } rom)
                {
                    pageBase = pc & ~(PhysicalMemory.PageSize - 1);
                    physBase = phys & ~(PhysicalMemory.PageSize - 1);
                    current = TMode.Step ? StepPage(pc, physBase, rom) : rom;
                    page = current.Base;
                    goto Dispatch;
                }
                Pc = pc;
                LogUnmapped(phys, 2, false);
                RaiseException(Cause.InstructionAccessFault, pc);
                pc = Pc;
                goto Boundary;
            }
            pageBase = pc & ~(PhysicalMemory.PageSize - 1);
            physBase = phys & ~(PhysicalMemory.PageSize - 1);
            current = TMode.Step ? StepPage(pc, physBase, null) : GetCodePage(off >> PhysicalMemory.PageShift, pageBase);
            page = current.Base;
            d = page + ((pc - pageBase) >> 1);
            if (TMode.Instrumented) Redirect(current, d);
            if (translate) goto Enter;
            goto Next;
        }
    Enter:
        // A block head: run its region, or count towards translating one.
        if (current.Heat is { } heat)
        {
            int slot = (int)(d - page);
            if (landing)
            {
                landing = false;
                ushort[] landings = current.Landings ??= new ushort[SlotsPerPage];
                if (landings[slot] < ushort.MaxValue) landings[slot]++;
            }
            RegionEntry? entry = current.Regions?[slot];
            bool continues = resumed;
            resumed = false;
            if (entry == null || !entry.Region.Fits(pageBase, TMode.Paged, instrumentation))
            {
                if (++heat[slot] < hot && !continues) goto Next;
                entry = HotRegion(current, slot, pageBase, physBase, TMode.Paged);
                if (entry == null) goto Next;
            }
            Region region = entry.Region;
            if (region.Compiled)
            {
                // Only entries that run it count (the interpreter runs a region's code while it is compiled in the background).
                stats.Entries++;
                // The head's heat goes on counting (saturating below the "refused" mark): where jumps
                // from outside land most is what a retranslation takes in as an indirect jump's targets.
                if (heat[slot] < ushort.MaxValue - 1) heat[slot]++;
                if (++region.Entries >= RegionTranslator.RetranslateAfter && !region.Retranslated && region.Retranslating == 0)
                {
                    entry = Retranslate(current, entry, slot, pageBase, physBase, TMode.Paged);
                    region = entry.Region;
                }
                if (region.Successor != null)
                {
                    entry = TakeSuccessor(current, entry, slot, pageBase, TMode.Paged);
                    region = entry.Region;
                }
            }
            if (!region.Compiled && !CompileNow(entry, current, slot)) goto Next;
            long before = n;
            if (TMode.Instrumented)
            {
                LeaveBlockForRegion(d);
                n = region.Code(this, x, n, budget, entry.Index);
                region.Count(n - before);
            }
            else
            {
                n = region.Code(this, x, n, budget, entry.Index);
            }
            stats.RegionInstructions += n - before;
            pc = Pc;
            if (_regionExit == RegionExit.Resume)
            {
                resumed = true;
                if (pc - pageBase >= PhysicalMemory.PageSize) goto Fetch;
                goto Dispatch;
            }
            if (_regionExit != RegionExit.Continue)
            {
                landing = _regionExit == RegionExit.Indirect;
                goto Taken;
            }
            stats.Continues++;
            // Sequential: the instruction at pc runs here (always in this page, or its end sentinel).
            d = page + ((pc - pageBase) >> 1);
        }
    Next:
        if (TMode.Step)
        {
            // Before every instruction of a step: the second one is not executed.
            if (_stepStarted) goto DebugStopAtSlot;
            if (d->Op != Op.PageEnd) _stepStarted = true;
        }
        if (TMode.Watch)
        {
            // The check needs the instruction: decode it now (a slot that cannot be fetched raises its fault when executed).
            if (d->Op == Op.Undecoded && !DecodeSlot(current, d, physBase + ((ulong)(d - page) << 1), pageBase + ((ulong)(d - page) << 1))) _mmuFault = NoFault;
        }
        if (TMode.Watch && WatchHitBefore(d))
        {
            // As QEMU 7.2 on RISC-V (gdb_stop_before_watchpoint): stop before the access, nothing of it done.
            SuspendBlock(d, started: false);
            goto DebugStopAtSlot;
        }
        // Instrumented: one compare per instruction; hooks and block starts are past the limit.
        // A breakpoint is never inside a block (FindBlock ends one before it): it stops before any hook.
        if (TMode.Instrumented && d >= _blockLimit)
        {
            if (d->Op == Op.Breakpoint) goto Execute;
            // Plugins read exact counters (instret, cycle) in their callbacks.
            _instret += (ulong)n;
            budget -= n;
            n = 0;
            InstrumentStep(current, page, d, pageBase);
            if (_pcRedirected)
            {
                // A plugin wrote pc in an execute callback: this instruction (or block) does not run.
                _pcRedirected = false;
                _block = null;
                _blockLimit = null;
                pc = Pc;
                goto Boundary;
            }
        }
    Execute:
        switch (d->Op)
        {
            case Op.Undecoded:
                if (!DecodeSlot(current, d, physBase + ((ulong)(d - page) << 1), pageBase + ((ulong)(d - page) << 1)))
                {
                    pc = pageBase + ((ulong)(d - page) << 1);
                    Pc = pc;
                    // The only unfetchable slot is a 32-bit instruction running off the end of RAM
                    // or, under translation, into a page that does not allow the fetch.
                    if (_mmuFault != NoFault)
                    {
                        RaiseMmuFault();
                    }
                    else
                    {
                        LogUnmapped(physBase + ((ulong)(d - page) << 1) + 2, 2, false);
                        RaiseException(Cause.InstructionAccessFault, pc + 2);
                    }
                    pc = Pc;
                    goto Boundary;
                }
                goto Execute;
            case Op.PageEnd:
                pc = (pageBase + ((ulong)(d - page) << 1));
                goto Fetch;
            case Op.Breakpoint:
                // Before the instruction: nothing of it has happened (Hart.Debug.cs).
                pc = (pageBase + ((ulong)(d - page) << 1));
                _debugEvent = new DebugEvent(DebugStopKind.Breakpoint, pc);
                exit = ExecExit.Debug;
                goto Leave;
            case Op.Illegal:
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                if (TMode.Instrumented) SuspendBlock(d);
                RaiseException(Cause.IllegalInstruction, d->Raw);
                pc = Pc;
                goto Boundary;

            case Op.Lui: x[d->Rd] = IntegerOps.Lui(d->Imm); break;
            case Op.Auipc: x[d->Rd] = (pageBase + ((ulong)(d - page) << 1)) + (ulong)(long)d->Imm; break;
            case Op.Jal:
                pc = (pageBase + ((ulong)(d - page) << 1));
                x[d->Rd] = pc + d->Length;
                pc += (ulong)(long)d->Imm;
                n++;
                goto Taken;
            case Op.Jalr:
                {
                    ulong target = (x[d->Rs1] + (ulong)(long)d->Imm) & ~1UL;
                    x[d->Rd] = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
                    pc = target;
                    n++;
                    landing = true;
                    goto Taken;
                }
            case Op.Beq: if (IntegerOps.Beq(x[d->Rs1], x[d->Rs2])) goto Branch; break;
            case Op.Bne: if (IntegerOps.Bne(x[d->Rs1], x[d->Rs2])) goto Branch; break;
            case Op.Blt: if (IntegerOps.Blt(x[d->Rs1], x[d->Rs2])) goto Branch; break;
            case Op.Bge: if (IntegerOps.Bge(x[d->Rs1], x[d->Rs2])) goto Branch; break;
            case Op.Bltu: if (IntegerOps.Bltu(x[d->Rs1], x[d->Rs2])) goto Branch; break;
            case Op.Bgeu: if (IntegerOps.Bgeu(x[d->Rs1], x[d->Rs2])) goto Branch; break;

            case Op.Lb:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 1) : a - ramBase;
                    if (off < ramSize) x[d->Rd] = (ulong)(long)*(sbyte*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 1, out ulong v) : LoadSlow(a, 1, out v)) x[d->Rd] = (ulong)(long)(sbyte)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 1, false, x[d->Rd]);
                    break;
                }
            case Op.Lbu:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 1) : a - ramBase;
                    if (off < ramSize) x[d->Rd] = *(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 1, out ulong v) : LoadSlow(a, 1, out v)) x[d->Rd] = (byte)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 1, false, x[d->Rd]);
                    break;
                }
            case Op.Lh:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 2) : a - ramBase;
                    if (off <= ramSize - 2) x[d->Rd] = (ulong)(long)*(short*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 2, out ulong v) : LoadSlow(a, 2, out v)) x[d->Rd] = (ulong)(long)(short)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 2, false, x[d->Rd]);
                    break;
                }
            case Op.Lhu:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 2) : a - ramBase;
                    if (off <= ramSize - 2) x[d->Rd] = *(ushort*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 2, out ulong v) : LoadSlow(a, 2, out v)) x[d->Rd] = (ushort)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 2, false, x[d->Rd]);
                    break;
                }
            case Op.Lw:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 4) : a - ramBase;
                    if (off <= ramSize - 4) x[d->Rd] = (ulong)(long)*(int*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 4, out ulong v) : LoadSlow(a, 4, out v)) x[d->Rd] = (ulong)(long)(int)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 4, false, x[d->Rd]);
                    break;
                }
            case Op.Lwu:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 4) : a - ramBase;
                    if (off <= ramSize - 4) x[d->Rd] = *(uint*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 4, out ulong v) : LoadSlow(a, 4, out v)) x[d->Rd] = (uint)v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 4, false, x[d->Rd]);
                    break;
                }
            case Op.Ld:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbLoad, a, 8) : a - ramBase;
                    if (off <= ramSize - 8) x[d->Rd] = *(ulong*)(ram + off);
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (TMode.Paged ? LoadPaged(a, 8, out ulong v) : LoadSlow(a, 8, out v)) x[d->Rd] = v;
                        else goto LoadFault;
                    }
                    if (TMode.Instrumented) AfterMemory(a, 8, false, x[d->Rd]);
                    break;
                }
            case Op.Sb:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbStore, a, 1) : a - ramBase;
                    if (off < ramSize)
                    {
                        *(ram + off) = (byte)x[d->Rs2];
                        if (TMode.Instrumented) AfterMemory(a, 1, true, x[d->Rs2]);
                        if (flagArray[off >> PhysicalMemory.PageShift] != 0)
                        {
                            flagged = ramBase + off;
                            goto FlaggedStore;
                        }
                    }
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (!(TMode.Paged ? StorePaged(a, 1, x[d->Rs2]) : StoreSlow(a, 1, x[d->Rs2]))) goto StoreFault;
                        if (TMode.Instrumented) AfterMemory(a, 1, true, x[d->Rs2]);
                        if (TMode.Paged && PlainRamStore(a, 1)) break;
                        goto AfterMmioStore;
                    }
                    break;
                }
            case Op.Sh:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbStore, a, 2) : a - ramBase;
                    if (off <= ramSize - 2)
                    {
                        *(ushort*)(ram + off) = (ushort)x[d->Rs2];
                        if (TMode.Instrumented) AfterMemory(a, 2, true, x[d->Rs2]);
                        if (flagArray[off >> PhysicalMemory.PageShift] != 0)
                        {
                            flagged = ramBase + off;
                            goto FlaggedStore;
                        }
                    }
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (!(TMode.Paged ? StorePaged(a, 2, x[d->Rs2]) : StoreSlow(a, 2, x[d->Rs2]))) goto StoreFault;
                        if (TMode.Instrumented) AfterMemory(a, 2, true, x[d->Rs2]);
                        if (TMode.Paged && PlainRamStore(a, 2)) break;
                        goto AfterMmioStore;
                    }
                    break;
                }
            case Op.Sw:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbStore, a, 4) : a - ramBase;
                    if (off <= ramSize - 4)
                    {
                        *(uint*)(ram + off) = (uint)x[d->Rs2];
                        if (TMode.Instrumented) AfterMemory(a, 4, true, x[d->Rs2]);
                        if (flagArray[off >> PhysicalMemory.PageShift] != 0)
                        {
                            flagged = ramBase + off;
                            goto FlaggedStore;
                        }
                    }
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (!(TMode.Paged ? StorePaged(a, 4, x[d->Rs2]) : StoreSlow(a, 4, x[d->Rs2]))) goto StoreFault;
                        if (TMode.Instrumented) AfterMemory(a, 4, true, x[d->Rs2]);
                        if (TMode.Paged && PlainRamStore(a, 4)) break;
                        goto AfterMmioStore;
                    }
                    break;
                }
            case Op.Sd:
                {
                    ulong a = x[d->Rs1] + (ulong)(long)d->Imm, off = TMode.Paged ? TlbLookup(_tlbStore, a, 8) : a - ramBase;
                    if (off <= ramSize - 8)
                    {
                        *(ulong*)(ram + off) = x[d->Rs2];
                        if (TMode.Instrumented) AfterMemory(a, 8, true, x[d->Rs2]);
                        if (flagArray[off >> PhysicalMemory.PageShift] != 0)
                        {
                            flagged = ramBase + off;
                            goto FlaggedStore;
                        }
                    }
                    else
                    {
                        _instret += (ulong)n; // device time reads (-icount) see the exact count
                        budget -= n;
                        n = 0;
                        if (!(TMode.Paged ? StorePaged(a, 8, x[d->Rs2]) : StoreSlow(a, 8, x[d->Rs2]))) goto StoreFault;
                        if (TMode.Instrumented) AfterMemory(a, 8, true, x[d->Rs2]);
                        if (TMode.Paged && PlainRamStore(a, 8)) break;
                        goto AfterMmioStore;
                    }
                    break;
                }

            case Op.Addi: x[d->Rd] = IntegerOps.Addi(x[d->Rs1], d->Imm); break;
            case Op.Slti: x[d->Rd] = IntegerOps.Slti(x[d->Rs1], d->Imm); break;
            case Op.Sltiu: x[d->Rd] = IntegerOps.Sltiu(x[d->Rs1], d->Imm); break;
            case Op.Xori: x[d->Rd] = IntegerOps.Xori(x[d->Rs1], d->Imm); break;
            case Op.Ori: x[d->Rd] = IntegerOps.Ori(x[d->Rs1], d->Imm); break;
            case Op.Andi: x[d->Rd] = IntegerOps.Andi(x[d->Rs1], d->Imm); break;
            case Op.Slli: x[d->Rd] = IntegerOps.Slli(x[d->Rs1], d->Imm); break;
            case Op.Srli: x[d->Rd] = IntegerOps.Srli(x[d->Rs1], d->Imm); break;
            case Op.Srai: x[d->Rd] = IntegerOps.Srai(x[d->Rs1], d->Imm); break;
            case Op.Add: x[d->Rd] = IntegerOps.Add(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sub: x[d->Rd] = IntegerOps.Sub(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sll: x[d->Rd] = IntegerOps.Sll(x[d->Rs1], x[d->Rs2]); break;
            case Op.Slt: x[d->Rd] = IntegerOps.Slt(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sltu: x[d->Rd] = IntegerOps.Sltu(x[d->Rs1], x[d->Rs2]); break;
            case Op.Xor: x[d->Rd] = IntegerOps.Xor(x[d->Rs1], x[d->Rs2]); break;
            case Op.Srl: x[d->Rd] = IntegerOps.Srl(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sra: x[d->Rd] = IntegerOps.Sra(x[d->Rs1], x[d->Rs2]); break;
            case Op.Or: x[d->Rd] = IntegerOps.Or(x[d->Rs1], x[d->Rs2]); break;
            case Op.And: x[d->Rd] = IntegerOps.And(x[d->Rs1], x[d->Rs2]); break;
            case Op.Addiw: x[d->Rd] = IntegerOps.Addiw(x[d->Rs1], d->Imm); break;
            case Op.Slliw: x[d->Rd] = IntegerOps.Slliw(x[d->Rs1], d->Imm); break;
            case Op.Srliw: x[d->Rd] = IntegerOps.Srliw(x[d->Rs1], d->Imm); break;
            case Op.Sraiw: x[d->Rd] = IntegerOps.Sraiw(x[d->Rs1], d->Imm); break;
            case Op.Addw: x[d->Rd] = IntegerOps.Addw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Subw: x[d->Rd] = IntegerOps.Subw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sllw: x[d->Rd] = IntegerOps.Sllw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Srlw: x[d->Rd] = IntegerOps.Srlw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Sraw: x[d->Rd] = IntegerOps.Sraw(x[d->Rs1], x[d->Rs2]); break;

            case Op.Mul: x[d->Rd] = IntegerOps.Mul(x[d->Rs1], x[d->Rs2]); break;
            case Op.Mulh: x[d->Rd] = IntegerOps.Mulh(x[d->Rs1], x[d->Rs2]); break;
            case Op.Mulhu: x[d->Rd] = IntegerOps.Mulhu(x[d->Rs1], x[d->Rs2]); break;
            case Op.Mulhsu: x[d->Rd] = IntegerOps.Mulhsu(x[d->Rs1], x[d->Rs2]); break;
            case Op.Div: x[d->Rd] = IntegerOps.Div(x[d->Rs1], x[d->Rs2]); break;
            case Op.Divu: x[d->Rd] = IntegerOps.Divu(x[d->Rs1], x[d->Rs2]); break;
            case Op.Rem: x[d->Rd] = IntegerOps.Rem(x[d->Rs1], x[d->Rs2]); break;
            case Op.Remu: x[d->Rd] = IntegerOps.Remu(x[d->Rs1], x[d->Rs2]); break;
            case Op.Mulw: x[d->Rd] = IntegerOps.Mulw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Divw: x[d->Rd] = IntegerOps.Divw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Divuw: x[d->Rd] = IntegerOps.Divuw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Remw: x[d->Rd] = IntegerOps.Remw(x[d->Rs1], x[d->Rs2]); break;
            case Op.Remuw: x[d->Rd] = IntegerOps.Remuw(x[d->Rs1], x[d->Rs2]); break;

            case Op.Fence:
                Interlocked.MemoryBarrier();
                break;
            case Op.FenceI:
                // Every write to a page holding code bumped its generation (MarkCode): looking the page up
                // again is enough. (Dropping every decode here threw away a booting Linux's translations at
                // each exec, whose new mappings the kernel follows with fence.i.)
                pc = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
                n++;
                current = s_noPage;
                page = current.Base;
                pageBase = 0;
                goto Boundary;
            case Op.Ecall:
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                _instret += (ulong)n;
                budget -= n; // the budget counts what this call retired, also across the fold
                n = 0;
                _instretAdjust++; // not retired, but executed: QEMU's icount counts it
                RaiseException(Cause.EcallFromU + (ulong)Privilege, 0);
                pc = Pc;
                goto Boundary;
            case Op.Ebreak:
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                _instret += (ulong)n;
                budget -= n; // the budget counts what this call retired, also across the fold
                n = 0;
                _instretAdjust++; // not retired, but executed: QEMU's icount counts it
                RaiseException(Cause.Breakpoint, 0); // QEMU 7.2 leaves tval 0
                pc = Pc;
                goto Boundary;
            case Op.Mret:
                if (Privilege != Priv.Machine) goto case Op.Illegal;
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                if (!TryDoMret()) goto case Op.Illegal;
                pc = Pc;
                n++;
                RaiseSignal(SignalInterrupt);
                goto Boundary;
            case Op.Sret:
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                if (!TryDoSret()) goto case Op.Illegal;
                pc = Pc;
                n++;
                RaiseSignal(SignalInterrupt);
                goto Boundary;
            case Op.SfenceVma:
                // U-mode, and S-mode under mstatus.TVM, may not fence translations.
                if (Privilege == Priv.User || (Privilege == Priv.Supervisor && (_mstatus & Mstatus.Tvm) != 0)) goto case Op.Illegal;
                if (d->Rs1 == 0) FlushTranslations();
                else FlushTranslation(x[d->Rs1]);
                pc = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
                n++;
                goto Boundary;
            case Op.Wfi:
                // As QEMU 7.2: U-mode wfi always traps (S-mode exists); S-mode wfi traps with mstatus.TW.
                if (Privilege == Priv.User || (Privilege == Priv.Supervisor && (_mstatus & Mstatus.Tw) != 0)) goto case Op.Illegal;
                pc = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
                n++;
                if (!HasPendingInterrupt)
                {
                    Halted = true;
                    exit = ExecExit.Halted;
                    goto Leave;
                }
                goto Boundary;
            case Op.Csrrw or Op.Csrrs or Op.Csrrc or Op.Csrrwi or Op.Csrrsi or Op.Csrrci:
                pc = (pageBase + ((ulong)(d - page) << 1));
                Pc = pc;
                _instret += (ulong)n;
                budget -= n; // the budget counts what this call retired, also across the fold
                n = 0;
                if (!ExecuteCsr(d)) goto case Op.Illegal;
                pc += d->Length;
                n++;
                goto Boundary; // the write may have enabled an interrupt

            case Op.LrW or Op.LrD:
                {
                    int size = d->Op == Op.LrW ? 4 : 8;
                    ulong a = x[d->Rs1];
                    if ((a & (ulong)(size - 1)) != 0) { Pc = (pageBase + ((ulong)(d - page) << 1)); if (TMode.Instrumented) SuspendBlock(d); RaiseException(Cause.LoadMisaligned, a); pc = Pc; goto Boundary; }
                    ulong off = TMode.Paged ? DataOffset(a, size, Access.Load) : a - ramBase;
                    if (off > ramSize - (ulong)size)
                    {
                        if (off != ulong.MaxValue && _memory.FindDevice(ramBase + off, size) == null) LogUnmapped(ramBase + off, size, false);
                        goto LoadFault;
                    }
                    ulong v = size == 4 ? (ulong)(long)Volatile.Read(ref *(int*)(ram + off)) : Volatile.Read(ref *(ulong*)(ram + off));
                    _reservationAddress = a;
                    _reservationValue = v;
                    x[d->Rd] = v;
                    if (TMode.Instrumented) AfterMemory(a, size, false, v);
                    break;
                }
            case Op.ScW or Op.ScD:
                {
                    int size = d->Op == Op.ScW ? 4 : 8;
                    ulong a = x[d->Rs1], off = 0;
                    // As QEMU 7.2: without a reservation on this address SC fails before any
                    // access, so it neither faults nor checks alignment (LR did both).
                    bool ok = false;
                    if (_reservationAddress == a)
                    {
                        off = TMode.Paged ? DataOffset(a, size, Access.Store) : a - ramBase;
                        if (off > ramSize - (ulong)size) goto StoreFault;
                        ok = size == 4
                            ? Interlocked.CompareExchange(ref *(int*)(ram + off), (int)x[d->Rs2], (int)_reservationValue) == (int)_reservationValue
                            : Interlocked.CompareExchange(ref *(ulong*)(ram + off), x[d->Rs2], _reservationValue) == _reservationValue;
                    }
                    _reservationAddress = ulong.MaxValue;
                    x[d->Rd] = ok ? 0UL : 1UL;
                    if (TMode.Instrumented && ok) AfterMemory(a, size, true, x[d->Rs2]);
                    if (ok && flagArray[off >> PhysicalMemory.PageShift] != 0)
                    {
                        _memory.OnFlaggedStore(ramBase + off, size);
                        RaiseSignal(SignalCodeStale);
                    }
                    break;
                }
            case >= Op.AmoswapW and <= Op.AmomaxuW:
            case >= Op.AmoswapD and <= Op.AmomaxuD:
                {
                    bool word = d->Op <= Op.AmomaxuW;
                    int size = word ? 4 : 8;
                    ulong a = x[d->Rs1], off = a - ramBase;
                    // QEMU 7.2 reads first: a misaligned AMO is a load-misaligned exception and one
                    // outside RAM a load access fault (the spec says store/AMO; docs/PRIVILEGED.md).
                    if ((a & (ulong)(size - 1)) != 0) { Pc = (pageBase + ((ulong)(d - page) << 1)); if (TMode.Instrumented) SuspendBlock(d); RaiseException(Cause.LoadMisaligned, a); pc = Pc; goto Boundary; }
                    off = TMode.Paged ? DataOffset(a, size, Access.Store) : off;
                    if (off > ramSize - (ulong)size)
                    {
                        if (off == ulong.MaxValue) goto StoreFault; // a page fault: store/AMO, as QEMU
                        if (_memory.FindDevice(ramBase + off, size) == null) LogUnmapped(ramBase + off, size, false);
                        goto LoadFault;
                    }
                    ulong old = word ? Atomics.Word(d->Op, (int*)(ram + off), (int)x[d->Rs2]) : Atomics.Double(d->Op, (long*)(ram + off), (long)x[d->Rs2]);
                    x[d->Rd] = old;
                    if (TMode.Instrumented) AfterMemory(a, size, true, x[d->Rs2]);
                    if (flagArray[off >> PhysicalMemory.PageShift] != 0)
                    {
                        _memory.OnFlaggedStore(ramBase + off, size);
                        RaiseSignal(SignalCodeStale);
                    }
                    break;
                }
            case >= Op.Flw:
                {
                    // F and D (Hart.Fpu.cs): one call, so the integer cases above stay as they were.
                    FpExit e = ExecuteFp<TMode>(d);
                    if (e == FpExit.Done) break;
                    if (e == FpExit.Illegal) goto case Op.Illegal;
                    if (e == FpExit.LoadFault) goto LoadFault;
                    if (e == FpExit.StoreFault) goto StoreFault;
                    if (e == FpExit.MmioStore) goto AfterMmioStore;
                    flagged = _fpFlagged;
                    goto FlaggedStore;
                }
        }
        // Sequential: the next slot (one per 2 bytes of instruction).
        d += d->Length >> 1;
        n++;
        if (TMode.Instrumented || TMode.Step) goto Next;
        goto Execute;

    Branch:
        pc = (pageBase + ((ulong)(d - page) << 1)) + (ulong)(long)d->Imm;
        n++;
    Taken:
        if (_signal != 0 || n >= budget) goto Boundary;
        if (pc - pageBase >= PhysicalMemory.PageSize) goto Fetch;
        goto Dispatch;

    FlaggedStore:
        {
            int size = d->Op switch { Op.Sb => 1, Op.Sh => 2, Op.Sw or Op.Fsw => 4, _ => 8 };
            pc = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
            n++;
            Pc = pc;
            _instret += (ulong)n;
            budget -= n; // the budget counts what this call retired, also across the fold
            n = 0;
            _memory.OnFlaggedStore(flagged, size);
            // The store may have rewritten code this hart is executing: look it up again.
            RaiseSignal(SignalCodeStale);
            goto Boundary;
        }
    AfterMmioStore:
        // A device write may have raised an interrupt or a request: re-check at a boundary.
        pc = (pageBase + ((ulong)(d - page) << 1)) + d->Length;
        n++;
        goto Boundary;
    LoadFault:
        Pc = (pageBase + ((ulong)(d - page) << 1));
        if (TMode.Instrumented) SuspendBlock(d);
        if (TMode.Paged && _mmuFault != NoFault) RaiseMmuFault();
        else RaiseException(Cause.LoadAccessFault, x[d->Rs1] + (d->Op is >= Op.LrW ? 0 : (ulong)(long)d->Imm));
        pc = Pc;
        goto Boundary;
    StoreFault:
        Pc = (pageBase + ((ulong)(d - page) << 1));
        if (TMode.Instrumented) SuspendBlock(d);
        if (TMode.Paged && _mmuFault != NoFault) RaiseMmuFault();
        else RaiseException(Cause.StoreAccessFault, x[d->Rs1] + (d->Op is >= Op.LrW ? 0 : (ulong)(long)d->Imm));
        pc = Pc;
        goto Boundary;

    DebugStopAtSlot:
        pc = pageBase + ((ulong)(d - page) << 1);
    DebugStop:
        _debugEvent = _debugEvent is { } hit ? hit with { Pc = pc } : new DebugEvent(DebugStopKind.Step, pc);
        exit = ExecExit.Debug;
    Leave:
        Pc = pc;
        _instret += (ulong)n;
        return exit;
    }

    private bool LoadSlow(ulong address, int size, out ulong value)
    {
        // RAM straddling its end, or a device.
        IMmioDevice? dev = _memory.FindDevice(address, size);
        if (dev != null && dev.Read(address - dev.Base, size, out value)) return true;
        value = 0;
        if (dev == null) LogUnmapped(address, size, false);
        return false;
    }

    private bool StoreSlow(ulong address, int size, ulong value)
    {
        IMmioDevice? dev = _memory.FindDevice(address, size);
        if (dev != null) return dev.Write(address - dev.Base, size, value);
        LogUnmapped(address, size, true);
        return false;
    }

    private void LogUnmapped(ulong address, int size, bool write)
    {
        if (Log is { } log && log.Has(LogItems.GuestErrors)) log.Write(GuestLog.InvalidAccessLine(address, size, write));
    }
}

/// <summary>AMO arithmetic on RAM with host atomics, so harts on different threads agree.</summary>
internal static unsafe class Atomics
{
    public static ulong Word(Op op, int* p, int v)
    {
        ref int r = ref *p;
        switch (op)
        {
            case Op.AmoswapW: return (ulong)(long)Interlocked.Exchange(ref r, v);
            case Op.AmoaddW: return (ulong)(long)(Interlocked.Add(ref r, v) - v);
            case Op.AmoxorW:
                {
                    int o;
                    do { o = Volatile.Read(ref r); } while (Interlocked.CompareExchange(ref r, o ^ v, o) != o);
                    return (ulong)(long)o;
                }
            case Op.AmoandW: return (ulong)(long)Interlocked.And(ref r, v);
            case Op.AmoorW: return (ulong)(long)Interlocked.Or(ref r, v);
            default:
                {
                    int o, n;
                    do
                    {
                        o = Volatile.Read(ref r);
                        n = op switch
                        {
                            Op.AmominW => Math.Min(o, v),
                            Op.AmomaxW => Math.Max(o, v),
                            Op.AmominuW => (int)Math.Min((uint)o, (uint)v),
                            _ => (int)Math.Max((uint)o, (uint)v),
                        };
                    } while (Interlocked.CompareExchange(ref r, n, o) != o);
                    return (ulong)(long)o;
                }
        }
    }

    public static ulong Double(Op op, long* p, long v)
    {
        ref long r = ref *p;
        switch (op)
        {
            case Op.AmoswapD: return (ulong)Interlocked.Exchange(ref r, v);
            case Op.AmoaddD: return (ulong)(Interlocked.Add(ref r, v) - v);
            case Op.AmoxorD:
                {
                    long o;
                    do { o = Volatile.Read(ref r); } while (Interlocked.CompareExchange(ref r, o ^ v, o) != o);
                    return (ulong)o;
                }
            case Op.AmoandD: return (ulong)Interlocked.And(ref r, v);
            case Op.AmoorD: return (ulong)Interlocked.Or(ref r, v);
            default:
                {
                    long o, n;
                    do
                    {
                        o = Volatile.Read(ref r);
                        n = op switch
                        {
                            Op.AmominD => Math.Min(o, v),
                            Op.AmomaxD => Math.Max(o, v),
                            Op.AmominuD => (long)Math.Min((ulong)o, (ulong)v),
                            _ => (long)Math.Max((ulong)o, (ulong)v),
                        };
                    } while (Interlocked.CompareExchange(ref r, n, o) != o);
                    return (ulong)o;
                }
        }
    }
}
