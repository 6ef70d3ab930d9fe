using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace Rivet.Qmp;

/// <summary>Binding a QMP endpoint failed: the message is one line for the user.</summary>
public sealed class QmpBindException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A bound, listening socket for one endpoint. Unix sockets are created owner-only (0600)
/// with no moment of wider permissions: bound inside a fresh 0700 directory next to the target,
/// chmod-ed, then renamed onto the path (which also replaces a stale file there, as QEMU's
/// unlink-before-bind does). A path too long for that detour is bound directly under a umask
/// of 0177. TCP binds exactly the address given (the first address of a host name that binds).
/// </summary>
internal sealed class QmpListener : IDisposable
{
    /// <summary>sun_path holds 108 bytes including the terminating NUL.</summary>
    public const int MaxUnixPathBytes = 107;

    /// <summary>Connections the kernel queues before the accept loop takes them.</summary>
    private const int Backlog = 128;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    private static readonly object s_umaskGate = new();
    private int _disposed;
    private int _pathRemoved;

    private QmpListener(QmpEndpoint endpoint, Socket socket, string? unixPath)
    {
        Endpoint = endpoint;
        Socket = socket;
        UnixPath = unixPath;
    }

    public QmpEndpoint Endpoint { get; }
    public Socket Socket { get; }

    /// <summary>The socket file (unix), removed again on dispose, as QEMU does at exit.</summary>
    public string? UnixPath { get; }

    /// <summary>What a client connects to: the endpoint with the port actually bound.</summary>
    public QmpEndpoint BoundEndpoint => Socket.LocalEndPoint is IPEndPoint ip ? Endpoint with { Port = ip.Port } : Endpoint;

    public static QmpListener Bind(QmpEndpoint endpoint)
    {
        if (endpoint.Transport == QmpTransport.Tcp) return BindTcp(endpoint);
        if (OperatingSystem.IsWindows()) throw new QmpBindException("unix sockets for QMP need a Unix host");
        return BindUnix(endpoint);
    }

    private static QmpListener BindTcp(QmpEndpoint endpoint)
    {
        IPAddress[] addresses;
        if (endpoint.Host.Length == 0)
        {
            addresses = [IPAddress.Any];
        }
        else if (IPAddress.TryParse(endpoint.Host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(endpoint.Host);
            }
            catch (SocketException ex)
            {
                throw new QmpBindException($"address resolution failed for {endpoint.Host}: {ex.Message}", ex);
            }
            if (addresses.Length == 0) throw new QmpBindException($"address resolution failed for {endpoint.Host}: no addresses");
        }
        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false; // exactly the address given
                AllowRestartThroughTimeWait(socket);
                socket.Bind(new IPEndPoint(address, endpoint.Port));
                socket.Listen(Backlog);
                return new QmpListener(endpoint, socket, null);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
        }
        throw new QmpBindException($"Failed to bind socket to {endpoint}: {last!.Message}", last);
    }

    /// <summary>
    /// SO_REUSEADDR alone, as QEMU sets it: a restarted rivet can bind its port while old
    /// connections linger in TIME_WAIT. (.NET's ReuseAddress option also sets SO_REUSEPORT on
    /// Linux, which would let a second process bind the same port: not wanted.)
    /// </summary>
    private static void AllowRestartThroughTimeWait(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return;
        const int SolSocket = 1, SoReuseAddr = 2;
        socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
    }

    [UnsupportedOSPlatform("windows")]
    private static QmpListener BindUnix(QmpEndpoint endpoint)
    {
        string path = endpoint.Path;
        if (Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes)
            throw new QmpBindException($"UNIX socket path '{path}' is too long (at most {MaxUnixPathBytes} bytes)");
        if (Directory.Exists(path)) throw new QmpBindException($"Failed to unlink socket {path}: Is a directory");

        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full) ?? "/";
        if (!Directory.Exists(dir)) throw new QmpBindException($"Failed to bind socket to {path}: No such file or directory");
        string privateDir = System.IO.Path.Combine(dir, ".rivet-qmp-" + RandomNumberGenerator.GetHexString(8, lowercase: true));
        string staged = System.IO.Path.Combine(privateDir, "s");
        if (Encoding.UTF8.GetByteCount(staged) > MaxUnixPathBytes) return BindUnixUnderUmask(endpoint, path);

        try
        {
            Directory.CreateDirectory(privateDir, OwnerAll);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new QmpBindException($"Failed to bind socket to {path}: {ex.Message}", ex);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(staged));
            File.SetUnixFileMode(staged, OwnerReadWrite);
            socket.Listen(Backlog);
            File.Move(staged, full, overwrite: true); // rename(2): atomic, and replaces a stale socket file
            return new QmpListener(endpoint, socket, full);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new QmpBindException($"Failed to bind socket to {path}: {ex.Message}", ex);
        }
        finally
        {
            try
            {
                if (File.Exists(staged)) File.Delete(staged);
                Directory.Delete(privateDir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // leaves an empty private directory behind; nothing to report to the user
            }
        }
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint SetUmask(uint mask);

    [UnsupportedOSPlatform("windows")]
    private static QmpListener BindUnixUnderUmask(QmpEndpoint endpoint, string path)
    {
        try
        {
            File.Delete(path); // QEMU unlinks before bind
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new QmpBindException($"Failed to unlink socket {path}: {ex.Message}", ex);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // The umask is process-wide: held only around bind, and it can only make a file that
            // another thread creates meanwhile more private, never less.
            lock (s_umaskGate)
            {
                uint old = SetUmask(0x7F); // 0177
                try
                {
                    socket.Bind(new UnixDomainSocketEndPoint(path));
                }
                finally
                {
                    SetUmask(old);
                }
            }
            File.SetUnixFileMode(path, OwnerReadWrite);
            socket.Listen(Backlog);
            return new QmpListener(endpoint, socket, System.IO.Path.GetFullPath(path));
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new QmpBindException($"Failed to bind socket to {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Closes the socket (waiting, inside .NET, for an accept in flight to let go of it) and removes its file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Socket.Dispose();
        RemovePath();
    }

    /// <summary>Removes a Unix socket's file at once (no new client can find it); idempotent.</summary>
    public void RemovePath()
    {
        if (UnixPath == null || Interlocked.Exchange(ref _pathRemoved, 1) != 0) return;
        try
        {
            File.Delete(UnixPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // already gone or not ours to remove
        }
    }
}
