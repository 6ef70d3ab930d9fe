namespace Rivet.Plugins;

/// <summary>
/// One register a plugin can read (and where allowed write) by name: QEMU 10's
/// <c>qemu_plugin_reg_descriptor</c>. Names and features are those of gdb's RISC-V target
/// description as QEMU's gdbstub gives it: <c>org.gnu.gdb.riscv.cpu</c> (zero, ra, sp, gp, tp,
/// t0-t2, fp, s1, a0-a7, s2-s11, t3-t6, pc), <c>org.gnu.gdb.riscv.fpu</c> (ft0-ft7, fs0, fs1,
/// fa0-fa7, fs2-fs11, ft8-ft11), <c>org.gnu.gdb.riscv.virtual</c> (priv) and
/// <c>org.gnu.gdb.riscv.csr</c> (every CSR the hart implements, by its name, in number order).
/// The same descriptors serve every vCPU: a read or write acts on the vCPU whose callback runs.
/// </summary>
public sealed class RegisterDescriptor
{
    internal RegisterDescriptor(string name, string feature, RegisterKind kind, int number)
    {
        Name = name;
        Feature = feature;
        Kind = kind;
        Number = number;
    }

    /// <summary>The gdb name, lower case (e.g. <c>a0</c>, <c>fa0</c>, <c>mstatus</c>, <c>pc</c>, <c>priv</c>).</summary>
    public string Name { get; }

    /// <summary>The gdb feature it belongs to, e.g. <c>org.gnu.gdb.riscv.cpu</c>.</summary>
    public string Feature { get; }

    /// <summary>Its size in bytes: 8 for every RV64 register, as gdb describes them (f registers hold the raw 64 bits, NaN-boxed for single precision).</summary>
    public int Size => 8;

    internal RegisterKind Kind { get; }

    /// <summary>x or f register number, or CSR number.</summary>
    internal int Number { get; }

    /// <summary>The name.</summary>
    /// <returns><see cref="Name"/>.</returns>
    public override string ToString() => Name;
}

/// <summary>Which part of the hart a <see cref="RegisterDescriptor"/> names.</summary>
internal enum RegisterKind
{
    X,
    Pc,
    F,
    Priv,
    Csr,
}

public partial interface IPluginContext
{
    /// <summary>
    /// Every register, in gdb's order (QEMU 10's <c>qemu_plugin_get_registers</c>): x registers
    /// and pc, f registers, priv, then the CSRs. The list is the same for every vCPU and may be
    /// fetched at any time, also during <see cref="IRivetPlugin.Install"/>.
    /// </summary>
    /// <returns>The descriptors.</returns>
    IReadOnlyList<RegisterDescriptor> GetRegisters();

    /// <summary>
    /// The register called <paramref name="name"/>: a gdb name (<c>a0</c>, <c>fp</c>,
    /// <c>ft0</c>, <c>mstatus</c>), also <c>x0</c>-<c>x31</c>, <c>f0</c>-<c>f31</c> and <c>s0</c>
    /// (= fp); case-insensitive. Null when there is none.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <returns>The descriptor, or null.</returns>
    RegisterDescriptor? FindRegister(string name);

    /// <summary>
    /// Reads a register of the vCPU whose callback is running (QEMU's <c>qemu_plugin_read_register</c>).
    /// Allowed in every vCPU callback (init, idle, resume, block translated, execute, memory)
    /// and in vCPU exit callbacks. pc is as <see cref="ReadPc"/> gives it; CSRs read as a
    /// debugger sees them (no privilege or FS check, no side effect); cycle, instret, mcycle and
    /// minstret count the instructions retired before the instrumented one.
    /// </summary>
    /// <param name="register">A descriptor from <see cref="GetRegisters"/> or <see cref="FindRegister"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback (an at-exit callback, another thread).</exception>
    ulong ReadRegister(RegisterDescriptor register);

    /// <summary>Reads the register called <paramref name="name"/> (see <see cref="FindRegister"/> and <see cref="ReadRegister(RegisterDescriptor)"/>).</summary>
    /// <param name="name">The register's name.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException">No register has that name.</exception>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback.</exception>
    ulong ReadRegister(string name);

    /// <summary>
    /// Writes a register of the vCPU whose callback is running (QEMU's <c>qemu_plugin_write_register</c>).
    /// Allowed in vCPU init, idle and resume callbacks and in execute and memory callbacks; not
    /// in block-translated, vCPU exit or at-exit callbacks. Effects: a write to <c>zero</c> is
    /// ignored; x and f registers change at once; a CSR write goes through the CSR's WARL rules
    /// as a <c>csrw</c> in M-mode would (read-only CSRs throw); <c>priv</c> takes 0, 1 or 3.
    /// CSR and priv writes apply to data accesses at once and to instruction fetch from the
    /// next block. A <c>pc</c> write (even, else it throws) redirects execution: in an execute
    /// callback the instruction (or block) being instrumented does not run, and the vCPU goes on
    /// at the new pc at once, running that pc's block and instruction callbacks as for any jump
    /// target; in init, idle and resume callbacks the vCPU continues there; a memory callback
    /// cannot write pc (the instruction is half done).
    /// </summary>
    /// <param name="register">A descriptor from <see cref="GetRegisters"/> or <see cref="FindRegister"/>.</param>
    /// <param name="value">The new value.</param>
    /// <exception cref="InvalidOperationException">Not allowed in this callback, or not on a vCPU callback at all.</exception>
    /// <exception cref="ArgumentException">A read-only CSR, an odd pc or a priv value other than 0, 1 or 3.</exception>
    void WriteRegister(RegisterDescriptor register, ulong value);

    /// <summary>Writes the register called <paramref name="name"/> (see <see cref="WriteRegister(RegisterDescriptor, ulong)"/>).</summary>
    /// <param name="name">The register's name.</param>
    /// <param name="value">The new value.</param>
    /// <exception cref="ArgumentException">No register has that name, or the write is refused as above.</exception>
    /// <exception cref="InvalidOperationException">Not allowed in this callback.</exception>
    void WriteRegister(string name, ulong value);
}
