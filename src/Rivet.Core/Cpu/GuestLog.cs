using System.Globalization;
using System.Text;
using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>QEMU's <c>-d</c> items that Rivet provides (docs/LOGS.md).</summary>
[Flags]
internal enum LogItems
{
    None = 0,
    /// <summary>every trap and interrupt, as riscv_cpu_do_interrupt logs it</summary>
    Int = 1,
    /// <summary>accesses to unmapped addresses, as memory_region_access_valid logs them</summary>
    GuestErrors = 2,
    /// <summary>guest requests Rivet (like QEMU) does not implement</summary>
    Unimp = 4,
    /// <summary>each block's instructions when first executed</summary>
    InAsm = 8,
    /// <summary>a Trace line per block executed</summary>
    Exec = 16,
    /// <summary>the register dump before each block</summary>
    Cpu = 32,
    /// <summary>items that need the instrumented interpreter</summary>
    PerBlock = InAsm | Exec | Cpu,
    /// <summary>every translation the TLBs miss, as riscv_cpu_tlb_fill logs it</summary>
    Mmu = 64,
    /// <summary>the f registers too in the cpu dump</summary>
    Fpu = 128,
}

/// <summary>
/// The -d log: one writer shared by every hart, each message written whole under a lock so
/// lines from different harts never interleave. Only consulted on paths that already leave the
/// interpreter's fast loop (traps, device accesses, CSR writes) or in instrumented mode.
/// </summary>
internal sealed class GuestLog(TextWriter writer, LogItems items)
{
    private readonly Lock _lock = new(); // guards writer
    private readonly TextWriter _writer = writer;

    public LogItems Items { get; } = items;

    public bool Has(LogItems item) => (Items & item) != 0;

    public void Write(string text)
    {
        lock (_lock) _writer.Write(text);
    }

    public void Flush()
    {
        lock (_lock) _writer.Flush();
    }

    private static readonly string[] ExceptionNames =
    [
        "misaligned_fetch", "fault_fetch", "illegal_instruction", "breakpoint", "misaligned_load", "fault_load",
        "misaligned_store", "fault_store", "user_ecall", "supervisor_ecall", "hypervisor_ecall", "machine_ecall",
        "exec_page_fault", "load_page_fault", "reserved", "store_page_fault", "reserved", "reserved", "reserved",
        "reserved", "guest_exec_page_fault", "guest_load_page_fault", "reserved", "guest_store_page_fault",
    ];

    private static readonly string[] InterruptNames =
    [
        "u_software", "s_software", "vs_software", "m_software", "u_timer", "s_timer", "vs_timer", "m_timer",
        "u_external", "s_external", "vs_external", "m_external", "reserved", "reserved", "reserved", "reserved",
    ];

    /// <summary>QEMU 7.2's riscv_cpu_do_interrupt line (cause without the interrupt bit, as QEMU).</summary>
    public static string TrapLine(int hart, ulong cause, ulong epc, ulong tval)
    {
        bool async = (cause & Cause.InterruptFlag) != 0;
        ulong code = cause & ~Cause.InterruptFlag;
        string[] names = async ? InterruptNames : ExceptionNames;
        string desc = code < (ulong)names.Length ? names[code] : "(unknown)";
        return string.Create(CultureInfo.InvariantCulture,
            $"riscv_cpu_do_interrupt: hart:{hart}, async:{(async ? 1 : 0)}, cause:{code:x16}, epc:0x{epc:x16}, tval:0x{tval:x16}, desc={desc}\n");
    }

    /// <summary>QEMU's memory_region_access_valid line for an access nothing is mapped at.</summary>
    public static string InvalidAccessLine(ulong address, int size, bool write)
        => string.Create(CultureInfo.InvariantCulture,
            $"Invalid {(write ? "write" : "read")} at addr 0x{address:X}, size {size}, region '(null)', reason: rejected\n");

    /// <summary>
    /// QEMU 7.2's riscv_cpu_tlb_fill lines for one translation: the request (rw 0 load, 1 store,
    /// 2 fetch; mmu_idx the privilege), the page walk's result and permissions (PAGE_READ 1,
    /// PAGE_WRITE 2, PAGE_EXEC 4; ret 1 is a page fault), and, when the walk succeeded, PMP's
    /// verdict (ret 2 is an access fault) and the size a TLB entry may cover (1 when PMP decides
    /// below a page).
    /// </summary>
    public static string TlbFillLines(ulong va, int rw, int mmuIdx, bool translated, ulong pa, int prot, bool pmpAllowed, int pmpProt, bool pmpUniform)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"riscv_cpu_tlb_fill ad {va:x} rw {rw} mmu_idx {mmuIdx}\n");
        if (!translated)
        {
            sb.Append(CultureInfo.InvariantCulture, $"riscv_cpu_tlb_fill address={va:x} ret 1 physical {0:x16} prot 0\n");
            return sb.ToString();
        }
        sb.Append(CultureInfo.InvariantCulture, $"riscv_cpu_tlb_fill address={va:x} ret 0 physical {pa:x16} prot {prot}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"riscv_cpu_tlb_fill PMP address={pa:x16} ret {(pmpAllowed ? 0 : 2)} prot {(pmpAllowed ? pmpProt : 0)} tlb_size {(pmpAllowed && !pmpUniform ? 1 : 4096)}\n");
        return sb.ToString();
    }

    /// <summary>QEMU's <c>-d in_asm</c> block: a separator, <c>IN: </c>, the privilege, one line per instruction.</summary>
    public static string InAsmBlock(int privilege, IReadOnlyList<TranslatedInsn> insns)
    {
        var sb = new StringBuilder();
        sb.Append("----------------\nIN: \n");
        sb.Append(CultureInfo.InvariantCulture, $"Priv: {privilege}; Virt: 0\n");
        foreach (TranslatedInsn t in insns)
        {
            string raw = t.Length == 2 ? t.Raw.ToString("x4", CultureInfo.InvariantCulture) : t.Raw.ToString("x8", CultureInfo.InvariantCulture);
            string text = Disassembler.Format(t.Decoded, t.Pc);
            int space = text.IndexOf(' ', StringComparison.Ordinal);
            string line = space < 0 ? text : text[..space].PadRight(24) + text[(space + 1)..];
            sb.Append(CultureInfo.InvariantCulture, $"0x{t.Pc:x16}:  {raw.PadRight(18)}{line}\n");
        }
        sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// QEMU's <c>-d exec</c> line. QEMU prints its translated block's host address and TB flags;
    /// Rivet has neither, so it prints the block's number in first-execution order and the privilege.
    /// </summary>
    public static string ExecLine(int cpu, long block, ulong pc, int privilege)
        => string.Create(CultureInfo.InvariantCulture,
            $"Trace {cpu}: 0x{block:x12} [0000000000000000/{pc:x16}/{privilege:x8}/00000000] \n");

    /// <summary>QEMU's riscv_cpu_dump_state layout for a CPU without the H extension; the f registers with CPU_DUMP_FPU (-d fpu, info registers).</summary>
    public static string CpuDump(Machine.HartState s, bool fpu = false)
    {
        var sb = new StringBuilder();
        void Csr(string name, ulong v) => sb.Append(CultureInfo.InvariantCulture, $" {name,-8} {v:x16}\n");
        Csr("pc", s.Pc);
        Csr("mhartid", (ulong)s.HartId);
        Csr("mstatus", s.Mstatus);
        Csr("mip", s.Mip);
        Csr("mie", s.Mie);
        Csr("mideleg", s.Mideleg);
        Csr("medeleg", s.Medeleg);
        Csr("mtvec", s.Mtvec);
        Csr("stvec", s.Stvec);
        Csr("mepc", s.Mepc);
        Csr("sepc", s.Sepc);
        Csr("mcause", s.Mcause);
        Csr("scause", s.Scause);
        Csr("mtval", s.Mtval);
        Csr("stval", s.Stval);
        Csr("mscratch", s.Mscratch);
        Csr("sscratch", s.Sscratch);
        Csr("satp", s.Satp);
        for (int i = 0; i < 32; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {"x" + i.ToString(CultureInfo.InvariantCulture) + "/" + Disassembler.RegisterName(i),-8} {s.X[i]:x16}");
            if ((i & 3) == 3) sb.Append('\n');
        }
        if (fpu) AppendFpRegisters(sb, s.F);
        return sb.ToString();
    }

    /// <summary>QEMU 7.2's f register lines: <c> f0/ft0   0000000000000000</c>, four to a line.</summary>
    public static void AppendFpRegisters(StringBuilder sb, IReadOnlyList<ulong> f)
    {
        for (int i = 0; i < 32; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {"f" + i.ToString(CultureInfo.InvariantCulture) + "/" + Disassembler.FpRegisterName(i),-8} {f[i]:x16}");
            if ((i & 3) == 3) sb.Append('\n');
        }
    }
}
