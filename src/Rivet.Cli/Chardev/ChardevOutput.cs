using Rivet.Machine;

namespace Rivet.Cli.Chardev;

/// <summary>
/// A character device's output queue: writers (a vCPU thread for the UART, a QMP session) only
/// copy into a bounded buffer; a writer thread of the device's own ("chardev-out ID") drains it
/// into the backend's blocking write. So a peer that stops reading stalls that thread, never a
/// vCPU: pause and exit go on. Output reaches the backend as soon as it is queued (the writer
/// wakes when the queue stops being empty and takes everything there is), so an unterminated
/// prompt is not held back for a line end.
///
/// When the queue is full: <see cref="CanAccept"/> turns false, which the UART shows as LSR.THRE
/// clear (a guest that polls it waits, as on QEMU); a byte written anyway is dropped and counted
/// (<see cref="Dropped"/>, reported at exit). A QMP session's write waits for room instead
/// (<see cref="WriteWaiting"/>), with its deadline.
/// </summary>
internal sealed class ChardevOutput
{
    /// <summary>Bytes queued and not yet written; the UART's transmitter shows busy beyond it.</summary>
    public const int Capacity = 256 * 1024;

    /// <summary>At exit: give up on output that makes no progress for this long (a peer that does not read).</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly byte[] _ring = new byte[Capacity]; // guarded by _gate
    private readonly string _name;
    private readonly WriteAction _sink;
    private int _head, _count;   // guarded by _gate: the queued bytes are _ring[_head .. _head + _count) (wrapping)
    private bool _writing;       // guarded by _gate: the writer thread is inside the sink
    private bool _closed;        // guarded by _gate
    private long _dropped;       // guarded by _gate
    private long _written;       // guarded by _gate: bytes the sink has taken (progress, for the drain at exit)
    private Thread? _thread;     // guarded by _gate: started on the first write

    /// <summary>The backend's write: blocks while the peer does not read; throws when it is gone.</summary>
    public delegate void WriteAction(ReadOnlySpan<byte> data);

    public ChardevOutput(string name, WriteAction sink)
    {
        _name = name;
        _sink = sink;
    }

    public bool CanAccept
    {
        get
        {
            lock (_gate)
            {
                return _count < Capacity || _closed;
            }
        }
    }

    /// <summary>Bytes dropped because the queue was full.</summary>
    public long Dropped
    {
        get
        {
            lock (_gate)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Queues what fits, never waits; the rest is dropped and counted.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_closed) return;
            int n = Math.Min(data.Length, Capacity - _count);
            Append(data[..n]);
            _dropped += data.Length - n;
        }
    }

    /// <summary>Queues all of <paramref name="data"/>, waiting for room; false if the timeout passed, <paramref name="cancel"/> fired or the device closed.</summary>
    public bool WriteWaiting(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel)
    {
        long deadline = HostSync.DeadlineAfter(timeout);
        using CancellationTokenRegistration wake = cancel.Register(Wake);
        lock (_gate)
        {
            while (!data.IsEmpty)
            {
                if (_closed || cancel.IsCancellationRequested) return false;
                int n = Math.Min(data.Length, Capacity - _count);
                if (n > 0)
                {
                    Append(data[..n]);
                    data = data[n..];
                    continue;
                }
                // Woken by the writer thread as it takes bytes, by cancellation or by Close.
                if (!HostSync.WaitUntil(_gate, deadline)) return false;
            }
            return true;
        }
    }

    private void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Under <see cref="_gate"/>: copies into the ring and wakes the writer thread.</summary>
    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        int tail = (_head + _count) % Capacity;
        int first = Math.Min(data.Length, Capacity - tail);
        data[..first].CopyTo(_ring.AsSpan(tail));
        data[first..].CopyTo(_ring);
        _count += data.Length;
        if (_thread == null)
        {
            _thread = new Thread(Drain) { IsBackground = true, Name = $"chardev-out {_name}" };
            _thread.Start();
        }
        Monitor.PulseAll(_gate);
    }

    /// <summary>The writer thread: takes everything queued, writes it outside the lock, and again.</summary>
    private void Drain()
    {
        byte[] batch = new byte[Capacity];
        while (true)
        {
            int n;
            lock (_gate)
            {
                // Woken by Append or Close; waiting for output to write is this thread's whole job.
                while (_count == 0 && !_closed) HostSync.Wait(_gate);
                if (_count == 0) return;
                int first = Math.Min(_count, Capacity - _head);
                Buffer.BlockCopy(_ring, _head, batch, 0, first);
                Buffer.BlockCopy(_ring, 0, batch, first, _count - first);
                n = _count;
                _head = (_head + n) % Capacity;
                _count = 0;
                _writing = true;
            }
            bool gone = false;
            try
            {
                _sink(batch.AsSpan(0, n));
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                gone = true; // the peer went away: this output is lost, as in QEMU
            }
            lock (_gate)
            {
                _writing = false;
                if (!gone) _written += n;
                Monitor.PulseAll(_gate); // room for waiting writers, progress for the drain at exit
            }
        }
    }

    /// <summary>
    /// At exit: waits until everything queued has been written, or until no byte has gone out
    /// for <see cref="StallLimit"/> (the peer does not read); then stops taking output. True if
    /// everything was written.
    /// </summary>
    public bool Close()
    {
        lock (_gate)
        {
            long seen = _written;
            long deadline = HostSync.DeadlineAfter(StallLimit);
            while (_count > 0 || _writing)
            {
                if (_written != seen)
                {
                    seen = _written;
                    deadline = HostSync.DeadlineAfter(StallLimit);
                }
                if (!HostSync.WaitUntil(_gate, deadline) && _written == seen) break;
            }
            bool complete = _count == 0 && !_writing;
            _closed = true;
            Monitor.PulseAll(_gate);
            return complete;
        }
    }
}

/// <summary>
/// A backend whose output goes through a <see cref="ChardevOutput"/> queue: it supplies the
/// blocking write (<see cref="WriteOut"/>, on the queue's writer thread) and its own closing
/// (<see cref="CloseBackend"/>, after the queue has drained or stalled).
/// </summary>
internal abstract class QueuedChardev : Chardev
{
    private readonly ChardevOutput _output;
    private int _disposed;
    private bool _stalled;

    protected QueuedChardev(string id) : base(id) => _output = new ChardevOutput(id, WriteOut);

    /// <summary>The backend's write, on the queue's writer thread: may block while the peer does not read.</summary>
    protected abstract void WriteOut(ReadOnlySpan<byte> data);

    protected virtual void CloseBackend()
    {
    }

    public sealed override void Write(ReadOnlySpan<byte> data) => _output.Write(data);

    public sealed override bool CanAcceptOutput => _output.CanAccept;

    public sealed override bool WriteWaiting(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel)
        => _output.WriteWaiting(data, timeout, cancel);

    public sealed override long DroppedOutput => _output.Dropped;

    public sealed override bool OutputStalled => _stalled;

    public sealed override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stalled = !_output.Close();
        CloseBackend();
    }
}
