namespace Rivet.Plugins;

/// <summary>A callback about one vCPU (init, exit, idle, resume).</summary>
/// <param name="vcpuIndex">The vCPU's index, 0..<see cref="IPluginContext.VCpuCount"/>-1 (the hart's mhartid).</param>
public delegate void VCpuCallback(int vcpuIndex);

/// <summary>A block of guest code was translated: attach execute, memory and inline instrumentation to it.</summary>
/// <param name="block">The block; valid only during this call.</param>
public delegate void BlockTranslatedCallback(IBlock block);

/// <summary>A block or an instruction is about to execute.</summary>
/// <param name="vcpuIndex">The vCPU executing it.</param>
/// <param name="pc">The address of the block's first instruction, or of the instruction.</param>
public delegate void ExecuteCallback(int vcpuIndex, ulong pc);

/// <summary>An instrumented instruction accessed guest memory (called after the access).</summary>
/// <param name="vcpuIndex">The vCPU that made the access.</param>
/// <param name="access">What was accessed.</param>
public delegate void MemoryCallback(int vcpuIndex, MemoryAccessInfo access);

/// <summary>The emulator is exiting.</summary>
public delegate void AtExitCallback();

/// <summary>
/// A plugin's view of the machine, given to <see cref="IRivetPlugin.Install"/> and valid for
/// the whole run. Mirrors QEMU's TCG plugin API (<c>qemu-plugin.h</c>).
/// </summary>
/// <remarks>
/// <para><b>When callbacks run.</b> Every <c>Register*</c> method may only be called during
/// <see cref="IRivetPlugin.Install"/> (block and instruction instrumentation: only during a
/// <see cref="BlockTranslatedCallback"/>); afterwards they throw <see cref="InvalidOperationException"/>.
/// vCPU callbacks (init, idle, resume, block translated, execute, memory) run on the vCPU's own
/// thread, with no emulator lock held, concurrently with the same callbacks on other vCPUs: a
/// plugin protects its own shared state (or keeps it per vCPU, as <see cref="Scoreboard"/> does).
/// vCPU exit and at-exit callbacks run once at shutdown, on an exit thread, after every vCPU has
/// paused.</para>
/// <para><b>Containment.</b> A callback that throws is reported on the emulator's diagnostics
/// (standard error) with the plugin's name and the callback kind, and that plugin's callbacks of
/// that kind are disabled from then on; everything else carries on. A callback that never
/// returns holds up only its own vCPU; shutdown still finishes within its deadline, naming the
/// plugin and callback in its hang report, and the process exits with code 125.</para>
/// </remarks>
public partial interface IPluginContext
{
    /// <summary>The plugin's name: the built-in's name, or the assembly's file name without <c>.dll</c>.</summary>
    string Name { get; }

    /// <summary>The host's plugin API version (<see cref="PluginApi.Version"/> of the running emulator).</summary>
    int ApiVersion { get; }

    /// <summary>The guest architecture, <c>riscv64</c> (QEMU's <c>target_name</c>).</summary>
    string TargetName { get; }

    /// <summary>The number of vCPUs (<c>-smp</c>); vCPU indexes run from 0 to this minus 1.</summary>
    int VCpuCount { get; }

    /// <summary>True when <see cref="Output"/> goes somewhere (<c>-d plugin</c>); plugins may skip formatting otherwise.</summary>
    bool OutputEnabled { get; }

    /// <summary>Called once per vCPU on its own thread, before it runs any guest code (also with <c>-S</c>).</summary>
    /// <param name="callback">Receives the vCPU index.</param>
    void RegisterVCpuInit(VCpuCallback callback);

    /// <summary>
    /// Called once per vCPU at shutdown, after every vCPU has paused and before the at-exit
    /// callbacks, on the exit thread. Registers of that vCPU may be read. (QEMU calls it only on
    /// hot-unplug; Rivet calls it at every exit.)
    /// </summary>
    /// <param name="callback">Receives the vCPU index.</param>
    void RegisterVCpuExit(VCpuCallback callback);

    /// <summary>Called on the vCPU's thread when it is about to sleep (the guest executed <c>wfi</c> and nothing is pending).</summary>
    /// <param name="callback">Receives the vCPU index.</param>
    void RegisterVCpuIdle(VCpuCallback callback);

    /// <summary>Called on the vCPU's thread once it wakes from the sleep that followed an idle callback.</summary>
    /// <param name="callback">Receives the vCPU index.</param>
    void RegisterVCpuResume(VCpuCallback callback);

    /// <summary>
    /// Called on a vCPU's thread when it meets a block of guest code (straight-line code up to a
    /// control transfer, at most 64 instructions, within one 4 KiB page) for the first time, or
    /// again after the code changed. Each vCPU translates for itself, so the same block is seen
    /// once per vCPU that runs it. The callback attaches instrumentation to the block.
    /// </summary>
    /// <param name="callback">Receives the block.</param>
    void RegisterBlockTranslated(BlockTranslatedCallback callback);

    /// <summary>Called once when the emulator exits, after every vCPU has paused, on the exit thread (no register access).</summary>
    /// <param name="callback">The callback.</param>
    void RegisterAtExit(AtExitCallback callback);

    /// <summary>
    /// A new per-vCPU counter array (QEMU's scoreboard). Inline operations add to the executing
    /// vCPU's entry without a callback; read the entries (or their sum) at any time.
    /// </summary>
    /// <returns>A scoreboard with one zeroed entry per vCPU.</returns>
    Scoreboard NewScoreboard();

    /// <summary>Reads integer register x0..x31 of the vCPU whose callback is running.</summary>
    /// <param name="index">The register number, 0 to 31.</param>
    /// <returns>The register's value.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback (for example from an at-exit callback or another thread).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not 0..31.</exception>
    ulong ReadRegister(int index);

    /// <summary>
    /// Reads the pc of the vCPU whose callback is running: in an execute or memory callback the
    /// instrumented instruction's (or block's) address; in other vCPU callbacks the next
    /// instruction to run.
    /// </summary>
    /// <returns>The pc.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback.</exception>
    ulong ReadPc();

    /// <summary>Asks the machine to pause (as QMP <c>stop</c>). Posted: returns at once, from any thread; the vCPUs stop at their next block boundary.</summary>
    void RequestPause();

    /// <summary>Asks the machine to resume (as QMP <c>cont</c>). Posted: returns at once, from any thread.</summary>
    void RequestResume();

    /// <summary>Asks the machine to reset (as QMP <c>system_reset</c>). Posted: returns at once, from any thread.</summary>
    void RequestReset();

    /// <summary>
    /// Asks the machine to shut down and the process to exit with <paramref name="exitCode"/>
    /// (unless the shutdown has to abandon a stuck thread: then 125). Posted: returns at once,
    /// from any thread; the at-exit callbacks still run.
    /// </summary>
    /// <param name="exitCode">The process exit code.</param>
    void RequestShutdown(int exitCode = 0);

    /// <summary>
    /// Writes text to the plugin log (QEMU's <c>qemu_plugin_outs</c>): standard error with
    /// <c>-d plugin</c>, the file given by <c>-D FILE</c> with both; dropped without
    /// <c>-d plugin</c>. Written as given (end lines with <c>\n</c>); safe from any thread.
    /// </summary>
    /// <param name="text">The text.</param>
    void Output(string text);
}
