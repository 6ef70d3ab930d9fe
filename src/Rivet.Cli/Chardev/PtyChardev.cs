using System.Runtime.InteropServices;

namespace Rivet.Cli.Chardev;

/// <summary>
/// -chardev pty: a new pseudo-terminal whose slave (/dev/pts/N, announced on standard output) a
/// user opens with screen, minicom or socat, as QEMU's char-pty.c. The slave is raw (cfmakeraw); rivet keeps only the master, so
/// it sees when a client has the slave open: OPENED when one comes, CLOSED when the last leaves.
/// Output while nobody has the slave open, or beyond what the pty buffers, is dropped (never
/// blocks the vCPU that writes). With nobody connected the master is looked at every 100 ms
/// (QEMU polls once a second): the kernel has no wake-up for "the slave was opened".
/// </summary>
internal sealed unsafe class PtyChardev : Chardev
{
    private const int DisconnectedPollMs = 100;
    private const int ConnectedPollMs = 250; // how soon the reader notices Dispose

    private readonly object _gate = new();
    private readonly int _master;
    private bool _connected;   // guarded by _gate
    private bool _disposed;    // guarded by _gate
    private bool _reading;     // guarded by _gate: the reader thread owns closing the master

    private PtyChardev(string id, int master, string slave) : base(id)
    {
        _master = master;
        SlavePath = slave;
    }

    public string SlavePath { get; }
    public override string Filename => $"pty:{SlavePath}";

    public static PtyChardev Open(ChardevSpec spec)
    {
        int master = Posix.PosixOpenPt(Posix.O_RDWR | Posix.O_NOCTTY | Posix.O_NONBLOCK);
        if (master < 0) throw new ChardevException($"Failed to create PTY: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}");
        string slave;
        byte* name = stackalloc byte[128];
        if (Posix.GrantPt(master) != 0 || Posix.UnlockPt(master) != 0 || Posix.PtsNameR(master, name, 128) != 0)
        {
            string why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError());
            Posix.Close(master);
            throw new ChardevException($"Failed to create PTY: {why}");
        }
        slave = Marshal.PtrToStringUTF8((nint)name) ?? "";
        // Raw mode is set on the slave, then it is closed: it keeps its mode for the user who opens it.
        int fd = Posix.Open(name, Posix.O_RDWR | Posix.O_NOCTTY);
        if (fd >= 0)
        {
            RawTerminal.MakePtyRaw(fd);
            Posix.Close(fd);
        }
        // On standard output, as QEMU 7.2 prints it (scripts read the path from there).
        Console.Out.WriteLine($"char device redirected to {slave} (label {spec.Id})");
        return new PtyChardev(spec.Id, master, slave);
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_disposed || !_connected) return;
            Posix.WriteAll(_master, data); // non-blocking: what does not fit is dropped
        }
    }

    public override void StartInput(Action<ReadOnlySpan<byte>> receive) => Start(new SerialFrontend(receive));

    public override void Start(ICharFrontend frontend)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _reading = true;
        }
        var t = new Thread(() => Serve(frontend)) { IsBackground = true, Name = $"chardev {Id}" };
        t.Start();
    }

    private void Serve(ICharFrontend frontend)
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            bool connected;
            lock (_gate)
            {
                if (_disposed) break;
                connected = _connected;
            }
            var pfd = new Posix.PollFd { Fd = _master, Events = Posix.POLLIN };
            int r = Posix.Poll(&pfd, 1, connected ? ConnectedPollMs : 0);
            if (r < 0) continue; // EINTR
            bool hup = (pfd.REvents & Posix.POLLHUP) != 0;
            if (hup != !connected)
            {
                lock (_gate)
                {
                    _connected = !hup;
                }
                frontend.Event(hup ? ChardevEvent.Closed : ChardevEvent.Opened);
            }
            if (hup)
            {
                lock (_gate)
                {
                    if (!_disposed) Monitor.Wait(_gate, DisconnectedPollMs);
                }
                continue;
            }
            if ((pfd.REvents & Posix.POLLIN) == 0) continue;
            int n = Posix.ReadSome(_master, buffer, out _);
            if (n > 0) frontend.Receive(buffer.AsSpan(0, n));
        }
        Posix.Close(_master);
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Monitor.PulseAll(_gate);
            if (_reading) return; // the reader closes the master on its way out
        }
        Posix.Close(_master);
    }
}
