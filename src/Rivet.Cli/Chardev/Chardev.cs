namespace Rivet.Cli.Chardev;

/// <summary>A character device that could not be opened; the message is QEMU's reason.</summary>
internal sealed class ChardevException(string message) : Exception(message);

/// <summary>
/// The host end of a character device: bytes the guest (or a monitor) writes go out through
/// <see cref="Write"/>; bytes from the host go to the one front end given to <see cref="Start"/>
/// (or the receiver given to <see cref="StartInput"/>), from a reader thread the backend owns.
/// A mux (<see cref="MuxChardev"/>) is the front end of its device and shares it among several.
/// </summary>
internal abstract class Chardev(string id) : IDisposable
{
    public string Id { get; } = id;

    /// <summary>QEMU's "filename" of the device (query-chardev, the wait message).</summary>
    public abstract string Filename { get; }

    /// <summary>Called on the writer's thread (a vCPU's, for the UART); must not block for long.</summary>
    public abstract void Write(ReadOnlySpan<byte> data);

    /// <summary>False while the output queue is full: the UART shows its transmitter busy (LSR.THRE clear).</summary>
    public virtual bool CanAcceptOutput => true;

    /// <summary>Writes all of <paramref name="data"/>, waiting while the output queue is full (QMP replies are never dropped); false on timeout or cancellation.</summary>
    public virtual bool WriteWaiting(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel)
    {
        Write(data);
        return true;
    }

    /// <summary>Output dropped because the queue was full (the peer did not read); reported at exit.</summary>
    public virtual long DroppedOutput => 0;

    /// <summary>After <see cref="Dispose"/>: output was still queued when it stopped draining.</summary>
    public virtual bool OutputStalled => false;

    /// <summary>Starts delivering host input to <paramref name="receive"/>; a backend without input ignores it.</summary>
    public virtual void StartInput(Action<ReadOnlySpan<byte>> receive)
    {
    }

    /// <summary>
    /// Starts delivering events and input to <paramref name="frontend"/>: a device that is
    /// connected from the start (all but a socket) sends OPENED first, as QEMU does when a front
    /// end attaches to an open device.
    /// </summary>
    public virtual void Start(ICharFrontend frontend)
    {
        frontend.Event(ChardevEvent.Opened);
        StartInput(frontend.Receive);
    }

    /// <summary>A listening socket with wait=on: completes when the first client has connected.</summary>
    public virtual Task? FirstClient => null;

    public virtual void Dispose()
    {
    }

    /// <summary>A stream over <see cref="Write"/>, for the UART's console.</summary>
    public Stream AsOutputStream() => new OutputStream(this);

    /// <summary>The reader thread every input-capable backend uses: copies until end of input.</summary>
    protected static void StartReader(string name, Stream input, Action<ReadOnlySpan<byte>> receive)
    {
        var t = new Thread(() =>
        {
            try
            {
                byte[] buffer = new byte[256];
                int n;
                while ((n = input.Read(buffer, 0, buffer.Length)) > 0) receive(buffer.AsSpan(0, n));
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // closed: no more input
            }
        })
        { IsBackground = true, Name = name };
        t.Start();
    }

    /// <summary>Opens a file backend's path unbuffered; a failure is QEMU's "Could not open 'PATH': why".</summary>
    protected static FileStream OpenFile(string path, FileMode mode, FileAccess access)
        => HostFile.TryOpen(path, mode, access, 1, out string error) ?? throw new ChardevException(error);

    private sealed class OutputStream(Chardev device) : Stream, Rivet.Devices.IConsoleBackPressure
    {
        public bool CanAccept => device.CanAcceptOutput;
        public override void WriteByte(byte value) => device.Write(new ReadOnlySpan<byte>(in value));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => device.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => device.Write(buffer);
    }
}
