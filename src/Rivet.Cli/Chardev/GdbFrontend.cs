using Rivet.Gdb;
using Rivet.Machine;

namespace Rivet.Cli.Chardev;

/// <summary>
/// -gdb's front end on its character device, as QEMU's gdbstub sits on a chardev: each client
/// (OPENED to CLOSED; a device that is always connected opens once) is one <see cref="GdbSession"/>
/// on a thread of its own, over a stream fed by the device's reader thread. A socket device serves
/// one client at a time, so a second gdb waits until the first has gone, as with QEMU.
/// </summary>
internal sealed class GdbFrontend(Chardev device, IGdbTarget target, TextWriter log) : ICharFrontend, IDisposable
{
    private static readonly TimeSpan SessionEnd = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private ChardevStream? _stream; // guarded by _gate: the connected client's
    private GdbSession? _session;   // guarded by _gate
    private Thread? _thread;        // guarded by _gate: the session's
    private bool _disposed;         // guarded by _gate

    public void Receive(ReadOnlySpan<byte> data)
    {
        ChardevStream? stream;
        lock (_gate)
        {
            stream = _stream;
        }
        stream?.Push(data);
    }

    public void Event(ChardevEvent e)
    {
        if (e == ChardevEvent.Opened) Open();
        else if (e == ChardevEvent.Closed) EndInput();
    }

    private void Open()
    {
        Thread? previous;
        lock (_gate)
        {
            if (_disposed) return;
            previous = _thread;
        }
        // The last client's session detaches the machine as it ends: let it finish first.
        if (previous != null && !HostSync.Join(previous, HostSync.DeadlineAfter(SessionEnd)))
            log.WriteLine("rivet: gdbstub: the previous gdb session did not end");
        var stream = new ChardevStream(device);
        var session = new GdbSession(target, stream, stream.EndOfInput, log);
        lock (_gate)
        {
            if (_disposed) return;
            _stream = stream;
            _session = session;
            _thread = HostSync.StartThread("gdb", () => session.Run());
        }
    }

    private void EndInput()
    {
        ChardevStream? stream;
        lock (_gate)
        {
            stream = _stream;
            _stream = null;
        }
        stream?.EndOfInput();
    }

    /// <summary>The machine has exited: the session ends without touching it, joined by a deadline.</summary>
    public void Dispose()
    {
        GdbSession? session;
        Thread? thread;
        lock (_gate)
        {
            _disposed = true;
            session = _session;
            thread = _thread;
        }
        session?.Close();
        if (thread != null && !HostSync.Join(thread, HostSync.DeadlineAfter(SessionEnd)))
            log.WriteLine("rivet: gdbstub: the gdb session did not end at exit");
    }

    /// <summary>One client's bytes: what the device's reader pushes is read by the session; writes go to the device.</summary>
    private sealed class ChardevStream(Chardev device) : Stream
    {
        private static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(10);
        private readonly object _gate = new();
        private readonly Queue<byte[]> _input = new(); // guarded by _gate
        private byte[]? _head;                          // guarded by _gate: the chunk being read
        private int _headAt;                            // guarded by _gate
        private bool _ended;                            // guarded by _gate: no more input (client gone, or aborted)

        public void Push(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                if (_ended) return;
                _input.Enqueue(data.ToArray());
                Monitor.PulseAll(_gate);
            }
        }

        public void EndOfInput()
        {
            lock (_gate)
            {
                _ended = true;
                Monitor.PulseAll(_gate);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            lock (_gate)
            {
                // Waiting for gdb to type: an I/O wait, not a lifecycle one (EndOfInput ends it).
                while (_head == null && _input.Count == 0 && !_ended) HostSync.Wait(_gate);
                if (_head == null)
                {
                    if (_input.Count == 0) return 0;
                    _head = _input.Dequeue();
                    _headAt = 0;
                }
                int n = Math.Min(buffer.Length, _head.Length - _headAt);
                _head.AsSpan(_headAt, n).CopyTo(buffer);
                _headAt += n;
                if (_headAt == _head.Length) _head = null;
                return n;
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            bool ended;
            lock (_gate)
            {
                ended = _ended;
            }
            if (ended) throw new IOException("gdb has disconnected");
            if (!device.WriteWaiting(buffer, WriteDeadline, CancellationToken.None)) throw new IOException("gdb does not read its connection");
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) EndOfInput();
            base.Dispose(disposing);
        }
    }
}
