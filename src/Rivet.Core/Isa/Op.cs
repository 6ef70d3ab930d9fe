namespace Rivet.Isa;

/// <summary>
/// Every operation the decoder produces. Compressed instructions expand to the same
/// operations (with <see cref="DecodedInsn.Length"/> 2), so the interpreter and the later
/// IL translator share one set of semantics.
/// </summary>
internal enum Op : byte
{
    // Slot not decoded yet: the interpreter decodes it on first execution.
    Undecoded = 0,
    // Sentinel after the last slot of a cached page: sequential execution left the page.
    PageEnd,
    Illegal,
    // A gdb breakpoint written over a decoded slot (Hart.Debug.cs): Raw and Length still hold the
    // instruction, so the original decodes again from Raw.
    Breakpoint,

    Lui, Auipc, Jal, Jalr,
    Beq, Bne, Blt, Bge, Bltu, Bgeu,
    Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu,
    Sb, Sh, Sw, Sd,
    Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai,
    Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And,
    Addiw, Slliw, Srliw, Sraiw,
    Addw, Subw, Sllw, Srlw, Sraw,
    Fence, FenceI, Ecall, Ebreak, Mret, Sret, Wfi, SfenceVma,
    Csrrw, Csrrs, Csrrc, Csrrwi, Csrrsi, Csrrci,

    Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu,
    Mulw, Divw, Divuw, Remw, Remuw,

    LrW, ScW, AmoswapW, AmoaddW, AmoxorW, AmoandW, AmoorW, AmominW, AmomaxW, AmominuW, AmomaxuW,
    LrD, ScD, AmoswapD, AmoaddD, AmoxorD, AmoandD, AmoorD, AmominD, AmomaxD, AmominuD, AmomaxuD,

    // F and D (Hart.Fpu.cs): every one from Flw to FmvDX needs mstatus.FS on. Rd, Rs1 and Rs2 name f
    // registers where the instruction reads or writes them (an f destination is never the x0 sink);
    // Imm holds rs3 in bits 0-4 and rm in bits 8-10 (loads and stores: the offset).
    Flw, Fld, Fsw, Fsd,
    FaddS, FsubS, FmulS, FdivS, FsqrtS, FminS, FmaxS, FsgnjS, FsgnjnS, FsgnjxS,
    FmaddS, FmsubS, FnmsubS, FnmaddS,
    FeqS, FltS, FleS, FclassS, FcvtWS, FcvtWuS, FcvtLS, FcvtLuS, FmvXW,
    FcvtSW, FcvtSWu, FcvtSL, FcvtSLu, FmvWX,
    FaddD, FsubD, FmulD, FdivD, FsqrtD, FminD, FmaxD, FsgnjD, FsgnjnD, FsgnjxD,
    FmaddD, FmsubD, FnmsubD, FnmaddD,
    FeqD, FltD, FleD, FclassD, FcvtWD, FcvtWuD, FcvtLD, FcvtLuD, FmvXD,
    FcvtDW, FcvtDWu, FcvtDL, FcvtDLu, FmvDX,
    FcvtSD, FcvtDS,
}
