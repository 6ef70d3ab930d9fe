using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rivet.Cli.Chardev;

/// <summary>
/// mux=on (QEMU's char-mux.c): one device shared by several front ends (the UART and a monitor).
/// Every front end's output goes out; input goes to the focused one, after the escape prefix
/// C-a is taken out: C-a h/? help, x quit, s commit (nothing: no -snapshot), b break, c next
/// front end, t timestamps on output lines, C-a C-a one C-a; anything else after C-a is dropped.
/// The front end attached last has the focus at first (QEMU's monitors attach before the UART).
/// </summary>
internal sealed class MuxChardev : Chardev, ICharFrontend
{
    public const byte EscapeChar = 0x01; // C-a, QEMU's default -echr

    /// <summary>QEMU's mux_help, with '%' standing for the escape ("C-a").</summary>
    private static readonly string[] s_help =
    [
        "% h    print this help\n\r",
        "% x    exit emulator\n\r",
        "% s    save disk data back to file (if -snapshot)\n\r",
        "% t    toggle console timestamps\n\r",
        "% b    send break (magic sysrq)\n\r",
        "% c    switch between console and monitor\n\r",
        "% %  sends %\n\r",
    ];

    private readonly Chardev _inner;
    private readonly List<ICharFrontend> _frontends = [];
    private readonly object _writeGate = new();
    private Action? _quit;
    private int _focus = -1;          // reader thread only (and attach, before Start)
    private bool _gotEscape;          // reader thread only
    private bool _timestamps;         // guarded by _writeGate
    private bool _lineStart;          // guarded by _writeGate
    private long _timestampsStart = -1; // guarded by _writeGate: Stopwatch ticks, -1 until the first stamp

    public MuxChardev(Chardev inner) : base(inner.Id) => _inner = inner;

    public override string Filename => _inner.Filename;
    public override Task? FirstClient => _inner.FirstClient;

    // The device's output queue is the mux's: the UART sees it full, exit reports what it dropped.
    public override bool CanAcceptOutput => _inner.CanAcceptOutput;
    public override long DroppedOutput => _inner.DroppedOutput;
    public override bool OutputStalled => _inner.OutputStalled;
    public Chardev Inner => _inner;
    public int FrontendCount => _frontends.Count;

    /// <summary>Adds a front end before <see cref="Start"/>; it takes the focus (QEMU's qemu_chr_fe_take_focus).</summary>
    public void Attach(ICharFrontend frontend)
    {
        _frontends.Add(frontend);
        SetFocus(_frontends.Count - 1);
    }

    /// <summary>C-a x: what quits (the orderly shutdown a QMP quit takes).</summary>
    public void OnQuit(Action quit) => _quit = quit;

    /// <summary>Starts the device under the mux; its events go to every front end.</summary>
    public void Start() => _inner.Start(this);

    public override void Start(ICharFrontend frontend) => throw new InvalidOperationException("a mux is started through Start()");

    private void SetFocus(int focus)
    {
        if (_focus >= 0) _frontends[_focus].Event(ChardevEvent.MuxOut);
        _focus = focus;
        _frontends[_focus].Event(ChardevEvent.MuxIn);
    }

    void ICharFrontend.Event(ChardevEvent e)
    {
        foreach (ICharFrontend f in _frontends) f.Event(e);
    }

    void ICharFrontend.Receive(ReadOnlySpan<byte> data)
    {
        // Runs of ordinary bytes go to the focused front end in one piece.
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (!ProcessByte(data[i]))
            {
                Deliver(data[start..i]);
                start = i + 1;
            }
        }
        Deliver(data[start..]);
    }

    private void Deliver(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0 && _focus >= 0) _frontends[_focus].Receive(data);
    }

    /// <summary>QEMU's mux_proc_byte: true if the byte goes to the focused front end.</summary>
    private bool ProcessByte(byte ch)
    {
        if (_gotEscape)
        {
            _gotEscape = false;
            if (ch == EscapeChar) return true;
            switch ((char)ch)
            {
                case '?' or 'h':
                    PrintHelp();
                    break;
                case 'x':
                    WriteAscii("QEMU: Terminated\n\r");
                    _quit?.Invoke();
                    break;
                case 's':
                    break; // commits -snapshot disks: Rivet has no disks
                case 'b':
                    if (_focus >= 0) _frontends[_focus].Event(ChardevEvent.Break);
                    break;
                case 'c':
                    if (_frontends.Count > 0) SetFocus((_focus + 1) % _frontends.Count);
                    break;
                case 't':
                    lock (_writeGate)
                    {
                        _timestamps = !_timestamps;
                        _timestampsStart = -1;
                        _lineStart = false;
                    }
                    break;
            }
            return false;
        }
        if (ch == EscapeChar)
        {
            _gotEscape = true;
            return false;
        }
        return true;
    }

    private void PrintHelp()
    {
        var sb = new StringBuilder("\n\r");
        foreach (string line in s_help) sb.Append(line.Replace("%", "C-a", StringComparison.Ordinal));
        WriteAscii(sb.ToString());
    }

    private void WriteAscii(string s) => Write(Encoding.ASCII.GetBytes(s));

    public override void Write(ReadOnlySpan<byte> data)
    {
        lock (_writeGate)
        {
            if (!_timestamps)
            {
                _inner.Write(data);
                return;
            }
            // QEMU's mux_chr_write with timestamps: "[hh:mm:ss.mmm] " (since the toggle) before each line.
            int start = 0;
            for (int i = 0; i < data.Length; i++)
            {
                if (_lineStart)
                {
                    _inner.Write(data[start..i]);
                    start = i;
                    _inner.Write(Encoding.ASCII.GetBytes(Stamp()));
                    _lineStart = false;
                }
                if (data[i] == '\n') _lineStart = true;
            }
            _inner.Write(data[start..]);
        }
    }

    private string Stamp()
    {
        long now = Stopwatch.GetTimestamp();
        if (_timestampsStart < 0) _timestampsStart = now;
        long ms = (long)Stopwatch.GetElapsedTime(_timestampsStart, now).TotalMilliseconds;
        long secs = ms / 1000;
        return string.Create(CultureInfo.InvariantCulture, $"[{secs / 3600:00}:{secs / 60 % 60:00}:{secs % 60:00}.{ms % 1000:000}] ");
    }

    public override void Dispose() => _inner.Dispose();
}
