using System.Text;

namespace Rivet.Devices;

/// <summary>
/// The host side of a serial port: guest output goes to a stream (standard output by default),
/// flushed at line ends, at most <see cref="PartialLineDelayMs"/> after the first byte of a partial
/// line (a prompt, a typed character echoed back) and when the machine stops; input arrives from
/// a reader thread owned by the CLI, which only queues bytes here.
/// </summary>
internal sealed class HostConsole
{
    /// <summary>How long a partial line may wait for more bytes: batches a burst, unnoticeable when typing.</summary>
    public const int PartialLineDelayMs = 10;

    private readonly object _gate = new();
    private readonly BufferedStream _out;
    private readonly Timer _partialFlush;
    private readonly Queue<byte> _input = new(); // guarded by _gate
    private bool _partial;                       // guarded by _gate: bytes since the last flush, timer armed

    public HostConsole(Stream output)
    {
        _out = new BufferedStream(output, 4096);
        _partialFlush = new Timer(_ => Flush());
    }

    public event Action? InputArrived;

    public void Write(byte b)
    {
        lock (_gate)
        {
            _out.WriteByte(b);
            if (b == (byte)'\n')
            {
                _out.Flush();
                _partial = false;
            }
            else if (!_partial)
            {
                _partial = true;
                _partialFlush.Change(PartialLineDelayMs, Timeout.Infinite);
            }
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _out.Flush();
            _partial = false;
        }
    }

    public void EnqueueInput(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            foreach (byte b in bytes) _input.Enqueue(b);
        }
        InputArrived?.Invoke();
    }

    public bool TryRead(out byte b)
    {
        lock (_gate)
        {
            return _input.TryDequeue(out b);
        }
    }

    public bool HasInput
    {
        get
        {
            lock (_gate)
            {
                return _input.Count > 0;
            }
        }
    }

    /// <summary>A console that keeps guest output in memory (tests, benchmarks).</summary>
    public static HostConsole InMemory(out MemoryStream sink)
    {
        sink = new MemoryStream();
        return new HostConsole(sink);
    }

    public static string Text(MemoryStream sink) => Encoding.UTF8.GetString(sink.ToArray());
}
