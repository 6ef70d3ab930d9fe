using System.Diagnostics;
using Rivet.Cpu;

namespace Rivet.Machine;

/// <summary>A vCPU's lifecycle state as the controller sees it (LIFECYCLE.md).</summary>
public enum VCpuState
{
    Created,
    Running,
    Idle,
    Stopped,
    Exited,
}

/// <summary>Callbacks around idle (the plugin layer implements this). Run on the vCPU thread, no lock held.</summary>
internal interface IVCpuHooks
{
    void OnIdle(int cpuIndex);
    void OnResume(int cpuIndex);
}

/// <summary>
/// One vCPU thread and its half of the lifecycle protocol. Rules (LIFECYCLE.md): every sleep is
/// a predicate loop under <see cref="_gate"/>; every input of those predicates is written under
/// <see cref="_gate"/> followed by a pulse; hooks and queued work run with no lock held.
/// </summary>
internal sealed class VCpu : IHartWaker
{
    [ThreadStatic] private static VCpu? t_current;

    private readonly Controller _controller;
    private readonly IVCpuExecutor _exec;

    // Guards every field below up to the next blank line, and is the condition the vCPU sleeps on.
    private readonly object _gate = new();
    private VCpuState _state = VCpuState.Created;
    private long _stateSince = Stopwatch.GetTimestamp();
    private bool _stopRequested = true; // vCPUs are born parked; the first resume releases them
    private bool _terminate;
    private readonly Queue<WorkItem> _work = new();

    private int _hookHart = -1; // the hart a work item or hook runs for, while it runs (vCPU thread only)
    private volatile string? _inCallback; // hook being run, for hang reports (no lock: written by the vCPU only)
    private long _callbackSince;
    private Thread? _thread;

    public VCpu(Controller controller, int index, IVCpuExecutor exec)
    {
        _controller = controller;
        Index = index;
        _exec = exec;
        exec.AttachWaker(this);
    }

    public int Index { get; }
    public IVCpuExecutor Executor => _exec;

    /// <summary>
    /// The hart whose code, work or callback runs on this vCPU's thread now: the vCPU's own hart, or
    /// under -icount (one vCPU for every hart) the running slice's, or the one a work item or hook is for.
    /// </summary>
    public int CurrentHart => _hookHart >= 0 ? _hookHart : _exec.RunningHart ?? Index;

    /// <summary>The harts this vCPU runs: its own index, or under -icount every hart.</summary>
    public IEnumerable<int> HartIndices => _exec.HartCount == 1 ? [Index] : Enumerable.Range(0, _exec.HartCount);

    /// <summary>Runs <paramref name="action"/> as hart <paramref name="hart"/>'s (see <see cref="CurrentHart"/>). vCPU thread only.</summary>
    public void RunAsHart(int hart, Action action)
    {
        int outer = _hookHart;
        _hookHart = hart;
        try
        {
            action();
        }
        finally
        {
            _hookHart = outer;
        }
    }
    public Thread? Thread => _thread;

    /// <summary>Host thread id (TID) of the vCPU thread, once it runs.</summary>
    public int HostThreadId { get; private set; }

    /// <summary>The vCPU whose thread is calling, or null on any other thread.</summary>
    public static VCpu? Current => t_current;

    public VCpuState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(Monitor.IsEntered(_gate));
    }

    private void SetState(VCpuState s)
    {
        if (_state == s) return;
        _state = s;
        _stateSince = Stopwatch.GetTimestamp();
        // Under _gate: the observer only records (ILifecycleObserver).
        _controller.Observer?.StateChanged(Index, s);
    }

    public void Start(string name)
    {
        _thread = HostSync.StartThread(name, ThreadMain);
    }

    // ---- requests from other threads ----

    /// <summary>Asserts a stop request; true if the vCPU is already Stopped or Exited.</summary>
    public bool RequestStop()
    {
        bool done;
        lock (_gate)
        {
            AssertInvariants();
            _stopRequested = true;
            done = _state is VCpuState.Stopped or VCpuState.Exited;
            if (!done) Monitor.PulseAll(_gate);
        }
        if (!done)
        {
            _exec.Kick();
            _controller.Observer?.Kicked(Index, "stop");
        }
        return done;
    }

    public bool IsStoppedOrExited
    {
        get
        {
            lock (_gate)
            {
                return _state is VCpuState.Stopped or VCpuState.Exited;
            }
        }
    }

    /// <summary>Withdraws the stop request (controller only, after it decided to resume).</summary>
    public void ReleaseStop()
    {
        lock (_gate)
        {
            AssertInvariants();
            _stopRequested = false;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Tells the thread to finish (shutdown). It stops guest code at the next boundary.</summary>
    public void Terminate()
    {
        lock (_gate)
        {
            _terminate = true;
            Monitor.PulseAll(_gate);
        }
        _exec.Kick();
        _controller.Observer?.Kicked(Index, "terminate");
    }

    /// <summary>
    /// An interrupt was raised or a timer changed. Any thread. Sticky because the caller wrote the
    /// predicate's input (mip, mtimecmp) first: a sleeper that has not reached its wait yet sees it.
    /// </summary>
    public void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
        _controller.Observer?.Kicked(Index, "wake");
    }

    /// <summary>Queues work to run on this vCPU's thread (with no lock held) and kicks it; false (and the item cancelled) if the thread has exited.</summary>
    public bool Post(WorkItem item)
    {
        lock (_gate)
        {
            if (_state == VCpuState.Exited || _terminate)
            {
                item.Cancel();
                return false;
            }
            _work.Enqueue(item);
            Monitor.PulseAll(_gate);
        }
        _exec.Kick();
        _controller.Observer?.Kicked(Index, "work");
        return true;
    }

    // ---- the vCPU thread ----

    private enum Step { Terminate, Work, Run }

    private void ThreadMain()
    {
        t_current = this;
        HostThreadId = HostThreads.CurrentThreadId();
        _ = HostThreads.ConfigureVCpuThread(HostThreadId);
        try
        {
            while (true)
            {
                // Withdraw any kick first: one that arrives after this is seen at the next boundary.
                _exec.ClearKick();
                Step step = NextStep();
                if (step == Step.Terminate) break;
                if (step == Step.Work)
                {
                    RunQueuedWork();
                    continue;
                }
                // A halted hart with an interrupt pending runs: Execute wakes it.
                if (_exec.IsHalted && !_exec.HasPendingInterrupt)
                {
                    Idle();
                    continue;
                }
                if (_exec.Execute() == ExecExit.Debug) DebugStop();
            }
        }
        catch (Exception ex)
        {
            _controller.ReportInternalError(this, ex);
        }
        finally
        {
            lock (_gate)
            {
                SetState(VCpuState.Exited);
                Monitor.PulseAll(_gate);
            }
            _controller.Acknowledge();
            FailPendingWork();
        }
    }

    /// <summary>
    /// The hart stopped for the debugger (a breakpoint, watchpoint or finished step): it must not
    /// run on until the controller resumes it, so it asserts its own stop request (which only the
    /// controller withdraws) and posts the debug stop that pauses the others. It parks at once.
    /// </summary>
    private void DebugStop()
    {
        lock (_gate)
        {
            _stopRequested = true;
            Monitor.PulseAll(_gate);
        }
        _controller.PostDebugStop(Index);
    }

    /// <summary>Parks while a stop is requested; says what to do next.</summary>
    private Step NextStep()
    {
        lock (_gate)
        {
            while (true)
            {
                AssertInvariants();
                if (_terminate) return Step.Terminate;
                if (_work.Count > 0) return Step.Work;
                if (!_stopRequested)
                {
                    SetState(VCpuState.Running);
                    return Step.Run;
                }
                if (_state != VCpuState.Stopped)
                {
                    SetState(VCpuState.Stopped);
                    // Lock order: vCPU gate, then the controller's acknowledgement gate.
                    _controller.Acknowledge();
                }
                // Parked: only the controller (resume, terminate) or posted work ends this.
                HostSync.Wait(_gate);
            }
        }
    }

    /// <summary>
    /// WFI with nothing pending: fire the idle hooks once, sleep until an interrupt, a request,
    /// work or the hart's own timer deadline, then fire the resume hooks once.
    /// </summary>
    private void Idle()
    {
        lock (_gate)
        {
            if (!ShouldSleep()) return;
        }
        RunHook(idle: true);
        lock (_gate)
        {
            // Rule 2: the hook ran with no lock; evaluate the predicate afresh before any wait.
            while (ShouldSleep())
            {
                long deadline = _exec.WakeDeadline;
                if (deadline <= HostSync.Now) break;
                SetState(VCpuState.Idle);
                HostSync.WaitForTimer(_gate, deadline);
            }
            if (_state == VCpuState.Idle) SetState(VCpuState.Running);
        }
        RunHook(idle: false);
    }

    private bool ShouldSleep()
        => !_stopRequested && !_terminate && _work.Count == 0 && _exec.IsHalted && !_exec.HasPendingInterrupt;

    private void RunHook(bool idle)
    {
        IVCpuHooks? hooks = _controller.Hooks;
        if (hooks == null) return;
        string name = idle ? "vcpu-idle" : "vcpu-resume";
        // Under -icount the one vCPU idles for every hart: each hart's callbacks run, as that hart's,
        // and one that throws does not keep the others from theirs (idle and resume stay paired).
        foreach (int hart in HartIndices)
        {
            _callbackSince = Stopwatch.GetTimestamp();
            _inCallback = name;
            try
            {
                RunAsHart(hart, () =>
                {
                    if (idle) hooks.OnIdle(hart);
                    else hooks.OnResume(hart);
                });
            }
            catch (Exception ex)
            {
                _controller.ReportCallbackFailure(this, name, ex);
            }
            finally
            {
                _inCallback = null;
            }
        }
    }

    /// <summary>Names the callback the vCPU is inside (plugins set this around their own calls).</summary>
    public void EnterCallback(string name)
    {
        _callbackSince = Stopwatch.GetTimestamp();
        _inCallback = name;
    }

    public void LeaveCallback() => _inCallback = null;

    private void RunQueuedWork()
    {
        while (true)
        {
            WorkItem? item;
            lock (_gate)
            {
                if (!_work.TryDequeue(out item)) return;
            }
            if (item.Hart >= 0) RunAsHart(item.Hart, () => item.Run(this));
            else item.Run(this);
        }
    }

    private void FailPendingWork()
    {
        while (true)
        {
            WorkItem? item;
            lock (_gate)
            {
                if (!_work.TryDequeue(out item)) return;
            }
            item.Cancel();
        }
    }

    /// <summary>One line for a hang report: state, time in it, last PC, callback.</summary>
    public string Describe()
    {
        VCpuState state;
        long since;
        lock (_gate)
        {
            state = _state;
            since = _stateSince;
        }
        string? cb = _inCallback;
        string inside = cb == null ? "" : $", inside callback '{cb}' for {HostSync.SecondsSince(_callbackSince):F3} s";
        return $"vCPU {Index}: {state} for {HostSync.SecondsSince(since):F3} s, last pc 0x{_exec.ProgramCounter:x}{inside}";
    }

    public string? CurrentCallback => _inCallback;
}

/// <summary>
/// Work to run on a vCPU thread. Synchronous callers wait on <see cref="_gate"/> for
/// <see cref="_done"/> with a deadline.
/// </summary>
internal sealed class WorkItem(Action<VCpu> action)
{
    /// <summary>The hart the work is for (<see cref="VCpu.CurrentHart"/> while it runs), or -1 for the vCPU's own.</summary>
    public int Hart { get; init; } = -1;

    private readonly object _gate = new();
    private bool _done; // guarded by _gate
    private bool _cancelled; // guarded by _gate
    private Exception? _error;

    public void Run(VCpu vcpu)
    {
        try
        {
            action(vcpu);
        }
        catch (Exception ex)
        {
            _error = ex;
        }
        lock (_gate)
        {
            _done = true;
            Monitor.PulseAll(_gate);
        }
    }

    public void Cancel()
    {
        lock (_gate)
        {
            _cancelled = true;
            _done = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits for completion; false if the deadline passed or the vCPU exited first.</summary>
    public bool Wait(long deadline)
    {
        lock (_gate)
        {
            while (!_done)
            {
                if (!HostSync.WaitUntil(_gate, deadline)) return false;
            }
            if (_error != null) throw new InvalidOperationException("run-on-vCPU work failed", _error);
            return !_cancelled;
        }
    }
}
