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

    /// <summary>Where the last region left (written by the region's code).</summary>
#pragma warning disable CS0649 // assigned by emitted IL only
    private RegionExit _regionExit;
#pragma warning restore CS0649

    /// <summary>The memory's page flags, for the regions' store check.</summary>
    private byte[] _pageFlags = null!;

    /// <summary>What the translator did on this hart (read by the monitor's info jit while the hart may run: figures may lag).</summary>
    public TranslatorStatistics Translations { get; } = new();

    /// <summary>Paged regions: the RAM offset of a load through the TLB, or ulong.MaxValue (the interpreter then walks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RegionLoadOffset(Hart hart, ulong va, int size) => hart.TlbLookup(hart._tlbLoad, va, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RegionStoreOffset(Hart hart, ulong va, int size) => hart.TlbLookup(hart._tlbStore, va, size);

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
    private Region? TranslateRegion(CodePage cp, int head, ulong pageBase, ulong physBase, bool paged)
    {
        long start = Stopwatch.GetTimestamp();
        var seen = new bool[SlotsPerPage];
        var insns = new List<RegionInsn>();
        var work = new Stack<int>();
        work.Push(head);
        int count = 0;
        while (work.Count > 0)
        {
            int s = work.Pop();
            while (s < SlotsPerPage && !seen[s] && count < RegionTranslator.MaxInstructions)
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
                ok = ok && RegionTranslator.Supports(d->Op) && !(s == SlotsPerPage - 1 && d->Length == 4);
                insns.Add(new RegionInsn(s, *d, !ok, (nint)d));
                if (!ok) break;
                count++;
                Op op = d->Op;
                if (op is (>= Op.Beq and <= Op.Bgeu) or Op.Jal)
                {
                    ulong target = pageBase + 2 * (ulong)s + (ulong)(long)d->Imm;
                    if (target - pageBase < PhysicalMemory.PageSize) work.Push((int)((target - pageBase) >> 1));
                    if (op == Op.Jal) break;
                }
                if (op == Op.Jalr) break;
                s += d->Length >> 1;
            }
        }
        if (insns.Count == 0 || insns[0].Stop) return null;
        insns.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        Region region = RegionTranslator.Translate(insns, head, pageBase, paged, new RamLayout((nint)_memory.Ram, _memory.RamBase, _memory.RamSize));
        Translations.Regions++;
        Translations.GuestInstructions += region.Instructions;
        Translations.IlBytes += region.IlBytes;
        Translations.TranslationTicks += Stopwatch.GetTimestamp() - start;
        return region;
    }

    /// <summary>A block head got hot: its region, translated now (null when its first instruction cannot be translated).</summary>
    private Region? HotRegion(CodePage cp, int slot, ulong pageBase, ulong physBase, bool paged)
    {
        Region? region = TranslateRegion(cp, slot, pageBase, physBase, paged);
        if (region == null)
        {
            cp.Heat![slot] = ushort.MaxValue; // counts again from zero: a retry only after another 65536 entries
            return null;
        }
        (cp.Regions ??= new Region?[SlotsPerPage])[slot] = region;
        return region;
    }

    /// <summary>
    /// The first run of a region, when the JIT compiles it: a method the JIT refuses (a translator bug)
    /// throws before any of it runs, so the interpreter can take over that head for good.
    /// </summary>
    private bool FirstRun(Region region, CodePage cp, int slot, ref long n, long budget)
    {
        try
        {
            n = region.Code(this, _x, n, budget);
            region.Compiled = true;
            return true;
        }
        catch (InvalidProgramException e)
        {
            cp.Regions![slot] = null;
            cp.Heat![slot] = ushort.MaxValue;
            Translations.Refused++;
            Console.Error.WriteLine($"rivet: hart {HartId}: the translation of {region.PageBase + 2 * (ulong)slot:x} was refused ({e.Message}); the interpreter runs it");
            return false;
        }
    }
}
