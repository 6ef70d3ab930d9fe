using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Rivet.Boot.Tests;

/// <summary>
/// A minimal QMP client on a Unix socket (QEMU's qmp-spec: greeting, qmp_capabilities, then one
/// JSON object per line): enough to stop, continue and reset a booting guest on rivet and QEMU.
/// </summary>
internal sealed class Qmp : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly List<string> _events = [];

    private Qmp(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = (int)Limit.TotalMilliseconds;
        _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
    }

    /// <summary>Connects once the emulator has bound the socket (it does during start-up), then negotiates.</summary>
    public static Qmp Connect(string path, Emulator emulator)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                var qmp = new Qmp(socket);
                string greeting = qmp.ReadLine();
                Assert.Contains("\"QMP\"", greeting);
                qmp.Execute("qmp_capabilities");
                return qmp;
            }
            catch (SocketException) when (clock.Elapsed < Limit && !emulator.HasExited)
            {
                socket.Dispose();
                // Not bound yet: the emulator is still starting; try again shortly.
                Thread.Sleep(20);
            }
        }
    }

    private string ReadLine() => _reader.ReadLine() ?? throw new IOException("QMP connection closed");

    /// <summary>Runs a command; its "return" value (events arriving first are kept).</summary>
    public JsonElement Execute(string command)
    {
        byte[] request = Encoding.UTF8.GetBytes($"{{\"execute\": \"{command}\"}}\r\n");
        _socket.Send(request);
        while (true)
        {
            string line = ReadLine();
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.TryGetProperty("event", out JsonElement ev))
            {
                _events.Add(ev.GetString() ?? "");
                continue;
            }
            if (root.TryGetProperty("error", out JsonElement error)) Assert.Fail($"QMP {command}: {error}");
            return root.GetProperty("return").Clone();
        }
    }

    /// <summary>query-status's "status" (running, paused, ...).</summary>
    public string Status() => Execute("query-status").GetProperty("status").GetString() ?? "";

    public IReadOnlyList<string> Events => _events;

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }
}
