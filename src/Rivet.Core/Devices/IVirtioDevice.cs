namespace Rivet.Devices;

/// <summary>
/// A virtio device behind a transport (<see cref="VirtioMmio"/>): its identity, feature bits,
/// queues and configuration space, and the work a queue notification starts.
/// </summary>
internal interface IVirtioDevice : IDisposable
{
    /// <summary>QEMU's type name (virtio-blk-device).</summary>
    string TypeName { get; }

    /// <summary>virtio 1.2 §5: 2 block, 4 entropy source.</summary>
    uint DeviceId { get; }

    /// <summary>The device-type feature bits offered; the transport adds VIRTIO_F_VERSION_1 and ring features.</summary>
    ulong Features { get; }

    /// <summary>Each queue's maximum size (QueueNumMax), by queue index.</summary>
    IReadOnlyList<int> QueueSizes { get; }

    /// <summary>The configuration space as the driver reads it (little-endian).</summary>
    ReadOnlySpan<byte> Config { get; }

    /// <summary>
    /// Handles what the driver made available on <paramref name="queue"/>; true when a used
    /// buffer was returned. Called with the transport's lock held, on the notifying hart's
    /// thread; throws <see cref="VirtioException"/> for a broken ring.
    /// </summary>
    bool Process(int queue, Virtqueue ring);

    /// <summary>Device reset (status written 0, or machine reset).</summary>
    void Reset();
}
