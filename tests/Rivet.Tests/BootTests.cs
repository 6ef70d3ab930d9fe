using System.Diagnostics;
using System.Text;
using Rivet.Board;
using Rivet.Cli;

namespace Rivet.Tests;

/// <summary>
/// The board's boot path against qemu-system-riscv64 7.2 run in the test with the same options:
/// the device tree node by node (both decompiled by Debian's dtc), -dtb, where the tree and initrd
/// go, and Debian's OpenSBI banner (docs/BOOT.md lists what differs and why).
/// </summary>
public sealed class BootTests
{
    internal const string OpenSbi = MachineConfig.DefaultFirmware;

    private static readonly string Dir = Path.Combine(Path.GetTempPath(), $"rivet-boot-{Environment.ProcessId}");

    /// <summary>
    /// An S-mode payload as a raw image: SBI SRST system shutdown (a7 = "SRST", a6 = 0, a0 = 0,
    /// a1 = 0; ecall), then a loop. OpenSBI turns it into the test device's poweroff.
    /// </summary>
    internal static string SrstKernel()
    {
        uint[] words = [0x535258B7, 0x35488893, 0x00000813, 0x00000513, 0x00000593, 0x00000073, 0x0000006F];
        byte[] bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), words[i]);
        return Write("srst.bin", bytes);
    }

    private static string Write(string name, byte[] bytes)
    {
        Directory.CreateDirectory(Dir);
        string path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>QEMU's rv64 has H and Zb*; Rivet's harts do not (they have F and D): QEMU is run without them.</summary>
    private static string QemuCpu() => "rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off";

    internal static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not exit");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The tree each writes with dumpdtb=, as dtc prints it.</summary>
    private static (string Qemu, string Rivet) DumpBoth(string[] options, bool sameCpu = true)
    {
        string q = Path.Combine(Dir, $"q-{Guid.NewGuid():N}.dtb"), r = Path.Combine(Dir, $"r-{Guid.NewGuid():N}.dtb");
        Directory.CreateDirectory(Dir);
        var qr = Run("qemu-system-riscv64", ["-M", $"virt,dumpdtb={q}", "-nographic", .. sameCpu ? new[] { "-cpu", QemuCpu() } : [], .. options]);
        Assert.True(qr.Code == 0, qr.Err);
        var rr = Run(RivetProcess.Command, ["-M", $"virt,dumpdtb={r}", "-nographic", .. options]);
        Assert.True(rr.Code == 0, rr.Err);
        Assert.Equal($"rivet: info: dtb dumped to {r}. Exiting.\n", rr.Err);
        Assert.Equal(new FileInfo(q).Length, new FileInfo(r).Length); // the room QEMU reserves, dumped whole
        return (Dtc(q), Dtc(r));
    }

    private static string Dtc(string dtb)
    {
        var r = Run("dtc", ["-I", "dtb", "-O", "dts", dtb]);
        Assert.True(r.Code == 0, r.Err);
        return r.Out;
    }

    /// <summary>A decompiled tree as (node path, its property lines in order), nodes in order.</summary>
    internal static List<(string Path, List<string> Props)> Nodes(string dts)
    {
        var nodes = new List<(string, List<string>)>();
        var stack = new Stack<(string Path, List<string> Props)>();
        foreach (string raw in dts.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("/dts-v1/", StringComparison.Ordinal)) continue;
            if (line.EndsWith(" {", StringComparison.Ordinal))
            {
                string name = line[..^2];
                string path = stack.Count == 0 ? "/" : (stack.Peek().Path == "/" ? "/" : stack.Peek().Path + "/") + name;
                var node = (path, new List<string>());
                nodes.Add(node);
                stack.Push(node);
            }
            else if (line == "};")
            {
                stack.Pop();
            }
            else
            {
                stack.Peek().Props.Add(line);
            }
        }
        Assert.Empty(stack);
        return nodes;
    }

    /// <summary>Nodes QEMU has for devices Rivet does not (docs/BOOT.md).</summary>
    internal static readonly string[] Omitted = ["/fw-cfg@10100000", "/flash@20000000", "/platform-bus@4000000", "/soc/pci@30000000"];

    private static void AssertSameTree(string qemu, string rivet)
    {
        var q = Nodes(qemu).Where(n => !Omitted.Contains(n.Path)).ToList();
        var r = Nodes(rivet);
        Assert.Equal(q.Select(n => n.Path), r.Select(n => n.Path));
        for (int i = 0; i < q.Count; i++)
        {
            // rng-seed is random on both sides: the same property, 32 bytes (8 cells) of it.
            static string Seedless(string p) => p.StartsWith("rng-seed = <", StringComparison.Ordinal) && p.Split(' ').Length == 10 ? "rng-seed = <8 cells>;" : p;
            Assert.Equal(q[i].Props.Select(Seedless), r[i].Props.Select(Seedless));
        }
        Assert.Contains(r, n => n.Path == "/chosen" && n.Props.Any(p => p.StartsWith("rng-seed = <", StringComparison.Ordinal) && p.Split(' ').Length == 10));
    }

    [Theory]
    [InlineData("1", "256M")]
    [InlineData("4", "256M")]
    [InlineData("8", "2G")]
    [InlineData("4", "128M")]
    public void DeviceTreeMatchesQemusNodeByNode(string harts, string ram)
    {
        (string qemu, string rivet) = DumpBoth(["-smp", harts, "-m", ram]);
        AssertSameTree(qemu, rivet);
        Assert.Contains($"cpu@{int.Parse(harts, System.Globalization.CultureInfo.InvariantCulture) - 1:x} {{", rivet, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceTreeWithKernelAppendAndInitrdMatchesQemus()
    {
        string initrd = Write("initrd.img", new byte[5000]);
        (string qemu, string rivet) = DumpBoth(["-smp", "2", "-m", "2G", "-bios", OpenSbi, "-kernel", SrstKernel(), "-initrd", initrd, "-append", "console=ttyS0 earlycon=sbi"]);
        AssertSameTree(qemu, rivet);
        // QEMU 7.2: 128 MiB above the kernel at 0x80200000.
        Assert.Contains("linux,initrd-start = <0x88200000>;", rivet, StringComparison.Ordinal);
        Assert.Contains("linux,initrd-end = <0x88201388>;", rivet, StringComparison.Ordinal);
        Assert.Contains("bootargs = \"console=ttyS0 earlycon=sbi\";", rivet, StringComparison.Ordinal);
    }

    [Fact]
    public void InitrdGoesHalfwayIntoSmallRamAndAboveAnElfKernelsLowestAddress()
    {
        // An ELF at 0x80000000 without firmware: the initrd at 0x80000000 + 64 MiB for 128 MiB.
        string elf = TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram), "boot-initrd.elf");
        string initrd = Write("small.img", new byte[100]);
        (string qemu, string rivet) = DumpBoth(["-m", "128M", "-bios", "none", "-kernel", elf, "-initrd", initrd]);
        AssertSameTree(qemu, rivet);
        Assert.Contains("linux,initrd-start = <0x84000000>;", rivet, StringComparison.Ordinal);
    }

    [Fact]
    public void UserDtbGetsChosenPatchedAsQemuDoes()
    {
        string dts = Write("user.dts", Encoding.ASCII.GetBytes("""
            /dts-v1/;
            / { #address-cells = <2>; #size-cells = <2>; model = "user"; chosen { foo = "x"; };
                memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x8000000>; }; };
            """));
        string dtb = Path.Combine(Dir, "user.dtb");
        var c = Run("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]);
        Assert.True(c.Code == 0, c.Err);
        string initrd = Write("initrd2.img", new byte[3000]);
        (string qemu, string rivet) = DumpBoth(["-dtb", dtb, "-bios", OpenSbi, "-kernel", SrstKernel(), "-initrd", initrd, "-append", "a b"], sameCpu: false);
        AssertSameTree(qemu, rivet);
        Assert.Contains("foo = \"x\";", rivet, StringComparison.Ordinal);
        Assert.DoesNotContain("cpus {", rivet, StringComparison.Ordinal);
    }

    [Fact]
    public void DtbWithoutChosenIsRefusedWithOneLine()
    {
        string dts = Write("nochosen.dts", "/dts-v1/;\n/ { model = \"x\"; };\n"u8.ToArray());
        string dtb = Path.Combine(Dir, "nochosen.dtb");
        Assert.Equal(0, Run("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]).Code);
        RivetProcess.AssertStartupError(RivetProcess.Run("-dtb", dtb, "-bios", "none", "-kernel", SrstKernel(), "-nographic"), "has no /chosen node");
        RivetProcess.AssertStartupError(RivetProcess.Run("-dtb", SrstKernel(), "-bios", "none", "-kernel", SrstKernel(), "-nographic"), "is not a valid device tree blob");
    }

    [Fact]
    public void FdtRoundTripsThroughTheReader()
    {
        FdtNode tree = VirtDeviceTree.Build(new VirtDeviceTreeOptions(3, 256UL << 20) { Bootargs = "x", RngSeed = new byte[32] });
        byte[] blob = Fdt.Write(tree);
        Assert.Equal(blob, Fdt.Write(Fdt.Read(blob, "blob")));
        Assert.Throws<ImageException>(() => Fdt.Read(blob.AsSpan(0, blob.Length - 8), "cut"));
    }

    [Fact]
    public void ResetRomHoldsQemusResetVectorAndFwDynamicInfo()
    {
        var rom = new ResetRom();
        rom.Program(0x80000000, 0x87e00000, 0x80200000);
        ulong[] expected =
        [
            0x0282861300000297, 0x0202b583f1402573, 0x000280670182b283, 0x80000000, 0x87e00000,
            0x4942534f, 2, 0x80200000, 1, 0, 0,
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(rom.Read((ulong)i * 8, 8, out ulong v));
            Assert.Equal(expected[i], v);
        }
        Assert.True(rom.Write(0, 8, 0));
        Assert.True(rom.Read(0, 4, out ulong first));
        Assert.Equal(0x00000297UL, first); // writes are dropped
    }

    [Theory]
    [InlineData("-append", "x", "-append only allowed with -kernel option")]
    [InlineData("-initrd", "x", "-initrd only allowed with -kernel option")]
    public void AppendAndInitrdNeedAKernel(string option, string value, string message)
        => Assert.Equal(message, Assert.Throws<UsageException>(() => CommandLine.Parse(["-bios", "default", option, value])).Message);

    [Fact]
    public void MachineProperties()
    {
        CliOptions o = CommandLine.Parse(["-M", "virt,aclint=off,aia=none,dumpdtb=/tmp/a.dtb,dtb=/tmp/b.dtb,initrd=/tmp/i,append=x y", "-kernel", "k"]);
        Assert.Equal(("/tmp/a.dtb", "/tmp/b.dtb", "/tmp/i", "x y"), (o.Machine.DumpDtb, o.Machine.Dtb, o.Machine.Initrd, o.Machine.Append));
        Assert.Equal("default", CommandLine.Parse(["-bios", "default"]).Machine.Bios);
    }

    [Theory]
    [InlineData("default", "k.elf")]
    [InlineData(null, "k.bin")]
    public void MissingOpenSbiNamesThePackage(string? bios, string kernelName)
    {
        // An OS image without -bios wants the default firmware too.
        string kernel = kernelName.EndsWith(".elf", StringComparison.Ordinal)
            ? TinyElf.WriteTemp(TinyElf.Build(0x80200000, TinyElf.PassProgram), kernelName) : SrstKernel();
        var config = new MachineConfig { Kernel = kernel, Bios = bios, DefaultFirmwarePath = "/nonexistent/fw_dynamic.bin" };
        var ex = Assert.Throws<ImageException>(() => new Machine.Machine(config, Stream.Null, TextWriter.Null).Dispose());
        Assert.Equal("-bios default needs OpenSBI: /nonexistent/fw_dynamic.bin is missing (install Debian's opensbi package)", ex.Message);
    }

    [Fact]
    public void SystemResetReloadsTheTreeWithANewRngSeed()
    {
        string elf = TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram), "boot-seed.elf");
        using var m = new Machine.Machine(new MachineConfig { Kernel = elf, Append = "keep me" }, Stream.Null, TextWriter.Null);
        byte[] before = new byte[4096], after = new byte[4096];
        Assert.True(m.ReadPhysicalMemory(0x87e00000, before));
        Assert.True(m.Board.Memory.WriteRam(0x87e00000, new byte[64])); // the guest overwrote its tree
        m.Board.ResetState();
        Assert.True(m.ReadPhysicalMemory(0x87e00000, after));
        FdtNode b = Fdt.Read(before, "before"), a = Fdt.Read(after, "after");
        Assert.Equal(Fdt.String("keep me"), a.Find("/chosen")!.Get("bootargs"));
        Assert.Equal(32, a.Find("/chosen")!.Get("rng-seed")!.Length);
        Assert.NotEqual(b.Find("/chosen")!.Get("rng-seed"), a.Find("/chosen")!.Get("rng-seed"));
        b.Find("/chosen")!.Set("rng-seed", a.Find("/chosen")!.Get("rng-seed")!);
        Assert.Equal(Fdt.Write(b), Fdt.Write(a)); // nothing else changed
    }

    [Fact]
    public void MissingInitrdIsOneLine()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", SrstKernel(), "-initrd", "/nonexistent/initrd", "-nographic"), "could not load ramdisk '/nonexistent/initrd': no such file");

    [Fact]
    public void BareMetalHartsStartInQemusResetRom()
    {
        string elf = TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram), "boot-regs.elf");
        using var m = new Machine.Machine(new MachineConfig { Kernel = elf, Harts = 2 }, Stream.Null, TextWriter.Null);
        foreach (Cpu.Hart h in m.Board.Harts)
        {
            // QEMU's reset state: every hart at the ROM's reset vector, registers zero.
            Assert.Equal(0x1000UL, h.Pc);
            for (int r = 1; r < 32; r++) Assert.Equal(0UL, h.ReadRegister(r));
            // The ROM's six instructions (this thread is the only one running the hart: the machine is not started).
            Assert.Equal(Cpu.ExecExit.Budget, h.Run(6));
            Assert.Equal(0x80000000UL, h.Pc);
            Assert.Equal((ulong)h.HartId, h.ReadRegister(10));
            Assert.Equal(0x87e00000UL, h.ReadRegister(11));
            Assert.Equal(0x1028UL, h.ReadRegister(12));
            Assert.Equal(0x80000000UL, h.ReadRegister(5));
        }
        Span<byte> magic = stackalloc byte[4];
        Assert.True(m.ReadPhysicalMemory(0x87e00000, magic));
        Assert.Equal([0xd0, 0x0d, 0xfe, 0xed], magic.ToArray()); // the tree is in RAM where a1 points
    }

    /// <summary>OpenSBI's banner lines, from its first line up to the last "Boot HART" line.</summary>
    internal static List<string> Banner(string output)
    {
        string[] lines = output.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        int first = Array.FindIndex(lines, l => l.StartsWith("OpenSBI v", StringComparison.Ordinal));
        Assert.True(first >= 0, output);
        int last = Array.FindLastIndex(lines, l => l.StartsWith("Boot HART MEDELEG", StringComparison.Ordinal));
        Assert.True(last > first, output);
        return lines[first..(last + 1)].ToList();
    }

    /// <summary>
    /// Banner lines that differ by design: the lottery's boot hart, and what QEMU's harts have
    /// that Rivet's do not (H, Zb*: the base ISA, the H-extension delegation bits; the
    /// programmable counters QEMU counts and Rivet's read-only-zero mhpmcounters do not provide).
    /// </summary>
    internal static readonly string[] BannerDiffers =
    [
        "Domain0 Boot HART", "Boot HART ID", "Domain0 HARTs", "Boot HART Base ISA", "Boot HART MHPM Count", "Boot HART MIDELEG",
        "Boot HART MEDELEG",
    ];

    private const string Generic = "/usr/lib/riscv64-linux-gnu/opensbi/generic/";

    [Theory]
    [InlineData("1", "128M", null)]
    [InlineData("4", "2G", null)]
    [InlineData("8", "256M", null)]
    [InlineData("2", "128M", "default")]
    [InlineData("2", "128M", Generic + "fw_dynamic.elf")]
    [InlineData("2", "256M", Generic + "fw_jump.bin")]
    [InlineData("1", "128M", Generic + "fw_jump.elf")]
    public void OpenSbiBannerMatchesQemus(string harts, string ram, string? bios)
    {
        string kernel = SrstKernel();
        var q = Run("qemu-system-riscv64", ["-M", "virt", "-nographic", "-smp", harts, "-m", ram, "-bios", bios is null or "default" ? OpenSbi : bios, "-kernel", kernel]);
        Assert.True(q.Code == 0, q.Err);
        // No -bios: a raw kernel is an OS image, so Rivet loads Debian's OpenSBI as QEMU would.
        var r = RivetProcess.Run(["-M", "virt", "-nographic", "-smp", harts, "-m", ram, .. bios is null ? Array.Empty<string>() : ["-bios", bios], "-kernel", kernel]);
        Assert.True(r.Code == 0, r.Err);
        List<string> qb = Banner(q.Out), rb = Banner(r.Out);
        Assert.Equal(qb.Count, rb.Count);
        for (int i = 0; i < qb.Count; i++)
        {
            if (BannerDiffers.Any(p => qb[i].StartsWith(p, StringComparison.Ordinal)))
            {
                Assert.Equal(qb[i][..26], rb[i][..26]);
                continue;
            }
            Assert.Equal(qb[i], rb[i]);
        }
        Assert.Contains($"Platform HART Count       : {harts}", rb);
        Assert.Contains("Domain0 Next Address      : 0x0000000080200000", rb);
        Assert.Contains("Platform Name             : riscv-virtio,qemu", rb);
        string hartList = string.Join(",", Enumerable.Range(0, int.Parse(harts, System.Globalization.CultureInfo.InvariantCulture)).Select(h => $"{h}*"));
        Assert.Contains($"Domain0 HARTs             : {hartList}", rb);
    }

    [Fact]
    public void BiosDefaultWithoutKernelRunsOpenSbi()
    {
        // The milestone command: OpenSBI alone, whose next stage (address 0) faults; the banner is there before.
        using Process p = RivetProcess.Start("-M", "virt", "-nographic", "-bios", "default", "-smp", "4");
        var console = new ConsoleReader(p);
        try
        {
            console.WaitFor("Boot HART MEDELEG", 0);
            string text = console.Text;
            Assert.Contains("Platform HART Count       : 4", text, StringComparison.Ordinal);
            Assert.Contains("Domain0 Next Address      : 0x0000000000000000", text, StringComparison.Ordinal);
            Assert.Contains("Domain0 Next Arg1         : 0x0000000087e00000", text, StringComparison.Ordinal);
        }
        finally
        {
            p.Kill(true);
            p.WaitForExit();
        }
    }
}

/// <summary>A guest console read as it comes: waits for text to appear (predicate loop, generous deadline).</summary>
internal sealed class ConsoleReader
{
    private readonly object _lock = new();
    private readonly StringBuilder _text = new();
    private bool _ended;

    public ConsoleReader(Process p)
    {
        var reader = new Thread(() =>
        {
            char[] buffer = new char[4096];
            int n;
            while ((n = p.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_lock)
                {
                    _text.Append(buffer, 0, n);
                    Monitor.PulseAll(_lock);
                }
            }
            lock (_lock)
            {
                _ended = true;
                Monitor.PulseAll(_lock);
            }
        })
        { IsBackground = true, Name = "console reader" };
        reader.Start();
    }

    public string Text
    {
        get
        {
            lock (_lock) return _text.ToString();
        }
    }

    /// <summary>Waits until <paramref name="what"/> appears at or after <paramref name="from"/>; returns the index just past it.</summary>
    public int WaitFor(string what, int from)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        lock (_lock)
        {
            while (true)
            {
                int at = _text.ToString().IndexOf(what, from, StringComparison.Ordinal);
                if (at >= 0) return at + what.Length;
                TimeSpan left = deadline - DateTime.UtcNow;
                if (_ended || left <= TimeSpan.Zero)
                    throw new TimeoutException($"'{what}' did not appear ({(_ended ? "output ended" : "deadline")}); output so far:\n{_text}");
                Monitor.Wait(_lock, left);
            }
        }
    }
}
