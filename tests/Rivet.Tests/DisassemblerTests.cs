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
    // F and D as QEMU 7.2's -d in_asm prints them: the rounding mode first, fmv.x.s/fmv.s.x.
    [InlineData(0x00c58553u, 0x80000000UL, "fadd.s rne,fa0,fa1,fa2")]
    [InlineData(0x1ac5f553u, 0x80000000UL, "fdiv.d dyn,fa0,fa1,fa2")]
    [InlineData(0x5805c553u, 0x80000000UL, "fsqrt.s rmm,fa0,fa1")]
    [InlineData(0x1a209043u, 0x80000000UL, "fmadd.d rtz,ft0,ft1,ft2,ft3")]
    [InlineData(0x1820f04bu, 0x80000000UL, "fnmsub.s dyn,ft0,ft1,ft2,ft3")]
    [InlineData(0x2124a453u, 0x80000000UL, "fsgnjx.s fs0,fs1,fs2")]
    [InlineData(0x29ee8e53u, 0x80000000UL, "fmin.s ft8,ft9,ft10")]
    [InlineData(0xa2d605d3u, 0x80000000UL, "fle.d a1,fa2,fa3")]
    [InlineData(0xe00615d3u, 0x80000000UL, "fclass.s a1,fa2")]
    [InlineData(0xc20615d3u, 0x80000000UL, "fcvt.w.d rtz,a1,fa2")]
    [InlineData(0xc03675d3u, 0x80000000UL, "fcvt.lu.s dyn,a1,fa2")]
    [InlineData(0xd2058653u, 0x80000000UL, "fcvt.d.w rne,fa2,a1")]
    [InlineData(0x4016f653u, 0x80000000UL, "fcvt.s.d dyn,fa2,fa3")]
    [InlineData(0x42068653u, 0x80000000UL, "fcvt.d.s rne,fa2,fa3")]
    [InlineData(0xe00605d3u, 0x80000000UL, "fmv.x.s a1,fa2")]
    [InlineData(0xf0058653u, 0x80000000UL, "fmv.s.x fa2,a1")]
    [InlineData(0xe20605d3u, 0x80000000UL, "fmv.x.d a1,fa2")]
    [InlineData(0x00012007u, 0x80000000UL, "flw ft0,0(sp)")]
    [InlineData(0x7e313c27u, 0x80000000UL, "fsd ft3,2040(sp)")]
    [InlineData(0x2508u, 0x80000000UL, "fld fa0,8(a0)")]     // c.fld
    [InlineData(0xb036u, 0x80000000UL, "fsd fa3,32(sp)")]    // c.fsdsp
    [InlineData(0x00302573u, 0x80000000UL, "csrrs a0,fcsr,zero")] // frcsr
    [InlineData(0x0025b573u, 0x80000000UL, "csrrc a0,frm,a1")]
    [InlineData(0x0010e573u, 0x80000000UL, "csrrsi a0,fflags,1")]
    public void Formats(uint raw, ulong pc, string text) => Assert.Equal(text, Disassembler.Format(Decoder.Decode(raw), pc));
}
