using System.Globalization;
using Rivet.Board;

namespace Rivet.Cli;

/// <summary>The handlers of the machine-shaping options: -machine, -cpu, -accel, -m, -device, -rtc.</summary>
internal static partial class CommandLine
{
    /// <summary>QEMU 7.2's machines for qemu-system-riscv64; Rivet builds only 'virt'.</summary>
    private static readonly string[] QemuMachines = ["microchip-icicle-kit", "none", "shakti_c", "sifive_e", "sifive_u", "spike", "virt"];

    public const string MachineHelp = """
        Supported machines are:
        virt                 RISC-V VirtIO board (default)

        """;

    /// <summary>virt's properties Rivet accepts, in QEMU's -machine virt,help format.</summary>
    public const string VirtHelp = """
        virt-machine options:
          accel=<string>         - tcg (the only accelerator)
          aclint=<bool>          - accepted: on or off, the timer and software interrupts are at the CLINT's addresses either way
          aia-guests=<string>    - accepted (0..7); no AIA without aia=aplic
          aia=<string>           - none (Rivet has no AIA)
          append=<string>        - the same as -append
          dtb=<string>           - the same as -dtb
          dumpdtb=<string>       - write the device tree to the file and exit
          dump-guest-core=<bool> - accepted, no effect
          firmware=<string>      - the same as -bios
          graphics=<bool>        - accepted, no effect (Rivet has no display)
          initrd=<string>        - the same as -initrd
          kernel=<string>        - the same as -kernel
          mem-merge=<bool>       - accepted, no effect
          suppress-vmdesc=<bool> - accepted, no effect
          usb=<bool>             - accepted, no effect (virt has no USB)

        """;

    /// <summary>virt properties QEMU 7.2 has and Rivet does not implement.</summary>
    private static readonly string[] VirtNotSupported =
    [
        "boot", "confidential-guest-support", "dt-compatible", "memory",
        "memory-backend", "memory-encryption", "phandle-start", "smp",
    ];

    private static readonly string[] VirtBoolNoOps = ["dump-guest-core", "graphics", "mem-merge", "suppress-vmdesc", "usb"];

    private static void Machine(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "type");
        if (kv.HelpWanted)
        {
            b.PrintAndExit(MachineHelp);
            return;
        }
        if (kv.Get("type") is string type && type != "virt")
        {
            if (QemuMachines.Contains(type)) throw new KeyValueException($"unsupported machine type '{type}': rivet has only 'virt'");
            throw new KeyValueException("unsupported machine type (use -machine help to list supported machines)");
        }
        if (kv.Has("help"))
        {
            b.PrintAndExit(VirtHelp);
            return;
        }
        foreach (var (key, value) in kv.Pairs)
        {
            string root = key.Split('.')[0];
            switch (key)
            {
                case "type":
                    break;
                case "accel":
                    Accelerator(value);
                    break;
                case "aclint":
                    KeyValueOptions.ParseBool(key, value);
                    break;
                case "aia":
                    if (value is "aplic" or "aplic-imsic") throw new KeyValueException($"aia={value} is not supported: rivet has no AIA (only aia=none)");
                    if (value != "none") throw new KeyValueException("Invalid AIA interrupt controller type (valid values are none, aplic, and aplic-imsic)");
                    break;
                case "aia-guests":
                    // QEMU 7.2 reads this with atoi: anything that is not 0..7 as a number is 0.
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int guests) || guests > 7)
                        throw new KeyValueException("Invalid number of AIA IMSIC guests (valid values are between 0 and 7)");
                    break;
                case "kernel":
                    b.Machine = b.Machine with { Kernel = value };
                    break;
                case "firmware":
                    Bios(b, value);
                    break;
                case "append":
                    b.Machine = b.Machine with { Append = value };
                    break;
                case "initrd":
                    b.Machine = b.Machine with { Initrd = value };
                    break;
                case "dtb":
                    b.Machine = b.Machine with { Dtb = value };
                    break;
                case "dumpdtb":
                    b.Machine = b.Machine with { DumpDtb = value };
                    break;
                default:
                    if (VirtBoolNoOps.Contains(key)) KeyValueOptions.ParseBool(key, value);
                    else if (VirtNotSupported.Contains(root)) throw new KeyValueException($"property '{key}' is not supported by rivet yet");
                    else throw new KeyValueException($"Property 'virt-machine.{key}' not found");
                    break;
            }
        }
    }

    /// <summary>accel=: QEMU tries a ':'-separated list in order; Rivet's only one is tcg.</summary>
    private static void Accelerator(string list)
    {
        foreach (string name in list.Split(':'))
        {
            if (name == "tcg") return;
        }
        throw new KeyValueException($"invalid accelerator {list.Split(':')[0]} (rivet has only tcg)");
    }

    public const string AccelHelp = """
        Accelerators supported in QEMU binary:
        tcg

        """;

    private static void Accel(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "accel");
        if (kv.HelpWanted)
        {
            b.PrintAndExit(AccelHelp);
            return;
        }
        foreach (var (key, value) in kv.Pairs)
        {
            switch (key)
            {
                case "accel":
                    if (value != "tcg") throw new KeyValueException($"invalid accelerator {value} (rivet has only tcg)");
                    break;
                case "thread":
                    if (value is not ("multi" or "single")) throw new KeyValueException($"Invalid 'thread' setting {value}");
                    b.AccelThread = value;
                    b.AccelMultiOrigin = value == "multi" ? $"-accel {v}" : null;
                    break;
                case "tb-size":
                    b.Machine = b.Machine with { TranslationCacheMiB = TbSize(value) };
                    break;
                case "split-wx":
                    KeyValueOptions.ParseBool(key, value);
                    break;
                default:
                    throw new KeyValueException($"Property 'tcg-accel.{key}' not found");
            }
        }
    }

    /// <summary>Above this QEMU 7.2 silently caps its code buffer on a 64-bit host (MAX_CODE_GEN_BUFFER_SIZE, 2 GiB).</summary>
    internal const int MaxTranslationCacheMiB = 2048;

    /// <summary>
    /// tb-size=: QEMU 7.2 reads a uint32 through its string visitor: "expects uint64" for what is not
    /// a number (or overflows 64 bits), "expects uint32_t" for a number above 2^32-1; any uint32 is
    /// accepted and capped at the buffer's maximum. Rivet also refuses QEMU's strtoull leniencies
    /// (sign, blanks) with the first message.
    /// </summary>
    private static int TbSize(string value)
    {
        if (!KeyValueOptions.TryParseUnsigned(value, out ulong n))
        {
            bool negative = value.Length > 1 && value[0] == '-' && KeyValueOptions.TryParseUnsigned(value[1..], out ulong m) && m != 0;
            throw new KeyValueException($"Parameter 'tb-size' expects {(negative ? "uint32_t" : "uint64")}"); // strtoull wraps -N to 2^64-N
        }
        if (n > uint.MaxValue) throw new KeyValueException("Parameter 'tb-size' expects uint32_t");
        return (int)Math.Min(n, MaxTranslationCacheMiB);
    }

    public const string CpuHelp = """
        rv64

        """;

    /// <summary>rv64's boolean properties that describe exactly Rivet's harts: always on.</summary>
    private static readonly string[] CpuAlwaysOn = ["i", "m", "a", "f", "d", "c", "g", "s", "u", "mmu", "sstc", "Zicsr", "Zifencei"];

    /// <summary>rv64's boolean properties for what Rivet's harts do not have: always off.</summary>
    private static readonly string[] CpuAlwaysOff =
    [
        "e", "h", "v", "Zfh", "Zfhmin", "Zve32f", "Zve64f", "sscofpmf", "svinval",
        "svnapot", "svpbmt", "x-epmp", "x-j", "x-smaia", "x-ssaia", "xventanacondops", "zba", "zbb", "zbc", "zbkb", "zbkc",
        "zbkx", "zbs", "zdinx", "zfinx", "zhinx", "zhinxmin", "zk", "zkn", "zknd", "zkne", "zknh", "zkr", "zks", "zksed",
        "zksh", "zkt",
    ];

    /// <summary>rv64 boolean properties that change nothing a Rivet guest can see (zmmul is a subset of M; pause is a fence).</summary>
    private static readonly string[] CpuBoolNoOps = ["debug", "short-isa-string", "Zihintpause", "zmmul", "pmp", "rvv_ma_all_1s", "rvv_ta_all_1s"];

    /// <summary>rv64 properties QEMU 7.2 has that would change guest-visible state Rivet does not model.</summary>
    private static readonly string[] CpuNotSupported = ["elen", "vlen", "pmu-num", "marchid", "mimpid", "mvendorid", "resetvec", "priv_spec", "vext_spec", "start-powered-off"];

    private static void Cpu(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "model");
        if (kv.HelpWanted)
        {
            b.PrintAndExit(CpuHelp);
            return;
        }
        string model = kv.Get("model") ?? "";
        if (model is not ("rv64" or "any"))
            throw new KeyValueException($"unable to find CPU model '{model}' (rivet has rv64)");
        foreach (var (key, value) in kv.Pairs)
        {
            if (key == "model") continue;
            if (CpuAlwaysOn.Contains(key) || CpuAlwaysOff.Contains(key))
            {
                bool rivet = CpuAlwaysOn.Contains(key);
                if (KeyValueOptions.ParseBool(key, value) != rivet)
                    throw new KeyValueException($"{key}={value} is not supported: rivet's rv64 is RV64GC (IMAFDC) with M, S and U modes and Sv39/Sv48/Sv57 paging ({key} is always {(rivet ? "on" : "off")})");
            }
            else if (CpuBoolNoOps.Contains(key))
            {
                KeyValueOptions.ParseBool(key, value);
            }
            else if (CpuNotSupported.Contains(key))
            {
                throw new KeyValueException($"property '{key}' is not supported by rivet yet");
            }
            else
            {
                throw new KeyValueException($"Property 'rv64-riscv-cpu.{key}' not found");
            }
        }
    }

    /// <summary>QEMU's -m: [size=]SIZE[,slots=N][,maxmem=SIZE]; a plain number is MiB; 0 means the default; rounded up to 8 KiB.</summary>
    private static void Memory(CliBuilder b, string v)
    {
        var kv = KeyValueOptions.Parse(v, "size");
        kv.CheckKeys(["size", "slots", "maxmem"]);
        ulong size = MachineConfig.DefaultRamSize;
        if (kv.Get("size") is string text)
        {
            // Read as bytes first (QEMU's option parser), then as MiB if it ends in a digit.
            ulong bytes = KeyValueOptions.ParseSize("size", text);
            if (bytes != 0)
            {
                size = text.Length > 0 && char.IsAsciiDigit(text[^1]) ? KeyValueOptions.ParseSize("size", text + "M") : bytes;
            }
        }
        if (size > ulong.MaxValue - 8191) throw new KeyValueException("ram size too large");
        size = (size + 8191) & ~8191UL;
        ulong? maxmem = kv.Get("maxmem") is string mm ? KeyValueOptions.ParseSize("maxmem", mm) : null;
        ulong slots = kv.Get("slots") is string sl ? KeyValueOptions.ParseUnsigned("slots", sl, MaxSlots, "a number") : 0;
        if (maxmem is ulong max)
        {
            if (max < size)
                throw new KeyValueException($"invalid value of maxmem: maximum memory size (0x{max:x}) must be at least the initial memory size (0x{size:x})");
            if (slots > 0 && max == size)
                throw new KeyValueException($"invalid value of maxmem: memory slots were specified but maximum memory size (0x{max:x}) is equal to the initial memory size (0x{size:x})");
        }
        else if (slots > 0)
        {
            throw new KeyValueException("slots specified but no max-size");
        }
        if (size < 1UL << 20) throw new KeyValueException("RAM size must be at least 1 MiB");
        if (size > MaxRam) throw new KeyValueException($"RAM size above the supported {MaxRam >> 30} GiB");
        b.Machine = b.Machine with { RamSize = size };
        b.MaxMem = maxmem;
        b.Slots = slots;
    }

    private const ulong MaxRam = 64UL << 30;

    /// <summary>QEMU's ACPI_MAX_RAM_SLOTS: more slots than any board QEMU has can describe.</summary>
    private const ulong MaxSlots = 256;

    /// <summary>
    /// QEMU 7.2's icount_configure: no shift leaves icount off (align then needs one); shift is 0..10 or
    /// auto (Rivet keeps auto at QEMU's starting shift, 3: deterministic, not adapted to host speed).
    /// </summary>
    private static IcountOptions? Icount(string v)
    {
        var kv = KeyValueOptions.Parse(v, impliedKey: "shift");
        kv.CheckKeys(["shift", "align", "sleep", "rr", "rrfile", "rrsnapshot"]);
        bool sleep = kv.GetBool("sleep", true);
        bool align = kv.GetBool("align", false);
        if (kv.Has("rr") || kv.Has("rrfile") || kv.Has("rrsnapshot")) throw new KeyValueException("record/replay (rr, rrfile, rrsnapshot) is not supported by rivet");
        if (kv.Get("shift") is not string shift)
        {
            if (align) throw new KeyValueException("Please specify shift option when using align");
            return null;
        }
        if (align && !sleep) throw new KeyValueException("align=on and sleep=off are incompatible");
        int n;
        if (shift == "auto") n = IcountOptions.AutoShift;
        else if (KeyValueOptions.TryParseUnsigned(shift, out ulong u) && u <= IcountOptions.MaxShift) n = (int)u;
        else throw new KeyValueException("icount: Invalid shift value");
        if (align) throw new KeyValueException("align=on is not supported by rivet (guest time is not held back to the host's)");
        return new IcountOptions { Shift = n, Sleep = sleep };
    }

    private static RtcOptions Rtc(string v)
    {
        var kv = KeyValueOptions.Parse(v);
        kv.CheckKeys(["base", "clock", "driftfix"]);
        var rtc = new RtcOptions();
        if (kv.Get("base") is string b)
        {
            if (b is "utc" or "localtime") rtc = rtc with { Base = b };
            else rtc = rtc with { Base = null, StartDate = RtcDate(b) };
        }
        if (kv.Get("clock") is string clock)
        {
            if (clock is not ("host" or "rt" or "vm")) throw new KeyValueException($"invalid option value '{clock}' (clock=host|rt|vm)");
            rtc = rtc with { Clock = clock };
        }
        if (kv.Get("driftfix") is string drift)
        {
            if (drift is not ("none" or "slew")) throw new KeyValueException($"invalid option value '{drift}' (driftfix=none|slew)");
            rtc = rtc with { DriftFix = drift };
        }
        return rtc;
    }

    /// <summary>QEMU's base=DATE: 2006-06-17T16:01:21 or 2006-06-17, taken as UTC.</summary>
    private static DateTime RtcDate(string text)
    {
        // Stricter than QEMU's sscanf, which lets mktime carry 2020-13-01 into 2021.
        if (DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime date))
        {
            return date;
        }
        throw new KeyValueException("invalid datetime format (valid formats: '2006-06-17T16:01:21' or '2006-06-17')");
    }
}
