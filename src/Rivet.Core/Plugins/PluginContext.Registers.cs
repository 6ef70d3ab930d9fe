using Rivet.Cpu;
using Rivet.Machine;

namespace Rivet.Plugins.Hosting;

/// <summary>Registers by name (QEMU 10's qemu_plugin_get_registers / read_register / write_register): docs/PLUGINS.md, "Registers".</summary>
internal sealed partial class PluginContext
{
    public IReadOnlyList<RegisterDescriptor> GetRegisters() => RegisterTable.All;

    public RegisterDescriptor? FindRegister(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return RegisterTable.ByName.GetValueOrDefault(name);
    }

    public ulong ReadRegister(RegisterDescriptor register)
    {
        ArgumentNullException.ThrowIfNull(register);
        Hart h = Host.CurrentHart(this, "ReadRegister");
        return register.Kind switch
        {
            RegisterKind.X => h.ReadRegister(register.Number),
            RegisterKind.Pc => h.Pc,
            RegisterKind.F => h.ReadF(register.Number),
            RegisterKind.Priv => (ulong)h.Privilege,
            _ => h.TryReadCsrDebug(register.Number, out ulong v) ? v : throw new InvalidOperationException($"plugin '{Name}': CSR {register.Name} cannot be read"),
        };
    }

    public ulong ReadRegister(string name) => ReadRegister(Named(name));

    public void WriteRegister(RegisterDescriptor register, ulong value)
    {
        ArgumentNullException.ThrowIfNull(register);
        Hart h = WritableHart("WriteRegister");
        switch (register.Kind)
        {
            case RegisterKind.X:
                h.WriteRegister(register.Number, value); // x0 ignores it
                break;
            case RegisterKind.F:
                h.WriteF(register.Number, value);
                break;
            case RegisterKind.Pc:
                if ((value & 1) != 0) throw new ArgumentException($"plugin '{Name}': pc 0x{value:x} is odd (instructions are 2-byte aligned)", nameof(value));
                CallbackKind kind = PluginCallback.Current;
                if (kind == CallbackKind.Memory) throw new InvalidOperationException($"plugin '{Name}': pc cannot be written in a memory callback (the instruction is half done); write it in an execute callback");
                h.RedirectPc(value, kind == CallbackKind.Execute);
                break;
            case RegisterKind.Priv:
                if (value is not (Priv.User or Priv.Supervisor or Priv.Machine)) throw new ArgumentException($"plugin '{Name}': priv {value} is not 0 (U), 1 (S) or 3 (M)", nameof(value));
                h.SetPrivilege((int)value);
                break;
            default:
                if (!h.TryWriteCsrDebug(register.Number, value)) throw new ArgumentException($"plugin '{Name}': CSR {register.Name} is read-only", nameof(register));
                break;
        }
    }

    public void WriteRegister(string name, ulong value) => WriteRegister(Named(name), value);

    private RegisterDescriptor Named(string name)
        => FindRegister(name) ?? throw new ArgumentException($"plugin '{Name}': no register named '{name}' (names as gdb's: a0, fp, ft0, mstatus, pc, priv; also x0-x31, f0-f31)", nameof(name));

    /// <summary>The hart of the running vCPU callback, if it may be changed there: not at exit, not during translation.</summary>
    private Hart WritableHart(string what)
    {
        Hart h = Host.CurrentHart(this, what);
        if (VCpu.Current == null) throw new InvalidOperationException($"plugin '{Name}': {what} is not allowed in a vCPU exit callback (the machine is shutting down)");
        if (PluginCallback.Current == CallbackKind.Translation) throw new InvalidOperationException($"plugin '{Name}': {what} is not allowed in a block-translated callback (nothing runs yet); use an execute callback");
        return h;
    }
}

/// <summary>The registers plugins see, as gdb's RISC-V target description names them, in QEMU's gdbstub order.</summary>
internal static class RegisterTable
{
    private const string CpuFeature = "org.gnu.gdb.riscv.cpu", FpuFeature = "org.gnu.gdb.riscv.fpu";
    private const string VirtualFeature = "org.gnu.gdb.riscv.virtual", CsrFeature = "org.gnu.gdb.riscv.csr";

    /// <summary>x0-x31 by ABI name (x8 is fp, as gdb's riscv-64bit-cpu.xml).</summary>
    public static readonly string[] XNames =
    [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ];

    public static readonly string[] FNames =
    [
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
        "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    ];

    public static readonly IReadOnlyList<RegisterDescriptor> All = Array.AsReadOnly(Build());

    public static readonly Dictionary<string, RegisterDescriptor> ByName = Index();

    /// <summary>Every CSR the hart implements (Hart.Csr.cs), by number.</summary>
    public static IEnumerable<(int Number, string Name)> Csrs()
    {
        yield return (Csr.Fflags, "fflags");
        yield return (Csr.Frm, "frm");
        yield return (Csr.Fcsr, "fcsr");
        foreach ((int n, string name) in new[]
        {
            (Csr.Sstatus, "sstatus"), (Csr.Sie, "sie"), (Csr.Stvec, "stvec"), (Csr.Scounteren, "scounteren"), (Csr.Senvcfg, "senvcfg"),
            (Csr.Sscratch, "sscratch"), (Csr.Sepc, "sepc"), (Csr.Scause, "scause"), (Csr.Stval, "stval"), (Csr.Sip, "sip"),
            (Csr.Stimecmp, "stimecmp"), (Csr.Satp, "satp"),
            (Csr.Mstatus, "mstatus"), (Csr.Misa, "misa"), (Csr.Medeleg, "medeleg"), (Csr.Mideleg, "mideleg"), (Csr.Mie, "mie"),
            (Csr.Mtvec, "mtvec"), (Csr.Mcounteren, "mcounteren"), (Csr.Menvcfg, "menvcfg"), (Csr.Mcountinhibit, "mcountinhibit"),
        })
        {
            yield return (n, name);
        }
        for (int i = 3; i <= 31; i++) yield return (Csr.MhpmEvent3 + i - 3, $"mhpmevent{i}");
        yield return (Csr.Mscratch, "mscratch");
        yield return (Csr.Mepc, "mepc");
        yield return (Csr.Mcause, "mcause");
        yield return (Csr.Mtval, "mtval");
        yield return (Csr.Mip, "mip");
        for (int i = 0; i <= 14; i += 2) yield return (Csr.Pmpcfg0 + i, $"pmpcfg{i}"); // odd ones do not exist on RV64
        for (int i = 0; i <= 63; i++) yield return (Csr.Pmpaddr0 + i, $"pmpaddr{i}");
        yield return (Csr.Tselect, "tselect");
        yield return (Csr.Tdata1, "tdata1");
        yield return (Csr.Tdata2, "tdata2");
        yield return (Csr.Tdata3, "tdata3");
        yield return (Csr.Tinfo, "tinfo");
        yield return (Csr.Mcycle, "mcycle");
        yield return (Csr.Minstret, "minstret");
        for (int i = 3; i <= 31; i++) yield return (Csr.MhpmCounter3 + i - 3, $"mhpmcounter{i}");
        yield return (Csr.Cycle, "cycle");
        yield return (Csr.Time, "time");
        yield return (Csr.Instret, "instret");
        for (int i = 3; i <= 31; i++) yield return (Csr.HpmCounter3 + i - 3, $"hpmcounter{i}");
        yield return (Csr.Mvendorid, "mvendorid");
        yield return (Csr.Marchid, "marchid");
        yield return (Csr.Mimpid, "mimpid");
        yield return (Csr.Mhartid, "mhartid");
        yield return (Csr.Mconfigptr, "mconfigptr");
    }

    private static RegisterDescriptor[] Build()
    {
        var all = new List<RegisterDescriptor>();
        for (int i = 0; i < 32; i++) all.Add(new RegisterDescriptor(XNames[i], CpuFeature, RegisterKind.X, i));
        all.Add(new RegisterDescriptor("pc", CpuFeature, RegisterKind.Pc, 0));
        for (int i = 0; i < 32; i++) all.Add(new RegisterDescriptor(FNames[i], FpuFeature, RegisterKind.F, i));
        all.Add(new RegisterDescriptor("priv", VirtualFeature, RegisterKind.Priv, 0));
        foreach ((int n, string name) in Csrs().OrderBy(c => c.Number)) all.Add(new RegisterDescriptor(name, CsrFeature, RegisterKind.Csr, n));
        return [.. all];
    }

    private static Dictionary<string, RegisterDescriptor> Index()
    {
        var byName = new Dictionary<string, RegisterDescriptor>(StringComparer.OrdinalIgnoreCase);
        foreach (RegisterDescriptor r in All) byName.Add(r.Name, r);
        for (int i = 0; i < 32; i++)
        {
            byName.Add($"x{i}", All[i]);
            byName.Add($"f{i}", All[33 + i]);
        }
        byName.Add("s0", All[8]);
        return byName;
    }
}
