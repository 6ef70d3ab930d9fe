using Rivet.Memory;

namespace Rivet.Board;

/// <summary>
/// A virtio-mmio slot with nothing plugged in, as QEMU's virt shows its unused slots: the
/// transport's magic "virt", version 2, vendor "QEMU" and device ID 0 (no device), every other
/// register 0 and writes ignored. Drivers (Linux, U-Boot) read the device ID and move on; the
/// device tree lists all eight slots, so a read there must not fault.
/// </summary>
internal sealed class EmptyVirtioSlot(ulong baseAddress) : IMmioDevice
{
    private const uint MagicValue = 0x74726976, Version = 2, VendorQemu = 0x554D4551;

    public string Name => "virtio-mmio";
    public ulong Base => baseAddress;
    public ulong Size => 0x200; // QEMU's virtio-mmio region

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = offset switch
        {
            0x000 => MagicValue,
            0x004 => Version,
            0x00C => VendorQemu,
            _ => 0,
        };
        return true;
    }

    public bool Write(ulong offset, int size, ulong value) => true;

    public void Reset()
    {
    }
}
