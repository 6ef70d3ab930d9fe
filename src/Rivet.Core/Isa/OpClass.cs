using Rivet.Plugins;

namespace Rivet.Isa;

/// <summary>
/// Every <see cref="Op"/>'s <see cref="InstructionClass"/>, in one table (a test checks every Op has
/// one); jumps are refined by their registers.
/// </summary>
internal static class OpClass
{
    private static readonly InstructionClass?[] s_table = Build();

    private static InstructionClass?[] Build()
    {
        var t = new InstructionClass?[Enum.GetValues<Op>().Length];
        void Set(InstructionClass c, params Op[] ops)
        {
            foreach (Op op in ops) t[(int)op] = c;
        }
        // The decoder's sentinels never reach a block; they raise what an unknown encoding raises.
        Set(InstructionClass.Illegal, Op.Undecoded, Op.PageEnd, Op.Illegal, Op.Breakpoint);
        Set(InstructionClass.Alu, Op.Lui, Op.Auipc,
            Op.Addi, Op.Slti, Op.Sltiu, Op.Xori, Op.Ori, Op.Andi, Op.Slli, Op.Srli, Op.Srai,
            Op.Add, Op.Sub, Op.Sll, Op.Slt, Op.Sltu, Op.Xor, Op.Srl, Op.Sra, Op.Or, Op.And,
            Op.Addiw, Op.Slliw, Op.Srliw, Op.Sraiw, Op.Addw, Op.Subw, Op.Sllw, Op.Srlw, Op.Sraw);
        Set(InstructionClass.Jump, Op.Jal, Op.Jalr);
        Set(InstructionClass.Branch, Op.Beq, Op.Bne, Op.Blt, Op.Bge, Op.Bltu, Op.Bgeu);
        Set(InstructionClass.Load, Op.Lb, Op.Lh, Op.Lw, Op.Ld, Op.Lbu, Op.Lhu, Op.Lwu, Op.Flw, Op.Fld);
        Set(InstructionClass.Store, Op.Sb, Op.Sh, Op.Sw, Op.Sd, Op.Fsw, Op.Fsd);
        Set(InstructionClass.Fence, Op.Fence, Op.FenceI);
        Set(InstructionClass.System, Op.Ecall, Op.Ebreak, Op.Mret, Op.Sret, Op.Wfi, Op.SfenceVma);
        Set(InstructionClass.Csr, Op.Csrrw, Op.Csrrs, Op.Csrrc, Op.Csrrwi, Op.Csrrsi, Op.Csrrci);
        Set(InstructionClass.MulDiv, Op.Mul, Op.Mulh, Op.Mulhsu, Op.Mulhu, Op.Div, Op.Divu, Op.Rem, Op.Remu,
            Op.Mulw, Op.Divw, Op.Divuw, Op.Remw, Op.Remuw);
        Set(InstructionClass.Atomic,
            Op.LrW, Op.ScW, Op.AmoswapW, Op.AmoaddW, Op.AmoxorW, Op.AmoandW, Op.AmoorW, Op.AmominW, Op.AmomaxW, Op.AmominuW, Op.AmomaxuW,
            Op.LrD, Op.ScD, Op.AmoswapD, Op.AmoaddD, Op.AmoxorD, Op.AmoandD, Op.AmoorD, Op.AmominD, Op.AmomaxD, Op.AmominuD, Op.AmomaxuD);
        // Every F/D operation from FaddS on (loads and stores are set above).
        for (Op op = Op.FaddS; op <= Op.FcvtDS; op++) t[(int)op] ??= InstructionClass.Fp;
        return t;
    }

    /// <summary>The class of <paramref name="op"/> before register refinement; null only if the table misses an Op (a test checks it never does).</summary>
    public static InstructionClass? Of(Op op) => (uint)op < (uint)s_table.Length ? s_table[(int)op] : null;

    /// <summary>The class of a decoded instruction: <c>jal</c>/<c>jalr</c> become calls or returns by their link registers.</summary>
    public static InstructionClass Of(in DecodedInsn d)
    {
        InstructionClass c = Of(d.Op) ?? InstructionClass.Illegal;
        if (c != InstructionClass.Jump) return c;
        // rd is the ZeroSink (32) for x0, never a link register.
        if (IsLink(d.Rd)) return InstructionClass.Call;
        if (d.Op == Op.Jalr && IsLink(d.Rs1)) return InstructionClass.Return;
        return InstructionClass.Jump;
    }

    private static bool IsLink(byte reg) => reg is 1 or 5;
}
