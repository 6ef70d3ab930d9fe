using Rivet.Cli;

namespace Rivet.Tests;

/// <summary>QEMU's key=value option grammar, as tables of cases (expected values checked against qemu-system-riscv64 7.2).</summary>
public sealed class KeyValueOptionsTests
{
    /// <summary>Input, implied key, and the pairs as "key=value" joined by '|' (or "!" + the error).</summary>
    public static TheoryData<string, string?, string> Grammar => new()
    {
        { "virt", "type", "type=virt" },
        { "virt,aclint=on", "type", "type=virt|aclint=on" },
        { "type=virt,aclint=off", "type", "type=virt|aclint=off" },
        { "aclint=on", "type", "aclint=on" },
        { "4", "cpus", "cpus=4" },
        { "4,sockets=2,cores=2", "cpus", "cpus=4|sockets=2|cores=2" },
        { "512M", "size", "size=512M" },
        { "size=1G,slots=2,maxmem=4G", "size", "size=1G|slots=2|maxmem=4G" },
        { "web,,1,process=p", "guest", "guest=web,1|process=p" },
        { "guest=a,,b", "guest", "guest=a,b" },
        { "file=/tmp/a,,b.img", null, "file=/tmp/a,b.img" },
        { "path=x,,,,y", null, "path=x,,y" },
        { "base=utc,", null, "base=utc" },
        { "virt,", "type", "type=virt" },
        { "unix:/s,server,nowait", "backend", "backend=unix:/s|server=on|nowait=on" },
        { "a=1,a=2", null, "a=1|a=2" },
        { "a=", null, "a=" },
        { "a=b=c", null, "a=b=c" },
        { "", "type", "" },
        { "4,,,x=1", "cpus", "cpus=4,|x=1" },
        { ",", "cpus", "!Invalid parameter ''" },
        { "4,,,", "cpus", "cpus=4," },
        { "base=utc,,,x", null, "base=utc,|x=on" },
        { "a=1,,", null, "a=1," },
        { "x,,y=1", null, "x,y=1" },
        { "virt,aclint=on,,usb=on", "type", "type=virt|aclint=on,usb=on" },
    };

    [Theory]
    [MemberData(nameof(Grammar))]
    public void ParsesQemusGrammar(string text, string? implied, string expected)
    {
        if (expected.StartsWith('!'))
        {
            var ex = Assert.Throws<KeyValueException>(() => KeyValueOptions.Parse(text, implied));
            Assert.Equal(expected[1..], ex.Message);
            return;
        }
        var kv = KeyValueOptions.Parse(text, implied);
        Assert.Equal(expected, string.Join('|', kv.Pairs.Select(p => $"{p.Key}={p.Value}")));
        Assert.False(kv.HelpWanted);
    }

    [Theory]
    [InlineData("help", "type")]
    [InlineData("?", "model")]
    [InlineData("help,foo=bar", "driver")]
    public void ImpliedHelpIsAHelpRequest(string text, string implied)
    {
        var kv = KeyValueOptions.Parse(text, implied);
        Assert.True(kv.HelpWanted);
        Assert.Null(kv.Get(implied));
    }

    [Fact]
    public void LastValueWins() => Assert.Equal("2", KeyValueOptions.Parse("a=1,b=x,a=2").Get("a"));

    [Fact]
    public void UnknownKeysAreNamed()
    {
        var kv = KeyValueOptions.Parse("size=1G,foo=1", "size");
        Assert.Equal("Invalid parameter 'foo'", Assert.Throws<KeyValueException>(() => kv.CheckKeys(["size"])).Message);
        Assert.Equal("Parameter 'smp.foo' is unexpected", Assert.Throws<KeyValueException>(() => kv.CheckKeys(["size"], k => $"Parameter 'smp.{k}' is unexpected")).Message);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("yes", true)]
    [InlineData("true", true)]
    [InlineData("y", true)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    [InlineData("n", false)]
    public void Booleans(string text, bool expected) => Assert.Equal(expected, KeyValueOptions.ParseBool("usb", text));

    [Theory]
    [InlineData("maybe")]
    [InlineData("ON")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData("o")]
    public void BadBooleansUseQemusWords(string text)
        => Assert.Equal("Parameter 'aclint' expects 'on' or 'off'", Assert.Throws<KeyValueException>(() => KeyValueOptions.ParseBool("aclint", text)).Message);

    /// <summary>Input, default suffix, expected bytes (or -1: invalid, -2: out of range). From QEMU 7.2's qemu_strtosz.</summary>
    public static TheoryData<string, char, long> Sizes => new()
    {
        { "0", 'B', 0 },
        { "1", 'B', 1 },
        { "1", 'M', 1 << 20 },
        { "512M", 'B', 512L << 20 },
        { "512m", 'B', 512L << 20 },
        { "1k", 'B', 1024 },
        { "1K", 'B', 1024 },
        { "2G", 'B', 2L << 30 },
        { "1T", 'B', 1L << 40 },
        { "1P", 'B', 1L << 50 },
        { "7E", 'B', 7L << 60 },
        { "10b", 'M', 10 },
        { "0.5G", 'B', 512L << 20 },
        { "1.5M", 'B', 3L << 19 },
        { "1.5", 'M', 3L << 19 },
        { "1.k", 'B', 1024 },
        { "1.", 'M', 1 << 20 },
        { "0x100", 'B', 256 },
        { "0x100", 'M', 256L << 20 },
        { "0x10k", 'B', 16 << 10 },
        { "1.5", 'B', -1 },
        { "0.5", 'B', -1 },
        { "1.5b", 'B', -1 },
        { "lots", 'B', -1 },
        { "", 'B', -1 },
        { "-5M", 'B', -1 },
        { "+5M", 'B', -1 },
        { " 5M", 'B', -1 },
        { "5M ", 'B', -1 },
        { "12Q", 'B', -1 },
        { "512MB", 'B', -1 },
        { "NaN", 'B', -1 },
        { "inf", 'B', -1 },
        { "Infinity", 'B', -1 },
        { "1e3", 'B', -1 },
        { "1.5e3", 'B', -1 },
        { "0x1.8M", 'B', -1 },
        { "0x", 'B', -1 },
        { "1,5M", 'B', -1 },
        { "16E", 'B', -2 },
        { "18446744073709551616", 'B', -2 },
        { "99999999999999999999", 'B', -2 },
        { "17179869184G", 'B', -2 },
        { "0xffffffffffffffffff", 'B', -2 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SizesAsQemuReadsThem(string text, char defaultSuffix, long expected)
    {
        var error = KeyValueOptions.TryParseSize(text, defaultSuffix, out ulong bytes);
        switch (expected)
        {
            case -1:
                Assert.Equal(KeyValueOptions.SizeError.Invalid, error);
                Assert.Contains("expects a non-negative number below 2^64", Assert.Throws<KeyValueException>(() => KeyValueOptions.ParseSize("size", text, defaultSuffix)).Message);
                break;
            case -2:
                Assert.Equal(KeyValueOptions.SizeError.OutOfRange, error);
                Assert.Equal($"Value '{text}' is out of range for parameter 'size'", Assert.Throws<KeyValueException>(() => KeyValueOptions.ParseSize("size", text, defaultSuffix)).Message);
                break;
            default:
                Assert.Equal(KeyValueOptions.SizeError.None, error);
                Assert.Equal((ulong)expected, bytes);
                break;
        }
    }

    [Fact]
    public void LargestSizeFits()
    {
        Assert.Equal(KeyValueOptions.SizeError.None, KeyValueOptions.TryParseSize("18446744073709551615", 'B', out ulong max));
        Assert.Equal(ulong.MaxValue, max);
        Assert.Equal(KeyValueOptions.SizeError.None, KeyValueOptions.TryParseSize("15E", 'B', out ulong e));
        Assert.Equal(15UL << 60, e);
    }

    /// <summary>strtoull base 0, as QEMU's visitors: decimal, 0x hex, leading-0 octal; no sign, no spaces.</summary>
    [Theory]
    [InlineData("4", 4L)]
    [InlineData("0", 0L)]
    [InlineData("0x10", 16L)]
    [InlineData("0X1f", 31L)]
    [InlineData("010", 8L)]
    [InlineData("18446744073709551615", -3L)]
    [InlineData("18446744073709551616", -1L)]
    [InlineData("09", -1L)]
    [InlineData("-1", -1L)]
    [InlineData("+1", -1L)]
    [InlineData(" 1", -1L)]
    [InlineData("1.0", -1L)]
    [InlineData("1e3", -1L)]
    [InlineData("NaN", -1L)]
    [InlineData("Infinity", -1L)]
    [InlineData("", -1L)]
    [InlineData("0x", -1L)]
    [InlineData("four", -1L)]
    public void UnsignedIntegers(string text, long expected)
    {
        bool ok = KeyValueOptions.TryParseUnsigned(text, out ulong n);
        if (expected == -1)
        {
            Assert.False(ok);
            return;
        }
        Assert.True(ok);
        Assert.Equal(expected == -3 ? ulong.MaxValue : (ulong)expected, n);
    }
}
