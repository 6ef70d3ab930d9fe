// The Monitor layer (docs/ARCHITECTURE.md): QMP over sockets. Commands become requests on the
// public Machine API; run-state events come back from Machine.Event and go out to every client.
//
// What it owns: the listening sockets (and the Unix socket files), one accept loop per
// endpoint, and one thread per client ("qmp-client-N", QmpSession), which reads the client's
// commands, runs them (the run-control ones that wait block only that thread) and writes the
// replies; a small task per client sends the events. What it may call: the Machine API only. It
// never holds a lock of the lifecycle; the machine's main loop calls into it only through the
// Event handler, which queues each event to each client without waiting (bounded per client)
// and returns.
//
// The namespace is Rivet.Qmp, not Rivet.Monitor: a Rivet.Monitor namespace would shadow
// System.Threading.Monitor for every file in the Rivet.* namespaces.

using System.Net.Sockets;
using Rivet.Machine;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Qmp;

/// <summary>How a <see cref="QmpServer"/> presents itself and its limits.</summary>
public sealed record QmpServerOptions
{
    /// <summary>Rivet's own version, which the "package" of query-version names.</summary>
    public string Version { get; init; } = "0.1.0";

    /// <summary>The "package" string of query-version (QEMU's pkgversion).</summary>
    public string? PackageName { get; init; }

    public string Package => PackageName ?? $" (Rivet {Version})";

    /// <summary>-name: what query-name reports (nothing when null).</summary>
    public string? Name { get; init; }

    /// <summary>The longest message a client may send; a longer one gets an error and the connection is closed.</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;

    /// <summary>Events queued for one client and not yet written; beyond it the client is disconnected.</summary>
    public int EventBacklog { get; init; } = 10_000;

    /// <summary>How long closing the server waits for each client's queued output to be written.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Clients are greeted at once but their commands wait until <see cref="QmpServer.Open"/> (start-up).</summary>
    public bool HoldCommandsUntilOpen { get; init; }

    /// <summary>
    /// Begin closing at the machine's final SHUTDOWN (the event is still delivered) instead of at
    /// <see cref="QmpServer.Dispose"/>: for a process that exits with its machine, as rivet and
    /// QEMU do, so the clients' flush overlaps the machine's shutdown. Off, clients can still
    /// query a machine that has shut down until the server is disposed.
    /// </summary>
    public bool CloseAtShutdown { get; init; }

    /// <summary>
    /// The QEMU interface level Rivet implements, which the greeting and query-version report as
    /// "qemu": tools pick their QMP dialect by this number, and Rivet's commands and replies are QEMU 7.2's.
    /// </summary>
    internal static (int Major, int Minor, int Micro) QemuInterface => (7, 2, 0);
}

/// <summary>
/// A QMP server for one machine (QEMU's QMP protocol, docs/QMP.md). Create it, <see cref="Listen"/>
/// on one or more endpoints, <see cref="Open"/> it once the machine has started, dispose it after
/// the machine has exited (queued replies and events are flushed, sockets closed, Unix socket
/// files removed).
/// </summary>
public sealed class QmpServer : IDisposable
{
    /// <summary>A client thread mostly waits in recv; JSON and the machine calls need little stack.</summary>
    private const int SessionStackSize = 256 * 1024;

    private sealed record ListenerEntry(QmpListener Listener, Task AcceptLoop, TaskCompletionSource FirstClient);

    private readonly RivetMachine _machine;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set on the machine's final SHUTDOWN event: it is going away.</summary>
    private int _closeBegun; // 1 once BeginClose ran
    private readonly TaskCompletionSource _machineDown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ListenerEntry> _listeners = []; // guarded by itself
    private int _nextSessionId;
    private int _disposed;

    /// <summary>
    /// The fan-out lock. Guards the fields below; the main loop holds it while it queues one event
    /// to every client, and a session holds it while it builds and queues a reply that reports the
    /// run state (query-status) or enters command mode, so the two never interleave. Only
    /// in-memory queueing happens under it: no socket I/O, no waiting, no machine request.
    /// </summary>
    internal readonly object EventGate = new();
    private readonly List<QmpSession> _sessions = [];
    private readonly List<Thread> _sessionThreads = [];
    /// <summary>The run state as of the last event sent out (see <see cref="ReportedRunState"/>).</summary>
    private RunState _published;
    private long _accepted;

    public QmpServer(RivetMachine machine, QmpServerOptions? options = null)
    {
        _machine = machine;
        Options = options ?? new QmpServerOptions();
        _published = machine.RunState;
        if (!Options.HoldCommandsUntilOpen) _open.TrySetResult();
        machine.Event += OnMachineEvent;
    }

    public QmpServerOptions Options { get; }
    internal RivetMachine Machine => _machine;
    internal Task WhenOpen => _open.Task;

    /// <summary>Clients connected now.</summary>
    public int ActiveSessions
    {
        get
        {
            lock (EventGate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Clients accepted since the server started.</summary>
    public long SessionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Binds <paramref name="endpoint"/> and starts accepting clients; returns it with the port actually bound.</summary>
    /// <exception cref="QmpBindException">The socket cannot be bound (one line for the user).</exception>
    public QmpEndpoint Listen(QmpEndpoint endpoint)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        QmpListener listener = QmpListener.Bind(endpoint);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task loop = AcceptLoopAsync(listener, first);
        lock (_listeners)
        {
            _listeners.Add(new ListenerEntry(listener, loop, first));
        }
        return listener.BoundEndpoint;
    }

    /// <summary>The endpoints listening now, in the order they were bound (query-chardev).</summary>
    internal IReadOnlyList<QmpEndpoint> BoundEndpoints
    {
        get
        {
            lock (_listeners)
            {
                return _listeners.Select(l => l.Listener.BoundEndpoint).ToArray();
            }
        }
    }

    /// <summary>Lets clients' commands run (with <see cref="QmpServerOptions.HoldCommandsUntilOpen"/>).</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>
    /// wait=on: blocks until a client has connected to <paramref name="endpoint"/> (as returned by
    /// <see cref="Listen"/>); false if the machine shut down first (a signal during the wait).
    /// </summary>
    public bool WaitForClient(QmpEndpoint endpoint)
    {
        Task first;
        lock (_listeners)
        {
            first = _listeners.First(l => l.Listener.BoundEndpoint == endpoint || l.Listener.Endpoint == endpoint).FirstClient.Task;
        }
        Task.WaitAny(first, _machineDown.Task);
        return first.IsCompleted;
    }

    /// <summary>Waits until the number of connected clients satisfies <paramref name="predicate"/>; false on timeout.</summary>
    public bool WaitForSessions(Func<int, bool> predicate, TimeSpan timeout)
    {
        long deadline = HostSync.DeadlineAfter(timeout);
        lock (EventGate)
        {
            while (!predicate(_sessions.Count))
            {
                if (!HostSync.WaitUntil(EventGate, deadline)) return false;
            }
            return true;
        }
    }

    private async Task AcceptLoopAsync(QmpListener listener, TaskCompletionSource first)
    {
        try
        {
            await AcceptClientsAsync(listener, first).ConfigureAwait(false);
        }
        finally
        {
            listener.Dispose(); // nothing in flight on it any more: closes at once
        }
    }

    private async Task AcceptClientsAsync(QmpListener listener, TaskCompletionSource first)
    {
        await Task.Yield();
        string where = listener.BoundEndpoint.ToString();
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.Socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // e.g. out of file descriptors: say so, and do not spin
                Report($"QMP: accepting on {where} failed: {ex.Message}");
                try
                {
                    await Task.Delay(100, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (client.ProtocolType == ProtocolType.Tcp) client.NoDelay = true;
            if (StartSession(new SocketQmpConnection(client), where, listener.Endpoint.Pretty) == null) return;
            first.TrySetResult();
        }
    }

    /// <summary>
    /// Serves one QMP session on a character device (-qmp stdio, -mon chardev=ID,mode=control):
    /// greeting, negotiation and events as on a socket, counted in <see cref="ActiveSessions"/>,
    /// closed (its queued output flushed) when the server closes. The session ends early only if
    /// the device reports the end of its input. <paramref name="where"/> names the device in
    /// messages; <paramref name="pretty"/> is -mon's pretty=on. False if the server is closing.
    /// </summary>
    public bool Serve(IQmpChardev device, string where, bool pretty = false)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new ChardevQmpConnection(device);
        if (StartSession(connection, where, pretty) == null) return false;
        connection.Start();
        return true;
    }

    /// <summary>Adds a session on <paramref name="connection"/> and starts its thread; null (the connection closed) if the server is closing.</summary>
    private QmpSession? StartSession(QmpConnection connection, string where, bool pretty)
    {
        var session = new QmpSession(this, connection, Interlocked.Increment(ref _nextSessionId), where, pretty);
        lock (EventGate)
        {
            if (_stopping.IsCancellationRequested)
            {
                connection.Dispose();
                return null;
            }
            _sessions.Add(session);
            Interlocked.Increment(ref _accepted);
            Monitor.PulseAll(EventGate);
            _sessionThreads.RemoveAll(t => !t.IsAlive);
            var thread = new Thread(session.Run, SessionStackSize) { IsBackground = true, Name = $"qmp-client-{session.Id}" };
            _sessionThreads.Add(thread);
            thread.Start();
        }
        return session;
    }

    internal void OnSessionEnded(QmpSession session)
    {
        lock (EventGate)
        {
            _sessions.Remove(session);
            Monitor.PulseAll(EventGate);
        }
    }

    internal void Report(string line)
    {
        try
        {
            _machine.Diagnostics.WriteLine($"rivet: {line}");
        }
        catch (ObjectDisposedException)
        {
            // diagnostics closed at exit
        }
    }

    // ---- events: the machine's main-loop thread ----

    private void OnMachineEvent(MachineEvent e)
    {
        // Read here, on the main loop, the run state is exactly the one this event leads to.
        RunState live = _machine.RunState;
        bool final = _machine.IsFinalShutdown(e);
        byte[] message = QmpMessages.Event(e, DateTimeOffset.UtcNow);
        List<QmpSession>? slow = null;
        lock (EventGate)
        {
            _published = final ? RunState.Shutdown : live;
            foreach (QmpSession s in _sessions)
            {
                if (!s.TryPostEvent(message)) (slow ??= []).Add(s);
            }
        }
        if (final)
        {
            _machineDown.TrySetResult();
            // The process goes away with the machine: start closing now, so the clients' flush
            // overlaps the machine's own shutdown instead of following it (SHUTDOWN is queued).
            if (Options.CloseAtShutdown) BeginClose();
        }
        // Closing a socket is not the main loop's business: hand it to the pool.
        if (slow != null)
        {
            foreach (QmpSession s in slow) ThreadPool.UnsafeQueueUserWorkItem(static s => s.DisconnectSlowClient(), s, preferLocal: false);
        }
    }

    /// <summary>
    /// The run state query-status reports (call under <see cref="EventGate"/>). The controller
    /// sets a new state a moment before it emits the event for it; in that moment the live state
    /// would contradict the events the client has seen, so while "running or not" differs from
    /// the last event's, the last event's state is reported. Transitions that have no event
    /// (shutdown → paused on reset, paused → shutdown) never change "running or not", so the live
    /// state shows them at once.
    /// </summary>
    internal RunState ReportedRunState()
    {
        RunState live = _machine.RunState;
        return (live == RunState.Running) == (_published == RunState.Running) ? live : _published;
    }

    // ---- run control: the commands that wait (on the calling session's thread) ----

    private static bool NeedsReset(RunState s) => s is RunState.Shutdown or RunState.GuestPanicked or RunState.InternalError;

    /// <summary>stop, cont, system_reset or system_powerdown; null on success, else the error for the client.</summary>
    internal QmpError? RunControl(string what)
    {
        if (what == "system_powerdown")
        {
            _machine.Powerdown();
            return null;
        }
        if (what == "cont" && NeedsReset(_machine.RunState)) return QmpError.Generic("Resetting the Virtual Machine is required");
        if (_machineDown.Task.IsCompleted) return QmpError.Generic("The machine is shutting down");
        bool ok = what switch
        {
            "stop" => _machine.Pause(),   // returns once every vCPU has stopped
            "cont" => _machine.Resume(),
            _ => _machine.Reset(),        // cause host-qmp-system-reset
        };
        if (ok) return null;
        if (what == "cont" && NeedsReset(_machine.RunState)) return QmpError.Generic("Resetting the Virtual Machine is required");
        if (_machineDown.Task.IsCompleted) return QmpError.Generic("The machine is shutting down");
        return QmpError.Generic($"{what} did not complete within its deadline (rivet printed the vCPU states on standard error)");
    }

    // ---- closing ----

    /// <summary>
    /// Stops accepting (no session is added once <see cref="_stopping"/> is cancelled), asks
    /// every session to flush what is queued and close, and closes the listeners. Idempotent:
    /// the final SHUTDOWN begins it on the main loop, <see cref="Dispose"/> makes sure of it.
    /// </summary>
    private void BeginClose()
    {
        if (Interlocked.Exchange(ref _closeBegun, 1) != 0) return;
        lock (EventGate)
        {
            _stopping.Cancel();
            foreach (QmpSession s in _sessions) s.CloseGracefully();
        }
        ListenerEntry[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }
        // Only the files here: closing a socket with an accept in flight waits (inside .NET) for
        // that accept to let go, milliseconds on this thread; each accept loop closes its own
        // socket as it ends, with nothing in flight.
        foreach (ListenerEntry l in listeners) l.Listener.RemovePath();
        _open.TrySetResult();
    }

    /// <summary>
    /// Stops accepting, flushes each client's queued output (bounded by
    /// <see cref="QmpServerOptions.FlushTimeout"/>), closes every connection, removes the Unix
    /// socket files and ends the request thread.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _machine.Event -= OnMachineEvent;
        BeginClose();
        if (Options.CloseAtShutdown)
        {
            // The process exits next and the kernel closes the sockets: wait only until every
            // client's queued output has gone out (a session leaves the list once it has flushed).
            if (!WaitForSessions(n => n == 0, Options.FlushTimeout + TimeSpan.FromSeconds(2)))
                Report("QMP: clients still open after closing the server");
            return;
        }
        Thread[] sessionThreads;
        lock (EventGate)
        {
            sessionThreads = [.. _sessionThreads];
        }
        ListenerEntry[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }
        // A session thread inside stop/cont/system_reset finishes when the machine answers
        // (within the lifecycle's own deadlines); the rest end as soon as their output is flushed.
        long deadline = HostSync.DeadlineAfter(Options.FlushTimeout + TimeSpan.FromSeconds(2));
        bool clean = Task.WaitAll([.. listeners.Select(l => l.AcceptLoop)], Options.FlushTimeout);
        foreach (ListenerEntry l in listeners) l.Listener.Dispose(); // the loops did, unless stuck
        foreach (Thread t in sessionThreads) clean &= HostSync.Join(t, deadline);
        if (!clean) Report("QMP: clients still open after closing the server");
        _stopping.Dispose();
    }
}
