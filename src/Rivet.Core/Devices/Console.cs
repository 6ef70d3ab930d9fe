using System.Text;

namespace Rivet.Devices;

/// <summary>
/// An output stream that queues without blocking and can be full (a character device's output
/// queue): the console writes each byte straight to it, and the UART shows its transmitter busy
/// while <see cref="CanAccept"/> is false.
/// </summary>
internal interface IConsoleBackPressure
{
    bool CanAccept { get; }
}

/// <summary>
/// The host side of a serial port: guest output goes to a stream (standard output by default),
/// flushed at line ends and when the machine idles or stops, or, for a stream that queues
/// (<see cref="IConsoleBackPressure"/>, the CLI's character devices), written through at once;
/// input arrives from a reader thread owned by the CLI, which only queues bytes here.
/// </summary>
internal sealed class HostConsole(Stream output)
{
    private readonly object _gate = new();
    private readonly IConsoleBackPressure? _backPressure = output as IConsoleBackPressure;
    // A queueing stream takes a byte cheaply and sends it on at once (a prompt without a line end
    // is not held back); any other stream is written a buffer at a time.
    private readonly Stream _out = output is IConsoleBackPressure ? output : new BufferedStream(output, 4096);
    private readonly Queue<byte> _input = new(); // guarded by _gate

    /// <summary>The transmitter can take a byte (false while the host side's output queue is full).</summary>
    public bool CanTransmit => _backPressure?.CanAccept ?? true;

    public event Action? InputArrived;

    public void Write(byte b)
    {
        lock (_gate)
        {
            _out.WriteByte(b);
            if (b == (byte)'\n') _out.Flush();
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _out.Flush();
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
