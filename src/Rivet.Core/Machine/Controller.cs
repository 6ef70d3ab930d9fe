using System.Diagnostics;
using System.Globalization;
using Rivet.Devices;

namespace Rivet.Machine;

/// <summary>A run-state change for listeners (the monitor, tests): QMP event names.</summary>
public sealed record MachineEvent(string Name, bool? Guest = null, ShutdownCause? Reason = null);

/// <summary>What the controller needs from the board on reset and at the end.</summary>
internal interface IResettable
{
    /// <summary>Harts and devices back to reset state. Called with every vCPU stopped.</summary>
    void ResetState();

    /// <summary>Devices closed, consoles flushed (shutdown step 5).</summary>
    void Close();

    /// <summary>Guest time frozen (pause) or running (resume).</summary>
    void FreezeTime(bool frozen);
}

/// <summary>Timeouts of the control path (LIFECYCLE.md rule 6).</summary>
public sealed record LifecycleOptions
{
    /// <summary>How long a pause may wait for acknowledgements before it reports a hang.</summary>
    public TimeSpan PauseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Shutdown always completes within this, abandoning stuck vCPU threads if it must.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>-no-shutdown: a guest shutdown pauses the machine (run state shutdown) instead of exiting.</summary>
    public bool NoShutdown { get; init; }

    /// <summary>-no-reboot: a reset request (the guest's or QMP system_reset) shuts down instead, as QEMU's -action reboot=shutdown.</summary>
    public bool NoReboot { get; init; }
}

/// <summary>Process exit codes beyond the guest's own.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int StartupError = 1;
    /// <summary>An exception nobody caught on a thread a plugin started (or on the thread pool, in a plugin's code) ended the run.</summary>
    public const int PluginThreadFailed = 123;
    /// <summary>Shutdown had to abandon a vCPU thread that did not stop within the shutdown timeout, or a plugin's foreground thread still running at its end.</summary>
    public const int AbandonedThread = 125;
    /// <summary>A second SIGINT during shutdown: exit at once.</summary>
    public const int Interrupted = 130;
}

/// <summary>
/// The one owner of run-state transitions (LIFECYCLE.md rule 4). Every request, from any
/// source, becomes a <see cref="Request"/> that the main-loop thread carries out in order, so a
/// resume can never overtake or erase a pause or shutdown in progress. Callers on other threads
/// may wait for completion (with a deadline); callers on vCPU threads never wait (rule 5).
/// </summary>
internal sealed class Controller : IMachineRequests
{
    private enum Kind { Pause, Resume, Reset, Shutdown, Powerdown, Exclusive, DebugStop }

    private sealed class Request(Kind kind, ShutdownCause cause = ShutdownCause.None, int exitCode = 0, Action? action = null, bool[]? harts = null, int vcpu = -1)
    {
        /// <summary>Somebody waits for this request's outcome (it is never superseded).</summary>
        public bool Awaited;
        public Kind Kind => kind;
        public ShutdownCause Cause => cause;
        public int ExitCode => exitCode;
        public Action? Action => action;
        /// <summary>Resume: the vCPUs to release (null: all).</summary>
        public bool[]? Harts => harts;
        /// <summary>DebugStop: the vCPU that stopped itself.</summary>
        public int VCpu => vcpu;
        public bool Done; // guarded by Controller._gate
        public bool Ok;   // guarded by Controller._gate
    }

    private readonly LifecycleOptions _options;
    private readonly IResettable _board;
    private readonly TextWriter _diagnostics;
    private VCpu[] _vcpus = [];

    // Guards the fields up to the next blank line; the main loop and waiting callers sleep on it.
    private readonly object _gate = new();
    private readonly LinkedList<Request> _requests = new(); // awaited requests, in order
    private Request? _shutdown;      // a pending shutdown: taken before anything else
    private Request? _postedReset;   // a reset posted from a vCPU thread or device (coalesced)
    private Request? _postedRun;     // the last pause or resume posted from a vCPU thread (it wins)
    private RunState _runState = RunState.Prelaunch;
    private bool _exited;
    private int _exitCode;

    // vCPUs bump _ackSeq when they reach Stopped or Exited; the pauser sleeps on it.
    private readonly object _ackGate = new();
    private long _ackSeq;

    private Thread? _mainLoop;
    private long _requestsProcessed;

    private volatile string _current = "idle";

    /// <summary>What the main loop is doing, for hang reports (read without the lock).</summary>
    public string MainLoopActivity => _current;

    /// <summary>Requests the main loop has carried out (diagnostics, benchmarks).</summary>
    public long RequestsProcessed => Interlocked.Read(ref _requestsProcessed);

    public Controller(LifecycleOptions options, IResettable board, TextWriter diagnostics)
    {
        _options = options;
        _board = board;
        _diagnostics = diagnostics;
    }

    public IVCpuHooks? Hooks { get; set; }

    /// <summary>Sees state changes, kicks and requests (the timeline plugin). Set before <see cref="Start"/>.</summary>
    public ILifecycleObserver? Observer { get; set; }

    /// <summary>
    /// The plugins' exit work (vCPU exit and at-exit callbacks), run by the shutdown sequence once
    /// every vCPU has paused, given the shutdown deadline; false if it had to abandon a callback.
    /// </summary>
    public Func<long, bool>? AtExit { get; set; }

    /// <summary>
    /// The last step of shutdown, after the vCPU threads are joined: waits (by the shutdown deadline)
    /// for threads the plugins started themselves; false if one was still running and is abandoned.
    /// </summary>
    public Func<long, bool>? JoinPluginThreads { get; set; }

    /// <summary>Raised on the main-loop thread with no lock held. Listeners must not block.</summary>
    public event Action<MachineEvent>? Event;

    /// <summary>
    /// The gdb stub's view of a debug stop: called on the main-loop thread with no lock held,
    /// with the index of the vCPU that stopped itself (a breakpoint, watchpoint or finished step),
    /// before the pause that stops the others (and its STOP event). Must not block.
    /// </summary>
    public Action<int>? DebugStopping { get; set; }

    public IReadOnlyList<VCpu> VCpus => _vcpus;

    /// <summary>The vCPU that runs hart <paramref name="hart"/>: its own, or under -icount the one for every hart.</summary>
    public VCpu VCpuOfHart(int hart) => _vcpus[_vcpus.Length == 1 ? 0 : hart];

    public RunState RunState
    {
        get
        {
            lock (_gate)
            {
                return _runState;
            }
        }
    }

    public bool HasExited
    {
        get
        {
            lock (_gate)
            {
                return _exited;
            }
        }
    }

    public void Attach(IEnumerable<IVCpuExecutor> executors)
    {
        _vcpus = executors.Select((e, i) => new VCpu(this, i, e)).ToArray();
    }

    /// <summary>Starts the vCPU threads (parked) and the main loop; then runs unless <paramref name="startPaused"/> (-S).</summary>
    public void Start(bool startPaused)
    {
        _board.FreezeTime(true);
        foreach (VCpu v in _vcpus) v.Start("vcpu-" + v.Index.ToString(CultureInfo.InvariantCulture));
        _mainLoop = HostSync.StartThread("main-loop", MainLoop);
        // Ordered like an awaited request, so nothing submitted later can overtake the first run.
        if (!startPaused) Post(new Request(Kind.Resume) { Awaited = true });
    }

    // ---- requests (any thread) ----

    /// <summary>Pauses every vCPU; returns once all are Stopped or Exited (or reports a hang and returns false).</summary>
    public bool Pause() => Submit(new Request(Kind.Pause));

    public bool Resume() => Submit(new Request(Kind.Resume));

    /// <summary>Resumes only the harts whose entry in <paramref name="harts"/> is true (gdb's vCont with a step and no continue); the others stay stopped.</summary>
    public bool Resume(bool[] harts) => Submit(new Request(Kind.Resume, harts: (bool[])harts.Clone()));

    /// <summary>
    /// From vCPU <paramref name="vcpu"/>'s own thread, which has already stopped itself (a debug
    /// stop): the machine stops in run state debug. Never waits (rule 5). Ordered like an
    /// awaited request, so a posted resume cannot erase it.
    /// </summary>
    public void PostDebugStop(int vcpu) => Post(new Request(Kind.DebugStop, vcpu: vcpu), $"vcpu-{vcpu}");

    public bool Reset(ShutdownCause cause = ShutdownCause.HostQmpSystemReset) => Submit(new Request(Kind.Reset, cause));

    /// <summary>Emits POWERDOWN; the virt board has no power button, so the guest sees nothing.</summary>
    public void Powerdown() => Post(new Request(Kind.Powerdown));

    /// <summary>Stops the world, runs <paramref name="action"/> on the main loop, resumes what ran before.</summary>
    public bool RunExclusive(Action action) => Submit(new Request(Kind.Exclusive, action: action));

    public void RequestShutdown(ShutdownCause cause, int exitCode) => Post(new Request(Kind.Shutdown, cause, exitCode));

    /// <summary>
    /// Runs <paramref name="action"/> on a vCPU's thread (with no lock held), even while it is
    /// stopped. From another thread this waits for completion, up to <paramref name="timeout"/>;
    /// from a vCPU thread it is only queued (rule 5), or run at once on the vCPU's own thread.
    /// </summary>
    public bool RunOnVCpu(int index, Action<VCpu> action, TimeSpan timeout)
    {
        // index is a hart's: under -icount every hart's work goes to the one vCPU, run as that hart's.
        VCpu target = VCpuOfHart(index);
        if (VCpu.Current == target)
        {
            target.RunAsHart(index, () => action(target));
            return true;
        }
        var item = new WorkItem(action) { Hart = index };
        if (!target.Post(item)) return false;
        if (VCpu.Current != null) return true;
        return item.Wait(HostSync.DeadlineAfter(timeout));
    }

    public void RequestReset(ShutdownCause cause) => Post(new Request(Kind.Reset, cause));

    // Requests on behalf of a named source (plugins): always posted, from whatever thread, so a
    // callback, an at-exit callback or a plugin's own thread never waits on the main loop.
    public void PostPause(string source) => Post(new Request(Kind.Pause), source);

    public void PostResume(string source) => Post(new Request(Kind.Resume), source);

    public void PostReset(ShutdownCause cause, string source) => Post(new Request(Kind.Reset, cause), source);

    public void PostShutdown(ShutdownCause cause, int exitCode, string source) => Post(new Request(Kind.Shutdown, cause, exitCode), source);

    /// <summary>Queues an exclusive section (<see cref="RunExclusive"/>) without waiting for it: from a callback or any thread.</summary>
    public void PostExclusive(Action action, string source) => Post(new Request(Kind.Exclusive, action: action), source);

    /// <summary>Posts a request; from a vCPU or the main loop the caller never waits.</summary>
    private bool Submit(Request r)
    {
        r.Awaited = VCpu.Current == null && Thread.CurrentThread != _mainLoop;
        Post(r);
        if (!r.Awaited) return true;
        long deadline = HostSync.DeadlineAfter(_options.PauseTimeout + _options.ShutdownTimeout);
        lock (_gate)
        {
            while (!r.Done)
            {
                if (_exited) return false;
                if (!HostSync.WaitUntil(_gate, deadline))
                {
                    _diagnostics.WriteLine($"rivet: {r.Kind} request not carried out within its deadline");
                    return false;
                }
            }
            return r.Ok;
        }
    }

    private void Post(Request r, string? source = null)
    {
        if (Observer is { } observer)
        {
            int? vcpu = VCpu.Current?.Index;
            source ??= vcpu is int i ? $"vcpu-{i}" : Thread.CurrentThread == _mainLoop ? "main-loop" : Thread.CurrentThread.Name is { } n ? $"host thread '{n}'" : "host";
            observer.Requested(r.Kind.ToString().ToLowerInvariant(), r.Cause, source, vcpu);
        }
        // Every shutdown begins with pausing all vCPUs (-no-shutdown included), so stop them now
        // rather than after the main loop has woken: the request's own thread asserts the stop.
        // This changes no run state (the main loop still does that, and re-asserts the stop in its
        // pause handshake); a resume already under way may release a vCPU again, which costs
        // only the head start. With every core busy running guests, every later step of the
        // shutdown then finds a free core instead of waiting for a time slice.
        if (r.Kind == Kind.Shutdown)
        {
            foreach (VCpu v in _vcpus) v.RequestStop();
        }
        // Awaited requests keep their order. Posted ones (from vCPU threads and devices, which
        // never wait) are coalesced: one pending reset, and only the last posted pause or resume,
        // so callbacks that post on every idle cannot flood the main loop. A shutdown overtakes
        // everything (QEMU checks shutdown first), and a host signal or quit replaces a pending
        // guest shutdown (they always power off).
        lock (_gate)
        {
            if (r.Kind == Kind.Shutdown)
            {
                bool forced = r.Cause is ShutdownCause.HostSignal or ShutdownCause.HostQmpQuit;
                if (_shutdown == null || (forced && _shutdown.Cause.IsGuest())) _shutdown = r;
            }
            else if (r.Awaited || r.Kind is Kind.Exclusive or Kind.Powerdown or Kind.DebugStop)
            {
                _requests.AddLast(r);
            }
            else if (r.Kind == Kind.Reset)
            {
                _postedReset ??= r;
            }
            else
            {
                _postedRun = r;
            }
            Monitor.PulseAll(_gate);
        }
    }

    private bool HasRequest => _shutdown != null || _requests.Count > 0 || _postedReset != null || _postedRun != null;

    /// <summary>The next request for the main loop, in priority order (under <see cref="_gate"/>).</summary>
    private Request TakeRequest()
    {
        Request r;
        if (_shutdown != null)
        {
            r = _shutdown;
            _shutdown = null;
        }
        else if (_requests.Count > 0)
        {
            r = _requests.First!.Value;
            _requests.RemoveFirst();
        }
        else if (_postedReset != null)
        {
            r = _postedReset;
            _postedReset = null;
        }
        else
        {
            r = _postedRun!;
            _postedRun = null;
        }
        return r;
    }

    /// <summary>Waits for the machine to finish; returns the process exit code. Not on a vCPU thread.</summary>
    public int WaitForExit()
    {
        lock (_gate)
        {
            while (!_exited) HostSync.Wait(_gate);
            return _exitCode;
        }
    }

    /// <summary>Like <see cref="WaitForExit()"/> with a deadline; null if still running.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        long deadline = HostSync.DeadlineAfter(timeout);
        lock (_gate)
        {
            while (!_exited)
            {
                if (!HostSync.WaitUntil(_gate, deadline)) return null;
            }
            return _exitCode;
        }
    }

    /// <summary>Called by a vCPU (under its own gate) when it reaches Stopped, and after it exits.</summary>
    public void Acknowledge()
    {
        lock (_ackGate)
        {
            _ackSeq++;
            Monitor.PulseAll(_ackGate);
        }
    }

    public void ReportInternalError(VCpu vcpu, Exception ex)
    {
        _diagnostics.WriteLine($"rivet: internal error on vCPU {vcpu.Index}: {ex.GetType().Name}: {ex.Message}");
        RequestShutdown(ShutdownCause.HostError, 1);
    }

    public void ReportCallbackFailure(VCpu vcpu, string callback, Exception ex)
    {
        _diagnostics.WriteLine($"rivet: callback '{callback}' on vCPU {vcpu.Index} threw {ex.GetType().Name}: {ex.Message}");
    }

    // ---- the main loop: the only thread that changes the run state ----

    private void MainLoop()
    {
        ShutdownCause cause = ShutdownCause.None;
        int exitCode = 0;
        while (true)
        {
            Request r;
            lock (_gate)
            {
                while (!HasRequest) HostSync.Wait(_gate);
                r = TakeRequest();
            }
            bool ok = true;
            Interlocked.Increment(ref _requestsProcessed);
            _current = $"{r.Kind} ({(r.Awaited ? "awaited" : "posted")}), since {HostSync.Now}";
            switch (r.Kind)
            {
                case Kind.Pause:
                    ok = DoPause(RunState.Paused, emit: true);
                    break;
                case Kind.Resume:
                    ok = DoResume(r.Harts);
                    break;
                case Kind.DebugStop:
                    try
                    {
                        DebugStopping?.Invoke(r.VCpu);
                    }
                    catch (Exception ex)
                    {
                        _diagnostics.WriteLine($"rivet: debug stop listener failed: {ex.Message}");
                    }
                    ok = DoPause(RunState.Debug, emit: true);
                    break;
                case Kind.Reset:
                    if (_options.NoReboot && r.Cause != ShutdownCause.SubsystemReset) // as QEMU: every reset request but a subsystem reset
                    {
                        cause = r.Cause;
                        Complete(r, true);
                        goto Shutdown;
                    }
                    ok = DoReset(r.Cause);
                    break;
                case Kind.Powerdown:
                    Emit(new MachineEvent("POWERDOWN"));
                    break;
                case Kind.Exclusive:
                    ok = DoExclusive(r.Action!);
                    break;
                case Kind.Shutdown:
                    // Signals and quit always power off; -no-shutdown applies to guest requests only.
                    if (_options.NoShutdown && r.Cause.IsGuest())
                    {
                        Emit(new MachineEvent("SHUTDOWN", true, r.Cause));
                        DoPause(RunState.Shutdown, emit: true);
                        break;
                    }
                    cause = r.Cause;
                    exitCode = r.ExitCode;
                    Complete(r, true);
                    goto Shutdown;
            }
            Complete(r, ok);
            _current = "idle";
        }
    Shutdown:
        Emit(new MachineEvent("SHUTDOWN", cause.IsGuest(), cause));
        int code = ShutdownSequence(exitCode);
        lock (_gate)
        {
            _exitCode = code;
            _exited = true;
            foreach (Request pending in _requests) pending.Done = true;
            _requests.Clear();
            _shutdown = _postedReset = _postedRun = null;
            Monitor.PulseAll(_gate);
        }
    }

    private void Complete(Request r, bool ok)
    {
        lock (_gate)
        {
            r.Done = true;
            r.Ok = ok;
            Monitor.PulseAll(_gate);
        }
    }

    private void SetRunState(RunState s)
    {
        lock (_gate)
        {
            _runState = s;
        }
    }

    private void Emit(MachineEvent e)
    {
        try
        {
            Event?.Invoke(e);
        }
        catch (Exception ex)
        {
            _diagnostics.WriteLine($"rivet: event listener failed on {e.Name}: {ex.Message}");
        }
    }

    private bool DoPause(RunState target, bool emit)
    {
        RunState current = RunState;
        if (current != RunState.Running)
        {
            if (target == RunState.Shutdown && current is RunState.Paused or RunState.Debug) SetRunState(RunState.Shutdown);
            // Idempotent, but in prelaunch a vCPU thread may not have parked yet: wait for it too.
            return PauseAllVCpus(HostSync.DeadlineAfter(_options.PauseTimeout), "pause");
        }
        bool ok = PauseAllVCpus(HostSync.DeadlineAfter(_options.PauseTimeout), "pause");
        _board.FreezeTime(true);
        SetRunState(target);
        if (emit) Emit(new MachineEvent("STOP"));
        return ok;
    }

    private bool DoResume(bool[]? harts = null)
    {
        RunState current = RunState;
        if (current == RunState.Running) return true;
        // As QEMU: a machine that shut down (-no-shutdown) or panicked needs a reset first.
        if (current is RunState.Shutdown or RunState.GuestPanicked or RunState.InternalError) return false;
        SetRunState(RunState.Running);
        _board.FreezeTime(false);
        // By hart: a vCPU is released when any hart it runs is (under -icount one vCPU runs them all).
        bool[]? release = null;
        if (harts != null)
        {
            release = new bool[_vcpus.Length];
            for (int h = 0; h < harts.Length; h++)
            {
                if (harts[h]) release[VCpuOfHart(h).Index] = true;
            }
        }
        foreach (VCpu v in _vcpus)
        {
            if (release == null || release[v.Index]) v.ReleaseStop();
        }
        Emit(new MachineEvent("RESUME"));
        return true;
    }

    private bool DoReset(ShutdownCause cause)
    {
        RunState before = RunState;
        // Even when not running: in prelaunch a vCPU thread may not have parked yet.
        bool ok = PauseAllVCpus(HostSync.DeadlineAfter(_options.PauseTimeout), "reset");
        _board.ResetState();
        Emit(new MachineEvent("RESET", cause.IsGuest(), cause));
        if (before is RunState.Running || before is RunState.Shutdown or RunState.GuestPanicked)
        {
            // A reset of a stopped-by-shutdown machine leaves it paused, ready for 'cont', as QEMU.
            if (before == RunState.Running)
            {
                foreach (VCpu v in _vcpus) v.ReleaseStop();
            }
            else
            {
                SetRunState(RunState.Paused);
            }
        }
        return ok;
    }

    private bool DoExclusive(Action action)
    {
        RunState before = RunState;
        // Even when not running: in prelaunch a vCPU thread may not have parked yet.
        bool ok = PauseAllVCpus(HostSync.DeadlineAfter(_options.PauseTimeout), "exclusive section");
        try
        {
            action();
        }
        finally
        {
            if (before == RunState.Running)
            {
                foreach (VCpu v in _vcpus) v.ReleaseStop();
            }
        }
        return ok;
    }

    /// <summary>
    /// The pause handshake: assert stop on every vCPU, sleep on the acknowledgement sequence, and
    /// re-assert on every vCPU that has not stopped each time we wake (rule 4). The sequence is
    /// read before the states are checked, so an acknowledgement can never be missed (rule 3).
    /// </summary>
    private bool PauseAllVCpus(long deadline, string what)
    {
        while (true)
        {
            long seq;
            lock (_ackGate)
            {
                seq = _ackSeq;
            }
            bool all = true;
            foreach (VCpu v in _vcpus)
            {
                if (!v.RequestStop()) all = false;
            }
            if (all) return true;
            lock (_ackGate)
            {
                while (_ackSeq == seq)
                {
                    if (!HostSync.WaitUntil(_ackGate, deadline))
                    {
                        ReportHang(what);
                        return false;
                    }
                }
            }
        }
    }

    private void ReportHang(string what)
    {
        _diagnostics.WriteLine($"rivet: {what} did not complete within its deadline; vCPU states:");
        foreach (VCpu v in _vcpus) _diagnostics.WriteLine("  " + v.Describe());
        _diagnostics.Flush();
    }

    /// <summary>LIFECYCLE.md's shutdown order, bounded by the shutdown timeout.</summary>
    private int ShutdownSequence(int exitCode)
    {
        long deadline = HostSync.DeadlineAfter(_options.ShutdownTimeout);
        // With plugin exit callbacks, a stuck vCPU must not eat the whole deadline: they get its last
        // quarter (a timeline of the hang, say, is still written).
        long pauseDeadline = AtExit == null || _options.ShutdownTimeout == Timeout.InfiniteTimeSpan
            ? deadline : HostSync.DeadlineAfter(_options.ShutdownTimeout * 0.75);
        bool stopped = PauseAllVCpus(pauseDeadline, "shutdown");
        _board.FreezeTime(true);
        SetRunState(RunState.Shutdown);
        // Plugins' vCPU exit and at-exit callbacks: on their own thread, joined by the deadline.
        bool atExitDone = RunAtExit(deadline);
        foreach (VCpu v in _vcpus) v.Terminate();
        bool abandoned = !stopped;
        foreach (VCpu v in _vcpus)
        {
            if (v.Thread != null && !HostSync.Join(v.Thread, deadline))
            {
                abandoned = true;
            }
        }
        if (abandoned && stopped) ReportHang("shutdown (joining vCPU threads)");
        if (!atExitDone) abandoned = true;
        // Last, so that a plugin thread an at-exit callback told to stop has the rest of the deadline.
        if (!RunStep(JoinPluginThreads, deadline, "joining plugins' threads")) abandoned = true;
        try
        {
            _board.Close();
        }
        catch (Exception ex)
        {
            _diagnostics.WriteLine($"rivet: closing devices failed: {ex.Message}");
        }
        return abandoned ? ExitCodes.AbandonedThread : exitCode;
    }

    private bool RunAtExit(long deadline) => RunStep(AtExit, deadline, "exit callbacks");

    private bool RunStep(Func<long, bool>? step, long deadline, string what)
    {
        try
        {
            return step?.Invoke(deadline) ?? true;
        }
        catch (Exception ex)
        {
            _diagnostics.WriteLine($"rivet: plugins' {what} failed: {ex.GetType().Name}: {ex.Message}");
            return true;
        }
    }
}
