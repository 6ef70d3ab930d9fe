namespace Rivet.Plugins;

// Inline operations and conditional callbacks (QEMU 9/10's *_inline_per_vcpu and *_cond_cb).
// Everything a plugin attaches to one block or instruction runs in the order it was registered,
// across all its kinds (QEMU keeps one list per block and per instruction, too).

public partial interface IBlock
{
    /// <summary>
    /// Applies <paramref name="operation"/> with <paramref name="immediate"/> to the executing vCPU's
    /// <paramref name="field"/> each time the block starts executing, without a callback (QEMU's
    /// <c>qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu</c>).
    /// </summary>
    /// <param name="operation">Add or store.</param>
    /// <param name="field">A field of a scoreboard from <see cref="IPluginContext.NewScoreboard(int)"/>.</param>
    /// <param name="immediate">The value added or stored.</param>
    void RegisterExecuteInline(InlineOperation operation, ScoreboardField field, ulong immediate);

    /// <summary>
    /// Calls <paramref name="callback"/> each time the block starts executing while the executing
    /// vCPU's <paramref name="field"/> meets <paramref name="condition"/> against
    /// <paramref name="immediate"/> (QEMU's <c>qemu_plugin_register_vcpu_tb_exec_cond_cb</c>). When
    /// the condition is false nothing is called.
    /// </summary>
    /// <param name="callback">Receives the vCPU index and the block's address.</param>
    /// <param name="condition">The comparison (unsigned).</param>
    /// <param name="field">The field compared.</param>
    /// <param name="immediate">What it is compared with.</param>
    void RegisterExecuteConditional(ExecuteCallback callback, ScoreboardCondition condition, ScoreboardField field, ulong immediate);
}

public partial interface IInstruction
{
    /// <summary>
    /// Applies <paramref name="operation"/> with <paramref name="immediate"/> to the executing vCPU's
    /// <paramref name="field"/> each time the instruction is about to execute, without a callback
    /// (QEMU's <c>qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu</c>). An instruction that traps
    /// has started, so it counts.
    /// </summary>
    /// <param name="operation">Add or store.</param>
    /// <param name="field">A field of a scoreboard from <see cref="IPluginContext.NewScoreboard(int)"/>.</param>
    /// <param name="immediate">The value added or stored.</param>
    void RegisterExecuteInline(InlineOperation operation, ScoreboardField field, ulong immediate);

    /// <summary>
    /// Calls <paramref name="callback"/> each time the instruction is about to execute while the
    /// executing vCPU's <paramref name="field"/> meets <paramref name="condition"/> against
    /// <paramref name="immediate"/> (QEMU's <c>qemu_plugin_register_vcpu_insn_exec_cond_cb</c>).
    /// </summary>
    /// <param name="callback">Receives the vCPU index and the instruction's address.</param>
    /// <param name="condition">The comparison (unsigned).</param>
    /// <param name="field">The field compared.</param>
    /// <param name="immediate">What it is compared with.</param>
    void RegisterExecuteConditional(ExecuteCallback callback, ScoreboardCondition condition, ScoreboardField field, ulong immediate);

    /// <summary>
    /// Applies <paramref name="operation"/> with <paramref name="immediate"/> to the executing vCPU's
    /// <paramref name="field"/> after each memory access of the instruction that
    /// <paramref name="filter"/> selects, without a callback (QEMU's
    /// <c>qemu_plugin_register_vcpu_mem_inline_per_vcpu</c>). An access that faults does not happen,
    /// so it does not count.
    /// </summary>
    /// <param name="filter">Loads, stores or both (atomics count as stores).</param>
    /// <param name="operation">Add or store.</param>
    /// <param name="field">A field of a scoreboard from <see cref="IPluginContext.NewScoreboard(int)"/>.</param>
    /// <param name="immediate">The value added or stored.</param>
    void RegisterMemoryInline(MemoryAccessFilter filter, InlineOperation operation, ScoreboardField field, ulong immediate);
}

public partial interface IPluginContext
{
    /// <summary>
    /// A new scoreboard with <paramref name="fields"/> 64-bit fields per vCPU entry (QEMU's
    /// <c>qemu_plugin_scoreboard_new(sizeof(struct))</c> with a struct of that many <c>uint64_t</c>),
    /// all zero. Name a field with <see cref="Scoreboard.Field"/>.
    /// </summary>
    /// <param name="fields">Fields per vCPU, 1 to 4096.</param>
    /// <returns>The scoreboard.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fields"/> is not 1..4096.</exception>
    Scoreboard NewScoreboard(int fields);
}
