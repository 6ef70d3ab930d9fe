using Rivet.Devices;

namespace Rivet.Board;

/// <summary>
/// Builds the configurable devices of the virt board from the machine's configuration: the RTC
/// (from -rtc) and the eight virtio-mmio slots (from -device). Opening a drive or a random
/// source can fail: that is an <see cref="ImageException"/> naming the option, as QEMU's message.
/// </summary>
internal static class DeviceFactory
{
    public static GoldfishRtc CreateRtc(MachineConfig config, VirtualClock clock)
    {
        DateTime start = config.RtcStart
            ?? (config.RtcLocalTime ? DateTime.SpecifyKind(DateTime.Now, DateTimeKind.Utc) : DateTime.UtcNow);
        return new GoldfishRtc(GoldfishRtc.DefaultBase, start, config.RtcVirtualClock ? clock : null);
    }

    /// <summary>The slots by index; the first -device goes in the highest slot, as QEMU 7.2's bus assignment.</summary>
    public static VirtioMmio[] CreateVirtio(IReadOnlyList<VirtioDeviceSpec> specs)
    {
        if (specs.Count > VirtioMmio.Slots)
            throw new ImageException($"{specs[VirtioMmio.Slots].Origin}: No 'virtio-bus' bus found for device '{DriverName(specs[VirtioMmio.Slots])}'");
        var devices = new IVirtioDevice?[VirtioMmio.Slots];
        try
        {
            for (int i = 0; i < specs.Count; i++) devices[VirtioMmio.Slots - 1 - i] = Create(specs[i]);
        }
        catch
        {
            foreach (IVirtioDevice? d in devices) d?.Dispose();
            throw;
        }
        return [.. devices.Select((d, i) => new VirtioMmio(VirtioMmio.DefaultBase + VirtioMmio.Stride * (ulong)i, d))];
    }

    private static string DriverName(VirtioDeviceSpec spec) => spec is VirtioBlkSpec ? "virtio-blk-device" : "virtio-rng-device";

    private static IVirtioDevice Create(VirtioDeviceSpec spec)
    {
        switch (spec)
        {
            case VirtioBlkSpec blk:
                DriveImage image;
                try
                {
                    image = DriveImage.Open(blk.File, blk.ReadOnly);
                }
                catch (DriveException ex) when (ex.Message.StartsWith("Could not open", StringComparison.Ordinal))
                {
                    throw new ImageException($"{blk.DriveOrigin}: {ex.Message}"); // QEMU opens the file at -drive
                }
                catch (DriveException ex)
                {
                    throw new ImageException($"{blk.Origin}: {ex.Message}"); // and takes the locks at -device
                }
                return new VirtioBlk(image, blk.Serial);
            case VirtioRngSpec rng:
                if (rng.Filename == null) return new VirtioRng(null);
                FileStream? source = HostFile.TryOpen(rng.Filename, FileMode.Open, FileAccess.Read, 0, out string error);
                return source != null ? new VirtioRng(source) : throw new ImageException($"{rng.Origin}: {error}");
            default:
                throw new ImageException($"{spec.Origin}: unknown device");
        }
    }
}
