using System.Reflection;
using System.Runtime.InteropServices;
using Rivet.Machine;

namespace Rivet.Cli;

/// <summary>
/// SIGTERM, SIGINT and SIGHUP only post a shutdown request (cause host-signal); the main loop
/// reports "terminating on signal N" when it takes the request, as QEMU does. A second SIGINT
/// while shutting down exits at once with <see cref="ExitCodes.Interrupted"/>.
/// </summary>
/// <remarks>
/// <para>.NET's own dispatch hands every SIGTERM and SIGINT from its signal thread to a newly
/// created thread; creating and scheduling that thread costs milliseconds when guests keep every
/// core busy. Posting a request never blocks, so rivet takes the signals on the runtime's signal
/// thread itself: the registrations below install the runtime's signal handlers (and stay the
/// fallback), then <c>SystemNative_SetPosixSignalHandler</c>, the hook those registrations use
/// inside the runtime, is pointed at <see cref="OnSignalThread"/>. It is an internal export of
/// .NET's libSystem.Native (checked on .NET 10); if it is missing, the registrations' handlers do
/// the same work on the runtime's handler thread.</para>
/// <para>Any other signal (a plugin may register its own) goes on to the runtime's dispatcher,
/// <c>PosixSignalRegistration.OnPosixSignal</c>, exactly as without the hook; if that cannot be
/// found, the hook is not installed.</para>
/// </remarks>
internal sealed class SignalHandlers : IDisposable
{
    private const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15;

    private static SignalHandlers? s_active;
    private static unsafe delegate* unmanaged<int, int, int> s_runtimeDispatch;

    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly object _gate = new();
    private Machine.Machine? _machine; // guarded by _gate
    private int _signal;               // guarded by _gate: the first shutdown signal (0: none yet)
    private int _interrupts;

    public SignalHandlers()
    {
        foreach (PosixSignal sig in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            _registrations.Add(PosixSignalRegistration.Create(sig, ctx =>
            {
                ctx.Cancel = true; // we exit through the shutdown path
                Handle(ctx.Signal switch { PosixSignal.SIGTERM => SIGTERM, PosixSignal.SIGINT => SIGINT, _ => SIGHUP });
            }));
        }
        s_active = this;
        _ = TryInstallHook();
        // The rivet launcher starts the runtime with the three blocked, so that one arriving
        // during start-up waits for these handlers; a pending one is delivered here.
        UnblockShutdownSignals();
    }

    /// <summary>Hands over to the machine; false if a shutdown signal already arrived.</summary>
    public bool Attach(Machine.Machine machine)
    {
        lock (_gate)
        {
            _machine = machine;
            return _signal == 0;
        }
    }

    /// <summary>"terminating on signal N" once a signal caused the shutdown; null otherwise.</summary>
    public string? TerminationMessage
    {
        get
        {
            lock (_gate)
            {
                // Literals: formatting a number on the way out would first load culture data.
                return _signal switch
                {
                    SIGTERM => "rivet: terminating on signal 15",
                    SIGINT => "rivet: terminating on signal 2",
                    SIGHUP => "rivet: terminating on signal 1",
                    _ => null,
                };
            }
        }
    }

    private void Handle(int signo)
    {
        if (signo == SIGINT && Interlocked.Increment(ref _interrupts) > 1)
        {
            // Not on the signal thread: exiting runs the runtime's exit handlers, which may need it.
            new Thread(() =>
            {
                Console.Error.WriteLine("rivet: second interrupt, exiting at once");
                Environment.Exit(ExitCodes.Interrupted);
            })
            { Name = "interrupt-exit" }.Start();
            return;
        }
        Machine.Machine? m;
        lock (_gate)
        {
            if (_signal == 0) _signal = signo;
            m = _machine;
        }
        m?.RequestShutdown(ShutdownCause.HostSignal, 0);
    }

    /// <summary>Installs the hook; false (signals take the registrations' path) where it cannot.</summary>
    private static unsafe bool TryInstallHook()
    {
        if (!OperatingSystem.IsLinux()) return false;
        MethodInfo? dispatch = typeof(PosixSignalRegistration).GetMethod("OnPosixSignal", BindingFlags.NonPublic | BindingFlags.Static, [typeof(int), typeof(PosixSignal)]);
        if (dispatch == null || !dispatch.IsDefined(typeof(UnmanagedCallersOnlyAttribute), false)) return false;
        try
        {
            // For an [UnmanagedCallersOnly] method this is its native entry point.
            s_runtimeDispatch = (delegate* unmanaged<int, int, int>)dispatch.MethodHandle.GetFunctionPointer();
            SetPosixSignalHandler(&OnSignalThread);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Called by the runtime's signal thread; 1 = handled (the default action is cancelled).</summary>
    [UnmanagedCallersOnly]
    private static unsafe int OnSignalThread(int signo, int posixSignal)
    {
        if (signo is not (SIGTERM or SIGINT or SIGHUP) || s_active is not { } active) return s_runtimeDispatch(signo, posixSignal);
        try
        {
            active.Handle(signo);
        }
        catch (Exception)
        {
            // Nothing may escape to native code; the request is posted before anything can throw.
        }
        return 1;
    }

    /// <summary>Unblocks SIGTERM, SIGINT and SIGHUP on this thread (threads it starts inherit that).</summary>
    private static unsafe void UnblockShutdownSignals()
    {
        if (!OperatingSystem.IsLinux()) return;
        // glibc's sigset_t: 1024 bits, signal n at bit n - 1.
        ulong* set = stackalloc ulong[16];
        new Span<ulong>(set, 16).Clear();
        set[0] = (1UL << (SIGHUP - 1)) | (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1));
        try
        {
            _ = PthreadSigmask(SIG_UNBLOCK, set, null);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: nothing was blocked by the launcher either.
        }
    }

    private const int SIG_UNBLOCK = 1;

    [DllImport("libc", EntryPoint = "pthread_sigmask")]
    private static extern unsafe int PthreadSigmask(int how, ulong* set, ulong* oldSet);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_SetPosixSignalHandler")]
    private static extern unsafe void SetPosixSignalHandler(delegate* unmanaged<int, int, int> handler);

    public void Dispose()
    {
        foreach (PosixSignalRegistration r in _registrations) r.Dispose();
    }
}
