using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>One instruction of a block handed to instrumentation when the block is first seen.</summary>
internal readonly record struct TranslatedInsn(ulong Pc, uint Raw, int Length, DecodedInsn Decoded);

/// <summary>A guest memory access, reported after it happened.</summary>
internal readonly record struct MemoryAccess(ulong Pc, ulong Address, int Size, bool IsStore, ulong Value);

/// <summary>Add <see cref="Amount"/> to <c>Board[cpu]</c>: a per-vCPU counter that costs no call.</summary>
internal readonly record struct InlineAdd(long[] Board, long Amount);

/// <summary>What instrumentation attached to one block; arrays are indexed by instruction.</summary>
internal sealed class BlockHooks
{
    public Action<int, ulong>? Exec;          // (cpu, block pc)
    public InlineAdd[]? ExecInline;
    public Action<int, ulong>?[]? InsnExec;   // (cpu, insn pc)
    public InlineAdd[]?[]? InsnInline;
    public Action<int, MemoryAccess>?[]? Memory;

    public bool IsEmpty => Exec == null && ExecInline == null && InsnExec == null && InsnInline == null && Memory == null;
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
}

/// <summary>Bare physical addresses: M-mode, or satp = 0.</summary>
internal struct PlainRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => false;
}

/// <summary>Translation on: every access through the TLBs.</summary>
internal struct PagedRun : IRunMode
{
    public static bool Instrumented => false;
    public static bool Paged => true;
}

/// <summary>Instrumented: always through the translation path, which passes bare addresses through.</summary>
internal struct InstrumentedRun : IRunMode
{
    public static bool Instrumented => true;
    public static bool Paged => true;
}
