using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>One instruction of a block handed to instrumentation when the block is first seen.</summary>
internal readonly record struct TranslatedInsn(ulong Pc, uint Raw, int Length, DecodedInsn Decoded);

/// <summary>A guest memory access, reported after it happened.</summary>
internal readonly record struct MemoryAccess(ulong Pc, ulong Address, int Size, bool IsStore, ulong Value);

/// <summary>What a <see cref="HookOp"/> does.</summary>
internal enum HookKind : byte
{
    /// <summary>Call <see cref="HookOp.Callback"/>.</summary>
    Callback,
    /// <summary><c>Board[Slot] += Immediate</c> (wrapping): QEMU's inline add.</summary>
    Add,
    /// <summary><c>Board[Slot] = Immediate</c>: QEMU's inline store.</summary>
    Store,
    /// <summary>Call <see cref="HookOp.Callback"/> when <c>Board[Slot]</c> meets the condition against <c>Immediate</c>.</summary>
    Conditional,
}

/// <summary>A comparison of an unsigned scoreboard value with an immediate; the order is QEMU's <c>qemu_plugin_cond</c> (and the API's <c>ScoreboardCondition</c>).</summary>
internal enum HookCondition : byte
{
    Never,
    Always,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// <summary>
/// One thing to do at a block's start or before an instruction: a callback, an inline add or
/// store on one vCPU's scoreboard slot (<c>Board[Slot]</c>, fixed when the block is translated
/// for that vCPU), or a callback under a condition on such a slot. Run in registration order.
/// </summary>
internal readonly struct HookOp(HookKind kind, Action<int, ulong>? callback, long[]? board, int slot, ulong immediate, HookCondition condition)
{
    public readonly HookKind Kind = kind;
    public readonly HookCondition Condition = condition;
    public readonly Action<int, ulong>? Callback = callback; // (cpu, pc)
    public readonly long[]? Board = board;
    public readonly int Slot = slot;
    public readonly ulong Immediate = immediate;

    public static HookOp Call(Action<int, ulong> callback) => new(HookKind.Callback, callback, null, 0, 0, HookCondition.Always);

    public static HookOp Inline(HookKind kind, long[] board, int slot, ulong immediate) => new(kind, null, board, slot, immediate, HookCondition.Always);

    public static HookOp When(Action<int, ulong> callback, HookCondition condition, long[] board, int slot, ulong immediate)
        => new(HookKind.Conditional, callback, board, slot, immediate, condition);

    /// <summary>Unsigned, as QEMU compares.</summary>
    public static bool Holds(HookCondition condition, ulong value, ulong immediate) => condition switch
    {
        HookCondition.Always => true,
        HookCondition.Eq => value == immediate,
        HookCondition.Ne => value != immediate,
        HookCondition.Lt => value < immediate,
        HookCondition.Le => value <= immediate,
        HookCondition.Gt => value > immediate,
        HookCondition.Ge => value >= immediate,
        _ => false,
    };
}

/// <summary>One thing to do after a memory access: a callback or an inline add or store, for loads, stores or both.</summary>
internal readonly struct MemoryHookOp(HookKind kind, bool loads, bool stores, Action<int, MemoryAccess>? callback, long[]? board, int slot, ulong immediate)
{
    public readonly HookKind Kind = kind;  // Callback, Add or Store
    public readonly bool Loads = loads;
    public readonly bool Stores = stores;
    public readonly Action<int, MemoryAccess>? Callback = callback;
    public readonly long[]? Board = board;
    public readonly int Slot = slot;
    public readonly ulong Immediate = immediate;
}

/// <summary>What instrumentation attached to one block; arrays are indexed by instruction.</summary>
internal sealed class BlockHooks
{
    public HookOp[]? Entry;          // when the block starts (callbacks get the block's pc)
    public HookOp[]?[]? Insn;        // before each instruction (callbacks get its pc)
    public MemoryHookOp[]?[]? Memory; // after each of the instruction's accesses

    public bool IsEmpty => Entry == null && Insn == null && Memory == null;
}

/// <summary>
/// The plugin layer's view of execution. When a hart has instrumentation it runs the
/// instrumented specialisation of the interpreter; without it, the plain one, which contains no
/// trace of these hooks (the JIT removes them), so uninstrumented guests pay nothing.
/// </summary>
internal interface IHartInstrumentation
{
    /// <summary>A block (straight-line code up to a control transfer) seen for the first time, or again after its code changed.</summary>
    BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns);
}

/// <summary>Compile-time switches for the interpreter's specialisations.</summary>
internal interface IRunMode
{
    static abstract bool Instrumented { get; }
    /// <summary>Loads, stores and fetches go through address translation (Hart.Mmu.cs).</summary>
    static abstract bool Paged { get; }
    /// <summary>gdb's single-step (Hart.Debug.cs): one instruction (or one trap), interrupts masked, then a debug stop.</summary>
    static abstract bool Step { get; }
    /// <summary>Watchpoints exist: every load, store and AMO is checked against them before it runs (Hart.Debug.cs).</summary>
    static abstract bool Watch { get; }
}

/// <summary>Bare physical addresses: M-mode, or satp = 0.</summary>
internal struct PlainRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => false;
    public static bool Step => false;
    public static bool Watch => false;
}

/// <summary>Translation on: every access through the TLBs.</summary>
internal struct PagedRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => true;
    public static bool Step => false;
    public static bool Watch => false;
}

/// <summary>Instrumented, bare physical addresses (as <see cref="PlainRun"/>).</summary>
internal struct InstrumentedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => false;
    public static bool Step => false;
    public static bool Watch => false;
}

/// <summary>Instrumented, translation on (as <see cref="PagedRun"/>).</summary>
internal struct InstrumentedPagedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => true;
    public static bool Step => false;
    public static bool Watch => false;
}

/// <summary>A single step, bare (Hart.Debug.cs).</summary>
internal struct StepRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => false;
    public static bool Step => true;
    public static bool Watch => false;
}

/// <summary>A single step, translation on.</summary>
internal struct StepPagedRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => true;
    public static bool Step => true;
    public static bool Watch => false;
}

/// <summary>A single step in the instrumented interpreter (plugins, -d in_asm, or watchpoints), bare.</summary>
internal struct InstrumentedStepRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => false;
    public static bool Step => true;
    public static bool Watch => false;
}

/// <summary>A single step in the instrumented interpreter, translation on.</summary>
internal struct InstrumentedStepPagedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => true;
    public static bool Step => true;
    public static bool Watch => false;
}

/// <summary>Watchpoints exist (the instrumented interpreter, with a check before each access), bare.</summary>
internal struct WatchRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => false;
    public static bool Step => false;
    public static bool Watch => true;
}

/// <summary>Watchpoints exist, translation on.</summary>
internal struct WatchPagedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => true;
    public static bool Step => false;
    public static bool Watch => true;
}

/// <summary>A single step while watchpoints exist, bare.</summary>
internal struct WatchStepRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => false;
    public static bool Step => true;
    public static bool Watch => true;
}

/// <summary>A single step while watchpoints exist, translation on.</summary>
internal struct WatchStepPagedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => true;
    public static bool Step => true;
    public static bool Watch => true;
}
