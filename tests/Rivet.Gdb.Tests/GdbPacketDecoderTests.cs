using System.Text;

namespace Rivet.Gdb.Tests;

public sealed class GdbPacketDecoderTests
{
    private static List<GdbFrame> Decode(string input, bool byteByByte = false)
    {
        var decoder = new GdbPacketDecoder();
        var frames = new List<GdbFrame>();
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        if (byteByByte) foreach (byte b in bytes) decoder.Feed([b], frames);
        else decoder.Feed(bytes, frames);
        return frames;
    }

    private static string Text(GdbFrame f) => Encoding.Latin1.GetString(f.Payload!);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SplitsPacketsAcksAndCtrlC(bool byteByByte)
    {
        List<GdbFrame> frames = Decode("+$g#67-\x03$m80000000,4#55junk+", byteByByte);
        Assert.Equal([GdbFrameKind.Ack, GdbFrameKind.Packet, GdbFrameKind.Nak, GdbFrameKind.Interrupt, GdbFrameKind.Packet, GdbFrameKind.Ack], frames.Select(f => f.Kind));
        Assert.Equal("g", Text(frames[1]));
        Assert.Equal("m80000000,4", Text(frames[4]));
    }

    [Fact]
    public void ChecksumIsCheckedAndEitherCaseOfHexIsAccepted()
    {
        Assert.Equal(GdbFrameKind.BadChecksum, Decode("$g#68").Single().Kind);
        Assert.Equal(GdbFrameKind.Packet, Decode("$qC#B4").Single().Kind);
        Assert.Equal(GdbFrameKind.Malformed, Decode("$g#zz").Single().Kind);
    }

    [Fact]
    public void EmptyPacketAndCtrlCInsidePacketIsData()
    {
        Assert.Equal("", Text(Decode("$#00").Single()));
        Assert.Equal("a\x03", Text(Decode(Encoding.Latin1.GetString(GdbPacketDecoder.Frame("a\x03"))).Single()));
    }

    [Fact]
    public void RunLengthEncodingIsExpanded()
    {
        // '0*"' is '0' and 34 - 29 = 5 more: m8 + 6 zeros + 0 = m80000000 (7 zeros).
        string payload = "m80*\"0,4";
        byte sum = 0;
        foreach (char c in payload) sum += (byte)c;
        GdbFrame f = Decode($"${payload}#{sum:x2}").Single();
        Assert.Equal(GdbFrameKind.Packet, f.Kind);
        Assert.Equal("m80000000,4", Text(f));
    }

    [Theory]
    [InlineData("*a")]      // nothing to repeat
    [InlineData("a*\x01")]  // count below ' '
    public void BadRunLengthIsMalformed(string payload)
    {
        byte sum = 0;
        foreach (char c in payload) sum += (byte)c;
        Assert.Equal(GdbFrameKind.Malformed, Decode($"${payload}#{sum:x2}").Single().Kind);
    }

    [Fact]
    public void OversizePacketIsDroppedWithBoundedMemoryAndTheStreamRecovers()
    {
        var decoder = new GdbPacketDecoder();
        var frames = new List<GdbFrame>();
        decoder.Feed("$"u8, frames);
        byte[] junk = new byte[1 << 16];
        Array.Fill(junk, (byte)'a');
        for (int i = 0; i < 64; i++) decoder.Feed(junk, frames); // 4 MiB of garbage
        decoder.Feed("#00$qC#b4"u8, frames);
        Assert.Equal([GdbFrameKind.Oversize, GdbFrameKind.Packet], frames.Select(f => f.Kind));
        Assert.Equal("qC", Text(frames[1]));
        // A packet of exactly the limit is accepted.
        frames.Clear();
        decoder.Feed(GdbPacketDecoder.Frame(new string('x', GdbPacketDecoder.MaxPacketLength)), frames);
        Assert.Equal(GdbPacketDecoder.MaxPacketLength, frames.Single().Payload!.Length);
        // A run-length expansion past the limit is oversize too.
        frames.Clear();
        decoder.Feed(GdbPacketDecoder.Frame(new string('x', GdbPacketDecoder.MaxPacketLength - 1) + "x*~"), frames);
        Assert.Equal(GdbFrameKind.Oversize, frames.Single().Kind);
    }

    [Fact]
    public void DollarInsidePacketRestartsIt()
    {
        GdbFrame f = Decode("$garbage$qC#b4").Single();
        Assert.Equal("qC", Text(f));
    }

    [Fact]
    public void BinaryFramesEscapeAndUnescapeRoundTrip()
    {
        byte[] data = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        byte[] framed = GdbPacketDecoder.Frame(data, binary: true);
        // Only the four special bytes are escaped: 256 + 4 escapes + "$#cs".
        Assert.Equal(256 + 4 + 4, framed.Length);
        var frames = new List<GdbFrame>();
        new GdbPacketDecoder().Feed(framed, frames);
        Assert.Equal(GdbFrameKind.Packet, frames.Single().Kind);
        Assert.True(GdbPacketDecoder.TryUnescape(frames[0].Payload, out byte[] back));
        Assert.Equal(data, back);
        Assert.False(GdbPacketDecoder.TryUnescape("ab}"u8, out _));
    }

    [Fact]
    public void FrameChecksumIsTheModulo256Sum()
    {
        Assert.Equal("$OK#9a", Encoding.Latin1.GetString(GdbPacketDecoder.Frame("OK")));
        Assert.Equal("$T05thread:p01.01;#06", Encoding.Latin1.GetString(GdbPacketDecoder.Frame("T05thread:p01.01;")));
        Assert.Equal("$#00", Encoding.Latin1.GetString(GdbPacketDecoder.Frame("")));
    }
}
