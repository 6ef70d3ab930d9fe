using System.Collections.Frozen;
using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>gdb's Z2 (write), Z3 (read) and Z4 (access) watchpoints.</summary>
internal enum WatchKind
{
    Write,
    Read,
    Access,
}

internal enum DebugStopKind
{
    Breakpoint,
    Step,
    Watchpoint,
}

/// <summary>
/// Why <see cref="Hart.Run"/> returned <see cref="ExecExit.Debug"/>. <paramref name="Pc"/> is where
/// the hart stands now (the pc gdb will see); a watchpoint carries the watched range's start and
/// kind (as QEMU 7.2 reports them: <c>watch:</c>, <c>rwatch:</c>, <c>awatch:</c> with wp->vaddr).
/// </summary>
internal readonly record struct DebugEvent(DebugStopKind Kind, ulong Pc, ulong WatchAddress = 0, WatchKind Watch = WatchKind.Write);

/// <summary>
/// Debug points shared by every hart of a machine (gdb's breakpoints are global). Changed only while
/// every hart is stopped (all-stop), from a non-vCPU thread; harts read it on their own thread. Each
/// change publishes new immutable snapshots, so a reader never sees a half-made change. As QEMU's
/// lists, a point may be inserted twice; a removal takes one away.
/// </summary>
internal sealed class DebugPoints
{
    /// <summary>One watched range, as gdb gave it.</summary>
    internal readonly record struct Watchpoint(ulong Address, ulong Length, WatchKind Kind)
    {
        /// <summary>QEMU's watchpoint_address_matches: any byte of the access in the range.</summary>
        public bool Overlaps(ulong address, ulong size) => address - Address < Length || Address - address < size;
    }

    private readonly object _gate = new();
    private readonly Dictionary<ulong, int> _breakpoints = [];
    private readonly List<Watchpoint> _watchpoints = [];
    private volatile FrozenSet<ulong> _breakSet = FrozenSet<ulong>.Empty;
    private volatile Watchpoint[] _watchSet = [];

    public bool InsertBreakpoint(ulong va)
    {
        lock (_gate)
        {
            _breakpoints[va] = _breakpoints.GetValueOrDefault(va) + 1;
            _breakSet = _breakpoints.Keys.ToFrozenSet();
        }
        return true;
    }

    /// <summary>False if there is none at <paramref name="va"/>.</summary>
    public bool RemoveBreakpoint(ulong va)
    {
        lock (_gate)
        {
            if (!_breakpoints.TryGetValue(va, out int count)) return false;
            if (count > 1) _breakpoints[va] = count - 1;
            else _breakpoints.Remove(va);
            _breakSet = _breakpoints.Keys.ToFrozenSet();
        }
        return true;
    }

    /// <summary>False (as QEMU's -EINVAL) for an empty range or one that wraps around the address space.</summary>
    public bool InsertWatchpoint(ulong va, ulong length, WatchKind kind)
    {
        if (length == 0 || va + (length - 1) < va) return false;
        lock (_gate)
        {
            // Newest first, as QEMU puts gdb's watchpoints at the head of its list: the first match is reported.
            _watchpoints.Insert(0, new Watchpoint(va, length, kind));
            _watchSet = [.. _watchpoints];
        }
        return true;
    }

    /// <summary>False if no watchpoint has exactly this range and kind.</summary>
    public bool RemoveWatchpoint(ulong va, ulong length, WatchKind kind)
    {
        lock (_gate)
        {
            int i = _watchpoints.IndexOf(new Watchpoint(va, length, kind));
            if (i < 0) return false;
            _watchpoints.RemoveAt(i);
            _watchSet = [.. _watchpoints];
        }
        return true;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _breakpoints.Clear();
            _watchpoints.Clear();
            _breakSet = FrozenSet<ulong>.Empty;
            _watchSet = [];
        }
    }

    public bool HasBreakpoints => _breakSet.Count != 0;

    public bool HasWatchpoints => _watchSet.Length != 0;

    public bool HasBreakpoint(ulong va) => _breakSet.Contains(va);

    /// <summary>The breakpoints in [<paramref name="start"/>, start + <paramref name="length"/>).</summary>
    public IEnumerable<ulong> BreakpointsIn(ulong start, ulong length) => _breakSet.Where(a => a - start < length);

    /// <summary>The first watchpoint an access of <paramref name="size"/> bytes at <paramref name="address"/> hits, if any.</summary>
    public Watchpoint? Hit(ulong address, int size, bool read, bool write)
    {
        foreach (Watchpoint w in _watchSet)
        {
            bool kind = w.Kind switch { WatchKind.Write => write, WatchKind.Read => read, _ => true };
            if (kind && w.Overlaps(address, (ulong)size)) return w;
        }
        return null;
    }
}

/// <summary>
/// gdb's view of a hart (docs/GDB.md "Breakpoints, steps and watchpoints in the hart"):
/// breakpoints are <see cref="Op.Breakpoint"/> marks written into decoded slots, so code without
/// one runs exactly as before; a single step runs one instruction from a private one-slot page in
/// a specialisation of the interpreter; watchpoints run the instrumented interpreter, whose memory
/// hooks see every access by virtual address.
/// </summary>
internal sealed unsafe partial class Hart
{
    private DebugPoints? _debugPoints;
    // Cached from _debugPoints by DebugPointsChanged, so the interpreter tests a field, not a set.
    private bool _breakpointsActive, _watchpointsActive;
    private DebugEvent? _debugEvent;
    private bool _stepStarted;        // a step has started its one instruction (the next one stops)
    private CodePage? _stepPage;      // the step's private page: one slot decoded, every other PageEnd

    /// <summary>Set before the hart runs or while it is stopped; null: no debugger.</summary>
    internal DebugPoints? DebugPoints
    {
        get => _debugPoints;
        set
        {
            _debugPoints = value;
            DebugPointsChanged();
        }
    }

    /// <summary>
    /// Set while stopped: every <see cref="Run"/> executes exactly one instruction (or takes the trap
    /// it raises, stopping at the handler's first instruction) with interrupts masked and timers not
    /// raised, ignoring breakpoints (QEMU: "singlestep overrides breakpoints"), then returns
    /// <see cref="ExecExit.Debug"/> with a <see cref="DebugStopKind.Step"/> event.
    /// </summary>
    internal bool SingleStep { get; set; }

    /// <summary>The run-mode specialisation the last <see cref="Run"/> used (tests: no debug point, no slower path).</summary>
    internal string LastRunMode { get; private set; } = "";

    /// <summary>Why the last <see cref="Run"/> returned <see cref="ExecExit.Debug"/> (once).</summary>
    internal DebugEvent? TakeDebugEvent()
    {
        DebugEvent? e = _debugEvent;
        _debugEvent = null;
        return e;
    }

    /// <summary>
    /// Called while the hart is stopped after points changed: every decoded page is dropped (a new
    /// code epoch), so breakpoints are marked, or unmarked, as the pages decode again.
    /// </summary>
    internal void DebugPointsChanged()
    {
        _breakpointsActive = _debugPoints?.HasBreakpoints == true;
        _watchpointsActive = _debugPoints?.HasWatchpoints == true;
        ResetInstrumentationState();
        FlushCodeCache();
    }

    /// <summary>After a slot decodes at virtual <paramref name="pc"/>: a breakpoint there replaces the op (Raw keeps the instruction).</summary>
    private void MarkBreakpoint(CodePage cp, DecodedInsn* slot, ulong pc)
    {
        if (_breakpointsActive && cp != _stepPage && _debugPoints!.HasBreakpoint(pc)) slot->Op = Op.Breakpoint;
    }

    /// <summary>A ROM page decodes whole: mark the breakpoints of the virtual page it is entered at.</summary>
    private void MarkBreakpoints(CodePage cp, ulong virtualPage)
    {
        cp.MarkVirtualPage = virtualPage;
        if (!_breakpointsActive) return;
        foreach (ulong a in _debugPoints!.BreakpointsIn(virtualPage, Memory.PhysicalMemory.PageSize))
        {
            if ((a & 1) == 0) cp.Slots[(a - virtualPage) >> 1].Op = Op.Breakpoint;
        }
    }

    /// <summary>
    /// The step's page for the instruction at <paramref name="pc"/>: every slot PageEnd but its own,
    /// undecoded (RAM: decoded on execution, unmarked) or copied from the ROM's decode.
    /// </summary>
    private CodePage StepPage(ulong pc, ulong physBase, CodePage? rom)
    {
        CodePage sp = _stepPage ??= new CodePage();
        int at = (int)((pc & (Memory.PhysicalMemory.PageSize - 1)) >> 1);
        Span<DecodedInsn> slots = sp.Slots.AsSpan(0, SlotsPerPage);
        slots.Fill(new DecodedInsn { Op = Op.PageEnd });
        if (rom == null)
        {
            slots[at] = default;
        }
        else
        {
            DecodedInsn insn = rom.Slots[at];
            slots[at] = insn.Op == Op.Breakpoint ? Decoder.Decode(insn.Raw) : insn;
        }
        if (sp.Blocks != null) Array.Clear(sp.Blocks);
        sp.Generation++;
        sp.Epoch = _codeEpoch;
        sp.PhysBase = physBase;
        sp.TiedToNext = false;
        return sp;
    }

    /// <summary>
    /// Before an instruction while watchpoints exist: does its access (by virtual address, from the
    /// registers it would use) touch a watched range of its kind? Then the event is recorded, and
    /// the hart stops before it (QEMU 7.2 on RISC-V stops before the access, reporting the range's start).
    /// </summary>
    private bool WatchHitBefore(DecodedInsn* d)
    {
        Op op = d->Op;
        ulong a;
        int size;
        bool read, write;
        switch (op)
        {
            case >= Op.Lb and <= Op.Lwu:
                a = _x[d->Rs1] + (ulong)(long)d->Imm;
                size = op switch { Op.Lb or Op.Lbu => 1, Op.Lh or Op.Lhu => 2, Op.Lw or Op.Lwu => 4, _ => 8 };
                (read, write) = (true, false);
                break;
            case >= Op.Sb and <= Op.Sd:
                a = _x[d->Rs1] + (ulong)(long)d->Imm;
                size = op switch { Op.Sb => 1, Op.Sh => 2, Op.Sw => 4, _ => 8 };
                (read, write) = (false, true);
                break;
            case >= Op.Flw and <= Op.Fsd:
                if (!FpEnabled) return false; // illegal: no access
                a = _x[d->Rs1] + (ulong)(long)d->Imm;
                size = op is Op.Flw or Op.Fsw ? 4 : 8;
                (read, write) = (op is Op.Flw or Op.Fld, op is Op.Fsw or Op.Fsd);
                break;
            case Op.LrW or Op.LrD:
                a = _x[d->Rs1];
                size = op == Op.LrW ? 4 : 8;
                (read, write) = (true, false);
                break;
            case Op.ScW or Op.ScD:
                // Without the reservation SC fails before any access; with it, QEMU's cmpxchg checks as a read and a write.
                a = _x[d->Rs1];
                if (_reservationAddress != a) return false;
                size = op == Op.ScW ? 4 : 8;
                (read, write) = (true, true);
                break;
            case >= Op.AmoswapW and <= Op.AmomaxuW:
            case >= Op.AmoswapD and <= Op.AmomaxuD:
                a = _x[d->Rs1];
                size = op <= Op.AmomaxuW ? 4 : 8;
                (read, write) = (true, true);
                break;
            default:
                return false;
        }
        if (_debugPoints!.Hit(a, size, read, write) is not { } w) return false;
        _debugEvent = new DebugEvent(DebugStopKind.Watchpoint, 0, w.Address, w.Kind); // pc: set when it stops
        return true;
    }
}
