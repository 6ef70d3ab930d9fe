using System.Buffers.Binary;
using System.Text;
using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// virtio-blk (virtio 1.2 §5.2, QEMU 7.2's hw/block/virtio-blk.c) on a raw image: one queue of
/// 256, IN, OUT, FLUSH and GET_ID requests, done synchronously when the queue is notified.
/// Offers SEG_MAX, BLK_SIZE, FLUSH and, for readonly=on, RO (writes then fail with IOERR).
/// </summary>
internal sealed class VirtioBlk : IVirtioDevice
{
    public const int QueueSize = 256;
    private const int FeatureSegMax = 2, FeatureRo = 5, FeatureBlkSize = 6, FeatureFlush = 9;
    private const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8;
    private const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupported = 2;
    private const int IdBytes = 20;
    /// <summary>The data of one request is copied through a buffer of at most this much at a time.</summary>
    private const int ChunkBytes = 1 << 20;

    private readonly DriveImage _image;
    private readonly byte[] _config = new byte[60]; // struct virtio_blk_config up to write_zeroes_may_unmap, as QEMU 7.2's
    private readonly byte[] _serial;
    private readonly ulong _sectors;

    /// <param name="serial">-device's serial= (GET_ID's answer), or null.</param>
    public VirtioBlk(DriveImage image, string? serial)
    {
        _image = image;
        _serial = Encoding.UTF8.GetBytes(serial ?? "");
        _sectors = (ulong)(image.Length + DriveImage.SectorSize - 1) / DriveImage.SectorSize;
        BinaryPrimitives.WriteUInt64LittleEndian(_config.AsSpan(0), _sectors); // capacity
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(12), QueueSize - 2); // seg_max, as QEMU's seg-max-adjust
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(20), DriveImage.SectorSize); // blk_size
        BinaryPrimitives.WriteUInt16LittleEndian(_config.AsSpan(34), 1); // num_queues
    }

    public string TypeName => "virtio-blk-device";
    public uint DeviceId => 2;
    public DriveImage Image => _image;

    public ulong Features => 1UL << FeatureSegMax | 1UL << FeatureBlkSize | 1UL << FeatureFlush | (_image.ReadOnly ? 1UL << FeatureRo : 0);

    public IReadOnlyList<int> QueueSizes { get; } = [QueueSize];

    public ReadOnlySpan<byte> Config => _config;

    public bool Process(int queue, Virtqueue ring)
    {
        bool used = false;
        // At most one ring's worth per notification: what was available when the driver notified
        // fits in the ring, and what it adds meanwhile comes with a notification of its own; so a
        // guest that keeps the ring full cannot hold this hart here (a pause still gets through).
        for (int n = 0; n < ring.Size && ring.Pop() is VirtioChain chain; n++)
        {
            byte status = Handle(ring.Memory, chain);
            // The status byte is the last byte the device may write.
            Span<byte> s = [status];
            chain.Scatter(ring.Memory, chain.WritableLength - 1, s);
            ring.Push(chain, (uint)Math.Min(chain.WritableLength, uint.MaxValue));
            used = true;
        }
        return used;
    }

    private byte Handle(PhysicalMemory memory, VirtioChain chain)
    {
        Span<byte> header = stackalloc byte[16];
        if (chain.Gather(memory, 0, header) < 16 || chain.WritableLength < 1) throw new VirtioException("virtio-blk missing headers");
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        ulong inData = chain.WritableLength - 1;
        switch (type)
        {
            case TypeIn:
                if (!RangeOk(sector, inData)) return StatusIoErr;
                return Copy(memory, chain, sector, inData, toGuest: true) ? StatusOk : StatusIoErr;
            case TypeOut:
                {
                    ulong outData = chain.ReadableLength - 16;
                    if (!RangeOk(sector, outData) || _image.ReadOnly) return StatusIoErr;
                    return Copy(memory, chain, sector, outData, toGuest: false) ? StatusOk : StatusIoErr;
                }
            case TypeFlush:
                return _image.Flush() ? StatusOk : StatusIoErr;
            case TypeGetId:
                {
                    // As QEMU: the serial and its terminating zero, cut to the buffer and to 20 bytes.
                    int n = (int)Math.Min((ulong)Math.Min(_serial.Length + 1, IdBytes), inData);
                    byte[] id = new byte[n];
                    _serial.AsSpan(0, Math.Min(n, _serial.Length)).CopyTo(id);
                    chain.Scatter(memory, 0, id);
                    return StatusOk;
                }
            default:
                return StatusUnsupported;
        }
    }

    /// <summary>virtio_blk_sect_range_ok: whole sectors, inside the disk.</summary>
    private bool RangeOk(ulong sector, ulong bytes)
        => bytes % DriveImage.SectorSize == 0 && sector <= _sectors && bytes / DriveImage.SectorSize <= _sectors - sector;

    private bool Copy(PhysicalMemory memory, VirtioChain chain, ulong sector, ulong length, bool toGuest)
    {
        byte[] buffer = new byte[(int)Math.Min(length, ChunkBytes)];
        long disk = (long)(sector * DriveImage.SectorSize);
        for (ulong done = 0; done < length;)
        {
            int n = (int)Math.Min((ulong)buffer.Length, length - done);
            Span<byte> part = buffer.AsSpan(0, n);
            if (toGuest)
            {
                if (!_image.Read(disk + (long)done, part)) return false;
                chain.Scatter(memory, done, part);
            }
            else
            {
                chain.Gather(memory, 16 + done, part);
                if (!_image.Write(disk + (long)done, part)) return false;
            }
            done += (ulong)n;
        }
        return true;
    }

    public void Reset()
    {
    }

    public void Dispose() => _image.Dispose();
}
