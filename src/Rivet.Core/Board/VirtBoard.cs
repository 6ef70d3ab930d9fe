using Rivet.Cpu;
using Rivet.Devices;
using Rivet.Machine;
using Rivet.Memory;

namespace Rivet.Board;

/// <summary>
/// QEMU's RISC-V 'virt' board: RAM at 0x80000000, the test finisher, CLINT, PLIC and UART at
/// their virt addresses, harts that all leave reset at the DRAM base with a0 = mhartid (as with
/// -bios none), and images loaded where their ELF headers say.
/// </summary>
internal sealed class VirtBoard : IResettable, IDisposable
{
    public const ulong DramBase = 0x80000000;
    public const int UartIrq = 10, RtcIrq = 11;

    private readonly List<LoadSegment> _images = [];

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
        Memory = new PhysicalMemory(DramBase, config.RamSize, [Finisher, Rtc, Clint, Plic, Uart, .. Virtio]);
        foreach (VirtioMmio slot in Virtio) slot.Attach(Memory);
        for (int i = 0; i < harts.Length; i++)
        {
            harts[i] = new Hart(i, Memory, Clock) { ResetVector = DramBase };
        }

        try
        {
            if (config.Bios is not null and not "none")
            {
                LoadImage(ElfOrRaw(config.Bios), config.Bios);
            }
            ElfImage? kernel = config.Kernel != null ? ElfImage.Load(config.Kernel)
                : config.KernelImage != null ? ElfImage.Parse(config.KernelImage, config.KernelName)
                : null;
            if (kernel != null)
            {
                LoadImage(kernel.Segments, config.Kernel ?? config.KernelName);
                if (kernel.ToHost is ulong tohost)
                {
                    if (!Memory.IsRam(tohost, 8)) throw new ImageException($"the ELF's tohost symbol (0x{tohost:x}) is outside RAM");
                    Htif = new Htif(Memory, requests, console, tohost, kernel.FromHost);
                }
            }
        }
        catch
        {
            Memory.Dispose(); // a bad image must not leak the guest's RAM (nobody disposes a board that was never built)
            CloseDevices();
            throw;
        }
        ResetHarts();
    }

    /// <summary>The physical memory map by address, with QEMU virt's names for each region.</summary>
    public IReadOnlyList<MemoryRegionInfo> MemoryRegions()
    {
        var regions = new List<MemoryRegionInfo>();
        foreach (IMmioDevice d in Memory.Devices)
        {
            (string name, string type) = d switch
            {
                SifiveTest => ("riscv.sifive.test", "riscv.sifive.test"),
                GoldfishRtc => ("goldfish_rtc", "goldfish_rtc"),
                VirtioMmio => ("virtio-mmio", "virtio-mmio"),
                Devices.Clint => ("riscv.sifive.clint", "riscv.sifive.clint"),
                Devices.Plic => ("riscv.sifive.plic", "riscv.sifive.plic"),
                Uart16550 => ("serial", "serial-mm"),
                _ => (d.Name, d.Name),
            };
            regions.Add(new MemoryRegionInfo(name, type, d.Base, d.Size, MemoryRegionKind.Io));
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
        return elf ? ElfImage.Parse(bytes, path).Segments : [new LoadSegment(DramBase, bytes, (ulong)bytes.Length)];
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
