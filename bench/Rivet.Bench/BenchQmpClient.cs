using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Rivet.Bench;

/// <summary>
/// The smallest QMP client that measures honestly: one blocking socket, the greeting and
/// qmp_capabilities first, then one command at a time, reading lines until the reply (the
/// server ends every message with CRLF; events are read and skipped).
/// </summary>
internal sealed class BenchQmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[8192];
    private int _start, _end;

    /// <summary>How long a reply may take before the read fails (a hung emulator).</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    private BenchQmpClient(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
    }

    public static BenchQmpClient Connect(string path, ChildProcess child, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(path));
                var client = new BenchQmpClient(s);
                using JsonDocument greeting = client.ReadMessage();
                if (!greeting.RootElement.TryGetProperty("QMP", out _)) throw new InvalidDataException($"not a QMP greeting: {greeting.RootElement}");
                client.RoundTrip("qmp_capabilities");
                return client;
            }
            catch (SocketException) when (sw.Elapsed < timeout && !child.HasExited)
            {
                s.Dispose();
                Thread.Sleep(10); // not listening yet: the emulator is still starting
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }
    }

    public void Send(string command) => _socket.Send(Encoding.UTF8.GetBytes($"{{\"execute\":\"{command}\"}}\r\n"));

    /// <summary>Sends a command and reads until its reply; milliseconds from send to reply. Throws if it failed.</summary>
    public double RoundTrip(string command)
    {
        long t0 = Stopwatch.GetTimestamp();
        Send(command);
        while (true)
        {
            using JsonDocument m = ReadMessage();
            JsonElement root = m.RootElement;
            if (root.TryGetProperty("event", out _)) continue;
            long t1 = Stopwatch.GetTimestamp();
            if (!root.TryGetProperty("return", out _)) throw new InvalidDataException($"{command} failed: {root}");
            return Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
        }
    }

    private JsonDocument ReadMessage()
    {
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = new ReadOnlyMemory<byte>(_buffer, _start, nl + 1 - _start);
                _start = nl + 1;
                return JsonDocument.Parse(line.ToArray());
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new InvalidDataException("a QMP message longer than 8 KiB");
            int n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            if (n == 0) throw new IOException("the emulator closed the QMP connection");
            _end += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
