namespace Rivet.Machine;

/// <summary>
/// One hart's registers as the monitor shows them (<see cref="Machine.CaptureHartState"/>).
/// Rivet's harts have M, S and U mode (no H, no F): these are the CSRs QEMU 7.2 dumps for such a hart.
/// </summary>
public sealed record HartState
{
    public int HartId { get; init; }
    public ulong Pc { get; init; }
    /// <summary>The privilege mode: 3 (M), 1 (S) or 0 (U).</summary>
    public int Privilege { get; init; }
    /// <summary>x0..x31 (x0 is always zero).</summary>
    public required IReadOnlyList<ulong> X { get; init; }
    public ulong Mstatus { get; init; }
    public ulong Mip { get; init; }
    public ulong Mie { get; init; }
    public ulong Mideleg { get; init; }
    public ulong Medeleg { get; init; }
    public ulong Mtvec { get; init; }
    public ulong Mepc { get; init; }
    public ulong Mcause { get; init; }
    public ulong Mtval { get; init; }
    public ulong Mscratch { get; init; }
    public ulong Stvec { get; init; }
    public ulong Sepc { get; init; }
    public ulong Scause { get; init; }
    public ulong Stval { get; init; }
    public ulong Sscratch { get; init; }
    public ulong Satp { get; init; }
    /// <summary>f0..f31 as the register file holds them (single values NaN-boxed).</summary>
    public IReadOnlyList<ulong> F { get; init; } = new ulong[32];
    public ulong Mhartid => (ulong)HartId;
}

/// <summary>What occupies a range of the physical address space, with QEMU's names for it.</summary>
public enum MemoryRegionKind
{
    Ram,
    /// <summary>A device's registers (QEMU's "i/o" regions).</summary>
    Io,
    /// <summary>Read-only memory (QEMU's "rom" regions: the reset ROM).</summary>
    Rom,
}

/// <summary>
/// A region of the guest physical address space: <paramref name="Name"/> is QEMU's memory-region
/// name ("info mtree"), <paramref name="DeviceType"/> QEMU's device type ("info qtree"; null for RAM).
/// </summary>
public sealed record MemoryRegionInfo(string Name, string? DeviceType, ulong Base, ulong Size, MemoryRegionKind Kind)
{
    public ulong Last => Base + Size - 1;
}

/// <summary>What the translator has done (docs/TRANSLATOR.md): regions, their guest instructions and IL, the time spent translating (emitting IL) and in the runtime's JIT.</summary>
public sealed record TranslatorInfo(Cpu.ExecutionEngine Engine, int HotThreshold, long Regions, long GuestInstructions, long IlBytes,
    TimeSpan TranslationTime, TimeSpan CompileTime, long Refused, long Retranslated, long Flushes, long Shared,
    long Entries, long Continues, long RegionInstructions, ulong InstructionsRetired);
