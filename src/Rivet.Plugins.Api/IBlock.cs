namespace Rivet.Plugins;

/// <summary>
/// A translated block of guest code, handed to a <see cref="BlockTranslatedCallback"/> (QEMU's
/// <c>qemu_plugin_tb</c>). The block and its instructions are valid only during that callback;
/// registering on them afterwards throws <see cref="InvalidOperationException"/>.
/// </summary>
public partial interface IBlock
{
    /// <summary>The address of the first instruction.</summary>
    ulong Pc { get; }

    /// <summary>The size of the block's code in bytes.</summary>
    int Size { get; }

    /// <summary>The vCPU that translated the block (each vCPU translates for itself).</summary>
    int VCpuIndex { get; }

    /// <summary>The instructions, in address order.</summary>
    IReadOnlyList<IInstruction> Instructions { get; }

    /// <summary>Calls <paramref name="callback"/> each time the block starts executing (QEMU's <c>register_vcpu_tb_exec_cb</c>).</summary>
    /// <param name="callback">Receives the vCPU index and the block's address.</param>
    void RegisterExecute(ExecuteCallback callback);

    /// <summary>Adds <paramref name="amount"/> to the executing vCPU's entry of <paramref name="scoreboard"/> each time the block starts executing, without a callback.</summary>
    /// <param name="scoreboard">A scoreboard from <see cref="IPluginContext.NewScoreboard()"/>.</param>
    /// <param name="amount">What to add.</param>
    void RegisterExecuteInline(Scoreboard scoreboard, long amount);
}

/// <summary>One instruction of an <see cref="IBlock"/> (QEMU's <c>qemu_plugin_insn</c>).</summary>
public partial interface IInstruction
{
    /// <summary>The instruction's address.</summary>
    ulong Pc { get; }

    /// <summary>Its length in bytes: 2 (compressed) or 4.</summary>
    int Size { get; }

    /// <summary>The encoding: 32 bits, or the low 16 bits for a compressed instruction.</summary>
    uint Opcode { get; }

    /// <summary>The instruction's bytes as they are in memory (little-endian), <see cref="Size"/> of them.</summary>
    ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The disassembly, base-ISA form with ABI register names (compressed instructions show what they expand to), e.g. <c>addi t0,t0,-1</c>.</summary>
    string Disassembly { get; }

    /// <summary>Calls <paramref name="callback"/> each time the instruction is about to execute (QEMU's <c>register_vcpu_insn_exec_cb</c>).</summary>
    /// <param name="callback">Receives the vCPU index and the instruction's address.</param>
    void RegisterExecute(ExecuteCallback callback);

    /// <summary>Adds <paramref name="amount"/> to the executing vCPU's entry of <paramref name="scoreboard"/> each time the instruction is about to execute, without a callback.</summary>
    /// <param name="scoreboard">A scoreboard from <see cref="IPluginContext.NewScoreboard()"/>.</param>
    /// <param name="amount">What to add.</param>
    void RegisterExecuteInline(Scoreboard scoreboard, long amount);

    /// <summary>Calls <paramref name="callback"/> after each guest memory access the instruction makes (QEMU's <c>register_vcpu_mem_cb</c>).</summary>
    /// <param name="callback">Receives the vCPU index and the access.</param>
    /// <param name="filter">Which accesses: loads, stores or both (atomics count as stores).</param>
    void RegisterMemory(MemoryCallback callback, MemoryAccessFilter filter = MemoryAccessFilter.ReadWrite);
}

/// <summary>Which memory accesses a <see cref="MemoryCallback"/> sees (QEMU's <c>qemu_plugin_mem_rw</c>).</summary>
[Flags]
public enum MemoryAccessFilter
{
    /// <summary>Loads.</summary>
    Read = 1,

    /// <summary>Stores (and atomic read-modify-writes).</summary>
    Write = 2,

    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>A guest memory access (QEMU's <c>qemu_plugin_meminfo_t</c> with its value).</summary>
/// <param name="Pc">The address of the instruction that made the access.</param>
/// <param name="Address">The virtual address accessed (as the instruction computed it; the physical one is <see cref="PhysicalAddress"/>).</param>
/// <param name="Size">The access size in bytes: 1, 2, 4 or 8.</param>
/// <param name="IsStore">True for a store or atomic read-modify-write, false for a load.</param>
/// <param name="Value">The value loaded, or stored (zero-extended to 64 bits).</param>
public readonly partial record struct MemoryAccessInfo(ulong Pc, ulong Address, int Size, bool IsStore, ulong Value);
