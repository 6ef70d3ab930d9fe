using Rivet.Isa;

namespace Rivet.Tests;

public sealed class DisassemblerTests
{
    [Theory]
    [InlineData(0x12345537u, 0x80000000UL, "lui a0,0x12345")]
    [InlineData(0x001000efu, 0x80000000UL, "jal ra,0x80000800")]
    [InlineData(0x00c58067u, 0x80000000UL, "jalr zero,12(a1)")]
    [InlineData(0xfeb50ee3u, 0x80000010UL, "beq a0,a1,0x8000000c")]
    [InlineData(0xfff10603u, 0x80000000UL, "lb a2,-1(sp)")]
    [InlineData(0x01b13823u, 0x80000000UL, "sd s11,16(sp)")]
    [InlineData(0x40c58533u, 0x80000000UL, "sub a0,a1,a2")]
    [InlineData(0x34059573u, 0x80000000UL, "csrrw a0,mscratch,a1")]
    [InlineData(0x30046073u, 0x80000000UL, "csrrsi zero,mstatus,8")]
    [InlineData(0xe663b2afu, 0x80000000UL, "amomaxu.d t0,t1,(t2)")]
    [InlineData(0x1005b52fu, 0x80000000UL, "lr.d a0,(a1)")]
    [InlineData(0x10500073u, 0x80000000UL, "wfi")]
    [InlineData(0x567du, 0x80000000UL, "addi a2,zero,-1")]   // c.li
    [InlineData(0x8082u, 0x80000000UL, "jalr zero,0(ra)")]    // c.jr ra
    [InlineData(0xffffffffu, 0x80000000UL, "illegal 0xffffffff")]
    public void Formats(uint raw, ulong pc, string text) => Assert.Equal(text, Disassembler.Format(Decoder.Decode(raw), pc));
}
