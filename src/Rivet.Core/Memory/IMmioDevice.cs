namespace Rivet.Memory;

/// <summary>
/// A device on the physical bus. Called on the accessing hart's thread; a device protects
/// its own state and never blocks (it may post requests or raise interrupt lines).
/// </summary>
internal interface IMmioDevice
{
    string Name { get; }
    ulong Base { get; }
    ulong Size { get; }

    /// <summary>Reads <paramref name="size"/> bytes (1, 2, 4 or 8) at <paramref name="offset"/>; false means an access fault.</summary>
    bool Read(ulong offset, int size, out ulong value);

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/>; false means an access fault.</summary>
    bool Write(ulong offset, int size, ulong value);

    /// <summary>Back to power-on state (machine reset).</summary>
    void Reset();
}

/// <summary>
/// A read-only device harts may execute from (QEMU virt's mask ROM): its bytes are decoded like
/// RAM's; <see cref="Generation"/> changes whenever they do, so decoded copies go stale.
/// </summary>
internal interface IRomDevice : IMmioDevice
{
    ReadOnlySpan<byte> Contents { get; }

    int Generation { get; }
}
