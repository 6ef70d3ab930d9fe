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

    private sealed class InstrBlock(CodePage page, int generation, int epoch, ulong[] pcs, BlockHooks? hooks)
    {
        public readonly CodePage Page = page;
        public readonly int Generation = generation;
        public readonly int Epoch = epoch;
        public readonly ulong[] Pcs = pcs;
        public readonly BlockHooks? Hooks = hooks;
    }

    private readonly Dictionary<ulong, InstrBlock> _blocks = [];
    private InstrBlock? _block;      // the block being executed
    private int _blockIndex;          // index of the next instruction in it
    private ulong _insnPc;            // pc of the instruction being executed
    private Action<int, MemoryAccess>? _memoryHook; // memory callback of that instruction

    private static bool EndsBlock(Op op) => op is Op.Jal or Op.Jalr or (>= Op.Beq and <= Op.Bgeu)
        or Op.Ecall or Op.Ebreak or Op.Mret or Op.Sret or Op.SfenceVma or Op.Wfi or Op.FenceI or Op.Illegal or (>= Op.Csrrw and <= Op.Csrrci);

    private void ResetInstrumentationState()
    {
        _blocks.Clear();
        _block = null;
        _memoryHook = null;
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
                return true;
            }
            if (off + 4 > _memory.RamSize) return false;
            *slot = Decoder.Decode32(*(uint*)(ram + off));
        }
        else
        {
            *slot = Decoder.Decode16(low);
        }
        return true;
    }

    /// <summary>Runs the block and instruction hooks due before the instruction at <paramref name="pc"/>.</summary>
    private bool BeforeInstruction(CodePage cp, DecodedInsn* page, DecodedInsn* d, ulong pc)
    {
        InstrBlock? b = _block;
        if (b == null || _blockIndex >= b.Pcs.Length || b.Pcs[_blockIndex] != pc
            || b.Page != cp || b.Generation != cp.Generation || b.Epoch != cp.Epoch)
        {
            b = FindBlock(cp, page, d, pc);
            _block = b;
            _blockIndex = 0;
            if (b == null)
            {
                _memoryHook = null;
                return false;
            }
            BlockHooks? bh = b.Hooks;
            if (bh != null)
            {
                if (bh.ExecInline is { } adds)
                {
                    foreach (InlineAdd add in adds) add.Board[HartId] += add.Amount;
                }
                if (bh.Exec is { } exec)
                {
                    Pc = pc;
                    exec(HartId, pc);
                    if (_pcRedirected) return true; // the block does not run: neither do its instruction hooks
                }
            }
        }
        int i = _blockIndex++;
        _insnPc = pc;
        BlockHooks? h = b.Hooks;
        if (h == null)
        {
            _memoryHook = null;
            return true;
        }
        if (h.InsnInline?[i] is { } inline)
        {
            foreach (InlineAdd add in inline) add.Board[HartId] += add.Amount;
        }
        if (h.InsnExec?[i] is { } cb)
        {
            Pc = pc;
            cb(HartId, pc);
        }
        _memoryHook = h.Memory?[i];
        return true;
    }

    private InstrBlock? FindBlock(CodePage cp, DecodedInsn* page, DecodedInsn* d, ulong pc)
    {
        if (_blocks.TryGetValue(pc, out InstrBlock? known) && known.Page == cp && known.Generation == cp.Generation && known.Epoch == cp.Epoch)
            return known;
        var insns = new List<TranslatedInsn>();
        DecodedInsn* s = d;
        ulong spc = pc;
        while (insns.Count < MaxBlockLength && s - page < SlotsPerPage && s->Op != Op.PageEnd)
        {
            if (s->Op == Op.Undecoded && !DecodeSlot(cp, s, cp.PhysBase + (spc & (PhysicalMemory.PageSize - 1)), spc))
            {
                _mmuFault = NoFault; // executing the slot, if it comes to that, raises the fault
                break;
            }
            insns.Add(new TranslatedInsn(spc, s->Raw, s->Length, *s));
            if (EndsBlock(s->Op)) break;
            spc += s->Length;
            s += s->Length >> 1;
        }
        if (insns.Count == 0) return null;
        BlockHooks? hooks = Instrumentation!.Translate(HartId, pc, insns);
        var block = new InstrBlock(cp, cp.Generation, cp.Epoch, insns.Select(t => t.Pc).ToArray(), hooks is { IsEmpty: false } ? hooks : null);
        _blocks[pc] = block;
        return block;
    }

    private void AfterMemory(ulong address, int size, bool store, ulong value)
    {
        if (_memoryHook is { } hook)
        {
            ulong mask = size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1;
            hook(HartId, new MemoryAccess(_insnPc, address, size, store, value & mask));
        }
    }
}
