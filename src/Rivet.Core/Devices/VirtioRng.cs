using System.Security.Cryptography;

namespace Rivet.Devices;

/// <summary>
/// virtio-rng (virtio 1.2 §5.4, QEMU 7.2's hw/virtio/virtio-rng.c): one queue of 8; every
/// device-writable buffer the driver makes available is filled from the host's random source
/// (the system's cryptographic generator, or the file of -object rng-random,filename=F) and
/// returned at once. No configuration space, no feature bits.
/// </summary>
internal sealed class VirtioRng(Stream? source) : IVirtioDevice
{
    public const int QueueSize = 8;
    /// <summary>Bytes given per request at most (a driver asks for a page or less; this bounds a huge buffer's time).</summary>
    private const ulong MaxPerRequest = 1 << 20;
    private readonly byte[] _buffer = new byte[4096];

    public string TypeName => "virtio-rng-device";
    public uint DeviceId => 4;
    public ulong Features => 0;
    public IReadOnlyList<int> QueueSizes { get; } = [QueueSize];
    public ReadOnlySpan<byte> Config => [];

    public bool Process(int queue, Virtqueue ring)
    {
        bool used = false;
        for (int c = 0; c < ring.Size && ring.Pop() is VirtioChain chain; c++) // one ring's worth, as virtio-blk
        {
            ulong written = 0, wanted = Math.Min(chain.WritableLength, MaxPerRequest);
            while (written < wanted)
            {
                int n = (int)Math.Min((ulong)_buffer.Length, wanted - written);
                int got = Fill(_buffer.AsSpan(0, n));
                if (got == 0) break; // the source file ended: the guest gets what there was
                chain.Scatter(ring.Memory, written, _buffer.AsSpan(0, got));
                written += (ulong)got;
            }
            ring.Push(chain, (uint)Math.Min(written, uint.MaxValue));
            used = true;
        }
        return used;
    }

    private int Fill(Span<byte> destination)
    {
        if (source == null)
        {
            RandomNumberGenerator.Fill(destination);
            return destination.Length;
        }
        try
        {
            return source.Read(destination);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public void Reset()
    {
    }

    public void Dispose() => source?.Dispose();
}
