using System.Globalization;
using System.Text;
using Rivet.Isa;
using Rivet.Machine;
using Decoder = Rivet.Isa.Decoder;

namespace Rivet.Qmp;

/// <summary>
/// The HMP command table, as QEMU's hmp-commands.hx and hmp-commands-info.hx (same names,
/// args_type, params and help text), sorted by name as QEMU sorts its tables. Output formats are
/// QEMU 7.2's for the same commands (docs/QMP.md, "The human monitor").
/// </summary>
internal static partial class HmpCommands
{
    public static readonly IReadOnlyList<HmpCommand> Info = Sorted(
    [
        new("balloon", "", "", "show balloon information", (_, _, o) => o.Append("Error: No balloon device has been activated\n")),
        new("cpus", "", "", "show infos for each CPU", InfoCpus),
        new("hotpluggable-cpus", "", "", "Show information about hotpluggable CPUs",
            (_, _, o) => o.Append("Error: The feature 'query-hotpluggable-cpus' is not enabled\n")),
        new("iothreads", "", "", "show iothreads", (_, _, _) => { }),
        new("irq", "", "", "show the interrupts statistics (if available)", (_, _, _) => { }), // no riscv device keeps statistics
        new("jit", "", "", "show dynamic compiler info", InfoJit),
        new("kvm", "", "", "show KVM information", (_, _, o) => o.Append("kvm support: not compiled\n")),
        new("memory_size_summary", "", "", "show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.",
            (m, _, o) => o.Append(CultureInfo.InvariantCulture, $"base memory: {m.Machine.Config.RamSize}\n")),
        new("mem", "", "", "show the active virtual memory mappings", InfoMem),
        new("mtree", "flatview:-f", "[-f]", "show memory tree (-f: dump flat view for address spaces)", InfoMtree),
        new("numa", "", "", "show NUMA information", (_, _, o) => o.Append("0 nodes\n")),
        new("name", "", "", "show the current VM name", (m, _, o) => { if (m.Host.Name is string n) o.Append(n).Append('\n'); }),
        new("pic", "", "", "show PIC state", (_, _, _) => { }), // the PLIC has no state printer in QEMU 7.2
        new("qtree", "", "", "show device tree", InfoQtree),
        new("registers", "cpustate_all:-a,vcpu:i?", "[-a|vcpu]",
            "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
            InfoRegisters),
        new("status", "", "", "show the current VM status (running|paused)", InfoStatus, ReportsRunState: true),
        new("uuid", "", "", "show the current VM UUID", (_, _, o) => o.Append("00000000-0000-0000-0000-000000000000\n")),
        new("version", "", "", "show the version of QEMU", InfoVersion),
    ]);

    public static readonly IReadOnlyList<HmpCommand> All = Sorted(
    [
        new("cont|c", "", "", "resume emulation", (m, _, o) => RunControl(m, o, "cont")),
        new("cpu", "index:i", "index", "set the default CPU", SelectCpu),
        new("help|?", "name:S?", "[cmd]", "show the help", (_, a, o) => Hmp.Help(o, a.Str("name"))),
        new("info", "item:S?", "[subcommand]", "show various information about the system state", (_, _, o) => Hmp.Help(o, "info"), Info),
        new("gva2gpa", "addr:l", "addr", "print the guest physical address corresponding to a guest virtual address", Gva2Gpa),
        new("memsave", "val:l,size:i,filename:s", "addr size file", "save to disk virtual memory dump starting at 'addr' of size 'size'",
            (m, a, o) => MemorySave(m, a, o, physical: false)),
        new("nmi", "", "", "inject an NMI", (_, _, o) => o.Append("Error: this feature or command is not currently supported\n")),
        new("pmemsave", "val:l,size:i,filename:s", "addr size file", "save to disk physical memory dump starting at 'addr' of size 'size'",
            (m, a, o) => MemorySave(m, a, o, physical: true)),
        new("print|p", "fmt:/,val:l", "/fmt expr", "print expression value (use $reg for CPU register access)", Print),
        new("quit|q", "", "", "quit the emulator", (m, _, _) => m.Host.RequestQuit()),
        new("stop|s", "", "", "stop emulation", (m, _, o) => RunControl(m, o, "stop")),
        new("sum", "start:i,size:i", "addr size", "compute the checksum of a memory region", Sum),
        new("system_powerdown", "", "", "send system power down event", (m, _, o) => RunControl(m, o, "system_powerdown")),
        new("system_reset", "", "", "reset the system", (m, _, o) => RunControl(m, o, "system_reset")),
        new("x", "fmt:/,addr:l", "/fmt addr", "virtual memory dump starting at 'addr'", (m, a, o) => MemoryDump(m, a, o, physical: false)),
        new("xp", "fmt:/,addr:L", "/fmt addr", "physical memory dump starting at 'addr'", (m, a, o) => MemoryDump(m, a, o, physical: true)),
    ]);

    private static HmpCommand[] Sorted(HmpCommand[] table)
    {
        Array.Sort(table, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return table;
    }

    private static string Hex16(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

    private static void RunControl(Hmp m, StringBuilder o, string what)
    {
        if (m.Host.RunControl(what) is string error) o.Append(CultureInfo.InvariantCulture, $"Error: {error}\n");
    }

    // ---- info ----

    private static void InfoStatus(Hmp m, HmpArgs _, StringBuilder o)
    {
        RunState s = m.Host.ReportedRunState();
        o.Append("VM status: ").Append(s == RunState.Running ? "running" : "paused");
        if (s is not RunState.Running and not RunState.Paused) o.Append(" (").Append(s.QmpName()).Append(')');
        o.Append('\n');
    }

    /// <summary>QEMU prints its TCG buffer state; Rivet prints its translator's (docs/TRANSLATOR.md).</summary>
    private static void InfoJit(Hmp m, HmpArgs _, StringBuilder o)
    {
        TranslatorInfo t = m.Machine.Translator;
        o.Append("Translation buffer state:\n");
        if (t.Engine == Cpu.ExecutionEngine.Interpreter)
        {
            o.Append("engine              interpreter (translation off)\n");
            return;
        }
        o.Append(CultureInfo.InvariantCulture, $"engine              translator (IL regions; a block head is translated after {t.HotThreshold} entries)\n");
        o.Append(CultureInfo.InvariantCulture, $"regions             {t.Regions}\n");
        o.Append(CultureInfo.InvariantCulture, $"guest instructions  {t.GuestInstructions} ({(t.Regions == 0 ? 0 : (double)t.GuestInstructions / t.Regions):F1} per region)\n");
        o.Append(CultureInfo.InvariantCulture, $"IL size             {t.IlBytes} bytes\n");
        o.Append(CultureInfo.InvariantCulture, $"shared by harts     {t.Shared} (hot heads that took another hart's region)\n");
        o.Append(CultureInfo.InvariantCulture, $"retranslated        {t.Retranslated}\n");
        o.Append(CultureInfo.InvariantCulture, $"cache flushes       {t.Flushes}\n");
        o.Append(CultureInfo.InvariantCulture, $"region entries      {t.Entries}\n");
        double share = t.InstructionsRetired == 0 ? 0 : 100.0 * t.RegionInstructions / t.InstructionsRetired;
        o.Append(CultureInfo.InvariantCulture, $"run in regions      {t.RegionInstructions} of {t.InstructionsRetired} instructions retired ({share:F1} %)\n");
        o.Append(CultureInfo.InvariantCulture, $"left to interpreter {t.Continues} (exits before an instruction a region cannot run)\n");
        o.Append(CultureInfo.InvariantCulture, $"translation time    {t.TranslationTime.TotalMilliseconds:F1} ms\n");
        o.Append(CultureInfo.InvariantCulture, $"JIT time            {t.CompileTime.TotalMilliseconds:F1} ms\n");
        o.Append(CultureInfo.InvariantCulture, $"refused by the JIT  {t.Refused}\n");
    }

    private static void InfoVersion(Hmp m, HmpArgs _, StringBuilder o)
    {
        (int major, int minor, int micro) = QmpServerOptions.QemuInterface;
        o.Append(CultureInfo.InvariantCulture, $"{major}.{minor}.{micro}{m.Host.Package}\n");
    }

    private static void InfoCpus(Hmp m, HmpArgs _, StringBuilder o)
    {
        foreach (VCpuInfo v in m.Machine.VCpus)
            o.Append(CultureInfo.InvariantCulture, $"{(v.Index == m.CurrentCpu ? '*' : ' ')} CPU #{v.Index}: thread_id={v.HostThreadId}\n");
    }

    private static void InfoRegisters(Hmp m, HmpArgs a, StringBuilder o)
    {
        if (a.Flag("cpustate_all"))
        {
            for (int i = 0; i < m.Machine.HartCount; i++) DumpHart(m, i, o);
            return;
        }
        int vcpu = (int)a.Int("vcpu", -1);
        if (vcpu >= m.Machine.HartCount)
        {
            o.Append(CultureInfo.InvariantCulture, $"CPU#{vcpu} not available\n");
            return;
        }
        DumpHart(m, vcpu >= 0 ? vcpu : m.CurrentCpu, o);
    }

    /// <summary>QEMU's riscv_cpu_dump_state with CPU_DUMP_FPU for the registers Rivet has (M, S and U CSRs, no H-mode CSRs; x then f registers).</summary>
    private static void DumpHart(Hmp m, int index, StringBuilder o)
    {
        HartState s = m.Machine.CaptureHartState(index);
        o.Append(CultureInfo.InvariantCulture, $"\nCPU#{index}\n");
        o.Append(CultureInfo.InvariantCulture, $" {"pc",-8} {Hex16(s.Pc)}\n");
        foreach ((string name, Func<HartState, ulong> read) in Hmp.DumpedCsrs)
            o.Append(CultureInfo.InvariantCulture, $" {name,-8} {Hex16(read(s))}\n");
        for (int i = 0; i < 32; i++)
        {
            o.Append(CultureInfo.InvariantCulture, $" {Hmp.IntRegisterName(i),-8} {Hex16(s.X[i])}");
            if ((i & 3) == 3) o.Append('\n');
        }
        Rivet.Cpu.GuestLog.AppendFpRegisters(o, s.F);
    }

    private static string RegionLine(MemoryRegionInfo r)
        => $"{Hex16(r.Base)}-{Hex16(r.Last)} (prio 0, {r.Kind switch { MemoryRegionKind.Ram => "ram", MemoryRegionKind.Rom => "rom", _ => "i/o" }}): {r.Name}";

    /// <summary>QEMU's mtree_info: the one address space every hart shares, rooted at "system".</summary>
    private static void InfoMtree(Hmp m, HmpArgs a, StringBuilder o)
    {
        IReadOnlyList<MemoryRegionInfo> regions = m.Machine.MemoryRegions;
        if (a.Flag("flatview"))
        {
            o.Append("FlatView #0\n");
            o.Append(" AS \"memory\", root: system\n");
            for (int i = 0; i < m.Machine.HartCount; i++) o.Append(CultureInfo.InvariantCulture, $" AS \"cpu-memory-{i}\", root: system\n");
            o.Append(" Root memory region: system\n");
            foreach (MemoryRegionInfo r in regions) o.Append("  ").Append(RegionLine(r)).Append('\n');
            o.Append('\n');
            return;
        }
        for (int i = 0; i < m.Machine.HartCount; i++) o.Append(CultureInfo.InvariantCulture, $"address-space: cpu-memory-{i}\n");
        o.Append("address-space: memory\n");
        o.Append("  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
        foreach (MemoryRegionInfo r in regions) o.Append("    ").Append(RegionLine(r)).Append('\n');
        o.Append('\n');
    }

    /// <summary>QEMU's qdev tree: the board's devices on the system bus, last created first, then the harts.</summary>
    private static void InfoQtree(Hmp m, HmpArgs _, StringBuilder o)
    {
        o.Append("bus: main-system-bus\n");
        o.Append("  type System\n");
        foreach (MemoryRegionInfo r in m.Machine.MemoryRegions.Where(r => r.DeviceType != null).Reverse())
        {
            o.Append(CultureInfo.InvariantCulture, $"  dev: {r.DeviceType}, id \"\"\n");
            o.Append(CultureInfo.InvariantCulture, $"    mmio {Hex16(r.Base)}/{Hex16(r.Size)}\n");
        }
        int harts = m.Machine.HartCount;
        ulong reset = m.Machine.MemoryRegions.First(r => r.Kind == MemoryRegionKind.Ram).Base; // -bios none: harts start at DRAM
        o.Append("  dev: riscv.hart_array, id \"\"\n");
        o.Append(CultureInfo.InvariantCulture, $"    num-harts = {harts} (0x{harts:x})\n");
        o.Append("    hartid-base = 0 (0x0)\n");
        o.Append("    cpu-type = \"rv64-riscv-cpu\"\n");
        o.Append(CultureInfo.InvariantCulture, $"    resetvec = {reset} (0x{reset:x})\n");
    }

    // ---- print, x, xp ----

    /// <summary>monitor_printc: a character constant, escaped as QEMU does.</summary>
    private static void PrintChar(StringBuilder o, int c)
    {
        o.Append('\'');
        switch (c)
        {
            case '\'': o.Append("\\'"); break;
            case '\\': o.Append("\\\\"); break;
            case '\n': o.Append("\\n"); break;
            case '\r': o.Append("\\r"); break;
            default:
                if (c is >= 32 and <= 126) o.Append((char)c);
                else o.Append("\\x").Append(((uint)c).ToString("x2", CultureInfo.InvariantCulture));
                break;
        }
        o.Append('\'');
    }

    private static void Print(Hmp m, HmpArgs a, StringBuilder o)
    {
        ulong v = (ulong)a.Int("val");
        switch ((char)a.Int("format"))
        {
            case 'o': o.Append(v == 0 ? "0" : "0" + Convert.ToString((long)v, 8)); break;
            case 'x': o.Append(v == 0 ? "0" : "0x" + v.ToString("x", CultureInfo.InvariantCulture)); break;
            case 'u': o.Append(v.ToString(CultureInfo.InvariantCulture)); break;
            case 'c': PrintChar(o, unchecked((int)v)); break;
            default: o.Append(((long)v).ToString(CultureInfo.InvariantCulture)); break;
        }
        o.Append('\n');
    }

    /// <summary>QEMU's memory_dump: count units of size bytes as format, 16 bytes a line (8 for bytes); RAM only.</summary>
    private static void MemoryDump(Hmp m, HmpArgs a, StringBuilder o, bool physical)
    {
        long count = a.Int("count");
        char format = (char)a.Int("format");
        int size = (int)a.Int("size");
        ulong addr = (ulong)a.Int("addr");
        string name = physical ? "xp" : "x";
        if (format == 'i')
        {
            if (count > Hmp.MaxDumpInstructions)
            {
                o.Append(CultureInfo.InvariantCulture, $"{name}: at most {Hmp.MaxDumpInstructions} instructions at once\n");
                return;
            }
            Disassemble(m, o, addr, (int)count, physical);
            return;
        }
        long len = size * count;
        if (len > Hmp.MaxDumpBytes)
        {
            o.Append(CultureInfo.InvariantCulture, $"{name}: at most {Hmp.MaxDumpBytes} bytes at once\n");
            return;
        }
        int lineSize = size == 1 ? 8 : 16;
        int digits = format switch
        {
            'o' => (size * 8 + 2) / 3,
            'u' or 'd' => (size * 8 * 10 + 32) / 33,
            _ => size * 8 / 4,
        };
        if (format == 'c') size = 1; // after len and the line size, as QEMU
        Span<byte> buffer = stackalloc byte[16];
        while (len > 0)
        {
            o.Append(Hex16(addr)).Append(':');
            int l = (int)Math.Min(len, lineSize);
            if (!ReadGuest(m, addr, buffer[..l], physical))
            {
                o.Append(" Cannot access memory\n");
                break;
            }
            for (int i = 0; i < l; i += size)
            {
                ulong v = size switch
                {
                    1 => buffer[i],
                    2 => i + 2 <= l ? BitConverter.ToUInt16(buffer[i..]) : buffer[i],
                    4 => i + 4 <= l ? BitConverter.ToUInt32(buffer[i..]) : buffer[i],
                    _ => i + 8 <= l ? BitConverter.ToUInt64(buffer[i..]) : buffer[i],
                };
                o.Append(' ');
                switch (format)
                {
                    case 'o': o.Append((v == 0 ? "0" : "0" + Convert.ToString((long)v, 8)).PadLeft(digits)); break;
                    case 'u': o.Append(v.ToString(CultureInfo.InvariantCulture).PadLeft(digits)); break;
                    case 'd': o.Append(((long)v).ToString(CultureInfo.InvariantCulture).PadLeft(digits)); break;
                    case 'c': PrintChar(o, (int)v); break;
                    default: o.Append("0x").Append(v.ToString("x", CultureInfo.InvariantCulture).PadLeft(digits, '0')); break;
                }
            }
            o.Append('\n');
            addr = unchecked(addr + (ulong)l);
            len -= l;
        }
    }

    /// <summary>
    /// x/i: QEMU's layout (address, the instruction's bytes, the mnemonic in 24 columns); the text
    /// is Rivet's disassembler's (base-ISA forms, absolute targets), not QEMU's pseudo-instructions.
    /// </summary>
    private static void Disassemble(Hmp m, StringBuilder o, ulong addr, int count, bool physical)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < count; i++)
        {
            o.Append(CultureInfo.InvariantCulture, $"0x{Hex16(addr)}:  ");
            if (!ReadGuest(m, addr, bytes[..2], physical))
            {
                o.Append(CultureInfo.InvariantCulture, $"Address 0x{addr:x} is out of bounds.\n\n");
                return;
            }
            uint raw = BitConverter.ToUInt16(bytes);
            if (Decoder.IsFullLength(raw))
            {
                if (!ReadGuest(m, addr + 2, bytes[2..4], physical))
                {
                    o.Append(CultureInfo.InvariantCulture, $"Address 0x{addr + 2:x} is out of bounds.\n\n");
                    return;
                }
                raw = BitConverter.ToUInt32(bytes);
            }
            DecodedInsn d = Decoder.Decode(raw);
            int length = Decoder.IsFullLength(raw) ? 4 : 2;
            o.Append(length == 4 ? raw.ToString("x8", CultureInfo.InvariantCulture) + "          " : raw.ToString("x4", CultureInfo.InvariantCulture) + "              ");
            string text = Disassembler.Format(d, addr);
            int space = text.IndexOf(' ', StringComparison.Ordinal);
            o.Append(space < 0 ? text : text[..space].PadRight(24) + text[(space + 1)..]);
            o.Append('\n');
            addr = unchecked(addr + (ulong)length);
        }
    }
}
