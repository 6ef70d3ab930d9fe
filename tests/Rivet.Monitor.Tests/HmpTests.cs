using System.Text;
using System.Text.Json;
using Rivet.Machine;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>
/// The human monitor through QMP's human-monitor-command, with the exact output of
/// qemu-system-riscv64 7.2 for the same commands (recorded on its virt board; Rivet's registers
/// and memory map are its own). The guest monitor/registers.S puts known values in every register
/// and in memory, then sleeps.
/// </summary>
public sealed class HmpTests
{
    private const string Hart0 = """

        CPU#0
         pc       0000000080000184
         mhartid  0000000000000000
         mstatus  0000000a00000080
         mip      0000000000000000
         mie      0000000000000000
         mideleg  0000000000000000
         medeleg  0000000000000000
         mtvec    0000000080000200
         stvec    0000000000000000
         mepc     0000000080000abc
         sepc     0000000000000000
         mcause   8000000000000007
         scause   0000000000000000
         mtval    00000000deadbeef
         stval    0000000000000000
         mscratch 0123456789abcdef
         sscratch 0000000000000000
         satp     0000000000000000
         x0/zero  0000000000000000 x1/ra    0101010101010101 x2/sp    0202020202020202 x3/gp    0303030303030303
         x4/tp    0404040404040404 x5/t0    0505050505050505 x6/t1    0606060606060606 x7/t2    0707070707070707
         x8/s0    0808080808080808 x9/s1    0909090909090909 x10/a0   0a0a0a0a0a0a0a0a x11/a1   0b0b0b0b0b0b0b0b
         x12/a2   0c0c0c0c0c0c0c0c x13/a3   0d0d0d0d0d0d0d0d x14/a4   0e0e0e0e0e0e0e0e x15/a5   0f0f0f0f0f0f0f0f
         x16/a6   1010101010101010 x17/a7   1111111111111111 x18/s2   1212121212121212 x19/s3   1313131313131313
         x20/s4   1414141414141414 x21/s5   1515151515151515 x22/s6   1616161616161616 x23/s7   1717171717171717
         x24/s8   1818181818181818 x25/s9   1919191919191919 x26/s10  1a1a1a1a1a1a1a1a x27/s11  1b1b1b1b1b1b1b1b
         x28/t3   000000000000000a x29/t4   0000000000000052 x30/t5   0000000010000000 x31/t6   1f1f1f1f1f1f1f1f
         f0/ft0   0000000000000000 f1/ft1   0000000000000000 f2/ft2   0000000000000000 f3/ft3   0000000000000000
         f4/ft4   0000000000000000 f5/ft5   0000000000000000 f6/ft6   0000000000000000 f7/ft7   0000000000000000
         f8/fs0   0000000000000000 f9/fs1   0000000000000000 f10/fa0  0000000000000000 f11/fa1  0000000000000000
         f12/fa2  0000000000000000 f13/fa3  0000000000000000 f14/fa4  0000000000000000 f15/fa5  0000000000000000
         f16/fa6  0000000000000000 f17/fa7  0000000000000000 f18/fs2  0000000000000000 f19/fs3  0000000000000000
         f20/fs4  0000000000000000 f21/fs5  0000000000000000 f22/fs6  0000000000000000 f23/fs7  0000000000000000
         f24/fs8  0000000000000000 f25/fs9  0000000000000000 f26/fs10 0000000000000000 f27/fs11 0000000000000000
         f28/ft8  0000000000000000 f29/ft9  0000000000000000 f30/ft10 0000000000000000 f31/ft11 0000000000000000

        """;

    private static string Terminal(string text) => text.Replace("\n", "\r\n", StringComparison.Ordinal);

    private static readonly string s_hart0 = Terminal(Hart0);
    private static readonly string s_hart1 = s_hart0.Replace("CPU#0", "CPU#1", StringComparison.Ordinal)
        .Replace(" mhartid  0000000000000000", " mhartid  0000000000000001", StringComparison.Ordinal);

    /// <summary>The registers guest on two harts, once both have said they are done ("R\n" each).</summary>
    private static async Task<(QmpRig Rig, QmpClient Client)> StartRegistersGuestAsync(QmpServerOptions? options = null)
    {
        var console = new ConsoleWatch();
        QmpRig rig = QmpRig.Start("monitor/registers.elf", harts: 2, console: console, options: options);
        await console.WhenAsync(text => text.Count(ch => ch == 'R') == 2);
        QmpClient c = await rig.ConnectAsync();
        return (rig, c);
    }

    private static async Task<string> Hmp(QmpClient c, string line, int? cpu = null)
    {
        var args = new Dictionary<string, object> { ["command-line"] = line };
        if (cpu is int index) args["cpu-index"] = index;
        JsonElement value = await c.ReturnOfAsync("human-monitor-command", args);
        return value.GetString()!;
    }

    [Fact]
    public async Task InfoRegistersShowsTheCurrentHartOrOneOrAllInQemusLayout()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            // Read while running (the harts sleep in WFI), then again stopped: the same values.
            Assert.Equal(s_hart0, await Hmp(c, "info registers"));
            await Hmp(c, "stop");
            Assert.Equal(s_hart0, await Hmp(c, "info registers"));
            Assert.Equal(s_hart1, await Hmp(c, "info registers", cpu: 1));
            Assert.Equal(s_hart1, await Hmp(c, "info registers 1"));
            Assert.Equal(s_hart1, await Hmp(c, "info registers (3 - 2)"));
            Assert.Equal(s_hart0 + s_hart1, await Hmp(c, "info registers -a"));
            Assert.Equal(s_hart0 + s_hart1, await Hmp(c, "info registers -a", cpu: 1));
            Assert.Equal("CPU#2 not available\r\n", await Hmp(c, "info registers 2"));
            Assert.Equal("'registers' has failed: integer is for 32-bit values\r\nTry \"help info registers\" for more information\r\n",
                await Hmp(c, "info registers 0x100000000"));
        }
    }

    [Fact]
    public async Task InfoCpusMarksTheCurrentCpu()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            IReadOnlyList<VCpuInfo> v = rig.Machine.VCpus;
            Assert.Equal($"* CPU #0: thread_id={v[0].HostThreadId}\r\n  CPU #1: thread_id={v[1].HostThreadId}\r\n", await Hmp(c, "info cpus"));
            Assert.Equal($"  CPU #0: thread_id={v[0].HostThreadId}\r\n* CPU #1: thread_id={v[1].HostThreadId}\r\n", await Hmp(c, "info cpus", cpu: 1));
        }
    }

    [Fact]
    public async Task XAndXpDumpRamInQemusFormatsAndRememberTheLastFormat()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            // The table of register values at 0x80000200: entry i is i * 0x0101010101010101.
            (string Line, string Output)[] cases =
            [
                ("xp /4xg 0x80000200", "0000000080000200: 0x0000000000000000 0x0101010101010101\n0000000080000210: 0x0202020202020202 0x0303030303030303\n"),
                ("x /4xg 0x80000200", "0000000080000200: 0x0000000000000000 0x0101010101010101\n0000000080000210: 0x0202020202020202 0x0303030303030303\n"),
                ("xp /6xb 0x80000208", "0000000080000208: 0x01 0x01 0x01 0x01 0x01 0x01\n"),
                ("xp /10xb 0x80000208", "0000000080000208: 0x01 0x01 0x01 0x01 0x01 0x01 0x01 0x01\n0000000080000210: 0x02 0x02\n"),
                ("xp /3xh 0x80000210", "0000000080000210: 0x0202 0x0202 0x0202\n"),
                ("x/5xw 0x800002e0", "00000000800002e0: 0x0000000a 0x00000000 0x00000052 0x00000000\n00000000800002f0: 0x10000000\n"),
                ("xp /2dg 0x800002e8", "00000000800002e8:                   82            268435456\n"),
                ("xp /2oh 0x80000208", "0000000080000208:   0401   0401\n"),
                ("xp /2uw 0x80000218", "0000000080000218:   50529027   50529027\n"),
                ("xp /2cb 0x800002e8", "00000000800002e8: 'R' '\\x00'\n"),
                // As QEMU: c counts in the last size but prints bytes.
                ("xp /2cw 0x800002e0", "00000000800002e0: '\\n' '\\x00' '\\x00' '\\x00' '\\x00' '\\x00' '\\x00' '\\x00'\n"),
                // No format: the last one (c) and size (w), count 1.
                ("xp 0x80000208", "0000000080000208: '\\x01' '\\x01' '\\x01' '\\x01'\n"),
                ("xp /x 0x80000208", "0000000080000208: 0x01010101\n"),
                ("xp /0x 0x80000208", ""),
                // Not RAM: devices are not read (a read can have side effects), nor is unmapped space.
                ("xp /x 0x10000000", "0000000010000000: Cannot access memory\n"),
                ("xp /x 0x100000", "0000000000100000: Cannot access memory\n"),
                ("xp /x 0", "0000000000000000: Cannot access memory\n"),
                ("xp /3x 0xfffffffffffffffc", "fffffffffffffffc: Cannot access memory\n"),
                // The end of the 16 MiB of RAM, in a line and between lines.
                ("xp /2x 0x80fffffc", "0000000080fffffc: Cannot access memory\n"),
                ("xp /8x 0x80fffff0", "0000000080fffff0: 0x00000000 0x00000000 0x00000000 0x00000000\n0000000081000000: Cannot access memory\n"),
                ("xp /2i 0x80000180", "0x0000000080000180:  10500073          wfi\n0x0000000080000184:  bff5              jal                     zero,0x80000180\n"),
                ("x /i $pc", "0x0000000080000184:  bff5              jal                     zero,0x80000180\n"),
                ("x /2i 0x80fffffe", "0x0000000080fffffe:  0000              illegal                 0x0\n0x0000000081000000:  Address 0x81000000 is out of bounds.\n\n"),
                ("xp /i 0", "0x0000000000000000:  Address 0x0 is out of bounds.\n\n"),
                // Rivet's limits (QEMU has none): a huge count is refused, not dumped for minutes.
                ("xp /100000x 0x80000000", "xp: at most 65536 bytes at once\n"),
                ("x /99999999999999999999xg 0x80000000", "x: at most 65536 bytes at once\n"),
                ("xp /5000i 0x80000000", "xp: at most 4096 instructions at once\n"),
            ];
            foreach ((string line, string output) in cases)
                Assert.True(Terminal(output) == await Hmp(c, line), $"{line}: expected {output}");
        }
    }

    [Fact]
    public async Task PrintEvaluatesQemuExpressionsWithRegisters()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            (string Line, string Output, int? Cpu)[] cases =
            [
                ("p 1+2", "0x3", null), // QEMU's initial format is x
                ("p /d 1+2*3", "7", null),
                ("p /x 2 + 3 & 1", "0x3", null), // & | ^ bind tighter than + -, as in QEMU
                ("p /x (2 + 3) & 1", "0x1", null),
                ("p /d -1", "-1", null),
                ("p /u -1", "18446744073709551615", null),
                ("p /x ~0", "0xffffffffffffffff", null),
                ("p /x 0xffffffffffffffff+1", "0", null),
                ("p /x 0", "0", null),
                ("p /o 8", "010", null),
                ("p /o 0", "0", null),
                ("p /d 010", "8", null),
                ("p /d 7/2", "3", null),
                ("p /d 7%3", "1", null),
                ("p /d -7/2", "-3", null),
                ("p /x 6|1", "0x7", null),
                ("p /x 6^3", "0x5", null),
                ("p /c 65", "'A'", null),
                ("p /c 10", "'\\n'", null),
                ("p /c 0", "'\\x00'", null),
                ("p /c 300", "'\\x12c'", null),
                ("p /c -1", "'\\xffffffff'", null),
                ("p /d 'A'", "65", null),
                ("p/x 255", "0xff", null),
                ("p 254+1", "0xff", null), // the format carries over
                ("p /i 5", "5", null),
                // INT64_MIN / -1 crashes QEMU 7.2 (SIGFPE); here it wraps.
                ("p /d -9223372036854775808/-1", "-9223372036854775808", null),
                ("p /d -9223372036854775808%-1", "0", null),
                // Registers of the current CPU (a Rivet extension: QEMU 7.2 has none for RISC-V).
                ("p /x $pc", "0x80000184", null),
                ("p /x $a0", "0xa0a0a0a0a0a0a0a", null),
                ("p /x $x10 + $zero", "0xa0a0a0a0a0a0a0a", null),
                ("p /x $fp", "0x808080808080808", null),
                ("p /x $t6", "0x1f1f1f1f1f1f1f1f", null),
                ("p /x $mhartid", "0", null),
                ("p /x $mhartid", "0x1", 1),
                ("p /x $mscratch", "0x123456789abcdef", null),
                ("p /x $mcause", "0x8000000000000007", null),
                ("p /x $sp - $ra", "0x101010101010101", null),
            ];
            foreach ((string line, string output, int? cpu) in cases)
                Assert.True(output + "\r\n" == await Hmp(c, line, cpu), $"{line}: expected {output}");
        }
    }

    [Fact]
    public async Task BadArgumentsGetQemusMessagesAndChangeNothing()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            (string Line, string Output)[] cases =
            [
                ("p", "unexpected end of expression\nTry \"help p\" for more information\n"),
                ("p 1+", "unexpected end of expression\nTry \"help p\" for more information\n"),
                ("p (", "unexpected end of expression\nTry \"help p\" for more information\n"),
                ("p (1", "')' expected\nTry \"help p\" for more information\n"),
                ("p 1)", "print|p: extraneous characters at the end of line\nTry \"help p\" for more information\n"),
                ("p foo", "invalid char 'f' in expression\nTry \"help p\" for more information\n"),
                ("p /z 1", "invalid char in format: 'z'\nTry \"help p\" for more information\n"),
                ("p 1 2", "print|p: extraneous characters at the end of line\nTry \"help p\" for more information\n"),
                ("p 1<<4", "print|p: extraneous characters at the end of line\nTry \"help p\" for more information\n"),
                ("p 0x", "print|p: extraneous characters at the end of line\nTry \"help p\" for more information\n"),
                ("p 1/0", "division by zero\nTry \"help p\" for more information\n"),
                ("p 1%0", "division by zero\nTry \"help p\" for more information\n"),
                ("p 99999999999999999999", "number too large\nTry \"help p\" for more information\n"),
                ("p 'AB'", "missing terminating ' character\nTry \"help p\" for more information\n"),
                ("p '", "character constant expected\nTry \"help p\" for more information\n"),
                ("p $nosuch", "unknown register\nTry \"help p\" for more information\n"),
                ("print $", "unknown register\nTry \"help print\" for more information\n"),
                ("xp", "unexpected end of expression\nTry \"help xp\" for more information\n"),
                ("xp /4x", "unexpected end of expression\nTry \"help xp\" for more information\n"),
                ("xp /4q 0x80000000", "invalid char in format: 'q'\nTry \"help xp\" for more information\n"),
                ("x /4x 0x80000000 extra", "x: extraneous characters at the end of line\nTry \"help x\" for more information\n"),
                ("stop extra", "stop|s: extraneous characters at the end of line\nTry \"help stop\" for more information\n"),
                ("q extra", "quit|q: extraneous characters at the end of line\nTry \"help q\" for more information\n"),
                ("system_reset extra", "system_reset: extraneous characters at the end of line\nTry \"help system_reset\" for more information\n"),
                ("info status extra", "status: extraneous characters at the end of line\nTry \"help info status\" for more information\n"),
                ("info cpus extra", "cpus: extraneous characters at the end of line\nTry \"help info cpus\" for more information\n"),
                ("info mtree foo", "mtree: extraneous characters at the end of line\nTry \"help info mtree\" for more information\n"),
                ("info registers foo", "invalid char 'f' in expression\nTry \"help info registers\" for more information\n"),
                ("info registers -1", "registers: unsupported option -1\nTry \"help info registers\" for more information\n"),
                ("info registers -a extra", "invalid char 'e' in expression\nTry \"help info registers\" for more information\n"),
                ("info foo", "unknown command: 'info foo'\n"),
                ("info foo bar", "unknown command: 'info foo'\n"),
                ("foo bar", "unknown command: 'foo'\n"),
                ("help foo", "unknown command: 'foo'\n"),
                ("help info foo", "unknown command: 'info foo'\n"),
                ("", ""),
                ("   ", ""),
                ("p " + new string('(', 1000) + "1", "expression too deeply nested\nTry \"help p\" for more information\n"),
                ("p " + new string('-', 1000) + "1", "expression too deeply nested\nTry \"help p\" for more information\n"),
            ];
            foreach ((string line, string output) in cases)
                Assert.True(Terminal(output) == await Hmp(c, line), $"{line}: expected {output}");
            Assert.Equal(RunState.Running, rig.Machine.RunState); // neither 'stop extra' nor 'q extra' ran
            Assert.Equal(s_hart0, await Hmp(c, "info registers"));
        }
    }

    [Fact]
    public async Task GeneratedGarbageNeverCrashesOrHangsTheMonitor()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        string[] pieces = ["p", "x", "xp", "info", "registers", "mtree", "qtree", "cpus", "help", "?", "/", "/4", "/xg", "/99999cw", "/i",
            "$", "$pc", "$a0", "$x99", "(", ")", "'", "'a'", "-", "-a", "~", "+", "*", "%", "&", "|", "^", "0x", "0x80000000", "07", "9",
            "18446744073709551616", " ", "  ", "\t", "\u00e9", "\u6f22", "\ud83d\ude00", "\u0000", "\u001b[A", "\"", "\\", ",", "=", "x/", "-1"];
        var random = new Random(20261204);
        for (int i = 0; i < 400; i++)
        {
            var line = new StringBuilder();
            int n = random.Next(1, 8);
            for (int k = 0; k < n; k++) line.Append(pieces[random.Next(pieces.Length)]).Append(random.Next(3) == 0 ? " " : "");
            string text = line.ToString();
            string first = text.TrimStart().Split(' ', '/')[0];
            if (first is "q" or "quit") continue; // would end the run
            JsonElement reply = await c.ExecuteAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = text });
            Assert.True(reply.TryGetProperty("return", out JsonElement output) && output.ValueKind == JsonValueKind.String, $"{text}: {reply.GetRawText()}");
        }
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        Assert.Equal("", rig.Diagnostics);
    }

    [Fact]
    public async Task HelpIsGeneratedFromTheTableInQemusFormat()
    {
        using QmpRig rig = QmpRig.Start(harts: 1);
        await using QmpClient c = await rig.ConnectAsync();
        const string All = """
            cont|c  -- resume emulation
            cpu index -- set the default CPU
            gva2gpa addr -- print the guest physical address corresponding to a guest virtual address
            help|? [cmd] -- show the help
            info [subcommand] -- show various information about the system state
            memsave addr size file -- save to disk virtual memory dump starting at 'addr' of size 'size'
            nmi  -- inject an NMI
            pmemsave addr size file -- save to disk physical memory dump starting at 'addr' of size 'size'
            print|p /fmt expr -- print expression value (use $reg for CPU register access)
            quit|q  -- quit the emulator
            stop|s  -- stop emulation
            sum addr size -- compute the checksum of a memory region
            system_powerdown  -- send system power down event
            system_reset  -- reset the system
            x /fmt addr -- virtual memory dump starting at 'addr'
            xp /fmt addr -- physical memory dump starting at 'addr'

            """;
        const string Info = """
            info balloon  -- show balloon information
            info cpus  -- show infos for each CPU
            info hotpluggable-cpus  -- Show information about hotpluggable CPUs
            info iothreads  -- show iothreads
            info irq  -- show the interrupts statistics (if available)
            info jit  -- show dynamic compiler info
            info kvm  -- show KVM information
            info mem  -- show the active virtual memory mappings
            info memory_size_summary  -- show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.
            info mtree [-f] -- show memory tree (-f: dump flat view for address spaces)
            info name  -- show the current VM name
            info numa  -- show NUMA information
            info pic  -- show PIC state
            info qtree  -- show device tree
            info registers [-a|vcpu] -- show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)
            info status  -- show the current VM status (running|paused)
            info uuid  -- show the current VM UUID
            info version  -- show the version of QEMU

            """;
        Assert.Equal(Terminal(All), await Hmp(c, "help"));
        Assert.Equal(Terminal(All), await Hmp(c, "?"));
        Assert.Equal(Terminal(Info), await Hmp(c, "help info"));
        Assert.Equal(Terminal(Info), await Hmp(c, "info"));
        Assert.Equal("print|p /fmt expr -- print expression value (use $reg for CPU register access)\r\n", await Hmp(c, "help p"));
        Assert.Equal("stop|s  -- stop emulation\r\n", await Hmp(c, "help stop extra"));
        Assert.Equal("help|? [cmd] -- show the help\r\n", await Hmp(c, "help help"));
        Assert.Equal(
            "info registers [-a|vcpu] -- show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)\r\n",
            await Hmp(c, "help info registers"));
    }

    [Fact]
    public async Task InfoMtreeAndQtreeShowTheBoardAsQemuWould()
    {
        using QmpRig rig = QmpRig.Start(harts: 2);
        await using QmpClient c = await rig.ConnectAsync();
        const string Regions = """
            0000000000001000-000000000000ffff (prio 0, rom): riscv_virt_board.mrom
            0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test
            0000000000101000-0000000000101023 (prio 0, i/o): goldfish_rtc
            0000000002000000-000000000200ffff (prio 0, i/o): riscv.sifive.clint
            000000000c000000-000000000c5fffff (prio 0, i/o): riscv.sifive.plic
            0000000010000000-00000000100000ff (prio 0, i/o): serial
            0000000010001000-00000000100011ff (prio 0, i/o): virtio-mmio
            0000000010002000-00000000100021ff (prio 0, i/o): virtio-mmio
            0000000010003000-00000000100031ff (prio 0, i/o): virtio-mmio
            0000000010004000-00000000100041ff (prio 0, i/o): virtio-mmio
            0000000010005000-00000000100051ff (prio 0, i/o): virtio-mmio
            0000000010006000-00000000100061ff (prio 0, i/o): virtio-mmio
            0000000010007000-00000000100071ff (prio 0, i/o): virtio-mmio
            0000000010008000-00000000100081ff (prio 0, i/o): virtio-mmio
            0000000080000000-0000000080ffffff (prio 0, ram): riscv_virt_board.ram
            """;
        string Indented(string prefix) => string.Concat(Regions.Split('\n').Select(l => prefix + l + "\n"));
        Assert.Equal(Terminal("address-space: cpu-memory-0\naddress-space: cpu-memory-1\naddress-space: memory\n"
            + "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n" + Indented("    ") + "\n"), await Hmp(c, "info mtree"));
        Assert.Equal(Terminal("FlatView #0\n AS \"memory\", root: system\n AS \"cpu-memory-0\", root: system\n AS \"cpu-memory-1\", root: system\n"
            + " Root memory region: system\n" + Indented("  ") + "\n"), await Hmp(c, "info mtree -f"));
        const string Qtree = """
            bus: main-system-bus
              type System
              dev: virtio-mmio, id ""
                mmio 0000000010008000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010007000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010006000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010005000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010004000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010003000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010002000/0000000000000200
              dev: virtio-mmio, id ""
                mmio 0000000010001000/0000000000000200
              dev: serial-mm, id ""
                mmio 0000000010000000/0000000000000100
              dev: riscv.sifive.plic, id ""
                mmio 000000000c000000/0000000000600000
              dev: riscv.sifive.clint, id ""
                mmio 0000000002000000/0000000000010000
              dev: goldfish_rtc, id ""
                mmio 0000000000101000/0000000000000024
              dev: riscv.sifive.test, id ""
                mmio 0000000000100000/0000000000001000
              dev: riscv.hart_array, id ""
                num-harts = 2 (0x2)
                hartid-base = 0 (0x0)
                cpu-type = "rv64-riscv-cpu"
                resetvec = 2147483648 (0x80000000)

            """;
        Assert.Equal(Terminal(Qtree), await Hmp(c, "info qtree"));
    }

    [Fact]
    public async Task RunControlCommandsAndTheirAliasesWorkAsQmpsDo()
    {
        using QmpRig rig = QmpRig.Start(harts: 2, options: new QmpServerOptions { Name = "hmp-test" });
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("hmp-test\r\n", await Hmp(c, "info name"));
        Assert.Equal("VM status: running\r\n", await Hmp(c, "info status"));
        Assert.Equal("", await Hmp(c, "s"));
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        Assert.Equal("VM status: paused\r\n", await Hmp(c, "info  status"));
        Assert.Equal("", await Hmp(c, "system_reset"));
        Assert.Equal("RESET", (await c.NextEventAsync()).EventName);
        Assert.Equal("", await Hmp(c, "c"));
        Assert.Equal("RESUME", (await c.NextEventAsync()).EventName);
        Assert.Equal(RunState.Running, rig.Machine.RunState);
        Assert.Equal("", await Hmp(c, "system_powerdown"));
        Assert.Equal("POWERDOWN", (await c.NextEventAsync()).EventName);
        // quit: the reply, then SHUTDOWN, as QMP's quit.
        Assert.Equal("", await Hmp(c, "q"));
        Received shutdown = await c.NextEventAsync("SHUTDOWN");
        Assert.Equal("host-qmp-quit", shutdown.Message.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(0, rig.Machine.WaitForExit(QmpRig.ExitLimit));
    }

    [Fact]
    public async Task StartedPausedTheRegistersAreTheResetState()
    {
        using QmpRig rig = QmpRig.Start("monitor/registers.elf", harts: 1, tweak: config => config with { StartPaused = true });
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("VM status: paused (prelaunch)\r\n", await Hmp(c, "info status"));
        string registers = await Hmp(c, "info registers");
        // As qemu-system-riscv64 7.2 -S shows them: at the reset ROM's first instruction, registers zero.
        Assert.StartsWith("\r\nCPU#0\r\n pc       0000000000001000\r\n mhartid  0000000000000000\r\n mstatus  0000000a00000000\r\n", registers);
        Assert.Contains(" x4/tp    0000000000000000 x5/t0    0000000000000000 x6/t1    0000000000000000 x7/t2    0000000000000000\r\n", registers);
        Assert.Contains(" x8/s0    0000000000000000 x9/s1    0000000000000000 x10/a0   0000000000000000 x11/a1   0000000000000000\r\n", registers);
        Assert.Contains(" x12/a2   0000000000000000 x13/a3   0000000000000000", registers);
        // The ROM reads as memory (QEMU 7.2 prints the operand as "t0,0  # 0x1000"; Rivet as its in_asm does).
        Assert.StartsWith("0x0000000000001000:  00000297          auipc                   t0,", await Hmp(c, "xp /i 0x1000"));
        // The image is in RAM before the first instruction runs: li t0, 0x80000200 starts with addiw t0,zero,1.
        Assert.Equal("0x0000000080000000:  0010029b          addiw                   t0,zero,1\r\n", await Hmp(c, "xp /i 0x80000000"));
    }

    /// <summary>
    /// x, memsave, gva2gpa and info mem through the hart's Sv39 translation (monitor/paged.S: its
    /// mappings and values), each answer as qemu-system-riscv64 7.2 gave it for the same guest.
    /// </summary>
    [Fact]
    public async Task VirtualAddressesGoThroughTheCurrentCpusTranslationAsQemu()
    {
        var console = new ConsoleWatch();
        using QmpRig rig = QmpRig.Start("monitor/paged.elf", harts: 1, console: console);
        await console.WhenAsync(text => text.Contains('P', StringComparison.Ordinal));
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal(Terminal("""
            vaddr            paddr            size             attr
            ---------------- ---------------- ---------------- -------
            0000000010000000 0000000010000000 0000000000200000 rw---ad
            0000000040000000 0000000080020000 0000000000004000 rw---ad
            0000000040004000 0000000080030000 0000000000001000 r----a-
            0000000040005000 0000000080024000 0000000000001000 rw---ad
            0000000040008000 0000000080021000 0000000000001000 rw-u-ad
            0000000040200000 0000000080200000 0000000000200000 rwx--a-
            0000000080000000 0000000080000000 0000000040000000 rwx--ad
            ffffffc000000000 0000000080000000 0000000040000000 r---ga-

            """), await Hmp(c, "info mem"));
        Assert.Equal("0000000040000000: 0x1111111111111111 0x0000000000000000\r\n", await Hmp(c, "x /2gx 0x40000000"));
        // Across a page boundary into a page that maps elsewhere.
        Assert.Equal("0000000040003ff8: 0x3333333333333333 0x0000000000000000\r\n0000000040004008: 0x0000000000000000 0x0000000000000000\r\n",
            await Hmp(c, "x /4gx 0x40003ff8"));
        Assert.Equal("0000000040006000: Cannot access memory\r\n", await Hmp(c, "x /2gx 0x40006000"));
        Assert.Equal("0000000040008008: 0x2222222222222222\r\n", await Hmp(c, "x /1gx 0x40008008")); // a U page, read from S as QEMU does
        Assert.Equal("0000000080021008: 0x2222222222222222\r\n", await Hmp(c, "xp /1gx 0x80021008"));
        Assert.Equal("gpa: 0x80021008\r\n", await Hmp(c, "gva2gpa 0x40001008"));
        Assert.Equal("Unmapped\r\n", await Hmp(c, "gva2gpa 0x40006000"));
        Assert.Equal("gpa: 0x80000123\r\n", await Hmp(c, "gva2gpa 0xffffffc000000123"));
        string dir = Directory.CreateTempSubdirectory("rivet-hmp-").FullName;
        try
        {
            string ms = Path.Combine(dir, "ms.bin");
            Assert.Equal("", await Hmp(c, $"memsave 0x40003ff0 32 \"{ms}\""));
            Assert.Equal([.. new byte[8], .. Enumerable.Repeat((byte)0x33, 8), .. new byte[16]], File.ReadAllBytes(ms));
            string partial = Path.Combine(dir, "partial.bin");
            Assert.Equal("Error: Invalid addr 0x0000000040005ff0/size 32 specified\r\n", await Hmp(c, $"memsave 0x40005ff0 32 \"{partial}\""));
            Assert.Empty(File.ReadAllBytes(partial));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Equal("", rig.Diagnostics);
    }

    [Fact]
    public async Task InfoMemWithoutTranslationSaysSo()
    {
        using QmpRig rig = QmpRig.Start(harts: 1);
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("No translation or protection\r\n", await Hmp(c, "info mem"));
    }

    [Fact]
    public async Task SumMemsaveAndPmemsaveReadMemoryAsQemu()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            string dir = Directory.CreateTempSubdirectory("rivet-hmp-").FullName;
            try
            {
                // Checksums as qemu-system-riscv64 7.2 printed them for the same guest.
                Assert.Equal("19310\r\n", await Hmp(c, "sum 0x80000200 256"));
                Assert.Equal("65025\r\n", await Hmp(c, "sum 0x80000200 16"));
                Assert.Equal("00000\r\n", await Hmp(c, "sum 0x87fffff0 0x20")); // past the end of RAM reads as zeros
                Assert.Equal("'sum' has failed: integer is for 32-bit values\r\nTry \"help sum\" for more information\r\n",
                    await Hmp(c, "sum 0x80000200 0x100000000"));

                string ms = Path.Combine(dir, "ms.bin");
                Assert.Equal("", await Hmp(c, $"memsave 0x80000200 32 \"{ms}\""));
                byte[] expected = [.. Enumerable.Range(0, 32).Select(i => (byte)(i / 8))];
                Assert.Equal(expected, File.ReadAllBytes(ms));
                string pms = Path.Combine(dir, "p m\"s.bin");
                Assert.Equal("", await Hmp(c, $"pmemsave 0x87fffff0 32 \"{pms.Replace("\"", "\\\"", StringComparison.Ordinal)}\""));
                Assert.Equal(new byte[32], File.ReadAllBytes(pms));
                Assert.Equal("Error: Invalid addr 0x0000000000000000/size 16 specified\r\n", await Hmp(c, $"memsave 0 16 \"{Path.Combine(dir, "zero.bin")}\""));
                Assert.Equal($"Error: Could not open '{dir}': Is a directory\r\n", await Hmp(c, $"pmemsave 0x80000000 16 \"{dir}\""));
                // Unquoted, a path's '/' is division in the size's expression, as in QEMU.
                Assert.Equal("invalid char 't' in expression\r\nTry \"help memsave\" for more information\r\n", await Hmp(c, "memsave 0x80000000 16 /tmp/x"));
                Assert.Equal("Error: Could not open '/nonexistent/x': No such file or directory\r\n", await Hmp(c, "memsave 0x80000000 16 \"/nonexistent/x\""));
                Assert.Equal("unsupported escape code: '\\q'\r\nmemsave: string expected\r\nTry \"help memsave\" for more information\r\n",
                    await Hmp(c, "memsave 0x80000000 16 \"a\\qb\""));
                Assert.Equal("unterminated string\r\nmemsave: string expected\r\nTry \"help memsave\" for more information\r\n",
                    await Hmp(c, "memsave 0x80000000 16 \"open"));
                Assert.Equal("memsave: string expected\r\nTry \"help memsave\" for more information\r\n", await Hmp(c, "memsave 0x80000000 16"));
                Assert.Equal("memsave: extraneous characters at the end of line\r\nTry \"help memsave\" for more information\r\n",
                    await Hmp(c, "memsave 0x80000000 16 x y"));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task CpuChecksItsIndex()
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            IReadOnlyList<VCpuInfo> v = rig.Machine.VCpus;
            // As QEMU's, human-monitor-command gives every line a fresh current CPU (its cpu-index or the first):
            // cpu checks its argument and holds only for a monitor that reads many lines.
            Assert.Equal("", await Hmp(c, "cpu 1"));
            Assert.Equal($"* CPU #0: thread_id={v[0].HostThreadId}\r\n  CPU #1: thread_id={v[1].HostThreadId}\r\n", await Hmp(c, "info cpus"));
            Assert.Equal("invalid CPU index\r\n", await Hmp(c, "cpu 9"));
            Assert.Equal("unexpected end of expression\r\nTry \"help cpu\" for more information\r\n", await Hmp(c, "cpu"));
            Assert.Equal("'cpu' has failed: integer is for 32-bit values\r\nTry \"help cpu\" for more information\r\n", await Hmp(c, "cpu -1"));
        }
    }

    [Fact]
    public async Task InfoJitShowsTheTranslatorsRegions()
    {
        using QmpRig rig = QmpRig.Start("lifecycle/spin_forever.elf");
        await using QmpClient c = await rig.ConnectAsync();
        {
            string text = await Hmp(c, "info jit");
            Assert.StartsWith("Translation buffer state:\r\n", text, StringComparison.Ordinal);
            if (rig.Machine.Translator.Engine == Rivet.Cpu.ExecutionEngine.Interpreter)
            {
                Assert.Equal("Translation buffer state:\r\nengine              interpreter (translation off)\r\n", text);
                return;
            }
            // The hart spins in a loop: it gets hot and is translated (polled: the monitor does not wait for it).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            // ... and entered once compiled (in the background).
            while (!text.Contains("\r\nregions             ", StringComparison.Ordinal) || text.Contains("\r\nregions             0\r\n", StringComparison.Ordinal)
                || text.Contains("\r\nregion entries      0\r\n", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, text);
                await Task.Yield();
                text = await Hmp(c, "info jit");
            }
            Assert.Contains("engine              translator (IL regions; a block head is translated after 16384 entries)\r\n", text, StringComparison.Ordinal);
            Assert.Contains("refused by the JIT  0\r\n", text, StringComparison.Ordinal);
            Assert.Matches(@"\r\nrun in regions      [1-9]\d* of [1-9]\d* instructions retired \(\d+\.\d %\)\r\n", text);
        }
    }

    [Theory]
    [InlineData("info kvm", "kvm support: not compiled\r\n")]
    [InlineData("info uuid", "00000000-0000-0000-0000-000000000000\r\n")]
    [InlineData("info numa", "0 nodes\r\n")]
    [InlineData("info memory_size_summary", "base memory: 16777216\r\n")] // the rig's 16 MiB
    [InlineData("info balloon", "Error: No balloon device has been activated\r\n")]
    [InlineData("info hotpluggable-cpus", "Error: The feature 'query-hotpluggable-cpus' is not enabled\r\n")]
    [InlineData("info irq", "")]
    [InlineData("info pic", "")]
    [InlineData("info iothreads", "")]
    [InlineData("nmi", "Error: this feature or command is not currently supported\r\n")]
    public async Task InfoItemsWithoutRivetSpecificStateAnswerAsQemu(string line, string output)
    {
        (QmpRig rig, QmpClient c) = await StartRegistersGuestAsync();
        using (rig)
        await using (c)
        {
            Assert.Equal(output, await Hmp(c, line));
        }
    }
}
