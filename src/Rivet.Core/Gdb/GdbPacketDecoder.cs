using System.Text;

namespace Rivet.Gdb;

/// <summary>What the byte stream from gdb held: a packet, an acknowledgement, Ctrl-C, or a packet that cannot be used.</summary>
internal enum GdbFrameKind
{
    /// <summary>A complete packet with a good checksum (run-length encoding expanded; binary escapes left for the command).</summary>
    Packet,
    /// <summary>'+': the last packet sent arrived.</summary>
    Ack,
    /// <summary>'-': the last packet sent arrived damaged; send it again.</summary>
    Nak,
    /// <summary>0x03 outside a packet: gdb's Ctrl-C.</summary>
    Interrupt,
    /// <summary>A packet whose checksum does not match what it carries.</summary>
    BadChecksum,
    /// <summary>A packet that cannot be decoded (a bad run-length count, a checksum that is not hex).</summary>
    Malformed,
    /// <summary>A packet longer than <see cref="GdbPacketDecoder.MaxPacketLength"/>: its data was dropped as it came.</summary>
    Oversize,
}

internal readonly record struct GdbFrame(GdbFrameKind Kind, byte[]? Payload = null);

/// <summary>
/// Splits gdb's byte stream into frames (the remote protocol's packet layer): <c>$data#cs</c>,
/// '+', '-', Ctrl-C. Run-length encoding (<c>X*n</c>: n - 29 more X) is expanded here, as QEMU's
/// gdb_read_byte does; binary escapes ('}' then the byte xor 0x20) are left to the commands that
/// carry binary data (X). Memory is bounded: data beyond the packet size limit is counted, not kept.
/// Not thread-safe: one reader feeds it.
/// </summary>
internal sealed class GdbPacketDecoder
{
    /// <summary>QEMU 7.2's MAX_PACKET_LENGTH, which qSupported reports as PacketSize.</summary>
    public const int MaxPacketLength = 4096;

    private enum State
    {
        Idle,
        Data,
        Rle,
        Checksum1,
        Checksum2,
    }

    private readonly byte[] _buffer;
    private State _state;
    private int _length;
    private byte _sum;
    private bool _oversize, _malformed;
    private int _checksumHigh;

    public GdbPacketDecoder(int maxPacketLength = MaxPacketLength)
    {
        _buffer = new byte[maxPacketLength];
    }

    public int MaxLength => _buffer.Length;

    /// <summary>Feeds bytes as they arrive; complete frames are appended to <paramref name="frames"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data, List<GdbFrame> frames)
    {
        foreach (byte b in data)
        {
            switch (_state)
            {
                case State.Idle:
                    switch (b)
                    {
                        case (byte)'$': Begin(); break;
                        case (byte)'+': frames.Add(new GdbFrame(GdbFrameKind.Ack)); break;
                        case (byte)'-': frames.Add(new GdbFrame(GdbFrameKind.Nak)); break;
                        case 0x03: frames.Add(new GdbFrame(GdbFrameKind.Interrupt)); break;
                        default: break; // noise between packets is ignored, as QEMU does
                    }
                    break;
                case State.Data:
                    if (b == '#')
                    {
                        _state = State.Checksum1;
                    }
                    else if (b == '$')
                    {
                        Begin(); // gdb gave up on a packet and started another
                    }
                    else
                    {
                        _sum += b;
                        if (b == '*' && _length > 0) _state = State.Rle;
                        else if (b == '*') _malformed = true; // nothing to repeat
                        else Append(b);
                    }
                    break;
                case State.Rle:
                    _sum += b;
                    _state = State.Data;
                    if (b < ' ' || b == '#' || b == '$' || b > 126) _malformed = true;
                    else if (!_oversize && !_malformed)
                    {
                        byte repeated = _buffer[_length - 1];
                        for (int i = b - 29; i > 0; i--) Append(repeated);
                    }
                    break;
                case State.Checksum1:
                    _checksumHigh = HexValue(b);
                    _state = State.Checksum2;
                    break;
                case State.Checksum2:
                    int low = HexValue(b);
                    _state = State.Idle;
                    frames.Add(Finish(low));
                    break;
            }
        }
    }

    private GdbFrame Finish(int low)
    {
        if (_oversize) return new GdbFrame(GdbFrameKind.Oversize);
        if (_checksumHigh < 0 || low < 0 || _malformed) return new GdbFrame(GdbFrameKind.Malformed);
        if (((_checksumHigh << 4) | low) != _sum) return new GdbFrame(GdbFrameKind.BadChecksum);
        return new GdbFrame(GdbFrameKind.Packet, _buffer.AsSpan(0, _length).ToArray());
    }

    private void Begin()
    {
        _state = State.Data;
        _length = 0;
        _sum = 0;
        _oversize = _malformed = false;
    }

    private void Append(byte b)
    {
        if (_length == _buffer.Length)
        {
            _oversize = true;
            return;
        }
        if (!_oversize) _buffer[_length++] = b;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    // ---- encoding ----

    /// <summary><c>$payload#cs</c>; with <paramref name="binary"/>, '#', '$', '}' and '*' are escaped (gdb's binary data rule).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool binary = false)
    {
        var output = new List<byte>(payload.Length + 4) { (byte)'$' };
        byte sum = 0;
        foreach (byte b in payload)
        {
            if (binary && b is (byte)'#' or (byte)'$' or (byte)'}' or (byte)'*')
            {
                output.Add((byte)'}');
                output.Add((byte)(b ^ 0x20));
                sum += (byte)('}' + (b ^ 0x20));
            }
            else
            {
                output.Add(b);
                sum += b;
            }
        }
        output.Add((byte)'#');
        output.Add((byte)"0123456789abcdef"[sum >> 4]);
        output.Add((byte)"0123456789abcdef"[sum & 15]);
        return [.. output];
    }

    public static byte[] Frame(string payload) => Frame(Encoding.Latin1.GetBytes(payload));

    /// <summary>Undoes binary escapes ('}' then the byte xor 0x20); false for a '}' at the very end.</summary>
    public static bool TryUnescape(ReadOnlySpan<byte> data, out byte[] result)
    {
        var output = new List<byte>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != '}')
            {
                output.Add(data[i]);
                continue;
            }
            if (++i == data.Length)
            {
                result = [];
                return false;
            }
            output.Add((byte)(data[i] ^ 0x20));
        }
        result = [.. output];
        return true;
    }
}
