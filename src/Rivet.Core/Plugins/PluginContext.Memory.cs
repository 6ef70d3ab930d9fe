using Rivet.Cpu;
using Rivet.Memory;

namespace Rivet.Plugins.Hosting;

/// <summary>Guest memory by virtual and physical address, and the physical side of memory callbacks: docs/PLUGINS.md, "Guest memory".</summary>
internal sealed partial class PluginContext
{
    public MemoryResult ReadMemory(ulong virtualAddress, Span<byte> destination)
        => (MemoryResult)Host.CurrentHart(this, "ReadMemory").ReadVirtual(virtualAddress, destination);

    public MemoryResult WriteMemory(ulong virtualAddress, ReadOnlySpan<byte> source)
        => (MemoryResult)WritableHart("WriteMemory").WriteVirtual(virtualAddress, source);

    public MemoryResult ReadPhysicalMemory(ulong physicalAddress, Span<byte> destination)
        => (MemoryResult)Host.CurrentHart(this, "ReadPhysicalMemory").ReadPhysical(physicalAddress, destination);

    public MemoryResult WritePhysicalMemory(ulong physicalAddress, ReadOnlySpan<byte> source)
        => (MemoryResult)WritableHart("WritePhysicalMemory").WritePhysical(physicalAddress, source);

    public bool TryTranslate(ulong virtualAddress, out ulong physicalAddress)
        => Host.CurrentHart(this, "TryTranslate").TryTranslateForPlugin(virtualAddress, out physicalAddress);

    /// <summary>A memory callback's access with its physical address and what it hit, named as QEMU names its memory regions.</summary>
    internal static MemoryAccessInfo WithPhysical(MemoryAccessInfo access, Hart hart)
    {
        ulong pa = hart.PhysicalOfAccess(access.Address, access.IsStore);
        IMmioDevice? device = hart.DeviceAt(pa);
        // QEMU's reset ROM is RAM-backed: not I/O, and named RAM as RAM is.
        bool io = device != null && device is not Board.ResetRom;
        return access with { PhysicalAddress = pa, IsIo = io, DeviceName = io ? QemuRegionName(device!, pa - device!.Base) : "RAM" };
    }

    /// <summary>QEMU 7.2's memory-region names on virt (<c>info mtree</c>), which <c>qemu_plugin_hwaddr_device_name</c> returns.</summary>
    private static string QemuRegionName(IMmioDevice device, ulong offset) => device.Name switch
    {
        "uart" => "serial",
        "sifive_test" => "riscv.sifive.test",
        "plic" => "riscv.sifive.plic",
        "clint" => offset < 0x4000 ? "riscv.aclint.swi" : "riscv.aclint.mtimer",
        _ => device.Name,
    };
}
