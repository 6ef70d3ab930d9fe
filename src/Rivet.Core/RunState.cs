namespace Rivet;

/// <summary>The machine's run state, with QMP's names (query-status).</summary>
public enum RunState
{
    Prelaunch,
    Running,
    Paused,
    /// <summary>Stopped by the gdb stub: a breakpoint, watchpoint or finished step (QMP "debug").</summary>
    Debug,
    Shutdown,
    GuestPanicked,
    InternalError,
}

/// <summary>Why a shutdown or reset was requested, with QMP's ShutdownCause names.</summary>
public enum ShutdownCause
{
    None,
    HostError,
    HostQmpQuit,
    HostQmpSystemReset,
    HostSignal,
    HostUi,
    GuestShutdown,
    GuestReset,
    GuestPanic,
    SubsystemReset,
}

public static class RunStateNames
{
    public static string QmpName(this RunState s) => s switch
    {
        RunState.Prelaunch => "prelaunch",
        RunState.Running => "running",
        RunState.Paused => "paused",
        RunState.Debug => "debug",
        RunState.Shutdown => "shutdown",
        RunState.GuestPanicked => "guest-panicked",
        _ => "internal-error",
    };

    public static string QmpName(this ShutdownCause c) => c switch
    {
        ShutdownCause.None => "none",
        ShutdownCause.HostError => "host-error",
        ShutdownCause.HostQmpQuit => "host-qmp-quit",
        ShutdownCause.HostQmpSystemReset => "host-qmp-system-reset",
        ShutdownCause.HostSignal => "host-signal",
        ShutdownCause.HostUi => "host-ui",
        ShutdownCause.GuestShutdown => "guest-shutdown",
        ShutdownCause.GuestReset => "guest-reset",
        ShutdownCause.GuestPanic => "guest-panic",
        _ => "subsystem-reset",
    };

    /// <summary>True for causes that come from the guest (QMP's "guest" flag).</summary>
    public static bool IsGuest(this ShutdownCause c) => c is ShutdownCause.GuestShutdown or ShutdownCause.GuestReset or ShutdownCause.GuestPanic;
}
