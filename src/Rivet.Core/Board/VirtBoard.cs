using Rivet.Cpu;
using Rivet.Cpu.Translator;
using Rivet.Devices;
using Rivet.Machine;
using Rivet.Memory;

namespace Rivet.Board;

/// <summary>
/// QEMU's RISC-V 'virt' board: RAM at 0x80000000, the reset ROM, test finisher, CLINT, PLIC and
/// UART at their virt addresses, its device tree, and QEMU's boot protocol: firmware, kernel,
/// initrd and device tree where QEMU 7.2 puts them, harts leaving reset as its ROM leaves them
/// (docs/BOOT.md).
/// </summary>
internal sealed class VirtBoard : IResettable, IDisposable
{
    public const ulong DramBase = 0x80000000;
    public const int UartIrq = 10, RtcIrq = 11;

    private readonly List<LoadSegment> _images = [];
    private readonly List<(LoadSegment Segment, string Name)> _loaded = [];
    private readonly List<LoadedElf> _elfs = [];

    public PhysicalMemory Memory { get; }
    public VirtualClock Clock { get; } = new();
    public Hart[] Harts { get; }
    public Clint Clint { get; }
    public Plic Plic { get; }
    public Uart16550 Uart { get; }
    public SifiveTest Finisher { get; }
    public GoldfishRtc Rtc { get; }
    /// <summary>The eight virtio-mmio slots by index (slot i at 0x10001000 + 0x1000*i, irq 1+i).</summary>
    public VirtioMmio[] Virtio { get; }
    public Htif? Htif { get; private set; }
    public HostConsole Console { get; }

    public VirtBoard(MachineConfig config, HostConsole console, IMachineRequests requests)
    {
        Console = console;
        var harts = new Hart[config.Harts];
        Harts = harts;
        Clint = new Clint(Clint.DefaultBase, harts, Clock);
        Plic = new Plic(Plic.DefaultBase, harts);
        Uart = new Uart16550(Uart16550.DefaultBase, console);
        Uart.Irq = level => Plic.SetLevel(UartIrq, level);
        console.InputArrived += Uart.OnInput;
        Finisher = new SifiveTest(SifiveTest.DefaultBase, requests);
        Rtc = DeviceFactory.CreateRtc(config, Clock);
        Rtc.Irq = level => Plic.SetLevel(RtcIrq, level);
        Virtio = DeviceFactory.CreateVirtio(config.VirtioDevices);
        foreach (VirtioMmio slot in Virtio)
        {
            int irq = VirtioMmio.FirstIrq + (int)((slot.Base - VirtioMmio.DefaultBase) / VirtioMmio.Stride);
            slot.Irq = level => Plic.SetLevel(irq, level);
        }
        Memory = new PhysicalMemory(DramBase, config.RamSize, [Rom, Finisher, Rtc, Clint, Plic, Uart, .. Virtio]);
        foreach (VirtioMmio slot in Virtio) slot.Attach(Memory);
        var regions = new SharedRegions();
        for (int i = 0; i < harts.Length; i++)
        {
            harts[i] = new Hart(i, Memory, Clock)
            {
                Engine = config.Engine,
                CompileInBackground = true,
                SharedRegions = regions,
                TranslationCacheBytes = config.TranslationCacheMiB == 0 ? RegionTranslator.DefaultCacheBytes : (long)config.TranslationCacheMiB << 20,
            };
        }

        try
        {
            Boot(config, requests);
        }
        catch
        {
            Memory.Dispose(); // a bad image must not leak the guest's RAM (nobody disposes a board that was never built)
            CloseDevices();
            throw;
        }
        ResetHarts();
    }

    /// <summary>QEMU virt's mask ROM at 0x1000: the reset vector and fw_dynamic_info.</summary>
    public ResetRom Rom { get; } = new();

    /// <summary>The device tree blob as placed in RAM (padded to the size QEMU reserves for it).</summary>
    public byte[] DeviceTreeBlob { get; private set; } = [];

    /// <summary>Where /chosen/rng-seed's 32 bytes lie in <see cref="DeviceTreeBlob"/> (-1: nowhere).</summary>
    private int _rngSeedOffset = -1;

    /// <summary>Where the device tree lies in RAM (a1 at reset).</summary>
    public ulong DeviceTreeAddress { get; private set; }

    /// <summary>
    /// QEMU 7.2's virt_machine_done: firmware at the DRAM base, the kernel at the next 2 MiB after
    /// it (an ELF where its headers say), the initrd 128 MiB (at most half of RAM) above the
    /// kernel, the device tree at the top of RAM (below 3 GiB) on a 2 MiB boundary, and the reset
    /// ROM pointing at them (docs/BOOT.md).
    /// </summary>
    private void Boot(MachineConfig config, IMachineRequests requests)
    {
        (ElfImage? elfKernel, byte[]? rawKernel) = config.Kernel != null ? KernelFile(config.Kernel)
            : config.KernelImage != null ? (ElfImage.Parse(config.KernelImage, config.KernelName), null)
            : (null, null);
        string kernelName = config.Kernel ?? config.KernelName;

        string? bios = config.Bios ?? DefaultBios(elfKernel, rawKernel);
        ulong firmwareEnd = DramBase;
        if (bios is not null and not "none")
        {
            string path = bios == "default" ? FindDefaultFirmware(config.DefaultFirmwarePath) : bios;
            (IReadOnlyList<LoadSegment> fw, firmwareEnd) = Firmware(path);
            LoadImage(fw, path);
        }

        ulong kernelEntry = 0;
        if (elfKernel != null)
        {
            LoadImage(elfKernel.Segments, kernelName);
            _elfs.Insert(0, new LoadedElf(kernelName, elfKernel)); // QEMU looks in the last loaded first
            // QEMU's fw_dynamic next address is the kernel's lowest address, not its ELF entry.
            kernelEntry = elfKernel.LowestAddress;
            if (elfKernel.ToHost is ulong tohost)
            {
                if (!Memory.IsRam(tohost, 8)) throw new ImageException($"the ELF's tohost symbol (0x{tohost:x}) is outside RAM");
                Htif = new Htif(Memory, requests, Console, tohost, elfKernel.FromHost);
            }
        }
        else if (rawKernel != null)
        {
            kernelEntry = AlignUp(firmwareEnd, KernelAlign);
            LoadImage([new LoadSegment(kernelEntry, rawKernel, (ulong)rawKernel.Length)], kernelName);
        }

        (ulong Start, ulong End)? initrd = null;
        if (config.Initrd is string initrdPath)
        {
            ulong start = kernelEntry + Math.Min(config.RamSize / 2, 128UL << 20);
            ulong room = Memory.IsRam(start, 1) ? DramBase + config.RamSize - start : 0;
            byte[] bytes = ImageFile.Read(initrdPath, $"ramdisk '{initrdPath}'",
                _ => ((long)Math.Min(room, (ulong)Array.MaxLength), $"the {ImageFile.Describe((long)room)} of RAM above 0x{start:x}"));
            LoadImage([new LoadSegment(start, bytes, (ulong)bytes.Length)], initrdPath);
            initrd = (start, start + (ulong)bytes.Length);
        }

        byte[] seed = new byte[32];
        HostRandom.Fill(seed);
        int reserved;
        byte[] blob;
        if (config.Dtb is string dtbPath)
        {
            byte[] user = ImageFile.Read(dtbPath, $"device tree '{dtbPath}'", _ => (16L << 20, "the 16 MiB limit for a device tree"));
            FdtNode root = Fdt.Read(user, $"'{dtbPath}'");
            FdtNode chosen = root.Find("/chosen") ?? throw new ImageException($"'{dtbPath}' has no /chosen node (QEMU fails the same way)");
            if (!string.IsNullOrEmpty(config.Append)) chosen.Set("bootargs", Fdt.String(config.Append));
            chosen.Set("rng-seed", seed);
            if (initrd is (ulong s, ulong e))
            {
                chosen.Set("linux,initrd-start", Fdt.Cells((uint)s));
                chosen.Set("linux,initrd-end", Fdt.Cells((uint)e));
            }
            blob = Fdt.Write(root);
            reserved = (user.Length + 10000) * 2; // QEMU's load_device_tree room for edits
        }
        else
        {
            blob = Fdt.Write(VirtDeviceTree.Build(new VirtDeviceTreeOptions(config.Harts, config.RamSize)
            {
                Bootargs = config.Append,
                Initrd = initrd,
                RngSeed = seed,
            }));
            reserved = FdtMaxSize;
        }
        if (blob.Length > reserved) throw new ImageException($"the device tree is {blob.Length} bytes, more than the {reserved} QEMU reserves for it");
        ulong dramEnd = DramBase + config.RamSize;
        ulong top = Math.Min(dramEnd, 3UL << 30);
        if (top - DramBase < (ulong)reserved) throw new ImageException($"the guest's {ImageFile.Describe((long)config.RamSize)} of RAM cannot hold the device tree");
        DeviceTreeAddress = (top - (ulong)reserved) & ~(FdtAlign - 1);
        DeviceTreeBlob = new byte[reserved];
        blob.CopyTo(DeviceTreeBlob, 0);
        _rngSeedOffset = DeviceTreeBlob.AsSpan().IndexOf(seed);
        LoadImage([new LoadSegment(DeviceTreeAddress, DeviceTreeBlob, (ulong)reserved)], "the device tree");

        // QEMU's ROM jumps to the start of DRAM whatever was loaded there; every hart starts in it.
        Rom.Program(DramBase, DeviceTreeAddress, kernelEntry);
        foreach (Hart h in Harts) h.ResetVector = ResetRom.DefaultBase;
    }

    /// <summary>QEMU's FDT_MAX_SIZE: the room its generated tree takes in RAM (and in a dumpdtb file).</summary>
    public const int FdtMaxSize = 1 << 20;
    private const ulong FdtAlign = 2UL << 20, KernelAlign = 2UL << 20;

    /// <summary>Where QEMU puts a kernel after fw_dynamic.bin (the first 2 MiB boundary past it).</summary>
    public const ulong KernelAfterFirmware = DramBase + KernelAlign;

    /// <summary>-kernel: an ELF, or anything else as a raw image (a Linux Image, U-Boot's u-boot.bin).</summary>
    private (ElfImage? Elf, byte[]? Raw) KernelFile(string path)
    {
        bool elf = false;
        byte[] bytes = ImageFile.Read(path, $"kernel '{path}'", isElf =>
        {
            elf = isElf;
            return isElf ? ElfImage.ElfLimit : ((long)Memory.RamSize, $"the guest's {ImageFile.Describe((long)Memory.RamSize)} of RAM");
        });
        return elf ? (ElfImage.Parse(bytes, path), null) : (null, bytes);
    }

    /// <summary>
    /// No -bios: QEMU 7.2 loads its default OpenSBI. Rivet does so for an OS image (a raw image,
    /// or an ELF above the firmware's 2 MiB); an ELF that loads at the DRAM base, where firmware
    /// would be, is a bare-metal guest and runs without firmware, as it always has in Rivet.
    /// </summary>
    private static string? DefaultBios(ElfImage? elfKernel, byte[]? rawKernel)
    {
        if (rawKernel != null) return "default";
        if (elfKernel != null && elfKernel.LowestAddress >= KernelAfterFirmware) return "default";
        return null;
    }

    private static string FindDefaultFirmware(string path)
    {
        if (!File.Exists(path))
            throw new ImageException($"-bios default needs OpenSBI: {path} is missing (install Debian's opensbi package)");
        return path;
    }

    /// <summary>A firmware file's segments and where it ends (QEMU: the ELF's highest address, or the raw image's end).</summary>
    private (IReadOnlyList<LoadSegment> Segments, ulong End) Firmware(string path)
    {
        IReadOnlyList<LoadSegment> segments = ElfOrRaw(path);
        ulong end = DramBase;
        foreach (LoadSegment s in segments) end = Math.Max(end, s.Address + s.MemorySize);
        return (segments, end);
    }

    private static ulong AlignUp(ulong value, ulong align) => (value + align - 1) & ~(align - 1);

    /// <summary>The physical memory map by address, with QEMU virt's names for each region.</summary>
    public IReadOnlyList<MemoryRegionInfo> MemoryRegions()
    {
        var regions = new List<MemoryRegionInfo>();
        foreach (IMmioDevice d in Memory.Devices)
        {
            (string name, string? type) = d switch
            {
                ResetRom => ("riscv_virt_board.mrom", null),
                SifiveTest => ("riscv.sifive.test", "riscv.sifive.test"),
                GoldfishRtc => ("goldfish_rtc", "goldfish_rtc"),
                VirtioMmio => ("virtio-mmio", "virtio-mmio"),
                Devices.Clint => ("riscv.sifive.clint", "riscv.sifive.clint"),
                Devices.Plic => ("riscv.sifive.plic", "riscv.sifive.plic"),
                Uart16550 => ("serial", "serial-mm"),
                _ => (d.Name, d.Name),
            };
            regions.Add(new MemoryRegionInfo(name, type, d.Base, d.Size, d is ResetRom ? MemoryRegionKind.Rom : MemoryRegionKind.Io));
        }
        regions.Add(new MemoryRegionInfo("riscv_virt_board.ram", null, Memory.RamBase, Memory.RamSize, MemoryRegionKind.Ram));
        regions.Sort((a, b) => a.Base.CompareTo(b.Base));
        return regions;
    }

    private IReadOnlyList<LoadSegment> ElfOrRaw(string path)
    {
        // A raw firmware binary goes to the start of DRAM, as QEMU does, so it must fit in RAM.
        bool elf = false;
        byte[] bytes = ImageFile.Read(path, $"firmware '{path}'", isElf =>
        {
            elf = isElf;
            return isElf ? ElfImage.ElfLimit : ((long)Memory.RamSize, $"the guest's {ImageFile.Describe((long)Memory.RamSize)} of RAM");
        });
        if (!elf) return [new LoadSegment(DramBase, bytes, (ulong)bytes.Length)];
        ElfImage image = ElfImage.Parse(bytes, path);
        _elfs.Insert(0, new LoadedElf(path, image));
        return image.Segments;
    }

    /// <summary>The ELF files loaded (kernel, firmware), the last loaded first, as QEMU's syminfos list.</summary>
    public IReadOnlyList<LoadedElf> LoadedElfs => _elfs;

    /// <summary>QEMU's lookup_symbol: the function symbol containing <paramref name="address"/> in any loaded ELF, or null.</summary>
    public string? LookupSymbol(ulong address)
    {
        foreach (LoadedElf e in _elfs)
        {
            if (e.Image.Functions.Lookup(address) is string name) return name;
        }
        return null;
    }

    private void LoadImage(IReadOnlyList<LoadSegment> segments, string name)
    {
        foreach (LoadSegment s in segments)
        {
            if (!Memory.IsRam(s.Address, s.MemorySize))
            {
                throw new ImageException(
                    $"'{name}': segment at 0x{s.Address:x}-0x{s.Address + s.MemorySize:x} lies outside RAM (0x{DramBase:x}-0x{DramBase + Memory.RamSize:x})");
            }
            foreach ((LoadSegment other, string otherName) in _loaded)
            {
                if (s.Address < other.Address + other.MemorySize && other.Address < s.Address + s.MemorySize)
                {
                    throw new ImageException(
                        $"'{name}' (0x{s.Address:x}-0x{s.Address + s.MemorySize:x}) overlaps '{otherName}' (0x{other.Address:x}-0x{other.Address + other.MemorySize:x})");
                }
            }
            _loaded.Add((s, name));
            _images.Add(s);
            WriteSegment(s);
        }
    }

    private void WriteSegment(LoadSegment s)
    {
        Memory.WriteRam(s.Address, s.Data);
        // The zero-filled rest in pieces: it may be larger than any one array (up to all of RAM).
        byte[] zeros = new byte[64 << 10];
        for (ulong at = (ulong)s.Data.Length; at < s.MemorySize; at += (ulong)zeros.Length)
        {
            Memory.WriteRam(s.Address + at, zeros.AsSpan(0, (int)Math.Min((ulong)zeros.Length, s.MemorySize - at)));
        }
    }

    private void ResetHarts()
    {
        foreach (Hart h in Harts) h.Reset();
    }

    /// <summary>system_reset: devices and harts to reset state, images loaded again (QEMU's ROM reset).</summary>
    public void ResetState()
    {
        // A new seed for every boot, as QEMU's qemu_fdt_randomize_seeds at reset.
        if (_rngSeedOffset >= 0) HostRandom.Fill(DeviceTreeBlob.AsSpan(_rngSeedOffset, 32));
        foreach (IMmioDevice d in Memory.Devices) d.Reset();
        foreach (LoadSegment s in _images) WriteSegment(s);
        ResetHarts();
    }

    public void FreezeTime(bool frozen)
    {
        if (frozen) Clock.Freeze();
        else Clock.Thaw();
    }

    public void Close()
    {
        Console.Flush();
        CloseDevices();
    }

    /// <summary>Drives flushed and closed, the RTC's timer stopped. Idempotent.</summary>
    private void CloseDevices()
    {
        Rtc.Dispose();
        foreach (VirtioMmio slot in Virtio) slot.Dispose();
    }

    public void Dispose()
    {
        CloseDevices();
        Memory.Dispose();
    }
}
