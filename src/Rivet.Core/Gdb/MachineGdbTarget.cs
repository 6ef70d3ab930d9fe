using Rivet.Cpu;
using Rivet.Machine;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;
using Rivet.Qmp;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Gdb;

/// <summary>
/// The gdb stub's machine (docs/GDB.md, "On the lifecycle"): every stop goes through the
/// controller's pause, so all harts are stopped before a stop reply is sent, and QMP, signals and
/// the exit deadline keep working while gdb is attached. A hart that hits a breakpoint,
/// watchpoint or the end of a step stops itself and posts a debug stop (run state debug); gdb's
/// Ctrl-C and QMP's stop are ordinary pauses (T02).
/// </summary>
internal sealed class MachineGdbTarget : IGdbTarget
{
    private readonly RivetMachine _machine;
    private readonly Controller _controller;
    private readonly Hart[] _harts;
    private readonly DebugPoints _points = new();
    private readonly Hmp _monitor;

    // Guards the fields up to the next blank line.
    private readonly object _gate = new();
    private bool _waiting;       // gdb resumed (or interrupted) the machine and waits for a stop reply
    private int _debugHart = -1; // the hart whose debug stop the next STOP reports
    private int _currentHart;    // the hart an interrupt's reply names (QEMU: the continue thread)
    private bool _exited;

    public MachineGdbTarget(RivetMachine machine)
    {
        _machine = machine;
        _controller = machine.Controller;
        _harts = machine.Board.Harts;
        foreach (Hart h in _harts) h.DebugPoints = _points;
        _controller.DebugStopping = OnDebugStopping;
        machine.Event += OnMachineEvent;
        _monitor = new Hmp(new GdbHmpHost(machine));
    }

    public int HartCount => _harts.Length;

    public event Action<GdbStop>? Stopped;

    public bool Attach()
    {
        lock (_gate)
        {
            if (_exited) return false;
            _waiting = false;
        }
        // As QEMU: a debugger that connects stops the machine (a -S machine stays in prelaunch).
        if (_controller.RunState == RunState.Running) _controller.Pause();
        return !_controller.HasExited;
    }

    public void Detach()
    {
        lock (_gate)
        {
            _waiting = false;
            _debugHart = -1;
        }
        if (_controller.VCpus.Count == 1 && _controller.VCpus[0].Executor is IcountExecutor icount) icount.Held = null;
        bool stopped = _controller.RunState != RunState.Running;
        if (!stopped) _controller.Pause();
        _points.Clear();
        foreach (Hart h in _harts)
        {
            h.SingleStep = false;
            h.DebugPointsChanged();
        }
        _controller.Resume();
    }

    public void Kill()
    {
        _machine.Diagnostics.WriteLine("rivet: terminated via GDBstub");
        _controller.RequestShutdown(ShutdownCause.HostUi, 0);
    }

    public void Interrupt()
    {
        lock (_gate)
        {
            if (!_waiting) return;
        }
        _controller.PostPause("gdb");
    }

    public bool Resume(IReadOnlyCollection<int> step, bool othersRun) => ResumeSome(step, othersRun ? null : step);

    public bool ResumeHarts(IReadOnlyCollection<int> step, IReadOnlyCollection<int> run) => ResumeSome(step, [.. step, .. run]);

    public bool IsHalted(int hart) => _harts[hart].Halted;

    /// <summary>Steps <paramref name="step"/> and runs <paramref name="released"/> (null: every hart); the rest stay stopped.</summary>
    private bool ResumeSome(IReadOnlyCollection<int> step, IReadOnlyCollection<int>? released)
    {
        if (_controller.HasExited) return false;
        // QMP may have resumed the machine behind gdb's back: stop it before touching the harts.
        if (_controller.RunState == RunState.Running) _controller.Pause();
        if (_controller.RunState is RunState.Shutdown or RunState.GuestPanicked or RunState.InternalError) return false;
        foreach (int i in step) _harts[i].SingleStep = true;
        lock (_gate)
        {
            _waiting = true;
            _debugHart = -1;
            if (step.Count > 0) _currentHart = step.First();
            else if (released is { Count: > 0 }) _currentHart = released.First();
        }
        bool ok;
        IcountExecutor? icount = _controller.VCpus.Count == 1 ? _controller.VCpus[0].Executor as IcountExecutor : null;
        if (released == null)
        {
            if (icount != null) icount.Held = null;
            ok = _controller.Resume();
        }
        else
        {
            bool[] run = new bool[_harts.Length];
            foreach (int i in released) run[i] = true;
            // One thread runs every hart under -icount: the others are skipped, not stopped.
            if (icount != null) icount.Held = [.. run.Select(r => !r)];
            ok = _controller.Resume(run);
        }
        if (!ok)
        {
            lock (_gate)
            {
                _waiting = false;
            }
            foreach (int i in step) _harts[i].SingleStep = false;
        }
        return ok;
    }

    public bool TryReadRegister(int hart, RegisterDescriptor register, out ulong value)
    {
        Hart h = _harts[hart];
        switch (register.Kind)
        {
            case RegisterKind.X:
                value = h.ReadRegister(register.Number);
                return true;
            case RegisterKind.Pc:
                value = h.Pc;
                return true;
            case RegisterKind.F:
                value = h.ReadF(register.Number);
                return true;
            case RegisterKind.Priv:
                value = (ulong)h.Privilege;
                return true;
            default:
                return h.TryReadCsrDebug(register.Number, out value);
        }
    }

    public bool TryWriteRegister(int hart, RegisterDescriptor register, ulong value)
    {
        Hart h = _harts[hart];
        switch (register.Kind)
        {
            case RegisterKind.X:
                h.WriteRegister(register.Number, value); // x0 ignores it
                return true;
            case RegisterKind.Pc:
                h.RedirectPc(value & ~1UL, fromExecuteCallback: false);
                return true;
            case RegisterKind.F:
                h.WriteF(register.Number, value);
                return true;
            case RegisterKind.Priv:
                if (value is not (Priv.User or Priv.Supervisor or Priv.Machine)) return false;
                h.SetPrivilege((int)value);
                return true;
            default:
                return h.TryWriteCsrDebug(register.Number, value);
        }
    }

    public bool ReadMemory(int hart, ulong address, Span<byte> destination, bool physical)
        => physical ? _machine.ReadPhysicalMemory(address, destination) : _machine.ReadVirtualMemory(hart, address, destination);

    public bool WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source, bool physical)
    {
        Hart h = _harts[hart];
        while (!source.IsEmpty)
        {
            int n = (int)Math.Min((ulong)source.Length, Memory.PhysicalMemory.PageSize - (address & (Memory.PhysicalMemory.PageSize - 1)));
            ulong pa = address;
            if (!physical && !_machine.TranslateForDebug(hart, address, out pa)) return false;
            if (h.WritePhysical(pa, source[..n]) != GuestAccess.Ok) return false;
            source = source[n..];
            address = unchecked(address + (ulong)n);
        }
        return true;
    }

    public bool InsertBreakpoint(ulong address) => Changed(_points.InsertBreakpoint(address));

    public bool RemoveBreakpoint(ulong address) => Changed(_points.RemoveBreakpoint(address));

    public bool InsertWatchpoint(ulong address, ulong length, GdbWatchKind kind) => Changed(_points.InsertWatchpoint(address, length, ToCpu(kind)));

    public bool RemoveWatchpoint(ulong address, ulong length, GdbWatchKind kind) => Changed(_points.RemoveWatchpoint(address, length, ToCpu(kind)));

    /// <summary>As QEMU's gdb monitor: its own current CPU (the first until 'cpu N'), whichever thread gdb has selected.</summary>
    public string MonitorCommand(int hart, string line) => Hmp.ToTerminal(_monitor.Execute(line));

    private bool Changed(bool ok)
    {
        // Every hart is stopped (all-stop): each drops the decodes the change affects.
        foreach (Hart h in _harts) h.DebugPointsChanged();
        return ok;
    }

    private static WatchKind ToCpu(GdbWatchKind kind) => kind switch
    {
        GdbWatchKind.Read => WatchKind.Read,
        GdbWatchKind.Access => WatchKind.Access,
        _ => WatchKind.Write,
    };

    private static GdbWatchKind ToGdb(WatchKind kind) => kind switch
    {
        WatchKind.Read => GdbWatchKind.Read,
        WatchKind.Access => GdbWatchKind.Access,
        _ => GdbWatchKind.Write,
    };

    // On the main loop, before the pause that stops the other harts.
    private void OnDebugStopping(int vcpu)
    {
        lock (_gate)
        {
            _debugHart = vcpu;
        }
    }

    // On the main loop, no lock held: STOP comes after every vCPU has stopped.
    private void OnMachineEvent(MachineEvent e)
    {
        GdbStop stop;
        if (e.Name == "SHUTDOWN" && _machine.IsFinalShutdown(e))
        {
            lock (_gate)
            {
                if (_exited) return;
                _exited = true;
                _waiting = false;
            }
            // QEMU 7.2 sends W00 at every exit (gdb_exit(0) in qemu_cleanup).
            stop = new GdbStop(GdbStopReason.Exited, 0);
        }
        else if (e.Name == "STOP")
        {
            int hart;
            lock (_gate)
            {
                if (!_waiting)
                {
                    _debugHart = -1;
                    return;
                }
                _waiting = false;
                hart = _debugHart;
                _debugHart = -1;
                if (hart < 0) hart = _currentHart;
                else _currentHart = hart;
            }
            // The hart the stop names, or (one vCPU thread running every hart: -icount) the first with an event.
            DebugEvent? debug = null;
            int first = -1;
            DebugEvent? firstEvent = null;
            foreach (Hart h in _harts)
            {
                DebugEvent? ev = h.TakeDebugEvent();
                if (h.HartId == hart) debug = ev;
                if (ev != null && first < 0)
                {
                    first = h.HartId;
                    firstEvent = ev;
                }
                h.SingleStep = false;
            }
            if (debug == null && firstEvent != null)
            {
                debug = firstEvent;
                hart = first;
                lock (_gate)
                {
                    _currentHart = hart;
                }
            }
            stop = debug is { Kind: DebugStopKind.Watchpoint } w
                ? new GdbStop(GdbStopReason.Watchpoint, hart, w.WatchAddress, ToGdb(w.Watch))
                : debug != null ? new GdbStop(GdbStopReason.Trap, hart)
                : _controller.RunState == RunState.Shutdown ? new GdbStop(GdbStopReason.Shutdown, hart)
                : new GdbStop(GdbStopReason.Interrupt, hart);
        }
        else
        {
            return;
        }
        Stopped?.Invoke(stop);
    }

    /// <summary>The human monitor behind qRcmd: run control as the monitor's own commands do it.</summary>
    private sealed class GdbHmpHost(RivetMachine machine) : IHmpHost
    {
        public RivetMachine Machine => machine;
        public string? Name => null;
        public string Package => "";
        public RunState ReportedRunState() => machine.RunState;
        public void RequestQuit() => machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0);

        public string? RunControl(string what)
        {
            bool ok = what switch
            {
                "stop" => machine.Pause(),
                "cont" => machine.Resume(),
                "system_reset" => machine.Reset(),
                _ => Powerdown(),
            };
            return ok ? null : $"{what} failed";
        }

        private bool Powerdown()
        {
            machine.Powerdown();
            return true;
        }
    }
}
