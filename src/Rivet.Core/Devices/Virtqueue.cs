using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>The guest broke the virtio rules (a bad ring): the device goes to NEEDS_RESET, as QEMU's virtio_error.</summary>
internal sealed class VirtioException(string message) : Exception(message);

/// <summary>One guest buffer of a descriptor chain.</summary>
internal readonly record struct VirtioBuffer(ulong Address, uint Length);

/// <summary>
/// A popped descriptor chain: the device-readable buffers, then the device-writable ones
/// (virtio 1.2 §2.7.4: a readable descriptor after a writable one is an error).
/// </summary>
internal sealed class VirtioChain(ushort head)
{
    public ushort Head { get; } = head;
    public List<VirtioBuffer> Readable { get; } = [];
    public List<VirtioBuffer> Writable { get; } = [];
    public ulong ReadableLength { get; set; }
    public ulong WritableLength { get; set; }

    /// <summary>Copies readable bytes from <paramref name="offset"/> into <paramref name="destination"/>; returns the count copied.</summary>
    public int Gather(PhysicalMemory memory, ulong offset, Span<byte> destination)
    {
        int done = 0;
        foreach (VirtioBuffer b in Readable)
        {
            if (done == destination.Length) break;
            if (offset >= b.Length)
            {
                offset -= b.Length;
                continue;
            }
            int n = (int)Math.Min(b.Length - offset, (ulong)(destination.Length - done));
            memory.ReadRam(b.Address + offset, destination.Slice(done, n)); // checked in RAM when popped
            done += n;
            offset = 0;
        }
        return done;
    }

    /// <summary>Copies <paramref name="source"/> into the writable buffers from <paramref name="offset"/>; returns the count copied.</summary>
    public int Scatter(PhysicalMemory memory, ulong offset, ReadOnlySpan<byte> source)
    {
        int done = 0;
        foreach (VirtioBuffer b in Writable)
        {
            if (done == source.Length) break;
            if (offset >= b.Length)
            {
                offset -= b.Length;
                continue;
            }
            int n = (int)Math.Min(b.Length - offset, (ulong)(source.Length - done));
            memory.WriteRam(b.Address + offset, source.Slice(done, n)); // WriteRam drops decoded code there
            done += n;
            offset = 0;
        }
        return done;
    }
}

/// <summary>
/// A split virtqueue (virtio 1.2 §2.7) in guest RAM: the descriptor table, the driver's
/// (available) ring and the device's (used) ring. Every guest address and index is checked; a
/// bad one throws <see cref="VirtioException"/>. Not thread-safe: its transport serialises use.
/// </summary>
internal sealed unsafe class Virtqueue(PhysicalMemory memory, int maxSize)
{
    private const ushort DescNext = 1, DescWrite = 2, DescIndirect = 4;
    private const ushort AvailNoInterrupt = 1;
    /// <summary>QEMU's bound on one request's data (VIRTQUEUE_MAX_SIZE buffers); larger is refused.</summary>
    public const int MaxChainBuffers = 1024;

    public int MaxSize { get; } = maxSize;
    /// <summary>The guest RAM the rings and buffers are in.</summary>
    public PhysicalMemory Memory => memory;
    /// <summary>QueueNum: the size the driver chose (0 until it does).</summary>
    public int Size { get; set; }
    public bool Ready { get; set; }
    public ulong DescAddress { get; set; }
    public ulong DriverAddress { get; set; }
    public ulong DeviceAddress { get; set; }
    public bool IndirectAllowed { get; set; }

    private ushort _lastAvail; // next available-ring entry the device takes
    private ushort _usedIndex; // the device's used.idx, as last published

    public void Reset()
    {
        Size = 0;
        Ready = false;
        DescAddress = DriverAddress = DeviceAddress = 0;
        _lastAvail = _usedIndex = 0;
    }

    /// <summary>QueueReady = 1: checks the rings lie in RAM.</summary>
    public bool Enable()
    {
        if (Size <= 0 || Size > MaxSize) return false;
        ulong n = (ulong)Size;
        if (!memory.IsRam(DescAddress, 16 * n) || !memory.IsRam(DriverAddress, 6 + 2 * n) || !memory.IsRam(DeviceAddress, 6 + 8 * n))
            return false;
        Ready = true;
        return true;
    }

    private byte* At(ulong address, ulong length)
    {
        if (!memory.IsRam(address, length)) throw new VirtioException($"ring access at 0x{address:x} outside RAM");
        return memory.Ram + (address - memory.RamBase);
    }

    private ushort ReadU16(ulong address) => Volatile.Read(ref *(ushort*)At(address, 2));

    /// <summary>True when the driver has made buffers available that the device has not taken.</summary>
    public bool HasAvailable()
    {
        ushort availIdx = ReadU16(DriverAddress + 2);
        ushort pending = (ushort)(availIdx - _lastAvail);
        if (pending > Size) throw new VirtioException($"Guest moved avail index from {_lastAvail} to {availIdx}");
        return pending != 0;
    }

    /// <summary>Takes the next available chain (virtqueue_pop); null when there is none.</summary>
    public VirtioChain? Pop()
    {
        if (!HasAvailable()) return null;
        ushort head = ReadU16(DriverAddress + 4 + 2 * (ulong)(_lastAvail % Size));
        _lastAvail++;
        if (head >= Size) throw new VirtioException($"Guest says index {head} is available");
        var chain = new VirtioChain(head);
        ulong table = DescAddress;
        int tableSize = Size;
        int index = head;
        bool indirect = false;
        int count = 0;
        while (true)
        {
            byte* d = At(table + 16 * (ulong)index, 16);
            ulong addr = *(ulong*)d;
            uint len = *(uint*)(d + 8);
            ushort flags = *(ushort*)(d + 12);
            ushort next = *(ushort*)(d + 14);
            if ((flags & DescIndirect) != 0)
            {
                if (!IndirectAllowed || indirect || count > 0) throw new VirtioException("Invalid indirect descriptor");
                if (len == 0 || len % 16 != 0 || len / 16 > MaxChainBuffers) throw new VirtioException($"Invalid size for indirect buffer table ({len})");
                if ((flags & DescNext) != 0) throw new VirtioException("Indirect descriptor with a next descriptor");
                At(addr, len);
                table = addr;
                tableSize = (int)(len / 16);
                index = 0;
                indirect = true;
                count = 0;
                continue;
            }
            if (++count > tableSize || chain.Readable.Count + chain.Writable.Count >= MaxChainBuffers)
                throw new VirtioException("Looped descriptor");
            if (len > 0)
            {
                At(addr, len);
                if ((flags & DescWrite) != 0)
                {
                    chain.Writable.Add(new VirtioBuffer(addr, len));
                    chain.WritableLength += len;
                }
                else
                {
                    if (chain.Writable.Count > 0) throw new VirtioException("Incorrect order for descriptors");
                    chain.Readable.Add(new VirtioBuffer(addr, len));
                    chain.ReadableLength += len;
                }
            }
            if ((flags & DescNext) == 0) break;
            index = next;
            if (index >= tableSize) throw new VirtioException($"Desc next is {index}");
        }
        return chain;
    }

    /// <summary>Puts a used chain with the count of bytes written (virtqueue_push): the element first, then the index.</summary>
    public void Push(VirtioChain chain, uint written)
    {
        byte* elem = At(DeviceAddress + 4 + 8 * (ulong)(_usedIndex % Size), 8);
        *(uint*)elem = chain.Head;
        *(uint*)(elem + 4) = written;
        _usedIndex++;
        Volatile.Write(ref *(ushort*)At(DeviceAddress + 2, 2), _usedIndex);
    }

    /// <summary>The driver wants an interrupt for used buffers (no VIRTQ_AVAIL_F_NO_INTERRUPT).</summary>
    public bool WantsInterrupt() => (ReadU16(DriverAddress) & AvailNoInterrupt) == 0;
}
