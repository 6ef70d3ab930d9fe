using Rivet.Cpu;
using Rivet.Machine;

namespace Rivet.Lifecycle.Tests.Support;

/// <summary>
/// A scripted stand-in for a hart (IVCpuExecutor), so the schedules explored are about the
/// lifecycle protocol, not the ISA. Each <see cref="Execute"/> carries out the next step of its
/// script; when the script is done the guest sits in "wfi; take interrupt; wfi" forever.
/// Interrupts raised from other threads follow the hart's protocol: set the pending bit, then
/// <see cref="IHartWaker.Wake"/>.
/// </summary>
internal sealed class ScriptedHart : IVCpuExecutor
{
    /// <summary>One step of a script. <see cref="Run"/> is a slice of guest code, checking for a kick at each "block".</summary>
    internal abstract record Op;

    internal sealed record Run(int Blocks) : Op;

    /// <summary>WFI with nothing pending.</summary>
    internal sealed record Halt : Op;

    /// <summary>A breakpoint: the hart stops for the debugger (Execute returns ExecExit.Debug) before the rest of the script.</summary>
    internal sealed record DebugStop : Op;

    /// <summary>Guest code that calls into the machine (a device register write), on the vCPU thread.</summary>
    internal sealed record Call(Action<ScriptedHart> Action) : Op;

    private readonly Op[] _script;
    private readonly Op[] _afterReset;
    private Op[] _current;
    private int _next;
    private int _doneInOp; // blocks of the current Run op already executed

    private int _kick;     // Kick/ClearKick, any thread
    private int _pending;  // an interrupt is pending (set by other threads, cleared by this vCPU)
    private bool _halted;  // vCPU thread (and ResetState with the vCPU stopped)

    // A timer that expires after the vCPU has looked at its deadline TimerPolls times while idle.
    private int _timerPollsLeft = -1; // -1: not armed; read under the vCPU's gate only
    private int _timerFired;
    private IHartWaker? _waker;

    public ScriptedHart(int index, IEnumerable<Op> script, IEnumerable<Op>? afterReset = null)
    {
        Index = index;
        _script = [.. script];
        _afterReset = afterReset == null ? [new Run(1), new Halt()] : [.. afterReset];
        _current = _script;
    }

    public int Index { get; }

    /// <summary>Blocks of guest code executed (vCPU thread).</summary>
    public int BlocksRun { get; private set; }

    /// <summary>Interrupts taken (vCPU thread; read by others after a handshake).</summary>
    public int InterruptsTaken { get; private set; }

    /// <summary>Set by the rig: told when this hart takes an interrupt.</summary>
    public Probe? InterruptProbe { get; set; }

    public bool IsHalted => _halted;

    public bool HasPendingInterrupt => Volatile.Read(ref _pending) != 0 || Volatile.Read(ref _timerFired) != 0;

    public long WakeDeadline
    {
        get
        {
            // Read by the vCPU under its gate each time it is about to sleep: each read is one "tick".
            if (_timerPollsLeft < 0) return long.MaxValue;
            if (_timerPollsLeft == 0)
            {
                _timerPollsLeft = -1;
                Volatile.Write(ref _timerFired, 1);
                return 0; // already passed
            }
            _timerPollsLeft--;
            return long.MaxValue - 1; // far away, but a timed sleep (HostSync.WaitForTimer)
        }
    }

    public ulong ProgramCounter => 0x8000_0000UL + (ulong)BlocksRun * 4;

    public void AttachWaker(IHartWaker waker) => _waker = waker;

    public void Kick() => Volatile.Write(ref _kick, 1);

    public void ClearKick() => Volatile.Write(ref _kick, 0);

    /// <summary>Arms the timer before the machine starts: it fires after <paramref name="polls"/> idle polls.</summary>
    public void ArmTimer(int polls) => _timerPollsLeft = polls;

    /// <summary>Raises an interrupt from any thread, as a device or another hart does.</summary>
    public void RaiseInterrupt()
    {
        Volatile.Write(ref _pending, 1);
        _waker!.Wake();
    }

    /// <summary>Board reset (ResetState), with the vCPU stopped: the guest starts its after-reset script.</summary>
    public void ResetState()
    {
        _halted = false;
        Volatile.Write(ref _pending, 0);
        Volatile.Write(ref _timerFired, 0);
        _timerPollsLeft = -1;
        _current = _afterReset;
        _next = 0;
        _doneInOp = 0;
    }

    public ExecExit Execute()
    {
        if (TakeInterrupt()) return ExecExit.Budget;
        if (_next >= _current.Length)
        {
            // The idle loop of the guest: wfi.
            _halted = true;
            return ExecExit.Halted;
        }
        Op op = _current[_next];
        switch (op)
        {
            case Run run:
                while (_doneInOp < run.Blocks)
                {
                    if (Volatile.Read(ref _kick) != 0) return ExecExit.ExitRequest; // the slice goes on later
                    _doneInOp++;
                    BlocksRun++;
                    Thread.Yield(); // a block boundary: a scheduling point
                    if (TakeInterrupt()) return ExecExit.Budget;
                }
                _doneInOp = 0;
                _next++;
                return ExecExit.Budget;
            case Halt:
                _next++;
                _halted = true;
                return ExecExit.Halted;
            case Call call:
                _next++;
                call.Action(this);
                return ExecExit.Budget;
            case DebugStop:
                _next++;
                return ExecExit.Debug;
            default:
                throw new InvalidOperationException(op.ToString());
        }
    }

    private bool TakeInterrupt()
    {
        bool timer = Interlocked.Exchange(ref _timerFired, 0) != 0;
        bool external = Interlocked.Exchange(ref _pending, 0) != 0;
        if (!timer && !external) return false;
        _halted = false;
        int taken = (timer ? 1 : 0) + (external ? 1 : 0);
        InterruptsTaken += taken;
        InterruptProbe?.Bump(taken);
        return true;
    }
}
