using Microsoft.Coyote.Specifications;
using Rivet.Machine;
using Op = Rivet.Lifecycle.Tests.Support.ScriptedHart.Op;

namespace Rivet.Lifecycle.Tests.Support;

/// <summary>Idle/resume callbacks that count, check their pairing, and can misbehave on purpose.</summary>
internal sealed class RecordingHooks(int vcpus) : IVCpuHooks
{
    private readonly int[] _idle = new int[vcpus];
    private readonly int[] _resume = new int[vcpus];

    /// <summary>Scheduling points inside every idle callback: a slow plugin widens the check→wait window.</summary>
    public int IdleYields { get; set; }

    /// <summary>Runs inside the idle callback, after the yields: (vCPU, how many idle callbacks it has had).</summary>
    public Action<int, int>? OnIdleAction { get; set; }

    /// <summary>Runs inside the resume callback.</summary>
    public Action<int, int>? OnResumeAction { get; set; }

    public int IdleCount(int cpu) => Volatile.Read(ref _idle[cpu]);

    public int ResumeCount(int cpu) => Volatile.Read(ref _resume[cpu]);

    public void OnIdle(int cpuIndex)
    {
        Rig.Check(VCpu.Current?.Index == cpuIndex, $"idle callback of vCPU {cpuIndex} ran on another thread");
        Rig.Check(_idle[cpuIndex] == _resume[cpuIndex],
            $"vCPU {cpuIndex}: idle callback #{_idle[cpuIndex] + 1} before the resume callback of the previous one");
        int n = ++_idle[cpuIndex];
        for (int i = 0; i < IdleYields; i++) Thread.Yield();
        OnIdleAction?.Invoke(cpuIndex, n);
    }

    public void OnResume(int cpuIndex)
    {
        Rig.Check(VCpu.Current?.Index == cpuIndex, $"resume callback of vCPU {cpuIndex} ran on another thread");
        Rig.Check(_idle[cpuIndex] == _resume[cpuIndex] + 1,
            $"vCPU {cpuIndex}: resume callback without an idle callback (idle {_idle[cpuIndex]}, resume {_resume[cpuIndex]})");
        int n = ++_resume[cpuIndex];
        OnResumeAction?.Invoke(cpuIndex, n);
    }
}

/// <summary>The board as the controller sees it: checks that reset happens with every vCPU parked.</summary>
internal sealed class FakeBoard : IResettable
{
    public Rig? Rig { get; set; }
    public int Resets { get; private set; }
    public int Closes { get; private set; }
    public bool Frozen { get; private set; }

    public void ResetState()
    {
        Rig!.AssertAllParked("when the board is reset");
        foreach (ScriptedHart h in Rig.Harts) h.ResetState();
        Resets++;
    }

    public void Close() => Closes++;

    public void FreezeTime(bool frozen) => Frozen = frozen;
}

/// <summary>
/// One machine for one Coyote iteration: the real <see cref="Controller"/> and <see cref="VCpu"/>
/// threads over scripted harts, a fake board, counting hooks and an event log whose handler
/// checks the pause invariant at every STOP and RESET (on the main loop, before anything else
/// can be carried out).
/// </summary>
internal sealed class Rig
{
    public Rig(int vcpus, Func<int, IEnumerable<Op>> script, LifecycleOptions? options = null)
    {
        Coyote.EnsureSystematic();
        Board = new FakeBoard { Rig = this };
        Hooks = new RecordingHooks(vcpus);
        Harts = Enumerable.Range(0, vcpus).Select(i => new ScriptedHart(i, script(i)) { InterruptProbe = Interrupts }).ToArray();
        Controller = new Controller(options ?? new LifecycleOptions(), Board, TextWriter.Null);
        Controller.Attach(Harts);
        Controller.Hooks = Hooks;
        Controller.Event += OnEvent;
    }

    public Controller Controller { get; }
    public ScriptedHart[] Harts { get; }
    public RecordingHooks Hooks { get; }
    public FakeBoard Board { get; }
    public EventLog Events { get; } = new();
    public Probe Interrupts { get; } = new();

    public static void Check(bool condition, string message) => Specification.Assert(condition, message);

    private void OnEvent(MachineEvent e)
    {
        if (e.Name is "STOP" or "RESET") AssertAllParked($"at {e.Name}");
        if (e.Name == "STOP") Check(Board.Frozen, "guest time runs while the machine is paused");
        Events.Add(e);
    }

    /// <summary>Every vCPU Stopped or Exited, with its idle and resume callbacks paired.</summary>
    public void AssertAllParked(string when)
    {
        foreach (VCpu v in Controller.VCpus)
        {
            VCpuState s = v.State;
            Check(s is VCpuState.Stopped or VCpuState.Exited, $"{when}: vCPU {v.Index} is {s}, not Stopped or Exited");
            Check(Hooks.IdleCount(v.Index) == Hooks.ResumeCount(v.Index),
                $"{when}: vCPU {v.Index} is parked between its idle ({Hooks.IdleCount(v.Index)}) and resume ({Hooks.ResumeCount(v.Index)}) callbacks");
        }
    }

    /// <summary>A synchronous pause from a host thread: it must succeed and leave every vCPU parked.</summary>
    public void Pause(string when)
    {
        Check(Controller.Pause(), $"{when}: Pause() reported failure");
        AssertAllParked($"right after Pause() returned ({when})");
        RunState state = Controller.RunState;
        Check(state is RunState.Paused or RunState.Prelaunch or RunState.Shutdown,
            $"{when}: run state {state} after Pause() (events: {string.Join(" ", Events.Names)})");
    }

    /// <summary>Waits for the exit (a lost shutdown request deadlocks here) and checks the end state.</summary>
    public int WaitForExit(params int[] expectedCodes)
    {
        int code = Controller.WaitForExit();
        Check(expectedCodes.Contains(code), $"exit code {code}, expected one of {string.Join(", ", expectedCodes)}");
        Check(Controller.HasExited, "WaitForExit returned but HasExited is false");
        Check(Controller.RunState == RunState.Shutdown, $"run state {Controller.RunState} after exit");
        Check(Board.Closes == 1, $"board closed {Board.Closes} times");
        foreach (VCpu v in Controller.VCpus)
        {
            Check(v.State == VCpuState.Exited, $"after exit vCPU {v.Index} is {v.State}");
            // The resume callback fires even when the vCPU leaves idle to terminate, so they pair exactly.
            Check(Hooks.IdleCount(v.Index) == Hooks.ResumeCount(v.Index),
                $"after exit vCPU {v.Index} had {Hooks.IdleCount(v.Index)} idle and {Hooks.ResumeCount(v.Index)} resume callbacks");
        }
        Check(Events.Names.LastOrDefault() == "SHUTDOWN", $"last event {Events.Names.LastOrDefault()}, expected SHUTDOWN");
        return code;
    }

    public static Thread StartThread(Action body)
    {
        var t = new Thread(() => body());
        t.Start();
        return t;
    }
}
