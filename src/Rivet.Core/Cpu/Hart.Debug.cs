namespace Rivet.Cpu;

// TEMPORARY stand-in for the hartdebug branch's API (replaced at merge).
internal enum WatchKind { Write, Read, Access }

internal enum DebugStopKind { Breakpoint, Step, Watchpoint }

internal readonly record struct DebugEvent(DebugStopKind Kind, ulong Pc, ulong WatchAddress = 0, WatchKind Watch = WatchKind.Write);

internal sealed class DebugPoints
{
    public bool InsertBreakpoint(ulong va) => va == 0;
    public bool RemoveBreakpoint(ulong va) => va == 0;
    public bool InsertWatchpoint(ulong va, ulong length, WatchKind kind) => va == 0 && length == 0 && kind == WatchKind.Write;
    public bool RemoveWatchpoint(ulong va, ulong length, WatchKind kind) => va == 0 && length == 0 && kind == WatchKind.Write;
    public void Clear() { }
}

internal sealed unsafe partial class Hart
{
    internal DebugPoints? DebugPoints { get; set; }
    internal bool SingleStep { get; set; }
    internal DebugEvent? TakeDebugEvent() => null;
    internal void DebugPointsChanged() { }
}
