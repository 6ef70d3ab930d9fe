namespace Rivet.Plugins;

/// <summary>How a plugin's guest memory access went (QEMU's <c>qemu_plugin_hwaddr_operation_result</c>, extended).</summary>
public enum MemoryResult
{
    /// <summary>Done: every byte was read or written.</summary>
    Ok,

    /// <summary>A virtual address has no translation allowing the access (the guest would take a page fault). Nothing was accessed.</summary>
    PageFault,

    /// <summary>PMP forbids the access at the current privilege (the guest would take an access fault). Nothing was accessed.</summary>
    AccessFault,

    /// <summary>The physical address is a device, not RAM: plugins do not access devices (a device read can have side effects). Nothing was accessed.</summary>
    Device,

    /// <summary>The physical address is neither RAM nor a device. Nothing was accessed.</summary>
    Unmapped,
}

/// <summary>The physical side of a <see cref="MemoryAccessInfo"/> (QEMU's <c>qemu_plugin_get_hwaddr</c>).</summary>
public readonly partial record struct MemoryAccessInfo
{
    /// <summary>The physical address accessed (of the first byte), after translation (QEMU's <c>qemu_plugin_hwaddr_phys_addr</c>).</summary>
    public ulong PhysicalAddress { get; init; }

    /// <summary>True when the access went to a device rather than RAM (QEMU's <c>qemu_plugin_hwaddr_is_io</c>).</summary>
    public bool IsIo { get; init; }

    /// <summary>
    /// What was accessed, as QEMU's <c>qemu_plugin_hwaddr_device_name</c> names it: <c>RAM</c>,
    /// or the device's QEMU memory-region name (<c>serial</c>, <c>riscv.sifive.test</c>,
    /// <c>riscv.aclint.swi</c>, <c>riscv.aclint.mtimer</c>, <c>riscv.sifive.plic</c>,
    /// <c>virtio-mmio</c>, <c>goldfish_rtc</c>; the reset ROM is RAM to QEMU). Null only in
    /// values a plugin built itself.
    /// </summary>
    public string? DeviceName { get; init; }
}

public partial interface IPluginContext
{
    /// <summary>
    /// Reads guest memory at a virtual address of the vCPU whose callback is running, through
    /// its current translation as a load from its current privilege would (satp, MPRV, SUM,
    /// MXR and PMP), without setting the page's accessed bit (QEMU's
    /// <c>qemu_plugin_read_memory_vaddr</c>). RAM only; a range may cross pages. Never traps.
    /// </summary>
    /// <param name="virtualAddress">The first byte's virtual address.</param>
    /// <param name="destination">Filled with the bytes.</param>
    /// <returns><see cref="MemoryResult.Ok"/>, or why nothing was read.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback.</exception>
    MemoryResult ReadMemory(ulong virtualAddress, Span<byte> destination);

    /// <summary>
    /// Writes guest memory at a virtual address as a store from the current privilege would
    /// (write permission needed; sets the page's accessed and dirty bits); instructions decoded
    /// from the bytes written are dropped. RAM only; all or nothing. Not allowed in block-translated, exit or at-exit callbacks.
    /// </summary>
    /// <param name="virtualAddress">The first byte's virtual address.</param>
    /// <param name="source">The bytes.</param>
    /// <returns><see cref="MemoryResult.Ok"/>, or why nothing was written.</returns>
    /// <exception cref="InvalidOperationException">Not allowed in this callback.</exception>
    MemoryResult WriteMemory(ulong virtualAddress, ReadOnlySpan<byte> source);

    /// <summary>Reads guest RAM at a physical address (QEMU's <c>qemu_plugin_read_memory_hwaddr</c>); devices are not read.</summary>
    /// <param name="physicalAddress">The first byte's physical address.</param>
    /// <param name="destination">Filled with the bytes.</param>
    /// <returns><see cref="MemoryResult.Ok"/>, <see cref="MemoryResult.Device"/> or <see cref="MemoryResult.Unmapped"/>.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback.</exception>
    MemoryResult ReadPhysicalMemory(ulong physicalAddress, Span<byte> destination);

    /// <summary>Writes guest RAM at a physical address; devices are not written. Not allowed in block-translated, exit or at-exit callbacks.</summary>
    /// <param name="physicalAddress">The first byte's physical address.</param>
    /// <param name="source">The bytes.</param>
    /// <returns><see cref="MemoryResult.Ok"/>, <see cref="MemoryResult.Device"/> or <see cref="MemoryResult.Unmapped"/>.</returns>
    /// <exception cref="InvalidOperationException">Not allowed in this callback.</exception>
    MemoryResult WritePhysicalMemory(ulong physicalAddress, ReadOnlySpan<byte> source);

    /// <summary>
    /// Translates a virtual address of the vCPU whose callback is running, as a load from its
    /// current privilege would (page tables only, no PMP check, no accessed bit set; QEMU's
    /// <c>qemu_plugin_translate_vaddr</c>). With translation off the address is its own translation.
    /// </summary>
    /// <param name="virtualAddress">The virtual address.</param>
    /// <param name="physicalAddress">The physical address, when there is one.</param>
    /// <returns>False when a load there would take a page fault.</returns>
    /// <exception cref="InvalidOperationException">Not called from inside a vCPU callback.</exception>
    bool TryTranslate(ulong virtualAddress, out ulong physicalAddress);
}
