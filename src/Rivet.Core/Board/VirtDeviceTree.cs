namespace Rivet.Board;

/// <summary>What the virt board's device tree describes beyond its fixed devices.</summary>
internal sealed record VirtDeviceTreeOptions(int Harts, ulong RamSize)
{
    /// <summary>-append: /chosen/bootargs (QEMU adds it only when non-empty).</summary>
    public string? Bootargs { get; init; }
    /// <summary>-initrd: its range in guest memory (start, end).</summary>
    public (ulong Start, ulong End)? Initrd { get; init; }
    /// <summary>/chosen/rng-seed: 32 random bytes, as QEMU's.</summary>
    public byte[] RngSeed { get; init; } = [];
}

/// <summary>
/// QEMU 7.2's virt device tree (hw/riscv/virt.c create_fdt) for the devices Rivet has, node for
/// node and property for property in the order QEMU's blob lists them, with QEMU's phandle
/// numbers. Left out, because Rivet has no such device: fw-cfg@10100000, flash@20000000,
/// platform-bus@4000000 and /soc/pci@30000000 (docs/BOOT.md).
/// </summary>
internal static class VirtDeviceTree
{
    public const uint TimebaseFrequency = 10_000_000;
    public const uint UartClock = 3_686_400;
    public const uint PlicNdev = 0x60; // VIRT_IRQCHIP_NUM_SOURCES - 1, as QEMU writes it
    public const int VirtioSlots = 8;
    public const ulong VirtioBase = 0x10001000, VirtioStride = 0x1000;
    public const uint RtcIrq = 11, VirtioIrq = 1;
    public const ulong RtcBase = 0x101000;
    private const uint IrqMSoft = 3, IrqMTimer = 7, IrqSExt = 9, IrqMExt = 11; // mip bit numbers

    /// <summary>
    /// riscv,isa as QEMU 7.2's riscv_isa_string builds it from what the harts have: the
    /// single-letter extensions of misa in canonical order, then the multi-letter ones.
    /// </summary>
    public static string IsaString()
    {
        var sb = new System.Text.StringBuilder("rv64");
        foreach (char c in "iemafdqcpvh")
        {
            if ((Cpu.Hart.MisaValue & (1UL << (c - 'a'))) != 0) sb.Append(c);
        }
        sb.Append("_zicsr_zifencei_zihintpause_sstc");
        return sb.ToString();
    }

    public static FdtNode Build(VirtDeviceTreeOptions o)
    {
        int n = o.Harts;
        // QEMU numbers phandles from 1 as it creates nodes: the harts from the last down (each
        // cpu, then its interrupt controller), then the PLIC, then the test device.
        uint CpuPhandle(int hart) => (uint)(2 * (n - 1 - hart) + 1);
        uint IntcPhandle(int hart) => CpuPhandle(hart) + 1;
        uint plic = (uint)(2 * n + 1), test = plic + 1;

        var root = new FdtNode("");
        root.Prop("#address-cells", 2).Prop("#size-cells", 2).Prop("compatible", "riscv-virtio").Prop("model", "riscv-virtio,qemu");

        // QEMU's SBI PMU event map (create_fdt_pmu): the cycle and instret events on counters 0 and
        // 2, the rest on the programmable counters.
        root.Add("pmu")
            .Prop("riscv,event-to-mhpmcounters", 0x01, 0x01, 0x7fff9, 0x02, 0x02, 0x7fffc, 0x10019, 0x10019, 0x7fff8,
                0x1001b, 0x1001b, 0x7fff8, 0x10021, 0x10021, 0x7fff8, 0, 0, 0, 0, 0)
            .Prop("compatible", "riscv,pmu");

        FdtNode chosen = root.Add("chosen");
        if (o.Initrd is (ulong start, ulong end))
        {
            // QEMU writes them as single cells (qemu_fdt_setprop_cell).
            chosen.Prop("linux,initrd-end", (uint)end).Prop("linux,initrd-start", (uint)start);
        }
        chosen.Prop("rng-seed", o.RngSeed);
        if (!string.IsNullOrEmpty(o.Bootargs)) chosen.Prop("bootargs", o.Bootargs);
        chosen.Prop("stdout-path", "/soc/serial@10000000");

        root.Add("poweroff").Prop("value", 0x5555).Prop("offset", 0).Prop("regmap", test).Prop("compatible", "syscon-poweroff");
        root.Add("reboot").Prop("value", 0x7777).Prop("offset", 0).Prop("regmap", test).Prop("compatible", "syscon-reboot");

        root.Add($"memory@{VirtBoard.DramBase:x}").Prop("device_type", "memory").Prop("reg", Reg(VirtBoard.DramBase, o.RamSize));

        FdtNode cpus = root.Add("cpus");
        cpus.Prop("#address-cells", 1).Prop("#size-cells", 0).Prop("timebase-frequency", TimebaseFrequency);
        string isa = IsaString();
        for (int h = 0; h < n; h++)
        {
            FdtNode cpu = cpus.Add($"cpu@{h:x}");
            cpu.Prop("phandle", CpuPhandle(h)).Prop("device_type", "cpu").Prop("reg", (uint)h).Prop("status", "okay")
                .Prop("compatible", "riscv").Prop("riscv,isa", isa).Prop("mmu-type", "riscv,sv48");
            cpu.Add("interrupt-controller").Prop("#interrupt-cells", 1).Prop("interrupt-controller", Fdt.Empty)
                .Prop("compatible", "riscv,cpu-intc").Prop("phandle", IntcPhandle(h));
        }
        FdtNode cluster = cpus.Add("cpu-map").Add("cluster0");
        for (int h = 0; h < n; h++) cluster.Add($"core{h}").Prop("cpu", CpuPhandle(h));

        FdtNode soc = root.Add("soc");
        soc.Prop("#address-cells", 2).Prop("#size-cells", 2).Prop("compatible", "simple-bus").Prop("ranges", Fdt.Empty);
        soc.Add($"rtc@{RtcBase:x}").Prop("interrupts", RtcIrq).Prop("interrupt-parent", plic)
            .Prop("reg", Reg(RtcBase, 0x1000)).Prop("compatible", "google,goldfish-rtc");
        soc.Add($"serial@{Devices.Uart16550.DefaultBase:x}").Prop("interrupts", (uint)VirtBoard.UartIrq).Prop("interrupt-parent", plic)
            .Prop("clock-frequency", UartClock).Prop("reg", Reg(Devices.Uart16550.DefaultBase, 0x100)).Prop("compatible", "ns16550a");
        soc.Add($"test@{Devices.SifiveTest.DefaultBase:x}").Prop("phandle", test).Prop("reg", Reg(Devices.SifiveTest.DefaultBase, 0x1000))
            .Prop("compatible", Fdt.Strings("sifive,test1", "sifive,test0", "syscon"));
        for (int i = VirtioSlots - 1; i >= 0; i--)
        {
            ulong at = VirtioBase + (ulong)i * VirtioStride;
            soc.Add($"virtio_mmio@{at:x}").Prop("interrupts", VirtioIrq + (uint)i).Prop("interrupt-parent", plic)
                .Prop("reg", Reg(at, VirtioStride)).Prop("compatible", "virtio,mmio");
        }
        // Plain arrays: a List<uint> is not precompiled and would be JIT-compiled at every start.
        uint[] plicContexts = new uint[4 * n], clintContexts = new uint[4 * n];
        for (int h = 0; h < n; h++)
        {
            // PLIC contexts 2h (M external) and 2h+1 (S external); the CLINT's M software and timer.
            uint intc = IntcPhandle(h);
            plicContexts[4 * h] = intc;
            plicContexts[(4 * h) + 1] = IrqMExt;
            plicContexts[(4 * h) + 2] = intc;
            plicContexts[(4 * h) + 3] = IrqSExt;
            clintContexts[4 * h] = intc;
            clintContexts[(4 * h) + 1] = IrqMSoft;
            clintContexts[(4 * h) + 2] = intc;
            clintContexts[(4 * h) + 3] = IrqMTimer;
        }
        soc.Add($"plic@{Devices.Plic.DefaultBase:x}").Prop("phandle", plic).Prop("riscv,ndev", PlicNdev)
            .Prop("reg", Reg(Devices.Plic.DefaultBase, 0x600000)).Prop("interrupts-extended", plicContexts)
            .Prop("interrupt-controller", Fdt.Empty).Prop("compatible", Fdt.Strings("sifive,plic-1.0.0", "riscv,plic0"))
            .Prop("#address-cells", 0).Prop("#interrupt-cells", 1);
        soc.Add($"clint@{Devices.Clint.DefaultBase:x}").Prop("interrupts-extended", clintContexts)
            .Prop("reg", Reg(Devices.Clint.DefaultBase, 0x10000)).Prop("compatible", Fdt.Strings("sifive,clint0", "riscv,clint0"));
        return root;
    }

    private static uint[] Reg(ulong address, ulong size) => [(uint)(address >> 32), (uint)address, (uint)(size >> 32), (uint)size];
}
