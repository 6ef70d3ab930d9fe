using System.Net.Sockets;
using Rivet.Machine;
using Rivet.Qmp;

namespace Rivet.Gdb;

/// <summary>
/// Where the gdb stub listens, from a <c>-gdb</c> value: <c>tcp::PORT</c> or <c>tcp:HOST:PORT</c>
/// (what <c>-s</c> means: <c>tcp::1234</c>; QEMU adds server=on,wait=off to a tcp: device), or
/// <c>unix:PATH,server[=on][,wait=off]</c> (QEMU passes a unix: device on as it is, so without
/// <c>server</c> it would connect out, which Rivet does not do; with it, QEMU's default is to wait for gdb).
/// </summary>
internal static class GdbEndpoint
{
    public const string DefaultDevice = "tcp::1234";

    /// <summary>Throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static QmpEndpoint Parse(string device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.StartsWith("tcp:", StringComparison.Ordinal))
            return QmpEndpoint.Parse(device + ",wait=off,server=on");
        if (device.StartsWith("unix:", StringComparison.Ordinal))
        {
            try
            {
                return QmpEndpoint.Parse(device);
            }
            catch (FormatException ex) when (ex.Message.StartsWith("only listening", StringComparison.Ordinal))
            {
                throw new FormatException($"'{device}': rivet's gdb stub only listens: add ',server' (and ',wait=off' not to wait for gdb)");
            }
        }
        string kind = device.Split(':')[0];
        throw new FormatException($"unsupported gdb device '{kind}' (use tcp::PORT, tcp:HOST:PORT, unix:PATH,server or chardev:ID)");
    }
}

/// <summary>
/// The gdb stub's listening socket. One gdb at a time, as QEMU's socket chardev: while a session
/// runs the server does not accept, so a second gdb waits in the kernel's backlog (its connect
/// succeeds, nothing answers) until the first has gone. A session that ends by a closed or dead
/// connection has detached the target (it resumes); the server then takes the next connection.
/// One thread ("gdb-server") accepts and serves; <see cref="Dispose"/> ends it promptly.
/// </summary>
internal sealed class GdbServer : IDisposable
{
    private readonly IGdbTarget _target;
    private readonly QmpListener _listener;
    private readonly TextWriter? _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;

    /// <summary>Guards the fields below; pulsed on every change.</summary>
    private readonly object _gate = new();
    private GdbSession? _session;
    private int _sessionsServed;
    private int _disposed;

    private GdbServer(IGdbTarget target, QmpListener listener, TextWriter? log)
    {
        _target = target;
        _listener = listener;
        _log = log;
        _thread = HostSync.StartThread("gdb-server", AcceptLoop);
    }

    /// <summary>Binds <paramref name="endpoint"/> and starts serving.</summary>
    /// <exception cref="QmpBindException">The socket cannot be bound (one line for the user).</exception>
    public static GdbServer Listen(IGdbTarget target, QmpEndpoint endpoint, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new GdbServer(target, QmpListener.Bind(endpoint), log);
    }

    /// <summary>What gdb connects to (the port actually bound for tcp::0).</summary>
    public QmpEndpoint BoundEndpoint => _listener.BoundEndpoint;

    /// <summary>Sessions that have ended.</summary>
    public int SessionsServed
    {
        get
        {
            lock (_gate)
            {
                return _sessionsServed;
            }
        }
    }

    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _session != null;
            }
        }
    }

    /// <summary>Waits until a gdb is connected (QEMU's wait=on for a unix server); false at the deadline or once disposed.</summary>
    public bool WaitForConnection(TimeSpan timeout) => WaitFor(() => _session != null, timeout);

    /// <summary>Waits until <paramref name="count"/> sessions have ended; false at the deadline.</summary>
    public bool WaitForSessionsServed(int count, TimeSpan timeout) => WaitFor(() => _sessionsServed >= count, timeout);

    private bool WaitFor(Func<bool> predicate, TimeSpan timeout)
    {
        long deadline = HostSync.DeadlineAfter(timeout);
        lock (_gate)
        {
            while (!predicate())
            {
                if (Volatile.Read(ref _disposed) != 0 || !HostSync.WaitUntil(_gate, deadline)) return false;
            }
            return true;
        }
    }

    private void AcceptLoop()
    {
        string where = _listener.BoundEndpoint.ToString();
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = _listener.Socket.AcceptAsync(_stopping.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Report($"gdbstub: accepting on {where} failed: {ex.Message}");
                if (_stopping.Token.WaitHandle.WaitOne(100)) return; // do not spin (e.g. out of file descriptors)
                continue;
            }
            if (client.ProtocolType == ProtocolType.Tcp) client.NoDelay = true; // QEMU: nodelay=on
            Serve(client);
        }
    }

    private void Serve(Socket client)
    {
        var session = new GdbSession(_target, new NetworkStream(client, ownsSocket: true), () => ShutdownQuietly(client), _log);
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                client.Dispose();
                return;
            }
            _session = session;
            Monitor.PulseAll(_gate);
        }
        try
        {
            session.Run();
        }
        finally
        {
            lock (_gate)
            {
                _session = null;
                _sessionsServed++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both); // wakes a read blocked on it
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // not connected any more
        }
    }

    private void Report(string line)
    {
        try
        {
            _log?.WriteLine($"rivet: {line}");
        }
        catch (ObjectDisposedException)
        {
            // diagnostics closed at exit
        }
    }

    /// <summary>
    /// Stops accepting, closes the current session without touching the target (the machine is
    /// exiting), removes a Unix socket file and joins the server thread within a deadline.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        GdbSession? session;
        lock (_gate)
        {
            _stopping.Cancel();
            session = _session;
            Monitor.PulseAll(_gate);
        }
        _listener.RemovePath();
        session?.Close();
        if (!HostSync.Join(_thread, HostSync.DeadlineAfter(TimeSpan.FromSeconds(5))))
            Report("gdbstub: the server thread did not end within 5 s of closing");
        _listener.Dispose();
        _stopping.Dispose();
    }
}
