using Rivet.Plugins;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb;

/// <summary>gdb's watchpoint types: Z2 write, Z3 read, Z4 access.</summary>
internal enum GdbWatchKind
{
    Write,
    Read,
    Access,
}

/// <summary>Why the machine stopped, as a gdb stop reply reports it (QEMU 7.2's gdb_vm_state_change).</summary>
internal enum GdbStopReason
{
    /// <summary>A breakpoint or a finished single-step (T05).</summary>
    Trap,
    /// <summary>A watchpoint hit (T05 with [r|a]watch:ADDR).</summary>
    Watchpoint,
    /// <summary>Stopped by gdb's Ctrl-C, an attach or QMP/HMP stop (T02).</summary>
    Interrupt,
    /// <summary>A guest shutdown paused the machine (-no-shutdown) (T03).</summary>
    Shutdown,
    /// <summary>The machine is exiting (W with <see cref="GdbStop.ExitCode"/>); nothing more can be asked.</summary>
    Exited,
}

/// <summary>One stop: the hart gdb should select (its thread), why, and for a watchpoint which one.</summary>
internal readonly record struct GdbStop(GdbStopReason Reason, int Hart, ulong WatchAddress = 0, GdbWatchKind Watch = GdbWatchKind.Write, int ExitCode = 0);

/// <summary>
/// What the gdb stub needs from a machine. All-stop: every call but <see cref="Interrupt"/> is
/// made while the machine is stopped (after a <see cref="Stopped"/> event or a successful
/// <see cref="Attach"/>). Calls are made from the stub's own thread; none blocks longer than the
/// lifecycle's deadlines.
/// </summary>
internal interface IGdbTarget
{
    int HartCount { get; }

    /// <summary>
    /// Raised once for each stop after <see cref="Resume"/> or <see cref="Interrupt"/> (and for an
    /// exit at any time), from a machine thread with no lock held. Handlers must not block.
    /// </summary>
    event Action<GdbStop>? Stopped;

    /// <summary>A debugger connected: the machine stops (as QEMU does on connect). False if it could not (the machine exited).</summary>
    bool Attach();

    /// <summary>The debugger went away (D, a closed or dead connection): debug points are removed and the machine resumes.</summary>
    void Detach();

    /// <summary>k: the emulator exits (QEMU exits 0).</summary>
    void Kill();

    /// <summary>Ctrl-C while running: ask the machine to stop; the stop arrives as a <see cref="Stopped"/> event (Interrupt). Any thread.</summary>
    void Interrupt();

    /// <summary>
    /// Resumes. Harts in <paramref name="step"/> execute one instruction (interrupts masked);
    /// the others run when <paramref name="othersRun"/> (vCont's default action c), else stay
    /// stopped. Returns false if the machine cannot run (it exited). Exactly one
    /// <see cref="Stopped"/> follows (the first hart to stop stops the machine).
    /// </summary>
    bool Resume(IReadOnlyCollection<int> step, bool othersRun);

    /// <summary>
    /// Resumes some harts only: those in <paramref name="step"/> execute one instruction, those in
    /// <paramref name="run"/> run, every other hart stays stopped. gdb sends this (<c>vCont;c:p1.1</c>)
    /// to step over a breakpoint or watchpoint: RISC-V gdb steps in software, with a temporary
    /// breakpoint after the instruction, and only the hart being stepped may move. Exactly one
    /// <see cref="Stopped"/> follows, as for <see cref="Resume"/>. Added for the protocol layer;
    /// the default runs every hart (the best <see cref="Resume"/> can do): a machine should implement it.
    /// </summary>
    bool ResumeHarts(IReadOnlyCollection<int> step, IReadOnlyCollection<int> run) => Resume(step, othersRun: run.Count > 0);

    /// <summary>Registers by descriptor (<see cref="RegisterTable.All"/>: gdb's names and QEMU's order); false for one that cannot be read.</summary>
    bool TryReadRegister(int hart, RegisterDescriptor register, out ulong value);

    /// <summary>False for a read-only or missing register.</summary>
    bool TryWriteRegister(int hart, RegisterDescriptor register, ulong value);

    /// <summary>Guest memory through the hart's current translation, or physical addresses (PhysMemMode); false if any byte is not accessible.</summary>
    bool ReadMemory(int hart, ulong address, Span<byte> destination, bool physical);

    bool WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source, bool physical);

    bool InsertBreakpoint(ulong address);

    bool RemoveBreakpoint(ulong address);

    bool InsertWatchpoint(ulong address, ulong length, GdbWatchKind kind);

    bool RemoveWatchpoint(ulong address, ulong length, GdbWatchKind kind);

    /// <summary>
    /// qThreadExtraInfo: whether the hart is halted (waiting in WFI), which QEMU shows as
    /// "CPU#N [halted ]" instead of "[running]". Added for the protocol layer; the default says running.
    /// </summary>
    bool IsHalted(int hart) => false;

    /// <summary>qRcmd: a human monitor command line for hart <paramref name="hart"/>; its output.</summary>
    string MonitorCommand(int hart, string line);
}
