using System.Globalization;
using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Cli;

/// <summary>A command-line mistake: the message is printed as one line, exit code 1.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>What the user asked for.</summary>
internal sealed record CliOptions
{
    public MachineConfig Machine { get; init; } = new();
    public bool ShowHelp { get; init; }
    public bool ShowVersion { get; init; }
    public bool Demo { get; init; }
    /// <summary>-plugin, -d plugin, -D FILE.</summary>
    public PluginOptions Plugins { get; init; } = new();
    /// <summary>-qmp: the QMP monitor's listening sockets.</summary>
    public IReadOnlyList<Rivet.Qmp.QmpEndpoint> Qmp { get; init; } = [];
    /// <summary>-name: the guest name query-name reports.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// The QEMU-compatible subset of qemu-system-riscv64's command line. Options take one dash or
/// two, as QEMU's do; values follow as the next argument.
/// </summary>
internal static class CommandLine
{
    public const string Version = "0.1.0";

    public static string HelpText => """
        usage: rivet [options]
        Rivet: a multi-core RISC-V (RV64) system emulator with a QEMU-compatible command line.
        With no options it runs a built-in demo guest on 4 harts.

        -machine virt | -M virt    the QEMU 'virt' board (the only one)
        -smp N                     number of harts (1..512; also cpus=N)
        -m SIZE                    RAM size, e.g. 128M, 1G (default 128M; plain numbers are MiB)
        -bios none|FILE            firmware: none (default) or an ELF/raw image loaded at 0x80000000
        -kernel FILE               ELF executable loaded at its segment addresses
        -nographic                 no display; serial port on standard input/output
        -serial stdio              serial port on standard input/output (the default)
        -display none              no display (the default)
        -no-reboot                 exit instead of resetting when the guest resets
        -no-shutdown               pause instead of exiting when the guest shuts down
        -S                         start paused (prelaunch)
        -qmp unix:PATH,server[,wait=off] | -qmp tcp:HOST:PORT,server[,wait=off]
                                   QMP monitor (docs/QMP.md); wait=on (the default) waits for
                                   the first client before the machine runs; repeatable
        -name NAME                 the guest name (query-name)
        -plugin NAME|PATH[,key=value...]
                                   load a plugin: a built-in (hotblocks, hotpages, idle, insn,
                                   stoptrigger, timeline) or a plugin assembly (.dll) by path;
                                   repeatable (docs/PLUGINS.md)
        -d plugin                  show plugin output on standard error
        -D FILE                    with -d plugin: write plugin output to FILE instead
        -shutdown-timeout SECONDS  bound on shutdown; stuck vCPU threads are abandoned
                                   after it and rivet exits with code 125 (default 3)
        -version                   print the version and exit
        -help | -h                 print this help and exit

        Exit codes: 0 guest pass or host request (signal); the guest's code on failure;
        1 start-up error; 125 shutdown abandoned a stuck vCPU thread; 130 second SIGINT.
        """;

    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0) return new CliOptions { Demo = true, Machine = new MachineConfig { Harts = 4 } };

        MachineConfig m = new();
        bool help = false, version = false, noShutdown = false, noReboot = false;
        TimeSpan? shutdownTimeout = null;
        var plugins = new PluginOptions();
        List<Rivet.Qmp.QmpEndpoint> qmp = [];
        string? guestName = null;
        for (int i = 0; i < args.Count; i++)
        {
            string raw = args[i];
            if (!raw.StartsWith('-') || raw == "-" || raw == "--")
                throw new UsageException($"{raw}: invalid option (rivet takes no positional arguments; use -kernel FILE)");
            string opt = raw.StartsWith("--") ? raw[1..] : raw;
            string Value()
            {
                if (i + 1 >= args.Count) throw new UsageException($"{raw}: requires an argument");
                return args[++i];
            }
            switch (opt)
            {
                case "-h" or "-help": help = true; break;
                case "-version": version = true; break;
                case "-machine" or "-M":
                    {
                        string v = Value();
                        string name = v.Split(',')[0];
                        if (name.StartsWith("type=")) name = name[5..];
                        if (name != "virt")
                            throw new UsageException($"-machine {v}: unsupported machine type '{name}' (only 'virt')");
                        foreach (string prop in v.Split(',').Skip(1))
                        {
                            if (prop is not ("aclint=off" or "aia=none"))
                                throw new UsageException($"-machine {v}: unsupported property '{prop}'");
                        }
                        break;
                    }
                case "-smp": m = m with { Harts = ParseSmp(Value()) }; break;
                case "-m": m = m with { RamSize = ParseMemory(Value()) }; break;
                case "-bios":
                    {
                        string v = Value();
                        if (v == "default")
                            throw new UsageException("-bios default: built-in firmware is not available yet; use -bios none or -bios FILE");
                        m = m with { Bios = v };
                        break;
                    }
                case "-kernel": m = m with { Kernel = Value() }; break;
                case "-nographic": break;
                case "-serial":
                    {
                        string v = Value();
                        if (v is not ("stdio" or "mon:stdio"))
                            throw new UsageException($"-serial {v}: unsupported character device (only stdio)");
                        break;
                    }
                case "-display":
                    {
                        string v = Value();
                        if (v != "none") throw new UsageException($"-display {v}: unsupported display (only none)");
                        break;
                    }
                case "-no-reboot": noReboot = true; break;
                case "-no-shutdown": noShutdown = true; break;
                case "-S": m = m with { StartPaused = true }; break;
                case "-plugin": plugins.Specs.Add(Value()); break;
                case "-d": plugins.AddLogItems(Value()); break;
                case "-D": plugins.LogFile = Value(); break;
                case "-qmp": qmp.Add(ParseQmp(Value())); break;
                case "-name": guestName = ParseName(Value()); break;
                case "-shutdown-timeout":
                    {
                        string v = Value();
                        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || s <= 0 || s > 3600)
                            throw new UsageException($"-shutdown-timeout {v}: expected seconds between 0 and 3600");
                        shutdownTimeout = TimeSpan.FromSeconds(s);
                        break;
                    }
                default:
                    throw new UsageException($"{raw}: invalid option");
            }
        }
        if (help || version) return new CliOptions { ShowHelp = help, ShowVersion = version && !help };
        if (m.Kernel == null && (m.Bios == null || m.Bios == "none"))
            throw new UsageException("no guest given: use -kernel FILE (or run rivet without options for the demo)");
        var lifecycle = m.Lifecycle with { NoReboot = noReboot, NoShutdown = noShutdown };
        if (shutdownTimeout is TimeSpan t) lifecycle = lifecycle with { ShutdownTimeout = t };
        return new CliOptions { Machine = m with { Lifecycle = lifecycle }, Qmp = qmp, Name = guestName, Plugins = plugins };
    }

    private static Rivet.Qmp.QmpEndpoint ParseQmp(string v)
    {
        try
        {
            return Rivet.Qmp.QmpEndpoint.Parse(v);
        }
        catch (FormatException ex)
        {
            throw new UsageException($"-qmp {v}: {ex.Message}");
        }
    }

    /// <summary>QEMU's -name NAME[,process=P][,debug-threads=on|off] (also guest=NAME); ",," is a comma.</summary>
    private static string ParseName(string v)
    {
        string? name = null;
        foreach (string part in v.Replace(",,", "\0", StringComparison.Ordinal).Split(',').Select(p => p.Replace("\0", ",", StringComparison.Ordinal)))
        {
            if (part.StartsWith("guest=", StringComparison.Ordinal)) name = part[6..];
            else if (part.StartsWith("process=", StringComparison.Ordinal) || part is "debug-threads=on" or "debug-threads=off") continue;
            else if (name == null && !part.Contains('=')) name = part;
            else throw new UsageException($"-name {v}: unsupported option '{part}'");
        }
        if (string.IsNullOrEmpty(name)) throw new UsageException($"-name {v}: the name is empty");
        return name;
    }

    private static int ParseSmp(string v)
    {
        string count = v;
        foreach (string part in v.Split(','))
        {
            if (part.StartsWith("cpus=")) count = part[5..];
            else if (part.Contains('=')) continue; // sockets=, cores=, threads=, maxcpus= are topology hints
            else count = part;
        }
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new UsageException($"-smp {v}: invalid number of CPUs");
        if (n < 1) throw new UsageException($"-smp {v}: the number of CPUs must be at least 1");
        if (n > MachineConfig.MaxHarts)
            throw new UsageException($"-smp {v}: Invalid SMP CPUs {n}. The max CPUs supported by machine 'virt' is {MachineConfig.MaxHarts}");
        return n;
    }

    /// <summary>QEMU's size syntax: a number with an optional K/M/G/T suffix; no suffix means MiB.</summary>
    internal static ulong ParseMemory(string v)
    {
        string s = v.StartsWith("size=") ? v[5..] : v;
        if (s.Length == 0) throw new UsageException($"-m {v}: invalid RAM size");
        ulong unit = 1UL << 20;
        char last = char.ToUpperInvariant(s[^1]);
        if (char.IsLetter(last))
        {
            unit = last switch
            {
                'B' => 1,
                'K' => 1UL << 10,
                'M' => 1UL << 20,
                'G' => 1UL << 30,
                'T' => 1UL << 40,
                _ => 0,
            };
            if (unit == 0) throw new UsageException($"-m {v}: invalid RAM size suffix '{s[^1]}'");
            s = s[..^1];
        }
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) || amount <= 0)
            throw new UsageException($"-m {v}: invalid RAM size");
        double bytes = amount * unit;
        const double max = 64.0 * (1UL << 30);
        if (bytes < 1 << 20) throw new UsageException($"-m {v}: RAM size must be at least 1 MiB");
        if (bytes > max) throw new UsageException($"-m {v}: RAM size above the supported 64 GiB");
        ulong result = (ulong)bytes;
        if (result % 4096 != 0) throw new UsageException($"-m {v}: RAM size must be a multiple of 4 KiB");
        return result;
    }
}
