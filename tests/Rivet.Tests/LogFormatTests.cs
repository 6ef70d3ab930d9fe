using System.Text.RegularExpressions;
using Rivet.Board;
using Rivet.Cli;
using Rivet.Cpu;

namespace Rivet.Tests;

/// <summary>
/// -d items against logs recorded from qemu-system-riscv64 7.2 for the same guests
/// (Data/qemu-logs; the fields that differ, and why, are in docs/LOGS.md).
/// </summary>
public sealed class LogFormatTests
{
    private static string Recorded(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "qemu-logs", name);

    /// <summary>Runs rivet as QEMU was run for the recording, the log in a -D file; returns the log.</summary>
    private static string RunLogged(string guest, string items)
    {
        string log = Path.Combine(Path.GetTempPath(), $"rivet-log-{Guid.NewGuid():N}.log");
        try
        {
            var r = RivetProcess.Run("-machine", "virt", "-bios", "none", "-nographic", "-kernel", Repo.Guest($"build/{(guest.StartsWith("priv_", StringComparison.Ordinal) || guest.StartsWith("vm_", StringComparison.Ordinal) || guest.StartsWith("pmp_", StringComparison.Ordinal) ? "priv" : guest.StartsWith("fp_", StringComparison.Ordinal) ? "fp" : "isa")}/{guest}.elf"), "-d", items, "-D", log);
            Assert.True(r.Code == 0, $"{guest}: exit code {r.Code}: {r.Err}");
            Assert.Equal("", r.Err); // everything went to the -D file
            return File.ReadAllText(log);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Theory]
    [InlineData("trap_illegal")]
    [InlineData("trap_ecall")]
    [InlineData("trap_mret")]
    [InlineData("trap_load_fault")]
    [InlineData("trap_fetch_fault")]
    [InlineData("irq_mtimer")]
    [InlineData("irq_priority")]
    [InlineData("umode_irq")]
    [InlineData("csr_mtvec")]
    [InlineData("csr_unimpl")]
    [InlineData("priv_csr")]
    [InlineData("priv_deleg")]
    [InlineData("priv_sret")]
    [InlineData("priv_irq")]
    [InlineData("vm_sv39")]
    [InlineData("vm_edge")]
    [InlineData("pmp_enforce")]
    public void IntGuestErrorsAndUnimpMatchQemuByteForByte(string guest)
    {
        Assert.Equal(File.ReadAllText(Recorded(guest + ".log")), RunLogged(guest, "int,guest_errors,unimp"));
    }

    private static readonly Regex Epc = new(@"epc:0x[0-9a-f]{16}");

    [Theory]
    [InlineData("ipi_wfi")]
    [InlineData("timer_irq")]
    public void IntOnFourHartsMatchesQemuUpToTimingAndOrder(string guest)
    {
        string log = Path.Combine(Path.GetTempPath(), $"rivet-log-{Guid.NewGuid():N}.log");
        try
        {
            var r = RivetProcess.Run("-machine", "virt", "-smp", "4", "-bios", "none", "-nographic", "-kernel", Repo.Guest($"build/smp/{guest}.elf"), "-d", "int", "-D", log);
            Assert.True(r.Code == 0, r.Err);
            // Which hart took what is deterministic; where an interrupt found the hart is not.
            static string[] Key(IEnumerable<string> lines) => lines.Select(l => Epc.Replace(l, "epc:*")).Order(StringComparer.Ordinal).ToArray();
            string[] rivet = File.ReadAllLines(log);
            Assert.All(rivet, l => Assert.Matches(@"^riscv_cpu_do_interrupt: hart:[0-3], async:[01], cause:[0-9a-f]{16}, epc:0x[0-9a-f]{16}, tval:0x[0-9a-f]{16}, desc=[a-z_]+$", l));
            Assert.Equal(Key(File.ReadAllLines(Recorded($"smp_{guest}.log"))), Key(rivet));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void EachItemAloneLogsOnlyItsOwnLines()
    {
        string[] qemu = File.ReadAllLines(Recorded("trap_load_fault.log"));
        Assert.Equal(qemu.Where(l => l.StartsWith("riscv_cpu_do_interrupt: ", StringComparison.Ordinal)).ToArray(), Lines(RunLogged("trap_load_fault", "int")));
        Assert.Equal(qemu.Where(l => l.StartsWith("Invalid ", StringComparison.Ordinal)).ToArray(), Lines(RunLogged("trap_load_fault", "guest_errors")));
        Assert.Equal(["CSR_MTVEC: reserved mode not supported", "CSR_MTVEC: reserved mode not supported"], Lines(RunLogged("csr_mtvec", "unimp")));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>One block of a -d in_asm,exec,cpu log.</summary>
    private sealed record Block(string[] Header, string[] Insns, string Trace, string[] Dump);

    private static List<Block> Blocks(string text)
    {
        var blocks = new List<Block>();
        foreach (string part in text.Split("----------------\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = part.Split('\n');
            int blank = Array.IndexOf(lines, "");
            string[] dump = lines.Skip(blank + 2).Where(l => l.StartsWith(' ')).ToArray();
            blocks.Add(new Block(lines[..2], lines[2..blank], lines[blank + 1], dump));
        }
        return blocks;
    }

    private static readonly Regex TraceLine = new(@"^Trace 0: 0x[0-9a-f]+ \[0000000000000000/([0-9a-f]{16})/[0-9a-f]{8}/[0-9a-f]{8}\] $");

    [Fact]
    public void InAsmExecAndCpuFollowQemusFormat()
    {
        // QEMU starts in its reset ROM at 0x1000; Rivet's harts start where the ROM jumps, as it leaves them.
        List<Block> qemu = Blocks(File.ReadAllText(Recorded("trap_ecall.blocks.log"))).Where(b => !b.Trace.Contains("/0000000000001", StringComparison.Ordinal)).ToList();
        List<Block> rivet = Blocks(RunLogged("trap_ecall", "in_asm,exec,cpu,nochain"));
        var qemuInsns = qemu.SelectMany(b => b.Insns).GroupBy(l => l[..18]).ToDictionary(g => g.Key, g => g.First());
        // The n-th time a block at some pc runs in Rivet is compared with the n-th time in QEMU.
        var qemuDumps = new Dictionary<string, List<string[]>>();
        foreach (Block b in qemu)
        {
            string pc = TraceLine.Match(b.Trace).Groups[1].Value;
            if (!qemuDumps.TryGetValue(pc, out List<string[]>? list)) qemuDumps[pc] = list = [];
            list.Add(b.Dump);
        }
        var seen = new Dictionary<string, int>();

        int insns = 0, dumps = 0;
        foreach (Block b in rivet)
        {
            Assert.Equal(["IN: ", "Priv: 3; Virt: 0"], b.Header);
            Match trace = TraceLine.Match(b.Trace);
            Assert.True(trace.Success, b.Trace);
            Assert.Equal("0x" + trace.Groups[1].Value + ":", b.Insns[0][..19]);
            foreach (string line in b.Insns)
            {
                // Address, raw bits and the column the mnemonic starts in are QEMU's exactly; the
                // mnemonic text is Rivet's disassembler (QEMU shows pseudo-instructions).
                if (!qemuInsns.TryGetValue(line[..18], out string? q)) continue;
                Assert.Equal(q[..39], line[..39]);
                Assert.NotEqual(' ', line[39]);
                insns++;
            }
            string at = trace.Groups[1].Value;
            int nth = seen[at] = seen.GetValueOrDefault(at) + 1;
            if (!qemuDumps.TryGetValue(at, out List<string[]>? runs) || runs.Count < nth) continue;
            string[] qd = runs[nth - 1];
            dumps++;
            // Lines for registers both have, except what differs by design (docs/LOGS.md).
            foreach (string line in b.Dump)
            {
                string name = line[..10];
                if (name is " mstatus  " or " mip      " or " mideleg  ") continue;
                string? other = qd.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
                Assert.True(other != null, $"QEMU has no line '{name.Trim()}'");
                if (line.StartsWith(" x", StringComparison.Ordinal)) AssertSameRegisters(other, line, trace.Groups[1].Value);
                else Assert.Equal(other, line);
            }
        }
        Assert.True(insns > 50 && dumps > 20, $"compared {insns} instructions and {dumps} register dumps");
    }

    /// <summary>
    /// Same text (a1, a2 and t0 too: Rivet's harts leave reset as QEMU's reset ROM leaves them)
    /// except a register holding an mstatus or mip read, which differs only in SXL (QEMU's
    /// S-mode) and MTIP (QEMU's mtimecmp resets to 0, Rivet's to all ones).
    /// </summary>
    private static void AssertSameRegisters(string qemu, string rivet, string pc)
    {
        const ulong byDesign = (3UL << 34) | (1UL << 7);
        Assert.Equal(qemu.Length, rivet.Length);
        for (int i = 0; i < 4; i++)
        {
            string q = qemu.Substring(i * 26, 26), r = rivet.Substring(i * 26, 26);
            Assert.Equal(q[..10], r[..10]);
            ulong qv = Convert.ToUInt64(q[10..], 16), rv = Convert.ToUInt64(r[10..], 16);
            Assert.True(qv == rv || ((qv ^ rv) & ~byDesign) == 0, $"at pc {pc}: QEMU '{q}', Rivet '{r}'");
        }
    }

    [Fact]
    public void DashDCanBeGivenWithoutDashDFile()
    {
        var r = RivetProcess.Run("-nographic", "-kernel", Repo.Guest("build/isa/trap_ecall.elf"), "-d", "int");
        Assert.Equal(0, r.Code);
        Assert.Equal(File.ReadAllText(Recorded("trap_ecall.log")), r.Err);
    }

    [Fact]
    public void PluginsAndLogItemsShareTheDashDFile()
    {
        string log = Path.Combine(Path.GetTempPath(), $"rivet-log-{Guid.NewGuid():N}.log");
        try
        {
            var r = RivetProcess.Run("-nographic", "-kernel", Repo.Guest("build/isa/trap_ecall.elf"), "-plugin", "insn", "-d", "plugin,int,in_asm", "-D", log);
            Assert.Equal(0, r.Code);
            Assert.Equal("", r.Err);
            string[] lines = File.ReadAllLines(log);
            // The plugin still sees every instruction with in_asm wrapping its instrumentation.
            long insns = lines.Where(l => l.StartsWith("0x", StringComparison.Ordinal)).Count();
            Assert.Contains("total insns: 480", lines);
            Assert.True(insns > 50, $"{insns} instruction lines");
            Assert.Equal(File.ReadAllLines(Recorded("trap_ecall.log")), lines.Where(l => l.StartsWith("riscv_cpu_do_interrupt", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static readonly Regex TlbFillRequest = new(@"^riscv_cpu_tlb_fill ad ([0-9a-f]+) rw ([012]) mmu_idx ([013])$");
    private static readonly Regex TlbFillWalk = new(@"^riscv_cpu_tlb_fill address=([0-9a-f]+) ret ([01]) physical ([0-9a-f]{16}) prot ([0-7])$");
    private static readonly Regex TlbFillPmp = new(@"^riscv_cpu_tlb_fill PMP address=([0-9a-f]{16}) ret ([02]) prot ([0-7]) tlb_size (1|4096)$");

    /// <summary>
    /// A -d mmu log as sets: the pages translated (virtual page, mmu_idx, physical page, permissions), the
    /// requests whose walk failed (page faults), and those PMP refused (access faults). Checks
    /// the line formats and that each request line is followed by its walk (and PMP) line.
    /// </summary>
    private static (HashSet<(ulong, int, ulong, int)> Pages, Dictionary<(ulong, int, ulong), (int Rw, int Prot)> First, HashSet<(ulong, int, int)> PageFaults, HashSet<(ulong, int, int)> PmpFaults) TlbFills(string[] lines)
    {
        var pages = new HashSet<(ulong, int, ulong, int)>();
        var first = new Dictionary<(ulong, int, ulong), (int, int)>();
        var pageFaults = new HashSet<(ulong, int, int)>();
        var pmpFaults = new HashSet<(ulong, int, int)>();
        static ulong Hex(Group g) => ulong.Parse(g.Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < lines.Length;)
        {
            Match request = TlbFillRequest.Match(lines[i]);
            Assert.True(request.Success, $"line {i + 1}: {lines[i]}");
            (ulong va, int rw, int idx) = (Hex(request.Groups[1]), int.Parse(request.Groups[2].Value), int.Parse(request.Groups[3].Value));
            Match walk = TlbFillWalk.Match(i + 1 < lines.Length ? lines[i + 1] : "");
            Assert.True(walk.Success && Hex(walk.Groups[1]) == va, $"line {i + 2}: the walk of {va:x}");
            i += 2;
            if (walk.Groups[2].Value == "1")
            {
                pageFaults.Add((va, rw, idx));
                continue;
            }
            ulong pa = Hex(walk.Groups[3]);
            Match pmp = TlbFillPmp.Match(i < lines.Length ? lines[i] : "");
            Assert.True(pmp.Success && Hex(pmp.Groups[1]) == pa, $"line {i + 1}: PMP for {pa:x}");
            i++;
            if (pmp.Groups[2].Value == "2") pmpFaults.Add((va, rw, idx));
            // QEMU's reset ROM page (Rivet without firmware starts at 0x80000000).
            if (va >> 12 == 1) continue;
            int prot = int.Parse(walk.Groups[4].Value);
            pages.Add((va >> 12, idx, pa >> 12, prot));
            first.TryAdd((va >> 12, idx, pa >> 12), (rw, prot));
        }
        return (pages, first, pageFaults, pmpFaults);
    }

    /// <summary>
    /// -d mmu logs a translation when a TLB misses, and Rivet's TLBs are not QEMU's (per context,
    /// not flushed by mstatus writes), so the lines are not the same list; the faults are (they are
    /// never cached), and so are the pages translated.
    /// </summary>
    [Theory]
    [InlineData("vm_sv39")]
    [InlineData("vm_edge")]
    [InlineData("vm_tlb")]
    [InlineData("pmp_enforce")]
    public void MmuLogsTheSameTranslationsAndFaultsAsQemu(string guest)
    {
        var qemu = TlbFills(File.ReadAllLines(Recorded(guest + ".mmu.log")));
        var rivet = TlbFills(RunLogged(guest, "mmu").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(qemu.PageFaults.Order(), rivet.PageFaults.Order());
        Assert.Equal(qemu.PmpFaults.Order(), rivet.PmpFaults.Order());
        Assert.Subset(qemu.Pages, rivet.Pages); // the same permissions too
        // QEMU flushes its TLB when MPRV changes, so it translates pages again as M that Rivet
        // still holds from S: every page QEMU translated Rivet translated too, under some mmu_idx.
        var rivetPages = rivet.Pages.Select(p => (p.Item1, p.Item3)).ToHashSet();
        Assert.All(qemu.Pages, p => Assert.Contains((p.Item1, p.Item3), rivetPages));
        // A page's first translation in a mode is the same access in both (program order), so
        // it must report the same permissions (W only once the page is dirty or for a store).
        Assert.All(rivet.First, f => Assert.Equal(qemu.First[f.Key], f.Value));
    }

    [Fact]
    public void DashDFileThatCannotBeOpenedIsOneLine()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Repo.Guest("build/isa/trap_ecall.elf"), "-d", "int", "-D", "/nonexistent/log.txt"), "-D /nonexistent/log.txt: cannot open the log file");

    [Theory]
    [InlineData("out_asm", "rivet generates no host code")]
    [InlineData("op", "no TCG micro ops")]
    [InlineData("trace:help", "rivet has no trace events")]
    public void ItemsRivetCannotProvideAreRefusedInOneLine(string items, string why)
    {
        var r = RivetProcess.Run("-kernel", Repo.Guest("build/isa/trap_ecall.elf"), "-d", items);
        RivetProcess.AssertStartupError(r, why);
        Assert.Contains("not supported", r.Err);
    }

    [Theory]
    [InlineData("int,nonsense")]
    [InlineData("int,,exec")] // QEMU takes an empty item for an unknown one
    [InlineData("INT")]
    public void UnknownItemPrintsTheListAndFailsAsQemu(string items)
    {
        var r = RivetProcess.Run("-kernel", Repo.Guest("build/isa/trap_ecall.elf"), "-d", items);
        Assert.Equal(1, r.Code);
        Assert.Equal(PluginOptions.LogHelp, r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void InAsmSpellsFAndDInstructionsAsQemu()
    {
        // Every F/D line of QEMU 7.2's in_asm for fp_insns (one of each form) appears in Rivet's at the
        // same address with the same bits and text, except QEMU's pseudo-instructions (docs/LOGS.md).
        string[] pseudo = ["fmv.s", "fneg.s", "fabs.s", "fmv.d", "fneg.d", "fabs.d", "frcsr", "fscsr", "frrm", "fsrm", "fsrmi", "frflags", "fsflags", "fsflagsi"];
        static Dictionary<string, string> Lines(string log) => log.Split('\n').Where(l => l.StartsWith("0x00000000800", StringComparison.Ordinal))
            .GroupBy(l => l[..18]).ToDictionary(g => g.Key, g => g.First());
        Dictionary<string, string> qemu = Lines(File.ReadAllText(Recorded("fp_insns.in_asm.log")));
        Dictionary<string, string> rivet = Lines(RunLogged("fp_insns", "in_asm"));
        int compared = 0;
        foreach (string line in qemu.Values)
        {
            string mnemonic = line[39..].Split(' ')[0];
            if (!mnemonic.StartsWith('f') || pseudo.Contains(mnemonic)) continue;
            Assert.Equal(line, rivet[line[..18]]);
            compared++;
        }
        Assert.Equal(66, compared); // every F/D form in fp_insns.S but the 14 pseudo-instruction spellings
    }

    [Fact]
    public void FpuAddsTheFRegistersToEachCpuDumpAsQemu()
    {
        // QEMU 7.2 with -d cpu,fpu prints f0..f31 after x31, four to a line (recorded: all zero at reset).
        string fLines = string.Concat(Enumerable.Range(0, 8).Select(r => string.Concat(Enumerable.Range(r * 4, 4).Select(
            i => " " + $"f{i}/{Isa.Disassembler.FpRegisterName(i)}".PadRight(8) + " 0000000000000000")) + "\n"));
        string log = RunLogged("trap_ecall", "cpu,fpu");
        int dumps = Regex.Matches(log, "^ pc ", RegexOptions.Multiline).Count;
        Assert.True(dumps > 0);
        Assert.Equal(dumps, Regex.Matches(log, "x31/t6   [0-9a-f]{16}\n" + Regex.Escape(fLines), RegexOptions.Multiline).Count);
        Assert.DoesNotContain("f0/ft0", RunLogged("trap_ecall", "cpu"));
        Assert.StartsWith(" f0/ft0   0000000000000000 f1/ft1   0000000000000000 f2/ft2   0000000000000000 f3/ft3   0000000000000000\n", fLines);
    }

    [Fact]
    public void HelpListsExactlyTheAcceptedItems()
    {
        string[] names = PluginOptions.LogHelp.Split('\n').Skip(1).Where(l => l.Length > 16 && l[15] == ' ' && !l.StartsWith("non-", StringComparison.Ordinal) && !l.StartsWith("complete", StringComparison.Ordinal))
            .Select(l => l[..16].Trim()).ToArray();
        Assert.Equal(["in_asm", "int", "exec", "cpu", "fpu", "mmu", "unimp", "guest_errors", "nochain", "plugin"], names);
        foreach (string n in names) Assert.True(new PluginOptions().AddLogItems(n), n);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("int,guest_errors,unimp,nochain", false)]
    [InlineData("in_asm", true)]
    [InlineData("exec", true)]
    [InlineData("cpu", true)]
    [InlineData("all", true)]
    public void OnlyPerBlockItemsLeaveThePlainInterpreter(string items, bool instrumented)
    {
        var options = new PluginOptions();
        if (items.Length > 0) Assert.True(options.AddLogItems(items));
        using var machine = new Machine.Machine(new MachineConfig { Kernel = Repo.Guest("build/isa/trap_ecall.elf") }, Stream.Null);
        // Nothing runs, so nothing is written to standard error (the log without -D).
        using CliPlugins loaded = CliPlugins.Load(options, machine);
        Assert.Equal(instrumented, machine.Instrumented);
    }

    [Fact]
    public void TestFinisherValueThatIsNoCommandIsAGuestError()
    {
        var requests = new NoRequests();
        var finisher = new Devices.SifiveTest(Devices.SifiveTest.DefaultBase, requests);
        var text = new StringWriter();
        finisher.Log = new GuestLog(text, LogItems.GuestErrors);
        Assert.True(finisher.Write(0, 4, 0x1234));
        Assert.Equal(File.ReadAllText(Recorded("sifive_test_write.log")), text.ToString());
        Assert.False(requests.Called); // ignored, as QEMU
        finisher.Log = new GuestLog(text = new StringWriter(), LogItems.Int);
        Assert.True(finisher.Write(0, 4, 0x1234));
        Assert.Equal("", text.ToString()); // only with guest_errors
    }

    private sealed class NoRequests : Devices.IMachineRequests
    {
        public bool Called;
        public void RequestShutdown(ShutdownCause cause, int exitCode) => Called = true;
        public void RequestReset(ShutdownCause cause) => Called = true;
    }

    [Fact]
    public void TrapLineFormatsAsynchronousCausesWithoutTheInterruptBit()
    {
        Assert.Equal("riscv_cpu_do_interrupt: hart:3, async:1, cause:000000000000000b, epc:0x0000000080000010, tval:0x0000000000000000, desc=m_external\n",
            GuestLog.TrapLine(3, Cause.InterruptFlag | 11, 0x80000010, 0));
    }
}
