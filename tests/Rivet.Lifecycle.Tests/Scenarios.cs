using Rivet.Lifecycle.Tests.Support;
using Rivet.Machine;
using static Rivet.Lifecycle.Tests.Support.Rig;
using Op = Rivet.Lifecycle.Tests.Support.ScriptedHart.Op;

namespace Rivet.Lifecycle.Tests;

/// <summary>
/// The scenarios of docs/CONCURRENCY-TESTING.md against the real Controller and VCpu, each a
/// test body for one Coyote iteration with a fresh machine. Every one ends in an exit whose
/// WaitForExit must return (a lost request or wake-up is a deadlock Coyote reports), and checks
/// LIFECYCLE.md's invariants on the way (see <see cref="Rig"/>).
/// </summary>
internal static class Scenarios
{
    public static readonly IReadOnlyDictionary<string, Action<int>> All = new Dictionary<string, Action<int>>
    {
        [nameof(ExitWhileEnteringIdle)] = ExitWhileEnteringIdle,
        [nameof(PauseRacesResume)] = PauseRacesResume,
        [nameof(ShutdownFromExecutor)] = ShutdownFromExecutor,
        [nameof(ShutdownFromIdleCallback)] = ShutdownFromIdleCallback,
        [nameof(InterruptWhileDecidingToSleep)] = InterruptWhileDecidingToSleep,
        [nameof(IdleCallbackRequestsPause)] = IdleCallbackRequestsPause,
        [nameof(CallbackRequestsDuringPause)] = CallbackRequestsDuringPause,
        [nameof(ResetDuringPause)] = ResetDuringPause,
        [nameof(RequestsBeforeFirstResume)] = RequestsBeforeFirstResume,
        [nameof(GuestShutdownWithNoShutdown)] = GuestShutdownWithNoShutdown,
        [nameof(DebugStopRacesRequests)] = DebugStopRacesRequests,
    };

    /// <summary>Guest: a little code, then WFI for good (an idle guest).</summary>
    private static IEnumerable<Op> RunThenIdle(int blocks) => [new ScriptedHart.Run(blocks), new ScriptedHart.Halt()];

    /// <summary>
    /// The hang of LIFECYCLE.md: SIGTERM (a shutdown request) arrives while the vCPUs are entering
    /// idle with a slow idle callback. Also with a pause first, as a monitor would do.
    /// </summary>
    public static void ExitWhileEnteringIdle(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        rig.Hooks.IdleYields = 3;
        rig.Controller.Start(startPaused: false);
        rig.Controller.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// A pause from one host thread racing a resume from another (monitor 'stop' vs QMP 'cont'),
    /// twice; the run state must be the one of whichever request was carried out last, and a
    /// later pause must still reach every vCPU.
    /// </summary>
    public static void PauseRacesResume(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(2));
        rig.Hooks.IdleYields = 1;
        Controller c = rig.Controller;
        c.Start(startPaused: true);
        for (int round = 0; round < 2; round++)
        {
            bool resumed = false;
            Thread resumer = StartThread(() => resumed = c.Resume());
            bool paused = c.Pause();
            resumer.Join();
            Check(paused && resumed, $"round {round}: pause {paused}, resume {resumed}");
            string? last = rig.Events.LastRunChange();
            RunState state = c.RunState;
            Check((last, state) is ("STOP", RunState.Paused) or ("RESUME", RunState.Running)
                    || (last, state) is (null, RunState.Prelaunch),
                $"round {round}: run state {state} but the last completed request emitted {last ?? "nothing"}");
            if (state == RunState.Paused) rig.AssertAllParked($"round {round}: paused");
        }
        rig.Pause("after the races");
        Check(c.Resume(), "resume after the races");
        c.RequestShutdown(ShutdownCause.HostQmpQuit, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// The guest powers off from vCPU 0 (a finisher write, on the vCPU thread, in the middle of a
    /// slice) while a host thread pauses: the vCPU must not wait, the pause must not hang, the
    /// exit code must be the guest's.
    /// </summary>
    public static void ShutdownFromExecutor(int n)
    {
        Rig rig = null!;
        rig = new Rig(n, i => i == 0
            ? [new ScriptedHart.Run(1), new ScriptedHart.Call(_ => rig.Controller.RequestShutdown(ShutdownCause.GuestShutdown, 3)),
                new ScriptedHart.Run(1), new ScriptedHart.Halt()]
            : RunThenIdle(2));
        rig.Hooks.IdleYields = 1;
        rig.Controller.Start(startPaused: false);
        bool paused = rig.Controller.Pause();
        if (paused)
        {
            rig.AssertAllParked("after a pause that raced a guest shutdown");
            // If the pause won, vCPU 0 has not powered off yet: let it.
            bool resumed = rig.Controller.Resume();
            Check(resumed || rig.Controller.HasExited, "a resume failed although the machine has not exited");
        }
        else
        {
            Check(rig.Controller.HasExited, "a pause failed although the machine has not exited");
        }
        rig.WaitForExit(3);
    }

    /// <summary>An idle callback asks for a shutdown (a plugin), while the host also asks for one (SIGTERM).</summary>
    public static void ShutdownFromIdleCallback(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        rig.Hooks.IdleYields = 1;
        rig.Hooks.OnIdleAction = (cpu, _) =>
        {
            if (cpu == n - 1) rig.Controller.RequestShutdown(ShutdownCause.GuestShutdown, 4);
        };
        rig.Controller.Start(startPaused: false);
        Thread signal = StartThread(() => rig.Controller.RequestShutdown(ShutdownCause.HostSignal, 0));
        rig.WaitForExit(0, 4);
        signal.Join();
    }

    /// <summary>
    /// Interrupts raised from another thread (a device, another hart's IPI) while each vCPU is
    /// deciding to sleep; vCPU 0 also has a timer that fires while it idles. Every interrupt
    /// must be taken (a lost wake-up deadlocks the wait below), then the machine exits.
    /// </summary>
    public static void InterruptWhileDecidingToSleep(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        rig.Hooks.IdleYields = 1;
        rig.Harts[0].ArmTimer(polls: 2);
        rig.Controller.Start(startPaused: false);
        Thread device = StartThread(() =>
        {
            foreach (ScriptedHart h in rig.Harts) h.RaiseInterrupt();
        });
        rig.Interrupts.WaitFor(n + 1); // n external interrupts and one timer interrupt
        device.Join();
        rig.Pause("after the interrupts");
        Check(rig.Harts.Sum(h => h.InterruptsTaken) == n + 1, "interrupts taken");
        rig.Controller.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// An idle callback pauses the machine (a plugin calling Pause() on the vCPU thread: it must not
    /// wait), once; the host waits for the STOP event, checks, resumes and quits.
    /// </summary>
    public static void IdleCallbackRequestsPause(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        rig.Hooks.IdleYields = 1;
        rig.Hooks.OnIdleAction = (cpu, count) =>
        {
            if (cpu == 0 && count == 1) Check(rig.Controller.Pause(), "Pause() from a callback");
        };
        rig.Controller.Start(startPaused: false);
        rig.Events.WaitFor("STOP");
        rig.AssertAllParked("after STOP requested by a callback");
        Check(rig.Controller.RunState == RunState.Paused, $"run state {rig.Controller.RunState} after STOP");
        Check(rig.Controller.Resume(), "resume after a callback's pause");
        rig.Controller.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// Hang route (c)'s shape: while the host pauses, a vCPU's callbacks make synchronous requests
    /// that only the pauser (the main loop) can carry out: a pause, a reset and an exclusive section.
    /// From a vCPU thread these must be posted, never waited for.
    /// </summary>
    public static void CallbackRequestsDuringPause(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        int exclusive = 0;
        rig.Hooks.IdleYields = 1;
        rig.Hooks.OnIdleAction = (cpu, count) =>
        {
            if (cpu != n - 1 || count != 1) return;
            Check(rig.Controller.Pause(), "Pause() from a callback");
            Check(rig.Controller.RunExclusive(() =>
            {
                rig.AssertAllParked("inside an exclusive section");
                exclusive++;
            }), "RunExclusive() from a callback");
        };
        rig.Hooks.OnResumeAction = (cpu, count) =>
        {
            if (cpu == n - 1 && count == 1) Check(rig.Controller.Reset(ShutdownCause.GuestReset), "Reset() from a callback");
        };
        rig.Controller.Start(startPaused: false);
        rig.Pause("host pause racing callbacks' requests");
        Check(rig.Controller.Resume(), "resume");
        rig.Events.WaitFor("RESET");
        rig.Pause("host pause after the callbacks' requests");
        Check(exclusive == 1, $"exclusive section ran {exclusive} times");
        rig.Controller.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// A host reset while paused (the board is reset with every vCPU parked, the machine stays
    /// paused), racing a guest reset request from vCPU 0 (which pauses, resets and resumes).
    /// </summary>
    public static void ResetDuringPause(int n)
    {
        Rig rig = null!;
        rig = new Rig(n, i => i == 0
            ? [new ScriptedHart.Run(1), new ScriptedHart.Call(_ => rig.Controller.RequestReset(ShutdownCause.GuestReset)), new ScriptedHart.Halt()]
            : RunThenIdle(2));
        Controller c = rig.Controller;
        rig.Hooks.IdleYields = 1;
        c.Start(startPaused: false);
        rig.Pause("before the host reset");
        Check(c.Reset(), "host reset while paused");
        Check(c.RunState == RunState.Paused, $"run state {c.RunState} after a reset while paused");
        rig.AssertAllParked("after a reset while paused");
        Check(c.Resume(), "resume after the reset");
        rig.Pause("after the resets");
        Check(rig.Board.Resets >= 1, "board reset");
        c.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// Started paused (-S, prelaunch): a pause, a reset and an exclusive section (a debugger
    /// setting registers) before the first resume. The vCPU threads are still starting, so
    /// every one of these must wait until each has parked.
    /// </summary>
    public static void RequestsBeforeFirstResume(int n)
    {
        var rig = new Rig(n, _ => RunThenIdle(1));
        Controller c = rig.Controller;
        c.Start(startPaused: true);
        rig.Pause("in prelaunch");
        Check(c.Reset(), "reset in prelaunch");
        Check(c.RunExclusive(() => rig.AssertAllParked("exclusive section in prelaunch")), "exclusive section in prelaunch");
        Check(c.RunState == RunState.Prelaunch, $"run state {c.RunState} before the first resume");
        Check(c.Resume(), "first resume");
        rig.Pause("after the first resume");
        c.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// -no-shutdown: the guest powers off from vCPU 0; the machine stops in run state 'shutdown'
    /// (every vCPU parked), refuses 'cont' until a reset, then runs again and quits on request.
    /// </summary>
    public static void GuestShutdownWithNoShutdown(int n)
    {
        Rig rig = null!;
        rig = new Rig(n, i => i == 0
            ? [new ScriptedHart.Run(1), new ScriptedHart.Call(_ => rig.Controller.RequestShutdown(ShutdownCause.GuestShutdown, 5)),
                new ScriptedHart.Run(1), new ScriptedHart.Halt()]
            : RunThenIdle(1),
            new LifecycleOptions { NoShutdown = true });
        Controller c = rig.Controller;
        rig.Hooks.IdleYields = 1;
        c.Start(startPaused: false);
        rig.Events.WaitFor("STOP");
        Check(c.RunState == RunState.Shutdown, $"run state {c.RunState} after a guest shutdown with -no-shutdown");
        rig.AssertAllParked("after a guest shutdown with -no-shutdown");
        Check(!c.Resume(), "resume accepted in run state shutdown");
        rig.Pause("pause in run state shutdown");
        Check(c.Reset(), "reset after a guest shutdown");
        Check(c.RunState == RunState.Paused, $"run state {c.RunState} after a reset from shutdown");
        Check(c.Resume(), "resume after the reset");
        c.RequestShutdown(ShutdownCause.HostQmpQuit, 0);
        rig.WaitForExit(0);
    }

    /// <summary>
    /// The gdb stub's stop: vCPU 0 reaches a breakpoint (it stops itself and posts the debug stop)
    /// while a host thread resumes the machine (QMP cont) and another asks for a pause. The stub
    /// must hear which vCPU stopped before STOP; once the debug stop is carried out every vCPU is
    /// parked (run state debug, unless a resume carried out after it runs the machine again);
    /// a shutdown (SIGTERM while gdb holds the machine) still exits with its code.
    /// </summary>
    public static void DebugStopRacesRequests(int n)
    {
        Rig rig = null!;
        rig = new Rig(n, i => i == 0
            ? [new ScriptedHart.Run(1), new ScriptedHart.DebugStop(), new ScriptedHart.Run(1), new ScriptedHart.Halt()]
            : RunThenIdle(2));
        Controller c = rig.Controller;
        rig.Hooks.IdleYields = 1;
        int told = -1;
        bool toldBeforeStop = true;
        c.DebugStopping = v =>
        {
            Volatile.Write(ref told, v);
            toldBeforeStop = rig.Events.LastRunChange() != "STOP" || c.RunState != RunState.Debug;
        };
        c.Start(startPaused: false);
        bool resumed = false;
        Thread resumer = StartThread(() => resumed = c.Resume());
        rig.Events.WaitFor("STOP");
        resumer.Join();
        Check(resumed, "a resume failed although the machine has not exited");
        Check(Volatile.Read(ref told) == 0, $"the stub was told of vCPU {Volatile.Read(ref told)}, not 0");
        Check(toldBeforeStop, "the stub heard of the debug stop after its STOP");
        if (c.RunState == RunState.Debug) rig.AssertAllParked("in run state debug");
        // As QEMU's vm_stop: a pause of a stopped machine keeps its run state (debug stays debug).
        Check(c.Pause(), "pause after the debug stop");
        rig.AssertAllParked("paused after the debug stop");
        Check(c.RunState is RunState.Debug or RunState.Paused, $"run state {c.RunState} after a pause");
        Check(c.Resume(), "resume after the debug stop");
        c.RequestShutdown(ShutdownCause.HostSignal, 0);
        rig.WaitForExit(0);
    }
}
