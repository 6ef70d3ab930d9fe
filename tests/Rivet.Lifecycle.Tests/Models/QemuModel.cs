namespace Rivet.Lifecycle.Tests.Models;

/// <summary>
/// A QemuCond: a condition variable bound to an external mutex (QEMU's qemu_cond_wait(cond, mutex)).
/// The caller holds <c>mutex</c> (a Monitor) when it waits or broadcasts. Correct by itself: a
/// broadcast made under the mutex after the waiter released it always reaches the waiter.
/// </summary>
internal sealed class QemuCond
{
    private readonly object _cv = new();

    public void Wait(object mutex)
    {
        lock (_cv)
        {
            Monitor.Exit(mutex);
            Monitor.Wait(_cv);
        }
        Monitor.Enter(mutex);
    }

    public void Broadcast()
    {
        lock (_cv)
        {
            Monitor.PulseAll(_cv);
        }
    }
}

/// <summary>The three routes to the hang of LIFECYCLE.md, each switched on alone.</summary>
public enum HangRoute
{
    /// <summary>The control: QEMU's protocol with none of the three misbehaviours. It must never hang.</summary>
    None,
    /// <summary>(a) The vCPU idle callback drops the big lock between the idle check and the wait: a kick in that window is lost.</summary>
    LostKick,
    /// <summary>(b) A resume from another thread clears a pending stop while the pauser sleeps; the pauser only re-kicks.</summary>
    ErasedPause,
    /// <summary>(c) One vCPU is inside a callback waiting for something only the pauser would release.</summary>
    StuckCallback,
}

/// <summary>
/// A small, faithful model of QEMU's vCPU pause protocol (softmmu/cpus.c, accel/tcg's MTTCG
/// thread, plugins' idle/resume callbacks), written the way QEMU writes it: one big lock (BQL),
/// per-vCPU <c>stop</c>/<c>stopped</c>/<c>halted</c> flags under it, a <c>halt_cond</c> per vCPU
/// and one <c>qemu_pause_cond</c>, kicks that broadcast the halt condition. Only the misbehaviour
/// of the chosen <see cref="HangRoute"/> is present; every other interleaving pauses and exits.
/// </summary>
internal sealed class QemuModel
{
    private sealed class CpuState(int index)
    {
        public readonly int Index = index;
        public readonly QemuCond HaltCond = new();
        public bool Stop;      // BQL
        public bool Stopped;   // BQL
        public bool Unplug;    // BQL
        public bool Halted;    // vCPU thread (WFI), read under BQL
        public int ExitRequest; // cpu_exit(): atomic
        public int GuestBlocks;
        public Thread? Thread;
    }

    private readonly object _bql = new();
    private readonly QemuCond _pauseCond = new();
    private readonly CpuState[] _cpus;
    private readonly HangRoute _route;
    private readonly int _guestBlocks;

    // Route (c): the plugin's request, served by the main loop once it has finished pausing.
    private readonly object _pluginLock = new();
    private bool _pluginRequestServed;

    public QemuModel(HangRoute route, int vcpus, int guestBlocks = 2)
    {
        _route = route;
        _guestBlocks = guestBlocks;
        _cpus = Enumerable.Range(0, vcpus).Select(i => new CpuState(i)).ToArray();
    }

    /// <summary>The main thread: start the vCPUs, pause them all (e.g. SIGTERM cleanup), then unplug and join them.</summary>
    public void Run()
    {
        foreach (CpuState cpu in _cpus)
        {
            CpuState c = cpu;
            c.Thread = new Thread(() => VCpuThread(c));
            c.Thread.Start();
        }
        Thread? resumer = null;
        if (_route == HangRoute.ErasedPause)
        {
            // Another thread (a monitor 'cont', a plugin) resumes vCPU 0 while we pause.
            resumer = new Thread(() =>
            {
                lock (_bql)
                {
                    CpuResume(_cpus[0]);
                }
            });
            resumer.Start();
        }

        Monitor.Enter(_bql);
        PauseAllVCpus();
        Monitor.Exit(_bql);

        resumer?.Join();
        if (_route == HangRoute.StuckCallback)
        {
            // The main loop gets to the plugin's request only after the pause.
            lock (_pluginLock)
            {
                _pluginRequestServed = true;
                Monitor.PulseAll(_pluginLock);
            }
        }

        Monitor.Enter(_bql);
        foreach (CpuState cpu in _cpus) CpuRemoveSync(cpu);
        Monitor.Exit(_bql);
    }

    // ---- softmmu/cpus.c ----

    private static void QemuCpuKick(CpuState cpu)
    {
        cpu.HaltCond.Broadcast();
        Interlocked.Exchange(ref cpu.ExitRequest, 1); // cpu_exit()
    }

    private bool AllVCpusPaused() => _cpus.All(c => c.Stopped);

    /// <summary>pause_all_vcpus(): called with the BQL held.</summary>
    private void PauseAllVCpus()
    {
        foreach (CpuState cpu in _cpus)
        {
            cpu.Stop = true;
            QemuCpuKick(cpu);
        }
        while (!AllVCpusPaused())
        {
            _pauseCond.Wait(_bql);
            // Re-kick, never re-ask: a stop that was cleared meanwhile stays cleared.
            foreach (CpuState cpu in _cpus) QemuCpuKick(cpu);
        }
    }

    /// <summary>cpu_resume(): BQL held.</summary>
    private static void CpuResume(CpuState cpu)
    {
        cpu.Stop = false;
        cpu.Stopped = false;
        QemuCpuKick(cpu);
    }

    /// <summary>cpu_remove_sync(): BQL held; drops it while joining.</summary>
    private void CpuRemoveSync(CpuState cpu)
    {
        cpu.Stop = true;
        cpu.Unplug = true;
        QemuCpuKick(cpu);
        Monitor.Exit(_bql);
        cpu.Thread!.Join();
        Monitor.Enter(_bql);
    }

    private static bool CpuIsStopped(CpuState cpu) => cpu.Stopped; // || !runstate_is_running(): the run state is not modelled

    private static bool CpuThreadIsIdle(CpuState cpu)
    {
        if (cpu.Stop) return false;
        if (CpuIsStopped(cpu)) return true;
        if (!cpu.Halted) return false; // || cpu_has_work(): no interrupts in this model
        return true;
    }

    private static bool CpuCanRun(CpuState cpu) => !cpu.Stop && !CpuIsStopped(cpu);

    /// <summary>qemu_wait_io_event(): BQL held.</summary>
    private void QemuWaitIoEvent(CpuState cpu)
    {
        bool slept = false;
        while (CpuThreadIsIdle(cpu))
        {
            if (!slept)
            {
                slept = true;
                PluginVCpuIdleCallback(cpu);
            }
            // The predicate is not evaluated again after the callback: the hole of route (a).
            cpu.HaltCond.Wait(_bql);
        }
        if (slept) PluginVCpuResumeCallback(cpu);
        QemuWaitIoEventCommon(cpu);
    }

    private void QemuWaitIoEventCommon(CpuState cpu)
    {
        if (cpu.Stop)
        {
            cpu.Stop = false;
            cpu.Stopped = true;
            _pauseCond.Broadcast();
        }
    }

    /// <summary>accel/tcg: the MTTCG vCPU thread.</summary>
    private void VCpuThread(CpuState cpu)
    {
        Monitor.Enter(_bql);
        do
        {
            if (CpuCanRun(cpu))
            {
                Monitor.Exit(_bql);
                TcgCpuExec(cpu);
                Monitor.Enter(_bql);
                Interlocked.Exchange(ref cpu.ExitRequest, 0);
            }
            QemuWaitIoEvent(cpu);
        }
        while (!cpu.Unplug || CpuCanRun(cpu));
        Monitor.Exit(_bql);
    }

    /// <summary>Guest code, without the BQL: a few blocks, then WFI (halted).</summary>
    private void TcgCpuExec(CpuState cpu)
    {
        if (cpu.Halted) return; // cpu_handle_halt: nothing pending, stay halted
        while (cpu.GuestBlocks < _guestBlocks)
        {
            if (Interlocked.CompareExchange(ref cpu.ExitRequest, 0, 0) != 0) return;
            cpu.GuestBlocks++;
            Thread.Yield();
            if (_route == HangRoute.StuckCallback && cpu.Index == _cpus.Length - 1 && cpu.GuestBlocks == 1)
            {
                PluginInsnCallbackWaitingForMainLoop();
            }
        }
        cpu.Halted = true; // helper_wfi
    }

    // ---- plugins ----

    private void PluginVCpuIdleCallback(CpuState cpu)
    {
        if (_route != HangRoute.LostKick) return;
        // A slow plugin that lets go of the BQL for a moment (bql_unlock(); ...; bql_lock()), as a
        // callback that waits on a condition bound to the BQL does.
        Monitor.Exit(_bql);
        Thread.Yield();
        Thread.Yield();
        Monitor.Enter(_bql);
    }

    private static void PluginVCpuResumeCallback(CpuState cpu)
    {
        _ = cpu;
    }

    /// <summary>Route (c): a callback that asks the main loop for something and waits for the answer.</summary>
    private void PluginInsnCallbackWaitingForMainLoop()
    {
        lock (_pluginLock)
        {
            while (!_pluginRequestServed) Monitor.Wait(_pluginLock);
        }
    }
}
