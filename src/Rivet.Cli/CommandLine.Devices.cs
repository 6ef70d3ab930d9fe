using Rivet.Board;

namespace Rivet.Cli;

/// <summary>A -drive: the option as given and its parsed values.</summary>
internal sealed record DriveOption(string Origin, string Id, string? File, bool ReadOnly, string Interface);

/// <summary>
/// The handlers of the device options: -drive, -device, -object and -global, checked with
/// QEMU 7.2's messages. Devices are resolved against drives and objects when the command line
/// is finished (QEMU too creates them after every -drive and -object is read).
/// </summary>
internal static partial class CommandLine
{
    public const string DeviceHelp = """
        Rivet's -device adds these to the virt board's virtio-mmio bus (the first given takes the
        highest slot, 0x10008000, as on QEMU; at most 8):
        name "virtio-blk-device", bus virtio-bus, desc "virtio block device (drive=ID[,serial=S])"
        name "virtio-rng-device", bus virtio-bus, desc "virtio entropy source ([rng=ID])"
        The 'virt' machine always has:
        name "riscv.sifive.clint", desc "CLINT at 0x2000000: software interrupts, 10 MHz timer"
        name "riscv.sifive.plic", desc "PLIC at 0xc000000"
        name "serial", desc "NS16550A UART at 0x10000000 (-serial)"
        name "riscv.sifive.test", desc "SiFive test finisher at 0x100000"
        name "goldfish_rtc", desc "Goldfish RTC at 0x101000 (-rtc)"

        """;

    /// <summary>-drive options Rivet accepts that change nothing it does (host caching and I/O strategy).</summary>
    private static readonly string[] DriveNoOps = ["cache", "aio", "discard", "detect-zeroes", "werror", "rerror", "cache.direct", "cache.no-flush"];

    private static void Drive(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v); // no implied key: QEMU reads "-drive disk.img" as a flag named disk.img
        string origin = $"-drive {v}";
        foreach (var (key, value) in kv.Pairs)
        {
            switch (key)
            {
                case "file" or "id" or "if":
                    break;
                case "format":
                    if (value != "raw") throw new KeyValueException($"format '{value}' is not supported: rivet has raw images only (format=raw)");
                    break;
                case "readonly":
                    KeyValueOptions.ParseBool("read-only", value);
                    break;
                case "media":
                    if (value != "disk") throw new KeyValueException($"media={value} is not supported: rivet has disks only");
                    break;
                case "snapshot" or "copy-on-read":
                    if (KeyValueOptions.ParseBool(key, value)) throw new KeyValueException($"{key}=on is not supported by rivet yet");
                    break;
                default:
                    if (!DriveNoOps.Contains(key)) throw new KeyValueException($"Block format 'raw' does not support the option '{key}'");
                    break;
            }
        }
        string iface = kv.Get("if") ?? "ide";
        switch (iface)
        {
            case "none" or "ide":
                break; // QEMU's virt has no IDE bus: such a drive stays unconnected, as there
            case "virtio":
                throw new KeyValueException("if=virtio is not supported: on QEMU's virt it is a virtio-blk-pci device, and rivet has no PCI; use if=none,id=ID with -device virtio-blk-device,drive=ID");
            case "scsi" or "floppy" or "pflash" or "mtd" or "sd":
                throw new KeyValueException($"machine type does not support if={iface},bus=0,unit=0");
            default:
                throw new KeyValueException($"unsupported bus type '{iface}'");
        }
        string id = kv.Get("id") ?? $"{iface}{b.Drives.Count}-hd0";
        if (b.Drives.Any(d => d.Id == id)) throw new KeyValueException($"Duplicate ID '{id}' for drive");
        b.Drives.Add(new DriveOption(origin, id, kv.Get("file"), kv.GetBool("readonly", false), iface));
    }

    private static void Device(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "driver");
        if (kv.HelpWanted)
        {
            b.PrintAndExit(DeviceHelp);
            return;
        }
        string driver = kv.Get("driver") ?? throw new KeyValueException("Parameter 'driver' is missing");
        if (kv.Has("help"))
        {
            b.PrintAndExit(driver switch
            {
                "virtio-blk-device" => "virtio-blk-device options:\n  drive=<str>            - Node name or ID of a block device to use as a backend\n  serial=<str>\n",
                "virtio-rng-device" => "virtio-rng-device options:\n  rng=<link<rng-backend>>\n",
                _ => throw new KeyValueException($"device '{driver}' is not supported: rivet's -device has virtio-blk-device and virtio-rng-device (-device help)"),
            });
            return;
        }
        switch (driver)
        {
            case "virtio-blk-device":
                kv.CheckKeys(["driver", "drive", "serial", "id"], key => $"Property 'virtio-blk-device.{key}' not found");
                break;
            case "virtio-rng-device":
                kv.CheckKeys(["driver", "rng", "id", "max-bytes", "period"], key => $"Property 'virtio-rng-device.{key}' not found");
                if (kv.Get("max-bytes") is string max) KeyValueOptions.ParseUnsigned("max-bytes", max, long.MaxValue, "uint64");
                if (kv.Get("period") is string period) KeyValueOptions.ParseUnsigned("period", period, uint.MaxValue, "uint32");
                break;
            default:
                throw new KeyValueException($"device '{driver}' is not supported: rivet's -device has virtio-blk-device and virtio-rng-device (-device help)");
        }
        b.Devices.Add(($"-device {v}", kv));
    }

    private static void Object(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "qom-type");
        string type = kv.Get("qom-type") ?? throw new KeyValueException("Parameter 'qom-type' is missing");
        switch (type)
        {
            case "rng-random":
                kv.CheckKeys(["qom-type", "id", "filename"], key => $"Property '{type}.{key}' not found");
                break;
            case "rng-builtin":
                kv.CheckKeys(["qom-type", "id"], key => $"Property '{type}.{key}' not found");
                break;
            default:
                throw new KeyValueException($"object type '{type}' is not supported: rivet has rng-random and rng-builtin");
        }
        string id = kv.Get("id") ?? throw new KeyValueException("Parameter 'id' is missing");
        if (b.RngObjects.ContainsKey(id)) throw new KeyValueException($"attempt to add duplicate property '{id}' to object (type 'container')");
        // rng-builtin is the host's generator; rng-random reads its file (default /dev/urandom, which is the same source).
        string? file = type == "rng-random" ? kv.Get("filename") ?? "/dev/urandom" : null;
        b.RngObjects[id] = file == "/dev/urandom" ? null : file;
    }

    private static void Global(CliBuilder b, string v)
    {
        int eq = v.IndexOf('=');
        int dot = v.IndexOf('.');
        if (eq < 0 || dot < 0 || dot > eq) throw new KeyValueException("Invalid parameter 'global'");
        string driver = v[..dot], property = v[(dot + 1)..eq], value = v[(eq + 1)..];
        if (driver != "virtio-mmio") throw new KeyValueException($"can't apply global {v}: rivet has globals for virtio-mmio only");
        if (property != "force-legacy") throw new KeyValueException($"can't apply global {v}: Property 'virtio-mmio.{property}' not found");
        bool legacy;
        try
        {
            legacy = KeyValueOptions.ParseBool(property, value);
        }
        catch (KeyValueException ex)
        {
            throw new KeyValueException($"can't apply global {v}: {ex.Message}");
        }
        if (legacy) throw new KeyValueException("virtio-mmio.force-legacy=on is not supported: rivet's virtio-mmio is modern (version 2) only");
    }

    /// <summary>The -device list made into the machine's virtio devices, each drive used once.</summary>
    private static List<VirtioDeviceSpec> VirtioDevices(CliBuilder b)
    {
        var specs = new List<VirtioDeviceSpec>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (origin, kv) in b.Devices)
        {
            if (kv.Get("driver") == "virtio-blk-device")
            {
                string id = kv.Get("drive") ?? throw new UsageException($"{origin}: drive property not set");
                DriveOption drive = b.Drives.FirstOrDefault(d => d.Id == id)
                    ?? throw new UsageException($"{origin}: Property 'virtio-blk-device.drive' can't find value '{id}'");
                if (!used.Add(id)) throw new UsageException($"{origin}: Drive '{id}' is already in use by another device");
                if (drive.File == null) throw new UsageException($"{origin}: Device needs media, but drive is empty");
                string? serial = kv.Get("serial");
                specs.Add(new VirtioBlkSpec(origin, drive.Origin, drive.File, drive.ReadOnly, serial));
            }
            else
            {
                string? file = null;
                if (kv.Get("rng") is string rng && !b.RngObjects.TryGetValue(rng, out file))
                    throw new UsageException($"{origin}: Device '{rng}' not found");
                specs.Add(new VirtioRngSpec(origin, file));
            }
        }
        if (specs.Count > 8) throw new UsageException($"{specs[8].Origin}: No 'virtio-bus' bus found for device '{specs[8].Origin.Split(' ', ',')[1]}'");
        return specs;
    }
}
