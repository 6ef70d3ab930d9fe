using System.Runtime.InteropServices;

namespace Rivet.Isa;

/// <summary>One decoded instruction, as cached per guest page.</summary>
/// <remarks>
/// A destination of x0 is decoded as register 32, a scratch slot nobody reads, so the
/// interpreter never has to test for x0 on a write.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct DecodedInsn
{
    public Op Op;
    public byte Rd;
    public byte Rs1;
    public byte Rs2;
    /// <summary>Sign-extended immediate; the CSR number for CSR operations.</summary>
    public int Imm;
    /// <summary>The instruction bits as fetched (16 or 32 bits), for <c>mtval</c> and disassembly.</summary>
    public uint Raw;
    /// <summary>2 for a compressed instruction, 4 otherwise.</summary>
    public byte Length;

    public const byte ZeroSink = 32;
}
