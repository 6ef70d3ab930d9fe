namespace Rivet.Isa;

/// <summary>
/// Pure RV64GC (IMAFD + Zicsr + Zifencei, and C) decoder: instruction bits in, <see cref="DecodedInsn"/> out.
/// Anything it does not recognise decodes to <see cref="Op.Illegal"/>; it never throws.
/// </summary>
internal static class Decoder
{
    /// <summary>True when the low two bits mark a 32-bit instruction.</summary>
    public static bool IsFullLength(uint lowHalf) => (lowHalf & 3) == 3;

    public static DecodedInsn Decode(uint raw)
        => IsFullLength(raw) ? Decode32(raw) : Decode16((ushort)raw);

    private static DecodedInsn Make(Op op, uint rd, uint rs1, uint rs2, int imm, uint raw, byte length)
        => new()
        {
            Op = op,
            Rd = rd == 0 ? DecodedInsn.ZeroSink : (byte)rd,
            Rs1 = (byte)rs1,
            Rs2 = (byte)rs2,
            Imm = imm,
            Raw = raw,
            Length = length,
        };

    private static DecodedInsn Illegal(uint raw, byte length) => Make(Op.Illegal, 0, 0, 0, 0, raw, length);

    /// <summary>An F/D instruction whose destination is an f register (f0 is a real register, not the x0 sink).</summary>
    private static DecodedInsn MakeF(Op op, uint rd, uint rs1, uint rs2, int imm, uint raw, byte length)
    {
        DecodedInsn d = Make(op, rd, rs1, rs2, imm, raw, length);
        d.Rd = (byte)rd;
        return d;
    }

    // Immediate formats of the base ISA.
    private static int ImmI(uint i) => (int)i >> 20;
    private static int ImmS(uint i) => ((int)i >> 25 << 5) | (int)((i >> 7) & 0x1F);
    private static int ImmB(uint i) =>
        ((int)i >> 31 << 12) | (int)(((i >> 7) & 1) << 11) | (int)(((i >> 25) & 0x3F) << 5) | (int)(((i >> 8) & 0xF) << 1);
    private static int ImmU(uint i) => (int)(i & 0xFFFFF000);
    private static int ImmJ(uint i) =>
        ((int)i >> 31 << 20) | (int)(i & 0xFF000) | (int)(((i >> 20) & 1) << 11) | (int)(((i >> 21) & 0x3FF) << 1);

    public static DecodedInsn Decode32(uint i)
    {
        uint opcode = i & 0x7F, rd = (i >> 7) & 0x1F, f3 = (i >> 12) & 7, rs1 = (i >> 15) & 0x1F,
            rs2 = (i >> 20) & 0x1F, f7 = i >> 25;
        switch (opcode)
        {
            case 0x37: return Make(Op.Lui, rd, 0, 0, ImmU(i), i, 4);
            case 0x17: return Make(Op.Auipc, rd, 0, 0, ImmU(i), i, 4);
            case 0x6F: return Make(Op.Jal, rd, 0, 0, ImmJ(i), i, 4);
            case 0x67: return f3 == 0 ? Make(Op.Jalr, rd, rs1, 0, ImmI(i), i, 4) : Illegal(i, 4);
            case 0x63:
                {
                    Op op = f3 switch
                    {
                        0 => Op.Beq,
                        1 => Op.Bne,
                        4 => Op.Blt,
                        5 => Op.Bge,
                        6 => Op.Bltu,
                        7 => Op.Bgeu,
                        _ => Op.Illegal,
                    };
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, 0, rs1, rs2, ImmB(i), i, 4);
                }
            case 0x03:
                {
                    Op op = f3 switch
                    {
                        0 => Op.Lb,
                        1 => Op.Lh,
                        2 => Op.Lw,
                        3 => Op.Ld,
                        4 => Op.Lbu,
                        5 => Op.Lhu,
                        6 => Op.Lwu,
                        _ => Op.Illegal,
                    };
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, rd, rs1, 0, ImmI(i), i, 4);
                }
            case 0x23:
                {
                    Op op = f3 switch { 0 => Op.Sb, 1 => Op.Sh, 2 => Op.Sw, 3 => Op.Sd, _ => Op.Illegal };
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, 0, rs1, rs2, ImmS(i), i, 4);
                }
            case 0x13:
                switch (f3)
                {
                    case 0: return Make(Op.Addi, rd, rs1, 0, ImmI(i), i, 4);
                    case 2: return Make(Op.Slti, rd, rs1, 0, ImmI(i), i, 4);
                    case 3: return Make(Op.Sltiu, rd, rs1, 0, ImmI(i), i, 4);
                    case 4: return Make(Op.Xori, rd, rs1, 0, ImmI(i), i, 4);
                    case 6: return Make(Op.Ori, rd, rs1, 0, ImmI(i), i, 4);
                    case 7: return Make(Op.Andi, rd, rs1, 0, ImmI(i), i, 4);
                    case 1:
                        return (i >> 26) == 0 ? Make(Op.Slli, rd, rs1, 0, (int)((i >> 20) & 0x3F), i, 4) : Illegal(i, 4);
                    default: // 5
                        return (i >> 26) switch
                        {
                            0 => Make(Op.Srli, rd, rs1, 0, (int)((i >> 20) & 0x3F), i, 4),
                            0x10 => Make(Op.Srai, rd, rs1, 0, (int)((i >> 20) & 0x3F), i, 4),
                            _ => Illegal(i, 4),
                        };
                }
            case 0x1B:
                switch (f3)
                {
                    case 0: return Make(Op.Addiw, rd, rs1, 0, ImmI(i), i, 4);
                    case 1: return f7 == 0 ? Make(Op.Slliw, rd, rs1, 0, (int)rs2, i, 4) : Illegal(i, 4);
                    case 5:
                        return f7 switch
                        {
                            0 => Make(Op.Srliw, rd, rs1, 0, (int)rs2, i, 4),
                            0x20 => Make(Op.Sraiw, rd, rs1, 0, (int)rs2, i, 4),
                            _ => Illegal(i, 4),
                        };
                    default: return Illegal(i, 4);
                }
            case 0x33:
                {
                    Op op = (f7, f3) switch
                    {
                        (0, 0) => Op.Add,
                        (0x20, 0) => Op.Sub,
                        (0, 1) => Op.Sll,
                        (0, 2) => Op.Slt,
                        (0, 3) => Op.Sltu,
                        (0, 4) => Op.Xor,
                        (0, 5) => Op.Srl,
                        (0x20, 5) => Op.Sra,
                        (0, 6) => Op.Or,
                        (0, 7) => Op.And,
                        (1, 0) => Op.Mul,
                        (1, 1) => Op.Mulh,
                        (1, 2) => Op.Mulhsu,
                        (1, 3) => Op.Mulhu,
                        (1, 4) => Op.Div,
                        (1, 5) => Op.Divu,
                        (1, 6) => Op.Rem,
                        (1, 7) => Op.Remu,
                        _ => Op.Illegal,
                    };
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, rd, rs1, rs2, 0, i, 4);
                }
            case 0x3B:
                {
                    Op op = (f7, f3) switch
                    {
                        (0, 0) => Op.Addw,
                        (0x20, 0) => Op.Subw,
                        (0, 1) => Op.Sllw,
                        (0, 5) => Op.Srlw,
                        (0x20, 5) => Op.Sraw,
                        (1, 0) => Op.Mulw,
                        (1, 4) => Op.Divw,
                        (1, 5) => Op.Divuw,
                        (1, 6) => Op.Remw,
                        (1, 7) => Op.Remuw,
                        _ => Op.Illegal,
                    };
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, rd, rs1, rs2, 0, i, 4);
                }
            case 0x0F:
                // fence (any predecessor/successor set, fm and reserved fields ignored as hints) and fence.i
                return f3 switch
                {
                    0 => Make(Op.Fence, 0, 0, 0, 0, i, 4),
                    1 => Make(Op.FenceI, 0, 0, 0, 0, i, 4),
                    _ => Illegal(i, 4),
                };
            case 0x73:
                if (f3 == 0)
                {
                    if (rd != 0) return Illegal(i, 4);
                    // sfence.vma rs1, rs2 (funct7 0b0001001): virtual address and ASID.
                    if ((i >> 25) == 0x09) return Make(Op.SfenceVma, 0, rs1, rs2, 0, i, 4);
                    if (rs1 != 0) return Illegal(i, 4);
                    return (i >> 20) switch
                    {
                        0x000 => Make(Op.Ecall, 0, 0, 0, 0, i, 4),
                        0x001 => Make(Op.Ebreak, 0, 0, 0, 0, i, 4),
                        0x102 => Make(Op.Sret, 0, 0, 0, 0, i, 4),
                        0x302 => Make(Op.Mret, 0, 0, 0, 0, i, 4),
                        0x105 => Make(Op.Wfi, 0, 0, 0, 0, i, 4),
                        _ => Illegal(i, 4),
                    };
                }
                {
                    Op op = f3 switch
                    {
                        1 => Op.Csrrw,
                        2 => Op.Csrrs,
                        3 => Op.Csrrc,
                        5 => Op.Csrrwi,
                        6 => Op.Csrrsi,
                        7 => Op.Csrrci,
                        _ => Op.Illegal,
                    };
                    // rs1 holds the register or the 5-bit zimm; Rs2 keeps whether rd was x0 (csrrw skips the read).
                    return op == Op.Illegal ? Illegal(i, 4) : Make(op, rd, rs1, 0, (int)(i >> 20), i, 4);
                }
            case 0x2F:
                return DecodeAmo(i, rd, f3, rs1, rs2);
            case 0x07:
                return f3 switch
                {
                    2 => MakeF(Op.Flw, rd, rs1, 0, ImmI(i), i, 4),
                    3 => MakeF(Op.Fld, rd, rs1, 0, ImmI(i), i, 4),
                    _ => Illegal(i, 4),
                };
            case 0x27:
                return f3 switch
                {
                    2 => Make(Op.Fsw, 0, rs1, rs2, ImmS(i), i, 4),
                    3 => Make(Op.Fsd, 0, rs1, rs2, ImmS(i), i, 4),
                    _ => Illegal(i, 4),
                };
            case 0x43 or 0x47 or 0x4B or 0x4F:
                {
                    // fmadd/fmsub/fnmsub/fnmadd: rs3 in 31:27, fmt in 26:25.
                    uint fmt = (i >> 25) & 3;
                    if (fmt > 1 || f3 is 5 or 6) return Illegal(i, 4);
                    Op op = (opcode, fmt) switch
                    {
                        (0x43, 0) => Op.FmaddS,
                        (0x47, 0) => Op.FmsubS,
                        (0x4B, 0) => Op.FnmsubS,
                        (0x4F, 0) => Op.FnmaddS,
                        (0x43, _) => Op.FmaddD,
                        (0x47, _) => Op.FmsubD,
                        (0x4B, _) => Op.FnmsubD,
                        _ => Op.FnmaddD,
                    };
                    return MakeF(op, rd, rs1, rs2, FpImm(i >> 27, f3), i, 4);
                }
            case 0x53:
                return DecodeOpFp(i, rd, f3, rs1, rs2);
            default:
                return Illegal(i, 4);
        }
    }

    /// <summary>rs3 in bits 0-4, the rounding mode in bits 8-10 (see <see cref="Op"/>).</summary>
    private static int FpImm(uint rs3, uint rm) => (int)(rs3 | (rm << 8));

    /// <summary>The OP-FP major opcode: funct5 in 31:27 picks the operation, fmt in 26:25 the precision (S or D).</summary>
    private static DecodedInsn DecodeOpFp(uint i, uint rd, uint f3, uint rs1, uint rs2)
    {
        uint fmt = (i >> 25) & 3, f5 = i >> 27;
        if (fmt > 1) return Illegal(i, 4);
        bool d = fmt == 1;
        // A static rounding mode of 5 or 6 is reserved (7 is dynamic: frm decides at run time).
        bool rmOk = f3 is not (5 or 6);
        int imm = FpImm(0, f3);
        Op op;
        bool toX = false; // the destination is an x register
        switch (f5)
        {
            case 0x00: op = d ? Op.FaddD : Op.FaddS; break;
            case 0x01: op = d ? Op.FsubD : Op.FsubS; break;
            case 0x02: op = d ? Op.FmulD : Op.FmulS; break;
            case 0x03: op = d ? Op.FdivD : Op.FdivS; break;
            case 0x0B:
                if (rs2 != 0) return Illegal(i, 4);
                op = d ? Op.FsqrtD : Op.FsqrtS;
                break;
            case 0x04:
                op = f3 switch
                {
                    0 => d ? Op.FsgnjD : Op.FsgnjS,
                    1 => d ? Op.FsgnjnD : Op.FsgnjnS,
                    2 => d ? Op.FsgnjxD : Op.FsgnjxS,
                    _ => Op.Illegal,
                };
                rmOk = true;
                break;
            case 0x05:
                op = f3 switch
                {
                    0 => d ? Op.FminD : Op.FminS,
                    1 => d ? Op.FmaxD : Op.FmaxS,
                    _ => Op.Illegal,
                };
                rmOk = true;
                break;
            case 0x08:
                // fcvt.s.d (fmt S, rs2 1) and fcvt.d.s (fmt D, rs2 0).
                op = (d, rs2) switch { (false, 1) => Op.FcvtSD, (true, 0) => Op.FcvtDS, _ => Op.Illegal };
                break;
            case 0x14:
                op = f3 switch
                {
                    2 => d ? Op.FeqD : Op.FeqS,
                    1 => d ? Op.FltD : Op.FltS,
                    0 => d ? Op.FleD : Op.FleS,
                    _ => Op.Illegal,
                };
                rmOk = true;
                toX = true;
                break;
            case 0x18:
                op = rs2 switch
                {
                    0 => d ? Op.FcvtWD : Op.FcvtWS,
                    1 => d ? Op.FcvtWuD : Op.FcvtWuS,
                    2 => d ? Op.FcvtLD : Op.FcvtLS,
                    3 => d ? Op.FcvtLuD : Op.FcvtLuS,
                    _ => Op.Illegal,
                };
                toX = true;
                break;
            case 0x1A:
                op = rs2 switch
                {
                    0 => d ? Op.FcvtDW : Op.FcvtSW,
                    1 => d ? Op.FcvtDWu : Op.FcvtSWu,
                    2 => d ? Op.FcvtDL : Op.FcvtSL,
                    3 => d ? Op.FcvtDLu : Op.FcvtSLu,
                    _ => Op.Illegal,
                };
                break;
            case 0x1C:
                op = (rs2, f3) switch
                {
                    (0, 0) => d ? Op.FmvXD : Op.FmvXW,
                    (0, 1) => d ? Op.FclassD : Op.FclassS,
                    _ => Op.Illegal,
                };
                rmOk = true;
                toX = true;
                break;
            case 0x1E:
                op = rs2 == 0 && f3 == 0 ? (d ? Op.FmvDX : Op.FmvWX) : Op.Illegal;
                break;
            default:
                return Illegal(i, 4);
        }
        if (op == Op.Illegal || !rmOk) return Illegal(i, 4);
        return toX ? Make(op, rd, rs1, rs2, imm, i, 4) : MakeF(op, rd, rs1, rs2, imm, i, 4);
    }

    private static DecodedInsn DecodeAmo(uint i, uint rd, uint f3, uint rs1, uint rs2)
    {
        if (f3 != 2 && f3 != 3) return Illegal(i, 4);
        bool d = f3 == 3;
        uint f5 = i >> 27;
        Op op = f5 switch
        {
            0x02 => rs2 == 0 ? (d ? Op.LrD : Op.LrW) : Op.Illegal,
            0x03 => d ? Op.ScD : Op.ScW,
            0x01 => d ? Op.AmoswapD : Op.AmoswapW,
            0x00 => d ? Op.AmoaddD : Op.AmoaddW,
            0x04 => d ? Op.AmoxorD : Op.AmoxorW,
            0x0C => d ? Op.AmoandD : Op.AmoandW,
            0x08 => d ? Op.AmoorD : Op.AmoorW,
            0x10 => d ? Op.AmominD : Op.AmominW,
            0x14 => d ? Op.AmomaxD : Op.AmomaxW,
            0x18 => d ? Op.AmominuD : Op.AmominuW,
            0x1C => d ? Op.AmomaxuD : Op.AmomaxuW,
            _ => Op.Illegal,
        };
        return op == Op.Illegal ? Illegal(i, 4) : Make(op, rd, rs1, rs2, 0, i, 4);
    }

    // Compressed register fields name x8..x15.
    private static uint CReg(uint field) => field + 8;

    public static DecodedInsn Decode16(ushort h)
    {
        uint i = h;
        uint f3 = (i >> 13) & 7;
        uint rdFull = (i >> 7) & 0x1F, rs2Full = (i >> 2) & 0x1F;
        uint rdp = CReg((i >> 2) & 7), rs1p = CReg((i >> 7) & 7);
        switch (i & 3)
        {
            case 0:
                switch (f3)
                {
                    case 0:
                        {
                            // c.addi4spn: nzuimm[5:4|9:6|2|3]
                            int imm = (int)((((i >> 11) & 3) << 4) | (((i >> 7) & 0xF) << 6) | (((i >> 6) & 1) << 2) | (((i >> 5) & 1) << 3));
                            return imm == 0 ? Illegal(i, 2) : Make(Op.Addi, rdp, 2, 0, imm, i, 2);
                        }
                    case 1: return MakeF(Op.Fld, rdp, rs1p, 0, CLdImm(i), i, 2); // c.fld
                    case 2: return Make(Op.Lw, rdp, rs1p, 0, CLwImm(i), i, 2);
                    case 3: return Make(Op.Ld, rdp, rs1p, 0, CLdImm(i), i, 2);
                    case 5: return Make(Op.Fsd, 0, rs1p, rdp, CLdImm(i), i, 2); // c.fsd
                    case 6: return Make(Op.Sw, 0, rs1p, rdp, CLwImm(i), i, 2);
                    case 7: return Make(Op.Sd, 0, rs1p, rdp, CLdImm(i), i, 2);
                    default: return Illegal(i, 2); // reserved
                }
            case 1:
                switch (f3)
                {
                    case 0: return Make(Op.Addi, rdFull, rdFull, 0, CImm6(i), i, 2); // c.nop / c.addi
                    case 1: return rdFull == 0 ? Illegal(i, 2) : Make(Op.Addiw, rdFull, rdFull, 0, CImm6(i), i, 2);
                    case 2: return Make(Op.Addi, rdFull, 0, 0, CImm6(i), i, 2); // c.li
                    case 3:
                        if (rdFull == 2)
                        {
                            // c.addi16sp: nzimm[9|4|6|8:7|5]
                            int imm = ((int)(i << 19) >> 31 << 9) | (int)((((i >> 6) & 1) << 4) | (((i >> 5) & 1) << 6) | (((i >> 3) & 3) << 7) | (((i >> 2) & 1) << 5));
                            return imm == 0 ? Illegal(i, 2) : Make(Op.Addi, 2, 2, 0, imm, i, 2);
                        }
                        {
                            int imm = CImm6(i) << 12;
                            return imm == 0 ? Illegal(i, 2) : Make(Op.Lui, rdFull, 0, 0, imm, i, 2);
                        }
                    case 4:
                        switch ((i >> 10) & 3)
                        {
                            case 0: return Make(Op.Srli, rs1p, rs1p, 0, CShamt(i), i, 2);
                            case 1: return Make(Op.Srai, rs1p, rs1p, 0, CShamt(i), i, 2);
                            case 2: return Make(Op.Andi, rs1p, rs1p, 0, CImm6(i), i, 2);
                            default:
                                {
                                    uint rs2p = CReg((i >> 2) & 7);
                                    Op op = (((i >> 12) & 1), ((i >> 5) & 3)) switch
                                    {
                                        (0, 0) => Op.Sub,
                                        (0, 1) => Op.Xor,
                                        (0, 2) => Op.Or,
                                        (0, 3) => Op.And,
                                        (1, 0) => Op.Subw,
                                        (1, 1) => Op.Addw,
                                        _ => Op.Illegal,
                                    };
                                    return op == Op.Illegal ? Illegal(i, 2) : Make(op, rs1p, rs1p, rs2p, 0, i, 2);
                                }
                        }
                    case 5: return Make(Op.Jal, 0, 0, 0, CJImm(i), i, 2); // c.j
                    case 6: return Make(Op.Beq, 0, rs1p, 0, CBImm(i), i, 2);
                    default: return Make(Op.Bne, 0, rs1p, 0, CBImm(i), i, 2);
                }
            default: // quadrant 2
                switch (f3)
                {
                    case 0: return Make(Op.Slli, rdFull, rdFull, 0, CShamt(i), i, 2);
                    case 1: return MakeF(Op.Fld, rdFull, 2, 0, CLdspImm(i), i, 2); // c.fldsp (f0 is allowed)
                    case 2:
                        {
                            // c.lwsp: uimm[5|4:2|7:6]
                            int imm = (int)((((i >> 12) & 1) << 5) | (((i >> 4) & 7) << 2) | (((i >> 2) & 3) << 6));
                            return rdFull == 0 ? Illegal(i, 2) : Make(Op.Lw, rdFull, 2, 0, imm, i, 2);
                        }
                    case 3:
                        {
                            return rdFull == 0 ? Illegal(i, 2) : Make(Op.Ld, rdFull, 2, 0, CLdspImm(i), i, 2);
                        }
                    case 4:
                        if (((i >> 12) & 1) == 0)
                        {
                            if (rs2Full == 0)
                                return rdFull == 0 ? Illegal(i, 2) : Make(Op.Jalr, 0, rdFull, 0, 0, i, 2); // c.jr
                            return Make(Op.Add, rdFull, 0, rs2Full, 0, i, 2); // c.mv
                        }
                        if (rs2Full == 0)
                        {
                            return rdFull == 0
                                ? Make(Op.Ebreak, 0, 0, 0, 0, i, 2)
                                : Make(Op.Jalr, 1, rdFull, 0, 0, i, 2); // c.jalr
                        }
                        return Make(Op.Add, rdFull, rdFull, rs2Full, 0, i, 2); // c.add
                    case 6:
                        {
                            // c.swsp: uimm[5:2|7:6]
                            int imm = (int)((((i >> 9) & 0xF) << 2) | (((i >> 7) & 3) << 6));
                            return Make(Op.Sw, 0, 2, rs2Full, imm, i, 2);
                        }
                    case 5: return Make(Op.Fsd, 0, 2, rs2Full, CSdspImm(i), i, 2); // c.fsdsp
                    default: return Make(Op.Sd, 0, 2, rs2Full, CSdspImm(i), i, 2); // 7: c.sdsp
                }
        }
    }

    // c.ldsp/c.fldsp: uimm[5|4:3|8:6]
    private static int CLdspImm(uint i) => (int)((((i >> 12) & 1) << 5) | (((i >> 5) & 3) << 3) | (((i >> 2) & 7) << 6));
    // c.sdsp/c.fsdsp: uimm[5:3|8:6]
    private static int CSdspImm(uint i) => (int)((((i >> 10) & 7) << 3) | (((i >> 7) & 7) << 6));
    private static int CImm6(uint i) => ((int)(i << 19) >> 31 << 5) | (int)((i >> 2) & 0x1F);
    private static int CShamt(uint i) => (int)((((i >> 12) & 1) << 5) | ((i >> 2) & 0x1F));
    // c.lw/c.sw: uimm[5:3|2|6]
    private static int CLwImm(uint i) => (int)((((i >> 10) & 7) << 3) | (((i >> 6) & 1) << 2) | (((i >> 5) & 1) << 6));
    // c.ld/c.sd: uimm[5:3|7:6]
    private static int CLdImm(uint i) => (int)((((i >> 10) & 7) << 3) | (((i >> 5) & 3) << 6));
    // c.j: offset[11|4|9:8|10|6|7|3:1|5]
    private static int CJImm(uint i) =>
        ((int)(i << 19) >> 31 << 11) | (int)((((i >> 11) & 1) << 4) | (((i >> 9) & 3) << 8) | (((i >> 8) & 1) << 10)
            | (((i >> 7) & 1) << 6) | (((i >> 6) & 1) << 7) | (((i >> 3) & 7) << 1) | (((i >> 2) & 1) << 5));
    // c.beqz/c.bnez: offset[8|4:3] ... [7:6|2:1|5]
    private static int CBImm(uint i) =>
        ((int)(i << 19) >> 31 << 8) | (int)((((i >> 10) & 3) << 3) | (((i >> 5) & 3) << 6) | (((i >> 3) & 3) << 1) | (((i >> 2) & 1) << 5));
}
