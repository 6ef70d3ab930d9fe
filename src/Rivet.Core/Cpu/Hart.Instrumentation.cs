using System.Runtime.CompilerServices;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>
/// The instrumented interpreter's bookkeeping: blocks (straight-line code up to a control
/// transfer, at most <see cref="MaxBlockLength"/> instructions, never across a page) are
/// handed to the instrumentation once, and their hooks run as the instructions execute.
/// Everything here runs on the hart's own thread, with no lock held.
/// </summary>
internal sealed unsafe partial class Hart
{
    public const int MaxBlockLength = 64;

    /// <summary>
    /// A block as this hart executes it. A block whose instructions carry only inline adds (and no
    /// memory hooks) is <em>credited</em>: its whole per-instruction sum is added when it starts,
    /// and what its unstarted instructions added is taken back if it is left early (a trap, an
    /// interrupt, an exit after an MMIO store), so no per-instruction work is done. Any other
    /// block is <em>stepped</em>: its instruction hooks run before each instruction, in order.
    /// </summary>
    private sealed class InstrBlock
    {
        public readonly CodePage Page;
        public readonly int Generation;
        public readonly int Epoch;
        public readonly ulong Pc;
        public readonly ulong[] Pcs;
        public readonly DecodedInsn* Start;   // the first instruction's slot
        public readonly DecodedInsn* End;     // the slot after the last instruction
        public readonly byte[] SlotIndex;     // slot offset from Start -> instruction index
        public readonly BlockHooks? Hooks;
        public readonly bool Stepped;
        public readonly Credit[] Credits;     // credited blocks: what the instructions add, per slot
        // Stepped blocks: an instruction's hooks as one delegate when they are all plain callbacks
        // (the common case: one call instead of walking the list).
        public readonly Action<int, ulong>?[]? InsnCalls;
        public readonly Action<int, MemoryAccess>?[]? MemoryCalls;

        public InstrBlock(CodePage page, ulong pc, ulong[] pcs, DecodedInsn* start, DecodedInsn* end, BlockHooks? hooks)
        {
            Page = page;
            Generation = page.Generation;
            Epoch = page.Epoch;
            Pc = pc;
            Pcs = pcs;
            Start = start;
            End = end;
            SlotIndex = new byte[end - start];
            for (int i = 0; i < pcs.Length; i++) SlotIndex[(pcs[i] - pc) >> 1] = (byte)i;
            Hooks = hooks;
            Stepped = hooks?.Memory != null || (hooks?.Insn?.Any(ops => ops != null && ops.Any(o => o.Kind != HookKind.Add)) ?? false);
            Credits = Stepped || hooks?.Insn == null ? [] : Credit.Of(hooks.Insn, pcs.Length);
            if (Stepped && hooks!.Insn is { } insn)
                InsnCalls = [.. insn.Select(ops => ops != null && ops.All(o => o.Kind == HookKind.Callback) ? (Action<int, ulong>?)Delegate.Combine([.. ops.Select(o => o.Callback!)]) : null)];
            if (hooks?.Memory is { } memory)
                MemoryCalls = [.. memory.Select(ops => ops != null && ops.All(o => o.Kind == HookKind.Callback) ? (Action<int, MemoryAccess>?)Delegate.Combine([.. ops.Select(o => o.Callback!)]) : null)];
        }

        public int Length => Pcs.Length;

        public DecodedInsn* SlotOf(int index) => Start + ((Pcs[index] - Pc) >> 1);

        public bool ValidIn(CodePage cp) => Page == cp && Generation == cp.Generation && Epoch == cp.Epoch;
    }

    /// <summary>A credited block's adds to one scoreboard slot: <c>Prefix[k]</c> is what instructions 0..k-1 add.</summary>
    private readonly struct Credit(long[] board, int slot, long[] prefix)
    {
        public readonly long[] Board = board;
        public readonly int Slot = slot;
        public readonly long[] Prefix = prefix;

        public long Total => Prefix[^1];

        public static Credit[] Of(HookOp[]?[] insn, int length)
        {
            var bySlot = new Dictionary<(long[], int), long[]>();
            for (int i = 0; i < length; i++)
            {
                if (insn[i] is not { } ops) continue;
                foreach (HookOp op in ops)
                {
                    if (!bySlot.TryGetValue((op.Board!, op.Slot), out long[]? perInsn)) bySlot[(op.Board!, op.Slot)] = perInsn = new long[length + 1];
                    perInsn[i + 1] += (long)op.Immediate;
                }
            }
            var credits = new List<Credit>();
            foreach (((long[] board, int slot), long[] prefix) in bySlot)
            {
                for (int i = 1; i <= length; i++) prefix[i] += prefix[i - 1];
                credits.Add(new Credit(board, slot, prefix));
            }
            return [.. credits];
        }
    }

    private InstrBlock? _block;       // the block being executed (null: none)
    /// <summary>
    /// The interpreter calls <see cref="InstrumentStep"/> before an instruction whose slot is at or
    /// past this: the end of a credited block (so it runs only when the next block starts), the
    /// next instruction of a stepped block, null to look the block up again.
    /// </summary>
    private DecodedInsn* _blockLimit;
    private int _blockIndex;          // stepped: the next instruction's index; credited: instructions started, once suspended
    private bool _blockSuspended;     // credited: left early, what its unstarted instructions add taken back
    private ulong _insnPc;            // pc of the instruction being executed
    // Memory hooks: the block's (set when it starts, so no reference is stored per instruction)
    // and the index of the instruction being executed in it.
    private InstrBlock? _memoryBlock;
    private int _insnIndex;

    private static bool EndsBlock(Op op) => op is Op.Jal or Op.Jalr or (>= Op.Beq and <= Op.Bgeu)
        or Op.Ecall or Op.Ebreak or Op.Mret or Op.Sret or Op.SfenceVma or Op.Wfi or Op.FenceI or Op.Illegal or (>= Op.Csrrw and <= Op.Csrrci);

    private void ResetInstrumentationState()
    {
        _block = null;
        _blockLimit = null;
        _blockSuspended = false;
        _memoryBlock = null;
    }

    /// <summary>
    /// Decodes one slot of a cached page (at physical address <paramref name="phys"/>, fetched
    /// at <paramref name="pc"/>); false if the instruction cannot be fetched (with
    /// <see cref="_mmuFault"/> set when translation refused its second half).
    /// </summary>
    private bool DecodeSlot(CodePage cp, DecodedInsn* slot, ulong phys, ulong pc)
    {
        ulong off = phys - _memory.RamBase;
        if (off > _memory.RamSize - 2) return false;
        byte* ram = _memory.Ram;
        ushort low = *(ushort*)(ram + off);
        if (Decoder.IsFullLength(low))
        {
            if ((off & (PhysicalMemory.PageSize - 1)) == PhysicalMemory.PageSize - 2)
            {
                // Straddles into the next page: cache it, but tie this page to that one's generation
                // (and, under translation, to the mapping of the next virtual page).
                ulong next = phys + 2;
                bool translated = FetchTranslated;
                if ((translated || Privilege < Priv.Machine || _pmpBindsMachine) && !TranslateChecked(pc + 2, 2, Access.Fetch, out next)) return false;
                ulong offNext = next - _memory.RamBase;
                if (offNext > _memory.RamSize - 2) return false;
                TieToNextPage(cp, offNext >> PhysicalMemory.PageShift, translated ? pc & ~(PhysicalMemory.PageSize - 1) : ulong.MaxValue);
                *slot = Decoder.Decode32(low | ((uint)*(ushort*)(ram + offNext) << 16));
                MarkBreakpoint(cp, slot, pc);
                return true;
            }
            if (off + 4 > _memory.RamSize) return false;
            *slot = Decoder.Decode32(*(uint*)(ram + off));
        }
        else
        {
            *slot = Decoder.Decode16(low);
        }
        MarkBreakpoint(cp, slot, pc);
        return true;
    }

    /// <summary>
    /// Before the instruction at slot <paramref name="d"/> when it is at or past
    /// <see cref="_blockLimit"/>: the next instruction of a stepped block (its hooks run), or the
    /// start of a block (found or translated, its entry hooks run and, credited, its adds).
    /// </summary>
    private void InstrumentStep(CodePage cp, DecodedInsn* page, DecodedInsn* d, ulong pageBase)
    {
        ulong pc = pageBase + ((ulong)(d - page) << 1);
        InstrBlock? b = _block;
        // Straight on from the previous instruction of a stepped block (anything else went through Redirect, which checked the page).
        if (b == null || !b.Stepped || _blockIndex >= b.Length || d != b.SlotOf(_blockIndex))
        {
            b = FindBlock(cp, page, d, pc);
            _block = b;
            _blockIndex = 0;
            _blockSuspended = false;
            _memoryBlock = b?.Hooks?.Memory != null ? b : null;
            if (b == null)
            {
                _blockLimit = d + 1; // an unreadable slot: executing it raises the fault
                return;
            }
            if (b.Hooks?.Entry is { } entry)
            {
                RunHooks(entry, pc, b.Pc);
                if (_pcRedirected) return; // the block does not run: neither do its instruction hooks or credits
            }
            if (!b.Stepped)
            {
                foreach (Credit c in b.Credits) c.Board[c.Slot] += c.Total;
                _blockLimit = b.End;
                return;
            }
        }
        int i = _blockIndex++;
        _insnPc = pc;
        _blockLimit = i + 1 < b.Length ? b.SlotOf(i + 1) : b.End;
        BlockHooks h = b.Hooks!;
        if (b.InsnCalls?[i] is { } call)
        {
            Pc = pc;
            call(HartId, pc);
        }
        else if (h.Insn?[i] is { } ops)
        {
            RunHooks(ops, pc, pc);
        }
        _insnIndex = i;
    }

    private void RunHooks(HookOp[] ops, ulong pc, ulong callbackPc)
    {
        foreach (HookOp op in ops)
        {
            switch (op.Kind)
            {
                case HookKind.Add:
                    op.Board![op.Slot] += (long)op.Immediate;
                    break;
                case HookKind.Store:
                    op.Board![op.Slot] = (long)op.Immediate;
                    break;
                case HookKind.Conditional:
                    if (!HookOp.Holds(op.Condition, (ulong)op.Board![op.Slot], op.Immediate)) break;
                    Pc = pc;
                    op.Callback!(HartId, callbackPc);
                    break;
                default:
                    Pc = pc;
                    op.Callback!(HartId, callbackPc);
                    break;
            }
        }
    }

    /// <summary>
    /// Execution leaves straight-line flow with <paramref name="d"/> the last instruction started
    /// (a trap, or a boundary after it): a credited block left before its end takes back what its
    /// unstarted instructions added, so the counts are exact whenever anything can look at them.
    /// With <paramref name="started"/> false, <paramref name="d"/> is the next instruction, not run.
    /// </summary>
    private void SuspendBlock(DecodedInsn* d, bool started = true)
    {
        InstrBlock? b = _block;
        if (b == null || b.Stepped || _blockSuspended || d < b.Start || d >= b.End) return;
        int count = b.SlotIndex[d - b.Start] + (started ? 1 : 0); // started false: d itself has not run (a debug stop before it)
        if (count >= b.Length) return;
        foreach (Credit c in b.Credits) c.Board[c.Slot] -= c.Total - c.Prefix[count];
        _blockIndex = count;
        _blockSuspended = true;
    }

    /// <summary>
    /// A region runs from slot <paramref name="d"/> on and counts its own instructions
    /// (<see cref="Translator.Region.Count"/>): the block being executed ends before it, its
    /// unstarted instructions' adds taken back; after the region a block starts wherever the interpreter goes on.
    /// </summary>
    private void LeaveBlockForRegion(DecodedInsn* d)
    {
        SuspendBlock(d, started: false);
        _block = null;
        _blockLimit = null;
        _blockSuspended = false;
        _memoryBlock = null;
    }

    /// <summary>
    /// Execution continues at slot <paramref name="d"/> other than straight on: the current block
    /// goes on only if <paramref name="d"/> is its next instruction (after a boundary that took no
    /// trap), taking its unstarted instructions' adds again; anything else starts a block.
    /// </summary>
    private void Redirect(CodePage cp, DecodedInsn* d)
    {
        InstrBlock? b = _block;
        if (b == null)
        {
            _blockLimit = null;
            return;
        }
        bool next = _blockIndex < b.Length && d == b.SlotOf(_blockIndex) && b.ValidIn(cp);
        if (b.Stepped)
        {
            if (!next) _block = null;
            _blockLimit = null; // InstrumentStep runs the instruction's hooks, or starts the block
            return;
        }
        if (_blockSuspended && next)
        {
            foreach (Credit c in b.Credits) c.Board[c.Slot] += c.Total - c.Prefix[_blockIndex];
            _blockSuspended = false;
            return;
        }
        _block = null;
        _blockLimit = null;
    }

    private InstrBlock? FindBlock(CodePage cp, DecodedInsn* page, DecodedInsn* d, ulong pc)
    {
        if (d->Op == Op.PageEnd) return null; // past the page, or no page yet (s_noPage, shared by every hart)
        InstrBlock?[] blocks = cp.Blocks ??= new InstrBlock?[SlotsPerPage];
        int at = (int)(d - page);
        if (blocks[at] is { } known && known.Pc == pc && known.ValidIn(cp)) return known;
        var insns = new List<TranslatedInsn>();
        DecodedInsn* s = d;
        ulong spc = pc;
        while (insns.Count < MaxBlockLength && s - page < SlotsPerPage)
        {
            if (s->Op == Op.Undecoded && !DecodeSlot(cp, s, cp.PhysBase + (spc & (PhysicalMemory.PageSize - 1)), spc))
            {
                _mmuFault = NoFault; // executing the slot, if it comes to that, raises the fault
                break;
            }
            // A breakpoint ends the block before it, so the hart stops there before any of its hooks.
            if (s->Op == Op.Breakpoint) break;
            insns.Add(new TranslatedInsn(spc, s->Raw, s->Length, *s));
            // A step's block is its one instruction (as QEMU's single-step translation blocks).
            if (EndsBlock(s->Op) || cp == _stepPage) break;
            spc += s->Length;
            s += s->Length >> 1;
        }
        if (insns.Count == 0) return null;
        BlockHooks? hooks = Instrumentation?.Translate(HartId, pc, insns); // none: watchpoints alone (Hart.Debug.cs)
        TranslatedInsn last = insns[^1];
        var block = new InstrBlock(cp, pc, [.. insns.Select(t => t.Pc)], d, d + ((last.Pc + (ulong)last.Length - pc) >> 1), hooks is { IsEmpty: false } ? hooks : null);
        blocks[at] = block;
        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AfterMemory(ulong address, int size, bool store, ulong value)
    {
        if (_memoryBlock != null) RunMemoryHooks(address, size, store, value);
    }

    private void RunMemoryHooks(ulong address, int size, bool store, ulong value)
    {
        ulong mask = size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1;
        InstrBlock b = _memoryBlock!;
        if (b.MemoryCalls![_insnIndex] is { } call)
        {
            call(HartId, new MemoryAccess(_insnPc, address, size, store, value & mask));
            return;
        }
        if (b.Hooks!.Memory![_insnIndex] is not { } ops) return;
        foreach (MemoryHookOp op in ops)
        {
            if (!(store ? op.Stores : op.Loads)) continue;
            switch (op.Kind)
            {
                case HookKind.Add:
                    op.Board![op.Slot] += (long)op.Immediate;
                    break;
                case HookKind.Store:
                    op.Board![op.Slot] = (long)op.Immediate;
                    break;
                default:
                    op.Callback!(HartId, new MemoryAccess(_insnPc, address, size, store, value & mask));
                    break;
            }
        }
    }
}
