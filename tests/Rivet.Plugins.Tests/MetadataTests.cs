using Rivet.Board;
using Rivet.Isa;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>Instruction metadata: symbols (QEMU's lookup_symbol rules) and classes.</summary>
public sealed class MetadataTests
{
    [Fact]
    public void EveryOpHasAClass()
    {
        Op[] missing = [.. Enum.GetValues<Op>().Where(op => OpClass.Of(op) == null)];
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData(0x008000EFu, InstructionClass.Call)]    // jal ra,8
    [InlineData(0x008002EFu, InstructionClass.Call)]    // jal t0,8 (alternate link register)
    [InlineData(0x0080006Fu, InstructionClass.Jump)]    // j 8
    [InlineData(0x00008067u, InstructionClass.Return)]  // ret (jalr x0,0(ra))
    [InlineData(0x00028067u, InstructionClass.Return)]  // jr t0
    [InlineData(0x00030067u, InstructionClass.Jump)]    // jr t1
    [InlineData(0x000300E7u, InstructionClass.Call)]    // jalr ra,0(t1)
    [InlineData(0x00053703u, InstructionClass.Load)]    // ld a4,0(a0)
    [InlineData(0x00053023u, InstructionClass.Store)]   // sd zero,0(a0)
    [InlineData(0x0005B007u, InstructionClass.Load)]    // fld ft0,0(a1)
    [InlineData(0x0005B027u, InstructionClass.Store)]   // fsd ft0,0(a1)
    [InlineData(0x02B50553u, InstructionClass.Fp)]      // fadd.d fa0,fa0,fa1
    [InlineData(0xFEC56CE3u, InstructionClass.Branch)]  // bltu a0,a2,-8
    [InlineData(0x01D3BF2Fu, InstructionClass.Atomic)]  // amoadd.d t5,t4,(t2)
    [InlineData(0x1005A52Fu, InstructionClass.Atomic)]  // lr.w a0,(a1)
    [InlineData(0xF1402FF3u, InstructionClass.Csr)]     // csrr t6,mhartid
    [InlineData(0x0FF0000Fu, InstructionClass.Fence)]   // fence
    [InlineData(0x0000100Fu, InstructionClass.Fence)]   // fence.i
    [InlineData(0x00000073u, InstructionClass.System)]  // ecall
    [InlineData(0x10500073u, InstructionClass.System)]  // wfi
    [InlineData(0x30200073u, InstructionClass.System)]  // mret
    [InlineData(0x03CE0EB3u, InstructionClass.MulDiv)]  // mul t4,t3,t3
    [InlineData(0x00001517u, InstructionClass.Alu)]     // auipc a0,0x1
    [InlineData(0x5553031Bu, InstructionClass.Alu)]     // addiw t1,t1,1365
    [InlineData(0x00000000u, InstructionClass.Illegal)] // the all-zero encoding
    [InlineData(0x8082u, InstructionClass.Return)]      // c.jr ra (ret)
    [InlineData(0x9082u, InstructionClass.Call)]        // c.jalr ra
    public void DecodedInstructionsHaveTheirClass(uint raw, InstructionClass expected)
        => Assert.Equal(expected, OpClass.Of(Decoder.Decode(raw)));

    [Fact]
    public void SymbolTableFollowsQemuRules()
    {
        var t = new SymbolTable([
            new SymbolTable.Symbol("b", 0x1010, 0x10),
            new SymbolTable.Symbol("a", 0x1000, 8),      // 0x1008..0x100f belongs to nobody
            new SymbolTable.Symbol("nosize", 0x1020, 0), // reaches to the next symbol
            new SymbolTable.Symbol("alias", 0x1030, 4),
            new SymbolTable.Symbol("alias2", 0x1030, 4), // same address: the first in the file wins
            new SymbolTable.Symbol("last", 0x1040, 0),   // size 0 and no next symbol: matches nothing
        ]);
        Assert.Null(t.Lookup(0xFFF));
        Assert.Equal("a", t.Lookup(0x1000));
        Assert.Equal("a", t.Lookup(0x1007));
        Assert.Null(t.Lookup(0x1008));
        Assert.Equal("b", t.Lookup(0x101F));
        Assert.Equal("nosize", t.Lookup(0x1020));
        Assert.Equal("nosize", t.Lookup(0x102F));
        Assert.Equal("alias", t.Lookup(0x1032));
        Assert.Null(t.Lookup(0x1034));
        Assert.Null(t.Lookup(0x1040));
    }

    private const string Contrib = "build/plugins/contrib.elf";

    /// <summary>Every instruction's pc, symbol, class and disassembly as one plugin saw them.</summary>
    private static Dictionary<ulong, (string? Symbol, InstructionClass Class, string Disassembly)> Seen(MachineConfig config)
    {
        var seen = new Dictionary<ulong, (string?, InstructionClass, string)>();
        PluginRun.Run(config, host => host.Install(new Recorder(seen), "recorder"));
        return seen;
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Recorder(Dictionary<ulong, (string?, InstructionClass, string)> seen) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args)
            => context.RegisterBlockTranslated(block =>
            {
                lock (seen)
                {
                    foreach (IInstruction i in block.Instructions) seen[i.Pc] = (i.Symbol, i.Class, i.Disassembly);
                }
            });
    }

    [Fact]
    public void InstructionsOfAGuestElfHaveSymbolsAndClasses()
    {
        var seen = Seen(Programs.Guest(Contrib, 1));
        Assert.Equal(("_start", InstructionClass.Alu), Pick(seen[0x80000000]));        // auipc a0,0x1
        Assert.Equal(("_start", InstructionClass.Call), Pick(seen[0x80000010]));       // jalr ra,128(ra)
        Assert.Equal(("_start", InstructionClass.System), Pick(seen[0x80000084]));     // wfi
        Assert.Equal(("fill", InstructionClass.Alu), Pick(seen[0x8000008C]));          // the function's first instruction
        Assert.Equal(("fill", InstructionClass.Store), Pick(seen[0x80000090]));        // inside it
        Assert.Equal(("fill", InstructionClass.Return), Pick(seen[0x8000009C]));
        Assert.Equal(("sum", InstructionClass.Load), Pick(seen[0x800000A8]));
        Assert.Equal(("sum", InstructionClass.Branch), Pick(seen[0x800000B4]));
        Assert.Equal(("misc", InstructionClass.MulDiv), Pick(seen[0x800000CC]));
        Assert.Equal(("misc", InstructionClass.Atomic), Pick(seen[0x800000D0]));
        Assert.Equal(("misc", InstructionClass.Csr), Pick(seen[0x800000D4]));
        Assert.Equal(("misc", InstructionClass.Fence), Pick(seen[0x800000D8]));
        Assert.Equal(("nosize", InstructionClass.Alu), Pick(seen[0x800000E0]));        // no .size: stretched to stream
        Assert.Equal(("nosize", InstructionClass.Return), Pick(seen[0x800000E4]));
        Assert.Equal(("stream", InstructionClass.Load), Pick(seen[0x800000EC]));
        Assert.Equal("amoadd.d t5,t4,(t2)", seen[0x800000D0].Disassembly);
    }

    private static (string?, InstructionClass) Pick((string? Symbol, InstructionClass Class, string Disassembly) x) => (x.Symbol, x.Class);

    [Fact]
    public void AnElfWithoutSymbolsGivesNoSymbol()
    {
        var seen = Seen(Programs.Config(Programs.Loop));
        Assert.NotEmpty(seen);
        Assert.All(seen.Values, v => Assert.Null(v.Symbol));
        Assert.Equal(InstructionClass.Branch, seen[0x80000008].Class);
    }
}
