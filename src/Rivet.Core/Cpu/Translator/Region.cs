using Rivet.Isa;

namespace Rivet.Cpu.Translator;

/// <summary>
/// Translated code, entered at its entry point <paramref name="entry"/>: <paramref name="n"/> is the
/// instructions retired so far in the interpreter's call, <paramref name="budget"/> its limit. Returns the new count; the region leaves the next
/// pc in <see cref="Hart.Pc"/> and how it left in the hart's region exit (<see cref="RegionExit"/>).
/// </summary>
internal unsafe delegate long RegionCode(Hart hart, ulong* x, long n, long budget, int entry);

/// <summary>How a region left, which says where the interpreter goes on.</summary>
internal enum RegionExit
{
    /// <summary>Continue sequentially at pc: the instruction there runs in the interpreter (slow path, trap, anything not translated).</summary>
    Continue,
    /// <summary>After a taken branch or jump to pc: the interpreter checks kicks and the budget, then dispatches (maybe into another region).</summary>
    Taken,
    /// <summary>As <see cref="Taken"/>, after an indirect jump: where it landed counts in the indirect-target profile (<c>CodePage.Landings</c>).</summary>
    Indirect,
    /// <summary>
    /// Falling through past the region's last instruction (its size limit): the interpreter goes on at pc
    /// as at a block head, without the checks of a taken branch (it makes none there either), so straight-line
    /// code longer than a region runs in regions, not interpreted up to its next branch.
    /// </summary>
    Resume,
}

/// <summary>One translated region of a decoded code page: several guest blocks in one method.</summary>
internal sealed class Region
{
    public required RegionCode Code { get; init; }
    /// <summary>The virtual page it was translated at (the code uses virtual pcs).</summary>
    public required ulong PageBase { get; init; }
    /// <summary>Translated for the paged specialisation (loads and stores through the TLBs).</summary>
    public required bool Paged { get; init; }
    /// <summary>
    /// Whether it may run at virtual page <paramref name="pageBase"/> in the (un)paged specialisation
    /// under <paramref name="instrumentation"/> (a region counts only for the instrumentation it was made under).
    /// </summary>
    public bool Fits(ulong pageBase, bool paged, IHartInstrumentation? instrumentation)
        => PageBase == pageBase && Paged == paged && Instrumentation == instrumentation;

    /// <summary>The instrumentation it was translated under (null: none).</summary>
    public IHartInstrumentation? Instrumentation;
    /// <summary>
    /// Instrumented: the inline adds each of its instructions makes, the same for all of them (Hart.Translation.cs),
    /// so a call that retired n instructions adds n times each (<see cref="Count"/>).
    /// </summary>
    public HookOp[]? Counts;

    /// <summary>What the plugins' inline counters add for <paramref name="retired"/> of its instructions: as exact as a credited block.</summary>
    public void Count(long retired)
    {
        foreach (HookOp op in Counts!) op.Board![op.Slot] += (long)op.Immediate * retired;
    }

    /// <summary>Guest instructions in the region.</summary>
    public required int Instructions { get; init; }
    /// <summary>Bytes of IL emitted (the cache cap counts these).</summary>
    public required int IlBytes { get; init; }
    /// <summary>The slots of its entry points: every block start in it (index = the entry argument).</summary>
    public required int[] EntrySlots { get; init; }
    /// <summary>The F/D instructions its code points at (pinned; alive as long as the region).</summary>
    public DecodedInsn[]? Decodes { get; init; }
    /// <summary>The physical page it was translated from and that page's code generation then (what harts sharing it check).</summary>
    public ulong PhysBase;
    public int Generation;
    /// <summary>A retranslation was started (once, whichever hart gets there first).</summary>
    public int Retranslating;
    /// <summary>
    /// What its code was made from: per instruction its slot (doubled, plus one where the region stops
    /// before it), then -1 and the indirect targets. A retranslation with the same shape would be the same
    /// code, so it is not compiled again.
    /// </summary>
    public int[] Shape = [];

    /// <summary>The translating hart's figures (the compiling thread adds its time).</summary>
    public required TranslatorStatistics Statistics { get; init; }

    private int _state; // Translated, then Compiled or Refused (written once, maybe by the compiling thread)
    private const int Translated = 0, CompiledState = 1, RefusedState = 2;

    /// <summary>The JIT compiled it: it may be entered.</summary>
    public bool Compiled => Volatile.Read(ref _state) == CompiledState;
    /// <summary>The JIT refused it (<see cref="RefusedBecause"/>): the interpreter runs its code for good.</summary>
    public bool Refused => Volatile.Read(ref _state) == RefusedState;
    public string? RefusedBecause;
    public void MarkCompiled() => Volatile.Write(ref _state, CompiledState);
    public void MarkRefused() => Volatile.Write(ref _state, RefusedState);

    /// <summary>Its retranslation, waiting to be compiled: each hart that has this region moves its ways in there once it is (written by the retranslating hart, read by all).</summary>
    public Region? Successor;
    /// <summary>Entries so far; at <see cref="RegionTranslator.RetranslateAfter"/> a first translation is made again with the profile then.</summary>
    public long Entries;
    /// <summary>A second translation (never retranslated again).</summary>
    public bool Retranslated { get; init; }
}

/// <summary>A block head's way into a region: which region, which of its entry points.</summary>
internal sealed class RegionEntry(Region region, int index)
{
    public readonly Region Region = region;
    public readonly int Index = index;
}
