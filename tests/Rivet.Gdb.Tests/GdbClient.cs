using System.Net.Sockets;
using System.Text;

namespace Rivet.Gdb.Tests;

/// <summary>A raw remote-protocol client written from gdb's manual: sends packets, reads bytes and packets.</summary>
internal sealed class GdbClient : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    public GdbClient(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = 30_000; // a hang becomes a failure
    }

    public bool NoAck { get; set; }

    public static byte[] Frame(string payload)
    {
        byte sum = 0;
        foreach (char c in payload) sum += (byte)c;
        return Encoding.Latin1.GetBytes($"${payload}#{sum:x2}");
    }

    public void SendRaw(string raw) => _socket.Send(Encoding.Latin1.GetBytes(raw));

    public void SendRaw(byte[] raw) => _socket.Send(raw);

    public void Send(string payload) => _socket.Send(Frame(payload));

    /// <summary>The next byte from the stub; -1 at end of stream.</summary>
    public int ReadByte()
    {
        if (_pending.Count > 0)
        {
            byte b = _pending[0];
            _pending.RemoveAt(0);
            return b;
        }
        byte[] one = new byte[1];
        int n = _socket.Receive(one);
        return n == 0 ? -1 : one[0];
    }

    /// <summary>Reads up to and including the next packet; returns its payload and what came before '$' (acks).</summary>
    public (string Payload, string Before) ReadPacket()
    {
        var before = new StringBuilder();
        int b;
        while ((b = ReadByte()) != '$')
        {
            Assert.True(b >= 0, $"end of stream while waiting for a packet (got '{before}')");
            before.Append((char)b);
        }
        var payload = new StringBuilder();
        while ((b = ReadByte()) != '#')
        {
            Assert.True(b >= 0, "end of stream inside a packet");
            payload.Append((char)b);
        }
        string cs = $"{(char)ReadByte()}{(char)ReadByte()}";
        byte sum = 0;
        foreach (char c in payload.ToString()) sum += (byte)c;
        Assert.Equal($"{sum:x2}", cs);
        if (!NoAck) SendRaw("+");
        return (payload.ToString(), before.ToString());
    }

    /// <summary>Sends a packet and returns the reply (checking the stub acknowledged it, in ack mode).</summary>
    public string Ask(string payload)
    {
        Send(payload);
        (string reply, string before) = ReadPacket();
        Assert.Equal(NoAck ? "" : "+", before);
        return reply;
    }

    /// <summary>True once the stub has closed the connection (everything before the end is skipped).</summary>
    public string ReadToEnd()
    {
        var rest = new StringBuilder();
        int b;
        while ((b = ReadByte()) >= 0) rest.Append((char)b);
        return rest.ToString();
    }

    public void Dispose() => _socket.Dispose();
}
