using System.Globalization;
using System.Text;
using Rivet.Board;
using Rivet.Cli.Chardev;

namespace Rivet.Cli;

/// <summary>A command-line mistake: the message is printed as one line, exit code 1.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>-rtc base=utc|localtime|DATE[,clock=host|rt|vm][,driftfix=none|slew], for the goldfish RTC.</summary>
internal sealed record RtcOptions
{
    /// <summary>"utc", "localtime", or null when <see cref="StartDate"/> is given.</summary>
    public string? Base { get; init; } = "utc";
    /// <summary>base=DATE: the guest's clock at start (UTC).</summary>
    public DateTime? StartDate { get; init; }
    public string Clock { get; init; } = "host";
    public string DriftFix { get; init; } = "none";
}

/// <summary>A QMP monitor on the character device <paramref name="Id"/>; <paramref name="Pretty"/> is -mon's pretty=on.</summary>
internal sealed record QmpChardev(string Id, string Origin, bool Pretty);

/// <summary>-mon: the option as given, the chardev id, mode, pretty.</summary>
internal sealed record MonOption(string Origin, string Id, string Mode, bool Pretty);

/// <summary>What the user asked for.</summary>
internal sealed record CliOptions
{
    public MachineConfig Machine { get; init; } = new();
    /// <summary>-help, -version, -cpu help, ...: print this on standard output and exit 0.</summary>
    public string? Print { get; init; }
    /// <summary>The exit code after <see cref="Print"/>: 0, or 1 for QEMU's -d listing after an unknown item.</summary>
    public int PrintExitCode { get; init; }
    public bool Demo { get; init; }
    /// <summary>-plugin, -d plugin, -D FILE.</summary>
    public PluginOptions Plugins { get; init; } = new();
    /// <summary>-qmp: the QMP monitor's listening sockets.</summary>
    public IReadOnlyList<Rivet.Qmp.QmpEndpoint> Qmp { get; init; } = [];
    /// <summary>QMP on character devices (-qmp stdio, -qmp pipe:P, a socket client, -mon chardev=ID,mode=control), in <see cref="Chardevs"/>.</summary>
    public IReadOnlyList<QmpChardev> QmpChardevs { get; init; } = [];
    /// <summary>-name: the guest name query-name reports.</summary>
    public string? Name { get; init; }
    /// <summary>-cpu: the CPU model (only rv64).</summary>
    public string Cpu { get; init; } = "rv64";
    /// <summary>-accel tcg,thread=: "multi" (what Rivet always does) or "single" (accepted, not honoured).</summary>
    public string AccelThread { get; init; } = "multi";
    /// <summary>-smp as resolved (null without -smp).</summary>
    public SmpTopology? Smp { get; init; }
    /// <summary>-m maxmem= and slots= (checked; Rivet has no memory hotplug).</summary>
    public ulong? MaxMem { get; init; }
    public ulong Slots { get; init; }
    public RtcOptions Rtc { get; init; } = new();
    public bool NoDefaults { get; init; }
    /// <summary>The UART's character device (null: not connected, as -serial none); it is also in <see cref="Chardevs"/>.</summary>
    public ChardevSpec? Serial { get; init; } = StdioSerial;
    /// <summary>Every character device to open, in command-line order (-chardev and the short forms).</summary>
    public IReadOnlyList<ChardevSpec> Chardevs { get; init; } = [StdioSerial];

    internal static readonly ChardevSpec StdioSerial = new() { Id = "serial0", Backend = "stdio", Origin = "-serial stdio" };
    /// <summary>The human monitors (-monitor, -mon mode=readline, mon:DEV), in the order they attach (before the UART, as QEMU).</summary>
    public IReadOnlyList<ChardevSpec> Monitors { get; init; } = [];

    /// <summary>-gdb / -s: the gdb stub's character device (one of <see cref="Chardevs"/>), or null.</summary>
    public ChardevSpec? Gdb { get; init; }
    /// <summary>-pidfile FILE.</summary>
    public string? PidFile { get; init; }
    /// <summary>-daemonize.</summary>
    public bool Daemonize { get; init; }
}

/// <summary>
/// One row of the option table, as a row of QEMU's qemu-options.hx: the option's name (and
/// aliases), its argument (null: takes none), its help text (empty: hidden, as QEMU's aliases)
/// and the handler that applies it.
/// </summary>
internal sealed record OptionRow(string Name, string? Arg, string Help, Action<CliBuilder, string> Handle, params string[] Aliases);

/// <summary>The options being gathered while the command line is read; <see cref="Build"/> makes them a <see cref="CliOptions"/>.</summary>
internal sealed class CliBuilder
{
    public MachineConfig Machine = new();
    public string? Print;
    public int PrintExitCode;
    public bool Stop;
    public bool NoShutdown, NoReboot, NoGraphic, NoDefaults, Daemonize;
    public TimeSpan? ShutdownTimeout;
    public PluginOptions Plugins = new();
    public List<Rivet.Qmp.QmpEndpoint> Qmp = [];
    public List<QmpChardev> QmpChardevs = [];
    /// <summary>-qmp and -monitor values that became character devices (QEMU's compat_monitorN).</summary>
    public int CompatMonitors;
    public string? Name, PidFile;
    public string AccelThread = "multi";
    /// <summary>The -accel option that asked for thread=multi explicitly (refused with -icount, as QEMU).</summary>
    public string? AccelMultiOrigin;
    public SmpTopology? Smp;
    public ulong? MaxMem;
    public ulong Slots;
    public RtcOptions Rtc = new();
    public List<DriveOption> Drives = [];
    /// <summary>-device: (option as given, its values), in order.</summary>
    public List<(string Origin, KeyValueOptions Values)> Devices = [];
    /// <summary>-object rng-random/rng-builtin by id: the file to read, or null for the host's generator.</summary>
    public Dictionary<string, string?> RngObjects = [];
    /// <summary>The first -serial's value (the virt board has one UART).</summary>
    public string? Serial;
    public List<ChardevSpec> Chardevs = [];
    /// <summary>-mon, in order (a record, not a value tuple: a List of those is JIT-compiled at every start).</summary>
    public List<MonOption> Mons = [];
    /// <summary>-monitor values other than none, in order.</summary>
    public List<string> Monitors = [];
    /// <summary>QEMU's default_monitor: no -monitor, -mon or -qmp given.</summary>
    public bool DefaultMonitor = true;
    /// <summary>The last -gdb (or -s: tcp::1234), as given.</summary>
    public string? Gdb;

    /// <summary>Stops reading the command line and prints <paramref name="text"/> (QEMU exits at -help and -version).</summary>
    public void PrintAndExit(string text)
    {
        Print = text;
        Stop = true;
    }
}

/// <summary>
/// The QEMU-compatible subset of qemu-system-riscv64's command line, as one table of options
/// (<see cref="Table"/>). Options take one dash or two, as QEMU's do; values follow as the
/// next argument and use QEMU's key=value grammar (<see cref="KeyValueOptions"/>).
/// </summary>
internal static partial class CommandLine
{
    public const string Version = "0.1.0";

    /// <summary>The QEMU release whose command line, monitor and messages Rivet follows.</summary>
    public const string QemuVersion = "7.2.0";

    /// <summary>
    /// QEMU's format: libvirt and other tools read the QEMU version from the first line, so it
    /// names the QEMU interface level and Rivet goes where QEMU puts its package name.
    /// </summary>
    public static string VersionText => $"""
        QEMU emulator version {QemuVersion} (Rivet {Version})
        Copyright (c) 2026 the Rivet developers

        """;

    public static readonly OptionRow[] Table =
    [
        new("machine", "[type=]virt[,prop=value...]", "the QEMU 'virt' board (the only one); -machine help lists machines,\n-machine virt,help its properties", (b, v) => Machine(b, v), "M"),
        new("cpu", "rv64[,prop=on|off...]", "CPU model (rv64, RV64GC; -cpu help)", (b, v) => Cpu(b, v)),
        new("accel", "tcg[,thread=multi|single][,tb-size=N][,split-wx=on|off]", "accelerator: tcg only; Rivet always runs one host thread per hart;\ntb-size=N caps translated code per hart at N MiB (0: the default; above\n2048 capped at 2048, as QEMU caps its buffer)", (b, v) => Accel(b, v)),
        new("smp", "[cpus=]n[,maxcpus=m][,sockets=s][,cores=c][,threads=t]", "harts (1..512) and their topology, checked as QEMU 7.2 does", (b, v) => b.Smp = SmpTopology.Parse(v, MachineConfig.MaxHarts)),
        new("m", "[size=]SIZE[,slots=n,maxmem=SIZE]", "RAM size, e.g. 128M, 1G (default and -m 0: 128M; plain numbers are MiB)", (b, v) => Memory(b, v)),
        new("bios", "default|none|FILE", "firmware: default (Debian's OpenSBI fw_dynamic), none, or an ELF/raw image\nloaded at 0x80000000; without -bios: default for an OS kernel, none for an\nELF that loads at 0x80000000 (docs/BOOT.md)", (b, v) => Bios(b, v)),
        new("kernel", "FILE", "the kernel: an ELF at its segment addresses, or a raw image (Linux Image,\nu-boot.bin) at 0x80200000 after the firmware", (b, v) => b.Machine = b.Machine with { Kernel = v }),
        new("initrd", "FILE", "initial ram disk, 128 MiB above the kernel (half of RAM when smaller)", (b, v) => b.Machine = b.Machine with { Initrd = v }),
        new("append", "CMDLINE", "the kernel command line (/chosen/bootargs)", (b, v) => b.Machine = b.Machine with { Append = v }),
        new("dtb", "FILE", "use FILE as the device tree (QEMU still sets /chosen's bootargs, rng-seed\nand initrd range)", (b, v) => b.Machine = b.Machine with { Dtb = v }),
        new("nographic", null, "no display; the serial port and the human monitor share standard\ninput/output (mon:stdio: C-a h for help, C-a c switches, C-a x quits)", (b, _) => b.NoGraphic = true),
        new("display", "none", "no display (the default)", (b, v) => Display(v)),
        new("chardev", "BACKEND,id=ID[,mux=on][,...]", "character device: null, stdio[,signal=on|off], file,path=F[,append=on],\npipe,path=P, pty, socket,path=PATH|host=H,port=N[,server=on][,wait=off];\nmux=on shares it between the serial port and a monitor (docs/CHARDEV.md)", (b, v) => Chardev(b, v)),
        new("mon", "[chardev=]ID[,mode=readline|control][,pretty=on|off]", "a monitor on a character device: readline (the default) is the human\nmonitor, mode=control is QMP on any -chardev without mux=on (pretty=on:\nindented replies)", (b, v) => Mon(b, v)),
        new("serial", "DEV", "the serial port's character device: stdio (default), mon:stdio, null, none,\npty, file:F, pipe:P, chardev:ID, unix:PATH[,server,wait=off],\ntcp:HOST:PORT[,server,wait=off]; mon:DEV adds the human monitor (C-a c)", (b, v) => Serial(b, v)),
        new("monitor", "DEV", "the human monitor on DEV: stdio, pty, null, none, chardev:ID, mon:DEV,\nunix:PATH,server[,wait=off], tcp:HOST:PORT,server[,wait=off]", (b, v) => Monitor(b, v)),
        new("nodefaults", null, "no default devices: without -serial the serial port is not connected", (b, _) => b.NoDefaults = true),
        new("no-user-config", null, "accepted: Rivet reads no configuration files", (b, _) => { }),
        new("net", "none", "accepted: Rivet has no network devices", (b, v) => None("-net", v, "network devices")),
        new("nic", "none", "accepted: Rivet has no network devices", (b, v) => None("-nic", v, "network devices")),
        new("vga", "none", "accepted: Rivet has no display devices", (b, v) => None("-vga", v, "display devices")),
        new("parallel", "none", "accepted: Rivet has no parallel port", (b, v) => None("-parallel", v, "parallel ports")),
        new("drive", "file=F[,format=raw][,if=none][,id=ID][,readonly=on|off]", "a raw disk image for -device virtio-blk-device,drive=ID (locked as QEMU locks it)", (b, v) => Drive(b, v)),
        new("device", "DRIVER[,prop=value...]", "virtio-blk-device,drive=ID[,serial=S] or virtio-rng-device[,rng=ID] on the\nvirtio-mmio bus (first given: highest slot, as QEMU); -device help", (b, v) => Device(b, v)),
        new("object", "rng-random,id=ID[,filename=F]|rng-builtin,id=ID", "a random-number source for -device virtio-rng-device,rng=ID", (b, v) => Object(b, v)),
        new("global", "virtio-mmio.force-legacy=off", "accepted for QEMU command lines: Rivet's virtio-mmio is modern (version 2)", (b, v) => Global(b, v)),
        new("rtc", "[base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew]", "the goldfish RTC's start time and clock (clock=vm: stops while paused)", (b, v) => b.Rtc = Rtc(v)),
        new("no-reboot", null, "exit instead of resetting when the guest resets", (b, _) => b.NoReboot = true),
        new("no-shutdown", null, "stop instead of exiting when the guest shuts down", (b, _) => b.NoShutdown = true),
        new("icount", "[shift=N|auto][,align=on|off][,sleep=on|off]", "deterministic mode: guest time from retired instructions (2^N ns each,\nN 0..10; auto: 3), every hart in turn on one thread; sleep=off jumps\nguest time over idle periods (docs/LIFECYCLE.md, \"Alternate executor\")", (b, v) => b.Machine = b.Machine with { Icount = Icount(v) }),
        new("S", null, "start paused (prelaunch): until gdb, QMP cont or the monitor's c runs it", (b, _) => b.Machine = b.Machine with { StartPaused = true }),
        new("gdb", "DEV", "gdb stub (docs/GDB.md) on DEV: tcp::PORT or tcp:HOST:PORT (a server,\nas QEMU: wait=off,nodelay=on,server=on are implied), unix:PATH,server[,wait=off],\nchardev:ID, or none", (b, v) => b.Gdb = v),
        new("s", null, "shorthand for -gdb tcp::1234", (b, _) => b.Gdb = "tcp::1234"),
        new("qmp", "DEV", "QMP monitor (docs/QMP.md) on unix:PATH,server[,wait=off] or\ntcp:HOST:PORT,server[,wait=off] (listening; wait=on, the default, waits\nfor the first client before the machine runs), unix:PATH or\ntcp:HOST:PORT (connects), stdio, pipe:P, file:F; repeatable", (b, v) => Qmp(b, v, pretty: false)),
        new("qmp-pretty", "DEV", "as -qmp, with indented JSON (QEMU's pretty=on)", (b, v) => Qmp(b, v, pretty: true)),
        new("name", "[guest=]NAME[,process=P][,debug-threads=on|off]", "the guest name (query-name)", (b, v) => b.Name = Name(v)),
        new("pidfile", "FILE", "write rivet's process id to FILE (locked, removed at exit)", (b, v) => b.PidFile = v.Length > 0 ? v : throw new KeyValueException("the file name is empty")),
        new("daemonize", null, "detach once started: rivet runs again in a new session with standard\ninput/output on /dev/null; the first process exits 0 when it has started", (b, _) => b.Daemonize = true),
        new("plugin", "NAME|PATH[,key=value...]", "load a plugin: a built-in (execlog, hotblocks, hotpages, idle, insn,\nstoptrigger, timeline) or a plugin assembly (.dll) by path; repeatable (docs/PLUGINS.md)", (b, v) => b.Plugins.Specs.Add(v)),
        new("d", "item[,...]", "log items (docs/LOGS.md): int, guest_errors, unimp, in_asm, exec, cpu,\nmmu, nochain, plugin; to standard error, or the -D file; -d help", (b, v) => Log(b, v)),
        new("D", "FILE", "write the -d output to FILE instead of standard error (with -d plugin,\nplugin output too)", (b, v) => b.Plugins.LogFile = v),
        new("shutdown-timeout", "SECONDS", "Rivet's own: bound on shutdown; stuck vCPU threads are abandoned after\nit and rivet exits with code 125 (default 3, at most 3600)", (b, v) => b.ShutdownTimeout = ShutdownTimeout(v)),
        new("rivet-interp", null, "Rivet's own: run every hart in the interpreter only, no translation (for\ndifferential debugging; the environment's RIVET_ENGINE=interp does the same)", (b, _) => b.Machine = b.Machine with { Engine = Rivet.Cpu.ExecutionEngine.Interpreter }),
        new("enable-kvm", null, "", (b, _) => throw new KeyValueException("not supported: rivet has only the tcg accelerator")),
        new("version", null, "print the version (QEMU's format) and exit", (b, _) => b.PrintAndExit(VersionText)),
        new("help", null, "print this help and exit", (b, _) => b.PrintAndExit(HelpText), "h"),
    ];

    /// <summary>QEMU 7.2 options Rivet does not have (yet): named as such rather than "invalid option".</summary>
    internal static readonly string[] NotSupported =
    [
        "L", "action", "add-fd", "async-teardown", "audio", "audio-help", "audiodev", "blockdev", "boot", "cdrom",
        "chroot", "compat", "debugcon", "dfilter", "dump-vmstate", "echr", "enable-sync-profile", "fda", "fdb",
        "fsdev", "full-screen", "fw_cfg", "hda", "hdb", "hdc", "hdd", "incoming", "iscsi", "k",
        "loadvm", "mem-path", "mem-prealloc", "msg", "mtdblock", "netdev", "numa",
        "only-migratable", "option-rom", "overcommit", "pflash", "portrait", "preconfig", "readconfig", "rotate",
        "runas", "sandbox", "sd", "seed", "semihosting", "semihosting-config", "set", "singlestep", "snapshot", "spice",
        "tpmdev", "trace", "usb", "usbdevice", "uuid", "virtfs", "vnc", "watchdog-action",
    ];

    private static readonly Dictionary<string, OptionRow> ByName = BuildIndex();

    private static Dictionary<string, OptionRow> BuildIndex()
    {
        var index = new Dictionary<string, OptionRow>(StringComparer.Ordinal);
        foreach (OptionRow row in Table)
        {
            index.Add(row.Name, row);
            foreach (string alias in row.Aliases) index.Add(alias, row);
        }
        return index;
    }

    /// <summary>-help: generated from <see cref="Table"/>.</summary>
    public static string HelpText => BuildHelp();

    private static string BuildHelp()
    {
        var sb = new StringBuilder();
        sb.Append("usage: rivet [options]\n");
        sb.Append("Rivet: a multi-core RISC-V (RV64) system emulator with qemu-system-riscv64's command line.\n");
        sb.Append("With no options it runs a built-in demo guest on 4 harts.\n\n");
        foreach (OptionRow row in Table)
        {
            if (row.Help.Length == 0) continue;
            string names = string.Concat(row.Aliases.Select(a => $"-{a} | ")) + "-" + row.Name;
            string head = row.Arg == null ? names : $"{names} {row.Arg}";
            string[] lines = row.Help.Split('\n');
            const int column = 27;
            if (head.Length < column - 1)
            {
                sb.Append(head.PadRight(column)).Append(lines[0]).Append('\n');
            }
            else
            {
                sb.Append(head).Append('\n').Append(' ', column).Append(lines[0]).Append('\n');
            }
            foreach (string line in lines.Skip(1)) sb.Append(' ', column).Append(line).Append('\n');
        }
        sb.Append("\nExit codes: 0 guest pass or host request (signal); the guest's code on failure;\n");
        sb.Append("1 start-up error; 125 shutdown abandoned a stuck vCPU thread; 130 second SIGINT.\n");
        return sb.ToString();
    }

    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0) return new CliOptions { Demo = true, Machine = new MachineConfig { Harts = 4 } };

        var b = new CliBuilder();
        for (int i = 0; i < args.Count && !b.Stop; i++)
        {
            string raw = args[i];
            if (!raw.StartsWith('-') || raw == "-" || raw == "--")
                throw new UsageException($"{raw}: invalid option (rivet takes no positional arguments; use -kernel FILE)");
            string name = raw.StartsWith("--", StringComparison.Ordinal) ? raw[2..] : raw[1..];
            if (!ByName.TryGetValue(name, out OptionRow? row))
            {
                if (NotSupported.Contains(name)) throw new UsageException($"{raw}: not supported by rivet yet");
                throw new UsageException($"{raw}: invalid option");
            }
            string value = "";
            if (row.Arg != null)
            {
                if (i + 1 >= args.Count) throw new UsageException($"{raw}: requires an argument");
                value = args[++i];
            }
            try
            {
                row.Handle(b, value);
            }
            catch (KeyValueException ex)
            {
                throw new UsageException(row.Arg == null ? $"{raw}: {ex.Message}" : $"{raw} {value}: {ex.Message}");
            }
        }
        if (b.Print != null) return new CliOptions { Print = b.Print, PrintExitCode = b.PrintExitCode };
        return Finish(b);
    }

    private static CliOptions Finish(CliBuilder b)
    {
        MachineConfig m = b.Machine;
        if (b.Smp is SmpTopology smp) m = m with { Harts = (int)smp.Cpus };
        if (m.Kernel == null && m.Append != null) throw new UsageException("-append only allowed with -kernel option");
        if (m.Kernel == null && m.Initrd != null) throw new UsageException("-initrd only allowed with -kernel option");
        if (m.Kernel == null && (m.Bios == null || m.Bios == "none") && m.DumpDtb == null)
            throw new UsageException("no guest given: use -kernel FILE (or run rivet without options for the demo)");
        if (b.Daemonize && b.NoGraphic) throw new UsageException("-nographic cannot be used with -daemonize");
        if (m.Icount != null && b.AccelMultiOrigin != null) throw new UsageException($"{b.AccelMultiOrigin}: No MTTCG when icount is enabled");
        if (m.Icount != null) b.AccelThread = "single"; // one thread runs every hart, as QEMU's round-robin TCG
        DefaultDevices(b);
        ChardevSpec? serial = SerialDevice(b);
        List<ChardevSpec> monitors = HumanMonitors(b, serial);
        foreach (var (origin, id, mode, pretty) in b.Mons)
        {
            if (Monitor(b, origin, id, mode, pretty, serial, monitors) is ChardevSpec readline) monitors.Add(readline);
        }
        CheckInUse(serial, monitors);
        ChardevSpec? gdb = GdbDevice(b, serial, monitors);
        if (b.Daemonize && b.Serial is "stdio" or "mon:stdio") throw new UsageException("-serial stdio: cannot use stdio with -daemonize");
        if (b.Daemonize && b.Chardevs.FirstOrDefault(c => c.Backend == "stdio" && c != serial) is ChardevSpec daemonStdio)
            throw new UsageException($"{daemonStdio.Origin}: cannot use stdio with -daemonize");
        // As QEMU, the serial port's device is opened after the others: it is the one named.
        var stdioUsers = b.Chardevs.Where(c => c.Backend == "stdio").OrderBy(c => c == serial ? 1 : 0).ToList();
        if (stdioUsers.Count > 1)
        {
            ChardevSpec second = stdioUsers[1];
            throw new UsageException(second == serial && b.Serial == null
                ? "cannot use stdio by multiple character devices" // -nographic's implied serial (QEMU names no option either)
                : $"{second.Origin}: cannot use stdio by multiple character devices");
        }
        m = m with
        {
            VirtioDevices = VirtioDevices(b),
            RtcStart = b.Rtc.StartDate,
            RtcLocalTime = b.Rtc.Base == "localtime",
            RtcVirtualClock = b.Rtc.Clock == "vm",
        };
        var lifecycle = m.Lifecycle with { NoReboot = b.NoReboot, NoShutdown = b.NoShutdown };
        if (b.ShutdownTimeout is TimeSpan t) lifecycle = lifecycle with { ShutdownTimeout = t };
        return new CliOptions
        {
            Machine = m with { Lifecycle = lifecycle },
            Qmp = b.Qmp,
            QmpChardevs = b.QmpChardevs,
            Name = b.Name,
            Plugins = b.Plugins,
            AccelThread = b.AccelThread,
            Smp = b.Smp,
            MaxMem = b.MaxMem,
            Slots = b.Slots,
            Rtc = b.Rtc,
            NoDefaults = b.NoDefaults,
            Serial = serial,
            Chardevs = b.Chardevs,
            Monitors = monitors,
            Gdb = gdb,
            PidFile = b.PidFile,
            Daemonize = b.Daemonize,
        };
    }

    private static void Bios(CliBuilder b, string v) => b.Machine = b.Machine with { Bios = v };

    private static void Display(string v)
    {
        if (v != "none") throw new KeyValueException($"display '{v.Split(',')[0]}' is not supported (only none: Rivet has no display)");
    }

    private static void Chardev(CliBuilder b, string v)
    {
        ChardevSpec spec = ChardevSpec.Parse(v);
        if (b.Chardevs.Any(c => c.Id == spec.Id)) throw new KeyValueException($"Duplicate ID '{spec.Id}' for chardev");
        b.Chardevs.Add(spec);
    }

    private static void Mon(CliBuilder b, string v)
    {
        b.DefaultMonitor = false;
        var kv = KeyValueOptions.Parse(v, "chardev");
        kv.CheckKeys(["chardev", "mode", "pretty"]);
        bool pretty = kv.GetBool("pretty", false);
        string mode = kv.Get("mode") ?? "readline";
        if (mode is not ("readline" or "control")) throw new KeyValueException($"Parameter 'mode' does not accept value '{mode}'");
        string id = kv.Get("chardev") ?? throw new KeyValueException("Parameter 'chardev' is missing");
        b.Mons.Add(new MonOption($"-mon {v}", id, mode, pretty));
    }

    /// <summary>
    /// -mon chardev=ID: mode=readline gives the human monitor on that device (returned);
    /// mode=control is QMP there. A socket server becomes one of the QMP server's own listeners
    /// (any number of clients, each with its greeting); any other device (stdio, pipe, file, null,
    /// a socket client) carries one session.
    /// </summary>
    private static ChardevSpec? Monitor(CliBuilder b, string origin, string id, string mode, bool pretty, ChardevSpec? serial, List<ChardevSpec> monitors)
    {
        ChardevSpec spec = b.Chardevs.FirstOrDefault(c => c.Id == id) ?? throw new UsageException($"{origin}: chardev \"{id}\" not found");
        if (mode == "readline") return spec with { Origin = origin };
        if (spec.Mux) throw new UsageException($"{origin}: QMP on a multiplexed character device (mux=on) is not supported by rivet yet");
        if (spec == serial || b.QmpChardevs.Any(q => q.Id == id) || monitors.Any(m => m.Id == id)) throw new UsageException($"{origin}: Device '{id}' is in use");
        if (spec.Backend == "socket" && spec.Server)
        {
            b.Chardevs.Remove(spec);
            b.Qmp.Add(spec.Endpoint with { Pretty = pretty });
            return null;
        }
        b.QmpChardevs.Add(new QmpChardev(id, origin, pretty));
        return null;
    }

    /// <summary>
    /// QEMU 7.2's defaults with -nographic: with neither -serial nor a monitor option, the serial
    /// port and the human monitor share stdio (mon:stdio); otherwise whichever is still default
    /// goes to stdio on its own. -nodefaults leaves both out.
    /// </summary>
    private static void DefaultDevices(CliBuilder b)
    {
        if (b.NoDefaults) return;
        if (!b.NoGraphic)
        {
            // Without -nographic QEMU's default serial port is on a display console, out of
            // sight; Rivet's is on stdio unless a monitor takes stdio (then it goes nowhere).
            if (b.Serial == null && b.Monitors.Any(m => m is "stdio" or "mon:stdio")) b.Serial = "null";
            return;
        }
        bool defaultSerial = b.Serial == null;
        if (defaultSerial && b.DefaultMonitor)
        {
            b.Serial = "mon:stdio";
            return;
        }
        if (b.DefaultMonitor) b.Monitors.Add("stdio");
    }

    /// <summary>The human monitors of -monitor and of mon:DEV, opening the devices -monitor names (compat_monitorN).</summary>
    private static List<ChardevSpec> HumanMonitors(CliBuilder b, ChardevSpec? serial)
    {
        var monitors = new List<ChardevSpec>();
        int index = 0;
        foreach (string v in b.Monitors)
        {
            string origin = $"-monitor {v}";
            if (v.StartsWith("chardev:", StringComparison.Ordinal))
            {
                string id = v[8..];
                ChardevSpec named = b.Chardevs.FirstOrDefault(c => c.Id == id) ?? throw new UsageException($"{origin}: chardev \"{id}\" not found");
                monitors.Add(named with { Origin = origin });
                continue;
            }
            ChardevSpec spec;
            try
            {
                spec = ChardevSpec.ParseShort(v, $"compat_monitor{b.CompatMonitors.ToString(CultureInfo.InvariantCulture)}", origin);
            }
            catch (KeyValueException ex)
            {
                throw new UsageException($"{origin}: {ex.Message}");
            }
            // QEMU opens -monitor's device as it reads the option: before the serial port's.
            b.Chardevs.Insert(index, spec);
            index++;
            b.CompatMonitors++; // one count for -monitor and -qmp devices, as QEMU's monitor_device_index
            monitors.Add(spec);
        }
        if (serial != null && serial.Mux && b.Serial?.StartsWith("mon:", StringComparison.Ordinal) == true) monitors.Add(serial);
        return monitors;
    }

    /// <summary>
    /// -gdb DEV as QEMU's gdbserver_start: chardev:ID names a -chardev; tcp: gets
    /// wait=off,nodelay=on,server=on; anything else is a character device in QEMU's short form
    /// (unix:PATH,server,...), labelled "gdb". none: no stub.
    /// </summary>
    private static ChardevSpec? GdbDevice(CliBuilder b, ChardevSpec? serial, List<ChardevSpec> monitors)
    {
        if (b.Gdb is not string v || v == "none") return null;
        string origin = $"-gdb {v}";
        ChardevSpec spec;
        if (v.StartsWith("chardev:", StringComparison.Ordinal))
        {
            string id = v[8..];
            spec = b.Chardevs.FirstOrDefault(c => c.Id == id) ?? throw new UsageException($"{origin}: chardev '{id}' not found");
            bool used = serial?.Id == id || monitors.Any(m => m.Id == id) || b.QmpChardevs.Any(q => q.Id == id);
            if (used && !spec.Mux) throw new UsageException($"{origin}: Device '{id}' is in use");
            return spec;
        }
        if (b.Chardevs.Any(c => c.Id == "gdb")) throw new UsageException($"{origin}: Duplicate ID 'gdb' for chardev");
        string device = v;
        if (v.StartsWith("tcp:", StringComparison.Ordinal))
        {
            // QEMU appends these to whatever was given: a gdb stub is always a listening server.
            var given = v.Split(',').Skip(1).Select(p => p.Split('=')[0]).ToHashSet(StringComparer.Ordinal);
            string[] implied = [.. new[] { "wait=off", "nodelay=on", "server=on" }.Where(p => !given.Contains(p.Split('=')[0]) && !(p.StartsWith("wait", StringComparison.Ordinal) && given.Contains("nowait")))];
            device = string.Join(',', new[] { v }.Concat(implied));
        }
        try
        {
            spec = ChardevSpec.ParseShort(device, "gdb", origin);
        }
        catch (KeyValueException ex)
        {
            throw new UsageException($"{origin}: {ex.Message}");
        }
        if (spec.Mux) throw new UsageException($"{origin}: a multiplexed device (mon:) for gdb is not supported by rivet");
        b.Chardevs.Add(spec);
        return spec;
    }

    /// <summary>A device without mux=on takes one front end (QEMU's "Device 'ID' is in use").</summary>
    private static void CheckInUse(ChardevSpec? serial, List<ChardevSpec> monitors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (serial != null) seen.Add(serial.Id);
        foreach (ChardevSpec m in monitors)
        {
            if (!seen.Add(m.Id) && !m.Mux) throw new UsageException($"{m.Origin}: Device '{m.Id}' is in use");
        }
    }

    /// <summary>The UART's device: the first -serial, or the default (stdio; nothing with -nodefaults, as QEMU).</summary>
    private static ChardevSpec? SerialDevice(CliBuilder b)
    {
        // Without -nographic QEMU's default serial port goes to its display, not stdio: so where
        // Rivet's default (stdio) would clash with another user of stdio (-qmp stdio), it yields.
        bool stdioTaken = b.Chardevs.Any(c => c.Backend == "stdio");
        string v = b.Serial ?? (b.NoDefaults || (!b.NoGraphic && stdioTaken) ? "none" : "stdio");
        string origin = $"-serial {v}";
        if (v == "none") return null;
        if (v.StartsWith("chardev:", StringComparison.Ordinal))
        {
            return b.Chardevs.FirstOrDefault(c => c.Id == v[8..])
                ?? throw new UsageException($"{origin}: could not connect serial device to character backend '{v}'");
        }
        ChardevSpec spec;
        try
        {
            spec = ChardevSpec.ParseShort(v, "serial0", origin);
        }
        catch (KeyValueException ex)
        {
            throw new UsageException($"{origin}: {ex.Message}");
        }
        b.Chardevs.Insert(0, spec); // QEMU opens -serial's device as it reads the option
        return spec;
    }

    private static void Serial(CliBuilder b, string v)
    {
        b.Serial ??= v;
        if (v.StartsWith("mon:", StringComparison.Ordinal)) b.DefaultMonitor = false; // as QEMU: mon: is the monitor
    }

    private static void Monitor(CliBuilder b, string v)
    {
        b.DefaultMonitor = false;
        if (v != "none") b.Monitors.Add(v);
    }

    private static void None(string option, string v, string what)
    {
        if (v != "none") throw new KeyValueException($"not supported: rivet has no {what} (only {option} none)");
    }

    private static void Log(CliBuilder b, string v)
    {
        if (v is "help" or "?")
        {
            b.PrintAndExit(PluginOptions.LogHelp);
            return;
        }
        if (!b.Plugins.AddLogItems(v))
        {
            // As QEMU: an item it does not know prints the list of items, and the exit code is 1.
            b.PrintAndExit(PluginOptions.LogHelp);
            b.PrintExitCode = 1;
        }
    }

    /// <summary>
    /// -qmp DEV: a listening socket (unix:PATH,server / tcp:HOST:PORT,server) is the QMP server's
    /// own listener, with its messages; anything else is a character device in QEMU's short form
    /// (stdio, pipe:P, file:F, null, unix:PATH or tcp:HOST:PORT connecting) carrying one session,
    /// named compat_monitorN as QEMU names it.
    /// </summary>
    private static void Qmp(CliBuilder b, string v, bool pretty)
    {
        b.DefaultMonitor = false;
        string origin = $"-qmp{(pretty ? "-pretty" : "")} {v}";
        string id = $"compat_monitor{b.CompatMonitors}";
        bool socket = v.StartsWith("unix:", StringComparison.Ordinal) || v.StartsWith("tcp:", StringComparison.Ordinal);
        ChardevSpec? spec = null;
        try
        {
            spec = ChardevSpec.ParseShort(v, id, origin);
        }
        catch (KeyValueException) when (socket)
        {
            // QmpEndpoint's message below says what is wrong with the address
        }
        if (socket && (spec == null || spec.Server))
        {
            try
            {
                b.Qmp.Add(Rivet.Qmp.QmpEndpoint.Parse(v) with { Pretty = pretty });
            }
            catch (FormatException ex) when (ex is not KeyValueException)
            {
                throw new KeyValueException(ex.Message);
            }
            return;
        }
        spec ??= ChardevSpec.ParseShort(v, id, origin);
        if (spec.Mux) throw new KeyValueException("QMP on a multiplexed character device (mon:) is not supported by rivet yet");
        b.CompatMonitors++;
        b.Chardevs.Add(spec);
        b.QmpChardevs.Add(new QmpChardev(id, origin, pretty));
    }

    /// <summary>QEMU's -name NAME[,process=P][,debug-threads=on|off] (also guest=NAME); ",," is a comma.</summary>
    private static string Name(string v)
    {
        var kv = KeyValueOptions.Parse(v, "guest");
        foreach (var (key, value) in kv.Pairs)
        {
            if (key == "debug-threads") KeyValueOptions.ParseBool(key, value);
            else if (key is not ("guest" or "process")) throw new KeyValueException($"unsupported option '{key}={value}'");
        }
        string? name = kv.Get("guest");
        if (string.IsNullOrEmpty(name)) throw new KeyValueException("the name is empty");
        return name;
    }

    private static TimeSpan ShutdownTimeout(string v)
    {
        // Finite and in range: NaN and Infinity parse as doubles but are no timeout.
        if (!double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || !double.IsFinite(s) || s <= 0 || s > 3600)
            throw new KeyValueException("expected seconds between 0 and 3600");
        return TimeSpan.FromSeconds(s);
    }
}
