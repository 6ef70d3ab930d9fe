using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rivet.Memory;

/// <summary>
/// The guest physical address space: RAM (native memory, so harts on different threads can use
/// real atomic instructions on it) and MMIO devices. Anything else is an access fault.
/// </summary>
internal sealed unsafe class PhysicalMemory : IDisposable
{
    public const ulong PageSize = 4096;
    public const int PageShift = 12;

    /// <summary>Page flag: some hart holds decoded instructions from this page.</summary>
    public const byte FlagCode = 1;
    /// <summary>Page flag: a store here must be seen by a watcher (HTIF tohost).</summary>
    public const byte FlagWatch = 2;

    private readonly IMmioDevice[] _devices;
    private byte* _ram;

    public ulong RamBase { get; }
    public ulong RamSize { get; }
    public byte* Ram => _ram;

    /// <summary>Per RAM page: <see cref="FlagCode"/> | <see cref="FlagWatch"/>. Stores to flagged pages take the slow path.</summary>
    public byte[] PageFlags { get; }

    /// <summary><see cref="PageFlags"/>' first element (the array is pinned): translated code reads the flags without a bounds check.</summary>
    public byte* PageFlagsPointer { get; }

    /// <summary>Per RAM page: bumped whenever a store hits a page holding decoded code, so harts drop stale decodes.</summary>
    public int[] CodeGeneration { get; }

    /// <summary>Called after a store to a <see cref="FlagWatch"/> page (address, size).</summary>
    public Action<ulong, int>? StoreWatcher { get; set; }

    public PhysicalMemory(ulong ramBase, ulong ramSize, IEnumerable<IMmioDevice> devices)
    {
        RamBase = ramBase;
        RamSize = ramSize;
        // Zeroed, lazily committed by the OS: an untouched 4 GiB guest costs nothing.
        _ram = (byte*)NativeMemory.AllocZeroed((nuint)ramSize);
        ulong pages = (ramSize + PageSize - 1) / PageSize;
        PageFlags = GC.AllocateArray<byte>((int)pages, pinned: true);
        PageFlagsPointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(PageFlags));
        CodeGeneration = new int[pages];
        _devices = [.. devices];
        // By base address; a handful of devices: an insertion sort (LINQ's OrderBy over ulong
        // keys would be JIT-compiled at every start).
        for (int i = 1; i < _devices.Length; i++)
        {
            for (int j = i; j > 0 && _devices[j - 1].Base > _devices[j].Base; j--) (_devices[j - 1], _devices[j]) = (_devices[j], _devices[j - 1]);
        }
        foreach (IMmioDevice d in _devices)
        {
            if (d is IRomDevice rom) Rom ??= rom;
        }
    }

    public IReadOnlyList<IMmioDevice> Devices => _devices;

    /// <summary>The device harts can execute from outside RAM (the board's ROM), if any.</summary>
    public IRomDevice? Rom { get; }

    public bool IsRam(ulong address, ulong length)
        => address >= RamBase && length <= RamSize && address - RamBase <= RamSize - length;

    public IMmioDevice? FindDevice(ulong address, int size)
    {
        foreach (IMmioDevice d in _devices)
        {
            if (address >= d.Base && address - d.Base <= d.Size - (ulong)size)
                return d;
        }
        return null;
    }

    /// <summary>Copies bytes out of the ROM (debuggers and monitors: reading it has no side effects). False unless all of it is ROM.</summary>
    public bool ReadRom(ulong address, Span<byte> destination)
    {
        if (Rom is not { } rom || address < rom.Base || (ulong)destination.Length > rom.Size || address - rom.Base > rom.Size - (ulong)destination.Length) return false;
        rom.Contents.Slice((int)(address - rom.Base), destination.Length).CopyTo(destination);
        return true;
    }

    /// <summary>Copies bytes into RAM (loaders). Returns false if the range is not all RAM.</summary>
    public bool WriteRam(ulong address, ReadOnlySpan<byte> data)
    {
        if (!IsRam(address, (ulong)data.Length)) return false;
        data.CopyTo(new Span<byte>(_ram + (address - RamBase), data.Length));
        InvalidateCode(address, (ulong)data.Length);
        return true;
    }

    public bool ReadRam(ulong address, Span<byte> destination)
    {
        if (!IsRam(address, (ulong)destination.Length)) return false;
        new ReadOnlySpan<byte>(_ram + (address - RamBase), destination.Length).CopyTo(destination);
        return true;
    }

    /// <summary>Clears RAM (machine reset keeps nothing but what the loaders put back).</summary>
    public void ClearRam()
    {
        NativeMemory.Clear(_ram, (nuint)RamSize);
        InvalidateCode(RamBase, RamSize);
    }

    public void InvalidateCode(ulong address, ulong length)
    {
        if (length == 0) return;
        ulong first = (address - RamBase) >> PageShift, last = (address - RamBase + length - 1) >> PageShift;
        for (ulong p = first; p <= last && p < (ulong)CodeGeneration.Length; p++)
        {
            Interlocked.Increment(ref CodeGeneration[p]);
        }
    }

    /// <summary>Slow path of a RAM store on a flagged page: drop decodes, tell watchers.</summary>
    public void OnFlaggedStore(ulong address, int size)
    {
        ulong page = (address - RamBase) >> PageShift;
        byte flags = PageFlags[page];
        if ((flags & FlagCode) != 0)
        {
            Interlocked.Increment(ref CodeGeneration[page]);
            ulong lastPage = (address - RamBase + (ulong)size - 1) >> PageShift;
            if (lastPage != page && lastPage < (ulong)CodeGeneration.Length)
                Interlocked.Increment(ref CodeGeneration[lastPage]);
        }
        if ((flags & FlagWatch) != 0)
            StoreWatcher?.Invoke(address, size);
    }

    public void Dispose()
    {
        if (_ram != null)
        {
            NativeMemory.Free(_ram);
            _ram = null;
        }
    }
}
