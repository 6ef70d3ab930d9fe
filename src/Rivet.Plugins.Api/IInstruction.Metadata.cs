namespace Rivet.Plugins;

/// <summary>An instruction's symbol and class (QEMU's <c>qemu_plugin_insn_symbol</c>, and a classification QEMU leaves to the plugin).</summary>
public partial interface IInstruction
{
    /// <summary>
    /// The name of the function containing the instruction, from the symbol tables of the ELF files
    /// the machine loaded (kernel, firmware), or null (QEMU's <c>qemu_plugin_insn_symbol</c>, same rules:
    /// function symbols only; an address inside a function's size names it; a symbol without a size
    /// reaches to the next symbol). Looked up on first use.
    /// </summary>
    string? Symbol { get; }

    /// <summary>What kind of instruction this is, so a plugin need not decode opcodes (see <see cref="InstructionClass"/>).</summary>
    InstructionClass Class { get; }
}

/// <summary>
/// Instruction classes of RV64GC (every instruction Rivet decodes has exactly one). Jumps are told
/// apart by the RISC-V return-address-stack hints (unprivileged spec, <c>jalr</c>): a link register
/// is <c>ra</c> (x1) or <c>t0</c> (x5).
/// </summary>
public enum InstructionClass
{
    /// <summary>Integer arithmetic, logic, shifts, compares, <c>lui</c>, <c>auipc</c>.</summary>
    Alu,

    /// <summary>Integer multiply and divide (M extension).</summary>
    MulDiv,

    /// <summary>Loads, integer and floating point (<c>lb</c>...<c>ld</c>, <c>flw</c>, <c>fld</c>).</summary>
    Load,

    /// <summary>Stores, integer and floating point (<c>sb</c>...<c>sd</c>, <c>fsw</c>, <c>fsd</c>).</summary>
    Store,

    /// <summary>Conditional branches (<c>beq</c>...<c>bgeu</c>).</summary>
    Branch,

    /// <summary><c>jal</c>/<c>jalr</c> that neither links nor returns (<c>j</c>, <c>jr</c>, tail calls).</summary>
    Jump,

    /// <summary><c>jal</c>/<c>jalr</c> writing a link register (<c>call</c>).</summary>
    Call,

    /// <summary><c>jalr</c> through a link register without writing one (<c>ret</c>).</summary>
    Return,

    /// <summary>A extension: <c>lr</c>, <c>sc</c>, <c>amo*</c>.</summary>
    Atomic,

    /// <summary>Zicsr: <c>csrrw</c>...<c>csrrci</c>.</summary>
    Csr,

    /// <summary>F and D computation, compares, conversions and moves (not loads or stores).</summary>
    Fp,

    /// <summary><c>fence</c> and <c>fence.i</c>.</summary>
    Fence,

    /// <summary><c>ecall</c>, <c>ebreak</c>, <c>mret</c>, <c>sret</c>, <c>wfi</c>, <c>sfence.vma</c>.</summary>
    System,

    /// <summary>An encoding Rivet does not implement (it raises an illegal-instruction exception).</summary>
    Illegal,
}
