namespace Rivet.Machine;

/// <summary>
/// One hart's registers as the monitor shows them (<see cref="Machine.CaptureHartState"/>).
/// Rivet has M and U mode only: there is no S-mode, so mideleg and medeleg read as zero.
/// </summary>
public sealed record HartState
{
    public int HartId { get; init; }
    public ulong Pc { get; init; }
    /// <summary>The privilege mode: 3 (M) or 0 (U).</summary>
    public int Privilege { get; init; }
    /// <summary>x0..x31 (x0 is always zero).</summary>
    public required IReadOnlyList<ulong> X { get; init; }
    public ulong Mstatus { get; init; }
    public ulong Mip { get; init; }
    public ulong Mie { get; init; }
    public ulong Mideleg => 0;
    public ulong Medeleg => 0;
    public ulong Mtvec { get; init; }
    public ulong Mepc { get; init; }
    public ulong Mcause { get; init; }
    public ulong Mtval { get; init; }
    public ulong Mscratch { get; init; }
    public ulong Mhartid => (ulong)HartId;
}

/// <summary>What occupies a range of the physical address space, with QEMU's names for it.</summary>
public enum MemoryRegionKind
{
    Ram,
    /// <summary>A device's registers (QEMU's "i/o" regions).</summary>
    Io,
}

/// <summary>
/// A region of the guest physical address space: <paramref name="Name"/> is QEMU's memory-region
/// name ("info mtree"), <paramref name="DeviceType"/> QEMU's device type ("info qtree"; null for RAM).
/// </summary>
public sealed record MemoryRegionInfo(string Name, string? DeviceType, ulong Base, ulong Size, MemoryRegionKind Kind)
{
    public ulong Last => Base + Size - 1;
}
