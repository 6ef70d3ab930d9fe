using Rivet.Cpu;

namespace Rivet.Machine;

/// <summary>
/// What a vCPU thread runs: a hart, or in systematic tests a scripted stand-in, so the schedule
/// space explored is the lifecycle protocol rather than the ISA.
/// </summary>
internal interface IVCpuExecutor
{
    /// <summary>Runs guest code until its slice ends, a kick arrives or it halts. vCPU thread only.</summary>
    ExecExit Execute();

    /// <summary>The guest is in WFI (or the stand-in's equivalent).</summary>
    bool IsHalted { get; }

    /// <summary>
    /// An enabled interrupt is pending (cpu_has_work). Evaluated under the vCPU's lock: must be
    /// quick, must not block and must not run foreign code.
    /// </summary>
    bool HasPendingInterrupt { get; }

    /// <summary>Host timestamp of the next timer deadline, or long.MaxValue.</summary>
    long WakeDeadline { get; }

    /// <summary>Ask running guest code to return at the next block boundary. Any thread.</summary>
    void Kick();

    /// <summary>Withdraw a kick before the vCPU re-checks its requests. vCPU thread only.</summary>
    void ClearKick();

    /// <summary>The last guest PC, for hang reports (read racily from other threads).</summary>
    ulong ProgramCounter { get; }

    /// <summary>Lets interrupts raised from other threads wake this vCPU.</summary>
    void AttachWaker(IHartWaker waker);

    /// <summary>How many harts this executor runs: one, or every hart (-icount), indices 0..HartCount-1.</summary>
    int HartCount => 1;

    /// <summary>The hart executing guest code now when the executor runs several, else null. vCPU thread only.</summary>
    int? RunningHart => null;
}

/// <summary>A hart as a vCPU executor.</summary>
internal sealed class HartExecutor(Hart hart, long sliceInstructions = HartExecutor.DefaultSlice) : IVCpuExecutor
{
    public const long DefaultSlice = 1 << 16;

    public Hart Hart => hart;
    public ExecExit Execute() => hart.Run(sliceInstructions);
    public bool IsHalted => hart.Halted;
    public bool HasPendingInterrupt => hart.HasPendingInterrupt;
    public long WakeDeadline => hart.TimerDeadline;
    public void Kick() => hart.RequestExit();
    public void ClearKick() => hart.ClearExitRequest();
    public ulong ProgramCounter => hart.Pc;
    public void AttachWaker(IHartWaker waker) => hart.Waker = waker;
}
