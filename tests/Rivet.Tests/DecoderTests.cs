using System.Globalization;
using Rivet.Isa;

namespace Rivet.Tests;

/// <summary>Decoder cases as data (Data/decoder.txt): encoding → operation and fields.</summary>
public sealed class DecoderTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "decoder.txt")))
        {
            string body = line.Split('#')[0].Trim();
            if (body.Length > 0) data.Add(line.Trim());
        }
        return data;
    }

    private static int ParseInt(string s)
        => s.StartsWith("0x") ? int.Parse(s[2..], NumberStyles.HexNumber) : s.StartsWith("-0x") ? -int.Parse(s[3..], NumberStyles.HexNumber) : int.Parse(s);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decodes(string line)
    {
        string[] f = line.Split('#')[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        uint raw = uint.Parse(f[0], NumberStyles.HexNumber);
        DecodedInsn d = Decoder.Decode(raw);
        var op = Enum.Parse<Op>(f[1]);
        Assert.Equal(op, d.Op);
        Assert.Equal(f[0].Length == 4 ? 2 : 4, d.Length);
        if (op == Op.Illegal) return;
        int rd = int.Parse(f[2]);
        Assert.Equal(rd == 0 ? DecodedInsn.ZeroSink : rd, d.Rd);
        Assert.Equal(int.Parse(f[3]), d.Rs1);
        Assert.Equal(int.Parse(f[4]), d.Rs2);
        Assert.Equal(ParseInt(f[5]), op is >= Op.Csrrw and <= Op.Csrrci ? d.Imm & 0xFFF : d.Imm);
    }

    [Fact]
    public void EveryOpcodeAndCompressedPatternDecodesWithoutThrowing()
    {
        // Exhaustive over 16-bit space; sampled over 32-bit space.
        for (uint h = 0; h <= 0xFFFF; h++)
        {
            if ((h & 3) == 3) continue;
            DecodedInsn d = Decoder.Decode16((ushort)h);
            Assert.Equal(2, d.Length);
        }
        var rng = new Random(1234);
        for (int i = 0; i < 200_000; i++)
        {
            uint w = (uint)rng.NextInt64() | 3;
            Assert.Equal(4, Decoder.Decode32(w).Length);
        }
    }
}
