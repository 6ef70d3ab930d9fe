using System.Globalization;
using Rivet.Cpu;

namespace Rivet.Isa;

/// <summary>
/// Text for a decoded instruction, in the base-ISA form with ABI register names (compressed
/// instructions show as what they expand to, e.g. <c>c.li a0,5</c> as <c>addi a0,zero,5</c>).
/// </summary>
internal static class Disassembler
{
    private static readonly string[] Abi =
    [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "zero",
    ];

    private static readonly string[] FpAbi =
    [
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
        "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    ];

    private static readonly string[] RoundingModes = ["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"];

    public static string RegisterName(int index) => Abi[index];

    public static string FpRegisterName(int index) => FpAbi[index];

    /// <summary>fadd.s, fcvt.wu.d, ...: the Op name split at its capitals (QEMU 7.2 spells fmv.x.w/fmv.w.x fmv.x.s/fmv.s.x).</summary>
    private static string FpMnemonic(Op op) => op switch
    {
        Op.FmvXW => "fmv.x.s",
        Op.FmvWX => "fmv.s.x",
        _ => string.Concat(op.ToString().Select((c, k) => k > 0 && char.IsUpper(c) ? "." + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())),
    };

    private static string Mnemonic(Op op) => op switch
    {
        Op.FenceI => "fence.i",
        Op.SfenceVma => "sfence.vma",
        Op.LrW => "lr.w",
        Op.ScW => "sc.w",
        Op.LrD => "lr.d",
        Op.ScD => "sc.d",
        >= Op.AmoswapW and <= Op.AmomaxuW => op.ToString().ToLowerInvariant()[..^1] + ".w",
        >= Op.AmoswapD and <= Op.AmomaxuD => op.ToString().ToLowerInvariant()[..^1] + ".d",
        >= Op.Flw => FpMnemonic(op),
        _ => op.ToString().ToLowerInvariant(),
    };

    private static string CsrName(int csr) => csr switch
    {
        Csr.Fflags => "fflags",
        Csr.Frm => "frm",
        Csr.Fcsr => "fcsr",
        Csr.Sstatus => "sstatus",
        Csr.Sie => "sie",
        Csr.Stvec => "stvec",
        Csr.Scounteren => "scounteren",
        Csr.Sscratch => "sscratch",
        Csr.Sepc => "sepc",
        Csr.Scause => "scause",
        Csr.Stval => "stval",
        Csr.Sip => "sip",
        Csr.Satp => "satp",
        Csr.Mstatus => "mstatus",
        Csr.Medeleg => "medeleg",
        Csr.Mideleg => "mideleg",
        Csr.Misa => "misa",
        Csr.Mie => "mie",
        Csr.Mtvec => "mtvec",
        Csr.Mcounteren => "mcounteren",
        Csr.Mscratch => "mscratch",
        Csr.Mepc => "mepc",
        Csr.Mcause => "mcause",
        Csr.Mtval => "mtval",
        Csr.Mip => "mip",
        Csr.Mhartid => "mhartid",
        Csr.Mvendorid => "mvendorid",
        Csr.Marchid => "marchid",
        Csr.Mimpid => "mimpid",
        Csr.Mcycle => "mcycle",
        Csr.Minstret => "minstret",
        Csr.Cycle => "cycle",
        Csr.Time => "time",
        Csr.Instret => "instret",
        _ => "0x" + csr.ToString("x3", CultureInfo.InvariantCulture),
    };

    /// <summary>Disassembles an instruction at <paramref name="pc"/> (branch and jump targets are shown absolute).</summary>
    public static string Format(in DecodedInsn d, ulong pc)
    {
        if (d.Op == Op.Breakpoint) return Format(Decoder.Decode(d.Raw), pc); // the instruction under a gdb breakpoint
        string rd = Abi[d.Rd], rs1 = Abi[d.Rs1], rs2 = Abi[d.Rs2];
        string m = Mnemonic(d.Op);
        string target = "0x" + (pc + (ulong)(long)d.Imm).ToString("x", CultureInfo.InvariantCulture);
        return d.Op switch
        {
            Op.Illegal or Op.Undecoded or Op.PageEnd => $"illegal 0x{d.Raw:x}",
            Op.Lui or Op.Auipc => $"{m} {rd},0x{(uint)d.Imm >> 12:x}",
            Op.Jal => $"{m} {rd},{target}",
            Op.Jalr => $"{m} {rd},{d.Imm}({rs1})",
            >= Op.Beq and <= Op.Bgeu => $"{m} {rs1},{rs2},{target}",
            >= Op.Lb and <= Op.Lwu => $"{m} {rd},{d.Imm}({rs1})",
            >= Op.Sb and <= Op.Sd => $"{m} {rs2},{d.Imm}({rs1})",
            >= Op.Addi and <= Op.Srai or >= Op.Addiw and <= Op.Sraiw => $"{m} {rd},{rs1},{d.Imm}",
            Op.Fence or Op.FenceI or Op.Ecall or Op.Ebreak or Op.Mret or Op.Sret or Op.Wfi => m,
            Op.SfenceVma => $"{m} {rs1},{rs2}",
            >= Op.Csrrw and <= Op.Csrrc => $"{m} {rd},{CsrName(d.Imm & 0xFFF)},{rs1}",
            >= Op.Csrrwi and <= Op.Csrrci => $"{m} {rd},{CsrName(d.Imm & 0xFFF)},{d.Rs1}",
            Op.LrW or Op.LrD => $"{m} {rd},({rs1})",
            >= Op.ScW and <= Op.AmomaxuW or >= Op.ScD and <= Op.AmomaxuD => $"{m} {rd},{rs2},({rs1})",
            >= Op.Flw => FormatFp(d, m),
            _ => $"{m} {rd},{rs1},{rs2}",
        };
    }

    /// <summary>F and D in QEMU 7.2's operand order: a rounding mode comes first (<c>fadd.s rne,fa0,fa1,fa2</c>).</summary>
    private static string FormatFp(in DecodedInsn d, string m)
    {
        string x = Abi[d.Rd], frd = FpAbi[d.Rd & 31], fs1 = FpAbi[d.Rs1], fs2 = FpAbi[d.Rs2], fs3 = FpAbi[d.Imm & 31];
        string rm = RoundingModes[(d.Imm >> 8) & 7] + ",";
        return d.Op switch
        {
            Op.Flw or Op.Fld => $"{m} {frd},{d.Imm}({Abi[d.Rs1]})",
            Op.Fsw or Op.Fsd => $"{m} {fs2},{d.Imm}({Abi[d.Rs1]})",
            Op.FsqrtS or Op.FsqrtD or Op.FcvtSD or Op.FcvtDS => $"{m} {rm}{frd},{fs1}",
            >= Op.FmaddS and <= Op.FnmaddS or >= Op.FmaddD and <= Op.FnmaddD => $"{m} {rm}{frd},{fs1},{fs2},{fs3}",
            >= Op.FaddS and <= Op.FdivS or >= Op.FaddD and <= Op.FdivD => $"{m} {rm}{frd},{fs1},{fs2}",
            >= Op.FeqS and <= Op.FleS or >= Op.FeqD and <= Op.FleD => $"{m} {x},{fs1},{fs2}",
            Op.FclassS or Op.FclassD or Op.FmvXW or Op.FmvXD => $"{m} {x},{fs1}",
            >= Op.FcvtWS and <= Op.FcvtLuS or >= Op.FcvtWD and <= Op.FcvtLuD => $"{m} {rm}{x},{fs1}",
            >= Op.FcvtSW and <= Op.FcvtSLu or >= Op.FcvtDW and <= Op.FcvtDLu => $"{m} {rm}{frd},{Abi[d.Rs1]}",
            Op.FmvWX or Op.FmvDX => $"{m} {frd},{Abi[d.Rs1]}",
            _ => $"{m} {frd},{fs1},{fs2}", // fsgnj*, fmin, fmax
        };
    }
}
