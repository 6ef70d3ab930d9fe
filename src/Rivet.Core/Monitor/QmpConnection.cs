using System.Net.Sockets;
using Rivet.Machine;

namespace Rivet.Qmp;

/// <summary>
/// A character device a QMP session can run on (<see cref="QmpServer.Serve"/>): the device pushes
/// its input from a thread of its own, and takes output with back-pressure (a write waits while
/// the device's output is full, as a socket's send does).
/// </summary>
public interface IQmpChardev
{
    /// <summary>
    /// Starts delivering host input to <paramref name="receive"/>; <paramref name="ended"/> once no
    /// more will ever come (a socket's peer left). A device whose end of input means nothing (stdio,
    /// a FIFO: QEMU's monitor stays and keeps sending events) never calls it.
    /// </summary>
    void StartInput(Action<ReadOnlySpan<byte>> receive, Action ended);

    /// <summary>
    /// Writes all of <paramref name="data"/>, waiting while the device's output is full; false if
    /// <paramref name="timeout"/> passed or <paramref name="cancel"/> fired first (the rest is not written).
    /// </summary>
    bool Write(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel);
}

/// <summary>
/// The byte stream one <see cref="QmpSession"/> runs over: a socket the server accepted, or a
/// character device. Receive and the sends throw <see cref="IOException"/>,
/// <see cref="SocketException"/> or <see cref="ObjectDisposedException"/> once the stream is broken or disposed.
/// </summary>
internal abstract class QmpConnection : IDisposable
{
    /// <summary>Blocks until input arrives; 0 at end of input.</summary>
    public abstract int Receive(byte[] buffer, int offset, int count);

    /// <summary>Writes all of <paramref name="data"/>; blocks while the peer does not read (bounded after <see cref="SetSendDeadline"/>).</summary>
    public abstract void Send(ReadOnlySpan<byte> data);

    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancel);

    /// <summary>From now on a send that cannot complete within <paramref name="timeout"/> fails (the flush at close).</summary>
    public abstract void SetSendDeadline(TimeSpan timeout);

    /// <summary>No more input is wanted: a blocked <see cref="Receive"/> returns 0.</summary>
    public abstract void EndInput();

    public abstract void Dispose();
}

/// <summary>A client the server accepted on one of its listening sockets.</summary>
internal sealed class SocketQmpConnection(Socket socket) : QmpConnection
{
    public override int Receive(byte[] buffer, int offset, int count) => socket.Receive(buffer, offset, count, SocketFlags.None);

    public override void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty) data = data[socket.Send(data, SocketFlags.None)..];
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty) data = data[await socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false)..];
    }

    public override void SetSendDeadline(TimeSpan timeout) => socket.SendTimeout = (int)Math.Min(timeout.TotalMilliseconds, int.MaxValue);

    public override void EndInput() => socket.Shutdown(SocketShutdown.Receive); // recv returns 0

    public override void Dispose() => socket.Dispose();
}

/// <summary>
/// A session on a character device: input is pushed by the device's reader thread into a small
/// buffer the session thread takes from (the pusher waits while it is full, as a socket's sender
/// waits for the receive window); output goes to the device's write with back-pressure.
/// </summary>
internal sealed class ChardevQmpConnection : QmpConnection
{
    /// <summary>Input buffered and not yet taken by the session; the device's reader waits beyond it.</summary>
    private const int InputLimit = 64 * 1024;

    private readonly IQmpChardev _device;
    private readonly object _gate = new();
    private readonly Queue<byte[]> _input = new(); // guarded by _gate
    private readonly CancellationTokenSource _disposing = new();
    private int _inputBytes;  // guarded by _gate
    private int _headOffset;  // guarded by _gate: bytes of _input.Peek() already taken
    private bool _ended;      // guarded by _gate: no more input will come (or none is wanted)
    private bool _disposed;   // guarded by _gate
    private long _sendTimeoutTicks = Timeout.InfiniteTimeSpan.Ticks;

    public ChardevQmpConnection(IQmpChardev device) => _device = device;

    /// <summary>Starts the device's input (after the session exists, so nothing is lost).</summary>
    public void Start() => _device.StartInput(Push, EndInput);

    private void Push(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        lock (_gate)
        {
            // The device's reader thread waits here while the session is busy (a stop that waits
            // for the vCPUs): input is bounded, and nothing is dropped. Woken by Receive or Dispose.
            while (_inputBytes >= InputLimit && !_ended && !_disposed) HostSync.Wait(_gate);
            if (_ended || _disposed) return;
            _input.Enqueue(data.ToArray());
            _inputBytes += data.Length;
            Monitor.PulseAll(_gate);
        }
    }

    public override int Receive(byte[] buffer, int offset, int count)
    {
        lock (_gate)
        {
            // Woken by Push, EndInput or Dispose; nothing else can end this wait.
            while (_input.Count == 0 && !_ended && !_disposed) HostSync.Wait(_gate);
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_input.Count == 0) return 0;
            byte[] head = _input.Peek();
            int n = Math.Min(count, head.Length - _headOffset);
            Buffer.BlockCopy(head, _headOffset, buffer, offset, n);
            _headOffset += n;
            if (_headOffset == head.Length)
            {
                _input.Dequeue();
                _headOffset = 0;
            }
            _inputBytes -= n;
            Monitor.PulseAll(_gate);
            return n;
        }
    }

    public override void Send(ReadOnlySpan<byte> data)
    {
        CancellationToken cancel = _disposing.Token;
        if (!_device.Write(data, TimeSpan.FromTicks(Volatile.Read(ref _sendTimeoutTicks)), cancel))
            throw cancel.IsCancellationRequested ? new ObjectDisposedException(nameof(ChardevQmpConnection)) : new IOException("the character device's output did not drain in time");
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        // The device's write only waits while its output queue is full (the peer does not read):
        // then this pool thread waits too, as the session thread would.
        cancel.ThrowIfCancellationRequested();
        Send(data.Span);
        return ValueTask.CompletedTask;
    }

    public override void SetSendDeadline(TimeSpan timeout) => Volatile.Write(ref _sendTimeoutTicks, timeout.Ticks);

    public override void EndInput()
    {
        lock (_gate)
        {
            _ended = true;
            Monitor.PulseAll(_gate);
        }
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _input.Clear();
            Monitor.PulseAll(_gate);
        }
        _disposing.Cancel(); // a write waiting for room gives up
    }
}
