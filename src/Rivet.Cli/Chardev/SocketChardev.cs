using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rivet.Qmp;

namespace Rivet.Cli.Chardev;

/// <summary>
/// -chardev socket (unix path= or tcp host=,port=): a server takes one client at a time and
/// accepts the next when it leaves; a client connects at start-up. Output with no client
/// connected is dropped, as QEMU drops it.
/// </summary>
internal sealed class SocketChardev : QueuedChardev
{
    private readonly object _gate = new();
    private readonly QmpListener? _listener;
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _wait;
    private Socket? _client; // guarded by _gate: the connected peer, null while none
    private bool _disposed;  // guarded by _gate

    private SocketChardev(string id, string filename, QmpListener? listener, Socket? client, bool wait) : base(id)
    {
        Filename = filename;
        _listener = listener;
        _client = client;
        _wait = wait;
    }

    public override string Filename { get; }

    public override Task? FirstClient => _wait ? _first.Task : null;

    public static SocketChardev Listen(ChardevSpec spec)
    {
        QmpListener listener;
        try
        {
            listener = QmpListener.Bind(spec.Endpoint);
        }
        catch (QmpBindException ex)
        {
            throw new ChardevException(ex.Message);
        }
        QmpEndpoint bound = listener.BoundEndpoint;
        string where = spec.IsUnix ? $"unix:{spec.Path}" : $"tcp:{bound.Host}:{bound.Port.ToString(CultureInfo.InvariantCulture)}";
        return new SocketChardev(spec.Id, $"disconnected:{where},server=on", listener, null, spec.Wait);
    }

    public static SocketChardev Connect(ChardevSpec spec)
    {
        string where = spec.IsUnix ? spec.Path : $"{spec.Host}:{spec.Port.ToString(CultureInfo.InvariantCulture)}";
        Socket? socket = null;
        try
        {
            if (spec.IsUnix)
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(spec.Path));
            }
            else
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Connect(spec.Host.Length == 0 ? "localhost" : spec.Host, spec.Port);
            }
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            string reason = ex.SocketErrorCode == SocketError.AddressNotAvailable && spec.IsUnix && !File.Exists(spec.Path)
                ? "No such file or directory"
                : new SocketException((int)ex.SocketErrorCode).Message; // without .NET's " [address]:port" suffix
            throw new ChardevException($"Failed to connect to '{where}': {reason}");
        }
        return new SocketChardev(spec.Id, $"{(spec.IsUnix ? "unix" : "tcp")}:{where}", null, socket, wait: false);
    }

    /// <summary>The bound address (tcp port 0 resolved), for messages and tests.</summary>
    public QmpEndpoint? BoundEndpoint => _listener?.BoundEndpoint;

    protected override void WriteOut(ReadOnlySpan<byte> data)
    {
        Socket? client;
        lock (_gate)
        {
            client = _client;
        }
        if (client == null) return; // no client: dropped, as QEMU drops it
        try
        {
            // Outside the lock: a peer that does not read blocks only this (the queue's) thread,
            // and Dispose can still close the socket, which ends the send.
            while (!data.IsEmpty) data = data[client.Send(data)..];
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // the peer went away; the reader thread notices too and takes the next client
        }
    }

    public override void StartInput(Action<ReadOnlySpan<byte>> receive) => Start(new SerialFrontend(receive));

    /// <summary>Each client is OPENED when it comes (a connected client at once) and CLOSED when it leaves.</summary>
    public override void Start(ICharFrontend frontend)
    {
        var t = new Thread(() => Serve(frontend)) { IsBackground = true, Name = $"chardev {Id}" };
        t.Start();
    }

    /// <summary>The reader thread: a client's input until it leaves; a server then accepts the next.</summary>
    private void Serve(ICharFrontend frontend)
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            Socket? client;
            lock (_gate)
            {
                client = _client;
            }
            if (client == null)
            {
                if (_listener == null) return; // a client that was disconnected stays so (no reconnect=)
                try
                {
                    client = _listener.Socket.Accept();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return; // closed at shutdown
                }
                lock (_gate)
                {
                    if (_disposed)
                    {
                        client.Dispose();
                        return;
                    }
                    _client = client;
                }
                _first.TrySetResult();
            }
            frontend.Event(ChardevEvent.Opened);
            try
            {
                int n;
                while ((n = client.Receive(buffer)) > 0) frontend.Receive(buffer.AsSpan(0, n));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // the peer reset the connection, or shutdown closed it
            }
            bool disposed;
            lock (_gate)
            {
                _client = null;
                client.Dispose();
                disposed = _disposed;
            }
            frontend.Event(ChardevEvent.Closed);
            if (disposed) return;
        }
    }

    protected override void CloseBackend()
    {
        Socket? client;
        lock (_gate)
        {
            _disposed = true;
            client = _client;
            _client = null;
        }
        client?.Dispose();
        _listener?.Dispose(); // also removes a unix socket's file
    }
}
