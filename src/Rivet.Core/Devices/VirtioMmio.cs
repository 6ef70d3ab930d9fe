using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// A virtio-mmio transport slot (QEMU 7.2's hw/virtio/virtio-mmio.c, modern: version 2), 0x200
/// bytes at 0x10001000 + 0x1000*i on QEMU virt, interrupt 1+i. An empty slot answers the magic
/// value, version 2 and the vendor, and zero elsewhere, so the driver probes it and passes on
/// (device id 0). Queue notifications are handled at once, on the notifying hart's thread, under
/// this slot's lock (a device lock, never a lifecycle one): the requests are done when the write
/// to QueueNotify returns, as QEMU's main loop would do them a little later. The interrupt line
/// is driven after the lock is released.
/// </summary>
internal sealed class VirtioMmio : IMmioDevice, IDisposable
{
    public const ulong DefaultBase = 0x10001000, Stride = 0x1000;
    public const int Slots = 8, FirstIrq = 1;
    public const uint MagicValue = 0x74726976, Version = 2, VendorId = 0x554D4551; // "virt", "QEMU"

    // Register offsets (virtio 1.2 §4.2.2).
    private const ulong RegMagic = 0x000, RegVersion = 0x004, RegDeviceId = 0x008, RegVendorId = 0x00c,
        RegDeviceFeatures = 0x010, RegDeviceFeaturesSel = 0x014, RegDriverFeatures = 0x020, RegDriverFeaturesSel = 0x024,
        RegQueueSel = 0x030, RegQueueNumMax = 0x034, RegQueueNum = 0x038, RegQueueReady = 0x044, RegQueueNotify = 0x050,
        RegInterruptStatus = 0x060, RegInterruptAck = 0x064, RegStatus = 0x070,
        RegQueueDescLow = 0x080, RegQueueDescHigh = 0x084, RegQueueDriverLow = 0x090, RegQueueDriverHigh = 0x094,
        RegQueueDeviceLow = 0x0a0, RegQueueDeviceHigh = 0x0a4, RegConfigGeneration = 0x0fc, RegConfig = 0x100;

    public const uint StatusAcknowledge = 1, StatusDriver = 2, StatusDriverOk = 4, StatusFeaturesOk = 8, StatusNeedsReset = 0x40, StatusFailed = 0x80;
    public const uint InterruptUsedBuffer = 1, InterruptConfigChange = 2;
    public const int FeatureIndirectDesc = 28, FeatureVersion1 = 32;

    private readonly IVirtioDevice? _device;
    private readonly ulong _offered;
    private Virtqueue[] _queues = []; // made by Attach, before the machine runs

    private readonly object _gate = new();
    // All guarded by _gate.
    private uint _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _status, _interruptStatus, _configGeneration;
    private ulong _driverFeatures;
    private bool _broken; // virtio_error happened: nothing more is processed until reset

    public VirtioMmio(ulong baseAddress, IVirtioDevice? device)
    {
        Base = baseAddress;
        _device = device;
        _offered = device == null ? 0 : device.Features | 1UL << FeatureVersion1 | 1UL << FeatureIndirectDesc;
    }

    public string Name => "virtio-mmio";
    public ulong Base { get; }
    public ulong Size => 0x200;

    /// <summary>The device in this slot, or null for an empty one.</summary>
    public IVirtioDevice? Device => _device;

    /// <summary>The interrupt line (PLIC source 1+slot); called after the slot's lock is released.</summary>
    public Action<bool>? Irq { get; set; }

    /// <summary>The -d guest_errors log, or null; set before the machine runs.</summary>
    public Cpu.GuestLog? Log { get; set; }

    /// <summary>Gives the device its DMA view of guest RAM (the bus is built with the slots in it, so after them).</summary>
    public void Attach(PhysicalMemory memory)
    {
        if (_device != null) _queues = [.. _device.QueueSizes.Select(max => new Virtqueue(memory, max))];
    }

    private Virtqueue? Selected => _queueSel < _queues.Length ? _queues[_queueSel] : null;

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (offset >= RegConfig)
        {
            if (size == 8) // QEMU's memory core splits it into two 4-byte accesses
            {
                value = ReadConfig((int)(offset - RegConfig), 4) | (ulong)ReadConfig((int)(offset - RegConfig) + 4, 4) << 32;
                return true;
            }
            value = ReadConfig((int)(offset - RegConfig), size);
            return true;
        }
        if (size != 4)
        {
            GuestError("wrong size access to register!");
            return true;
        }
        if (_device == null)
        {
            value = offset switch { RegMagic => MagicValue, RegVersion => Version, RegVendorId => VendorId, _ => 0u };
            return true;
        }
        lock (_gate)
        {
            Virtqueue? q = Selected;
            value = offset switch
            {
                RegMagic => MagicValue,
                RegVersion => Version,
                RegDeviceId => _device.DeviceId,
                RegVendorId => VendorId,
                RegDeviceFeatures => _deviceFeaturesSel < 2 ? (uint)(_offered >> (int)(32 * _deviceFeaturesSel)) : 0u,
                RegQueueNumMax => q is { } mq ? (uint)mq.MaxSize : 0u,
                RegQueueNum => q is { } nq ? (uint)nq.Size : 0u,
                RegQueueReady => q is { Ready: true } ? 1u : 0u,
                RegInterruptStatus => _interruptStatus,
                RegStatus => _status,
                RegQueueDescLow => (uint)(q?.DescAddress ?? 0),
                RegQueueDescHigh => (uint)((q?.DescAddress ?? 0) >> 32),
                RegQueueDriverLow => (uint)(q?.DriverAddress ?? 0),
                RegQueueDriverHigh => (uint)((q?.DriverAddress ?? 0) >> 32),
                RegQueueDeviceLow => (uint)(q?.DeviceAddress ?? 0),
                RegQueueDeviceHigh => (uint)((q?.DeviceAddress ?? 0) >> 32),
                RegConfigGeneration => _configGeneration,
                _ => 0u, // write-only registers and holes read 0, as QEMU (which logs them)
            };
        }
        return true;
    }

    private uint ReadConfig(int offset, int size)
    {
        if (_device == null) return 0;
        lock (_gate)
        {
            ReadOnlySpan<byte> config = _device.Config;
            // virtio_config_modern_read*: beyond the configuration space reads all ones.
            if (offset + size > config.Length || size is not (1 or 2 or 4)) return size >= 4 ? uint.MaxValue : (1u << (8 * size)) - 1;
            uint v = 0;
            for (int i = size - 1; i >= 0; i--) v = v << 8 | config[offset + i];
            return v;
        }
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        if (_device == null) return true; // QEMU ignores writes to an empty slot
        if (offset >= RegConfig) return true; // no writable configuration field (no CONFIG_WCE)
        if (size != 4)
        {
            GuestError("wrong size access to register!");
            return true;
        }
        uint v = (uint)value;
        bool? level = null;
        lock (_gate)
        {
            Virtqueue? q = Selected;
            switch (offset)
            {
                case RegDeviceFeaturesSel: _deviceFeaturesSel = v; break;
                case RegDriverFeatures:
                    if (_driverFeaturesSel < 2 && (_status & StatusFeaturesOk) == 0)
                    {
                        int shift = (int)(32 * _driverFeaturesSel);
                        _driverFeatures = _driverFeatures & ~(0xFFFF_FFFFUL << shift) | (ulong)v << shift;
                    }
                    break;
                case RegDriverFeaturesSel: _driverFeaturesSel = v; break;
                case RegQueueSel: if (v < 1024) _queueSel = v; break; // VIRTIO_QUEUE_MAX
                case RegQueueNum: if (q != null && !q.Ready) q.Size = (int)Math.Min(v, 0x8000); break;
                case RegQueueReady:
                    if (q != null)
                    {
                        if (v == 0) q.Ready = false;
                        else if (!q.Ready)
                        {
                            q.IndirectAllowed = (_driverFeatures & 1UL << FeatureIndirectDesc) != 0;
                            if (!q.Enable()) level = Broken($"queue {_queueSel}: size {q.Size} or rings outside RAM");
                        }
                    }
                    break;
                case RegQueueNotify: level = Notify(v); break;
                case RegInterruptAck:
                    _interruptStatus &= ~v;
                    level = _interruptStatus != 0;
                    break;
                case RegStatus: level = SetStatus(v & 0xFF); break;
                case RegQueueDescLow: if (q is { Ready: false }) q.DescAddress = q.DescAddress & ~0xFFFF_FFFFUL | v; break;
                case RegQueueDescHigh: if (q is { Ready: false }) q.DescAddress = q.DescAddress & 0xFFFF_FFFFUL | (ulong)v << 32; break;
                case RegQueueDriverLow: if (q is { Ready: false }) q.DriverAddress = q.DriverAddress & ~0xFFFF_FFFFUL | v; break;
                case RegQueueDriverHigh: if (q is { Ready: false }) q.DriverAddress = q.DriverAddress & 0xFFFF_FFFFUL | (ulong)v << 32; break;
                case RegQueueDeviceLow: if (q is { Ready: false }) q.DeviceAddress = q.DeviceAddress & ~0xFFFF_FFFFUL | v; break;
                case RegQueueDeviceHigh: if (q is { Ready: false }) q.DeviceAddress = q.DeviceAddress & 0xFFFF_FFFFUL | (ulong)v << 32; break;
                default: GuestError($"bad register offset 0x{offset:x}"); break;
            }
        }
        if (level is bool l) Irq?.Invoke(l);
        return true;
    }

    /// <summary>Status write, under _gate; returns the new interrupt level when it changes.</summary>
    private bool? SetStatus(uint v)
    {
        if (v == 0)
        {
            ResetLocked();
            return false;
        }
        if ((v & StatusFeaturesOk) != 0 && (_status & StatusFeaturesOk) == 0)
        {
            // The driver accepted what it accepted of the offer; a driver that does not take
            // VERSION_1 is a legacy one, which this modern transport does not serve.
            _driverFeatures &= _offered;
            if ((_driverFeatures & 1UL << FeatureVersion1) == 0) v &= ~StatusFeaturesOk;
        }
        _status = v | _status & StatusNeedsReset;
        return null;
    }

    /// <summary>QueueNotify, under _gate: runs the device on that queue; returns the new level if it interrupts.</summary>
    private bool? Notify(uint index)
    {
        if (_broken || index >= _queues.Length || !_queues[index].Ready || (_status & StatusDriverOk) == 0) return null;
        Virtqueue q = _queues[index];
        try
        {
            if (_device!.Process((int)index, q) && q.WantsInterrupt())
            {
                _interruptStatus |= InterruptUsedBuffer;
                return true;
            }
        }
        catch (VirtioException ex)
        {
            return Broken(ex.Message);
        }
        return null;
    }

    /// <summary>virtio_error: NEEDS_RESET and a configuration-change interrupt; the device stops. Under _gate.</summary>
    private bool Broken(string why)
    {
        GuestError($"{_device?.TypeName}: {why}");
        _broken = true;
        _status |= StatusNeedsReset;
        _configGeneration++;
        _interruptStatus |= InterruptConfigChange;
        return true;
    }

    private void GuestError(string message)
    {
        if (Log is { } log && log.Has(Cpu.LogItems.GuestErrors))
            log.Write($"virtio_mmio: {message}\n");
    }

    private void ResetLocked()
    {
        _deviceFeaturesSel = _driverFeaturesSel = _queueSel = _status = _interruptStatus = 0;
        _driverFeatures = 0;
        _broken = false;
        foreach (Virtqueue q in _queues) q.Reset();
        _device?.Reset();
    }

    public void Reset()
    {
        lock (_gate)
        {
            ResetLocked();
        }
        Irq?.Invoke(false);
    }

    public void Dispose() => _device?.Dispose();
}
