namespace Rivet.Cpu;

/// <summary>What kind of discontinuity a hart reports (the values of Rivet.Plugins.DisconType).</summary>
internal enum DisconKind
{
    Interrupt = 1,
    Exception = 2,
    TrapReturn = 8,
}

/// <summary>Told of every trap and return from trap, on the hart's thread, after the pc is redirected.</summary>
internal interface IHartDiscon
{
    void OnDiscon(Hart hart, DisconKind kind, ulong cause, ulong fromPc, ulong toPc, ulong tval);
}

/// <summary>
/// Plugin hooks outside the instrumented interpreter: discontinuities (traps and trap returns,
/// which are never on the fast path: one null test per trap) and instrumentation flushes (checked
/// once per <see cref="Run"/> call, so a flush reaches a running hart at its next kick).
/// </summary>
internal sealed partial class Hart
{
    private volatile int _flushRequests; // bumped by any thread
    private int _flushesSeen;            // the hart's own thread

    /// <summary>Set while the hart is stopped (or before it runs); null means no plugin watches traps.</summary>
    public IHartDiscon? Discon { get; set; }

    /// <summary>Drops the instrumented blocks at the next <see cref="Run"/> and kicks the hart so that comes soon. Any thread.</summary>
    public void FlushInstrumentation()
    {
        Interlocked.Increment(ref _flushRequests);
        RequestExit();
    }

    private void ApplyInstrumentationFlush()
    {
        int requested = _flushRequests;
        if (requested == _flushesSeen) return;
        _flushesSeen = requested;
        ResetInstrumentationState();
        FlushCodeCache(); // blocks live with their decoded pages: a new epoch re-translates them all
    }

    private void ReportDiscon(DisconKind kind, ulong cause, ulong fromPc, ulong tval)
    {
        if (Discon is { } d) d.OnDiscon(this, kind, cause, fromPc, Pc, tval);
    }
}
