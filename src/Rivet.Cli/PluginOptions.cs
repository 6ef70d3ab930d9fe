using Rivet.Cpu;
using Rivet.Plugins.Hosting;

namespace Rivet.Cli;

/// <summary>
/// <c>-plugin</c>, <c>-d</c> and <c>-D</c> as QEMU has them: plugins to load (repeatable), the
/// log items, and where the log goes (standard error, or the <c>-D FILE</c>; plugin output only
/// with <c>-d plugin</c>, as QEMU).
/// </summary>
internal sealed class PluginOptions
{
    /// <summary>The -plugin values in order: <c>NAME_OR_PATH[,key=value...]</c>.</summary>
    public List<string> Specs { get; } = [];

    /// <summary>-d plugin: show plugin output.</summary>
    public bool LogPlugin { get; set; }

    /// <summary>The other -d items.</summary>
    public LogItems Items { get; set; }

    /// <summary>-D FILE: the log file.</summary>
    public string? LogFile { get; set; }

    /// <summary>-d help: the log items Rivet has, in QEMU's format and QEMU's words.</summary>
    public const string LogHelp = """
        Log items (comma separated):
        in_asm          show target assembly code for each compiled TB
        int             show interrupts/exceptions in short format
        exec            show trace before each executed TB (lots of logs)
        cpu             show CPU registers before entering a TB (lots of logs)
        fpu             include FPU registers in the 'cpu' logging
        mmu             log MMU-related activities
        unimp           log unimplemented functionality
        guest_errors    log when the guest OS does something invalid (eg accessing a
        non-existent register)
        nochain         do not chain compiled TBs so that "exec" and "cpu" show
        complete traces
        plugin          output from TCG plugins

        """;

    /// <summary>QEMU's items that Rivet has no way to produce, and why (one line each).</summary>
    private static readonly Dictionary<string, string> Unsupported = new()
    {
        ["out_asm"] = "rivet generates no host code (it interprets)",
        ["op"] = "rivet has no TCG micro ops",
        ["op_opt"] = "rivet has no TCG micro ops",
        ["op_ind"] = "rivet has no TCG micro ops",
        ["pcall"] = "it is x86 only",
        ["cpu_reset"] = "rivet does not log resets yet",
        ["page"] = "it is for user-mode emulation",
        ["strace"] = "it is for user-mode emulation",
        ["tid"] = "rivet writes one log",
    };

    /// <summary>
    /// -d ITEM[,ITEM...]. False for a name QEMU does not know either (the caller prints the list,
    /// as QEMU); throws <see cref="UsageException"/> for QEMU's items that Rivet cannot provide.
    /// </summary>
    public bool AddLogItems(string v)
    {
        foreach (string item in v.Split(','))
        {
            switch (item)
            {
                case "plugin": LogPlugin = true; break;
                case "int": Items |= LogItems.Int; break;
                case "guest_errors": Items |= LogItems.GuestErrors; break;
                case "unimp": Items |= LogItems.Unimp; break;
                case "in_asm": Items |= LogItems.InAsm; break;
                case "exec": Items |= LogItems.Exec; break;
                case "cpu": Items |= LogItems.Cpu; break;
                case "fpu": Items |= LogItems.Fpu; break;
                case "mmu": Items |= LogItems.Mmu; break;
                case "all": Items |= LogItems.Int | LogItems.GuestErrors | LogItems.Unimp | LogItems.PerBlock | LogItems.Fpu | LogItems.Mmu; LogPlugin = true; break; // QEMU's unlisted 'all': every item Rivet has
                case "nochain": break; // rivet never chains blocks: exec and cpu always see every block
                default:
                    if (Unsupported.TryGetValue(item, out string? why))
                        throw new UsageException($"-d {item}: not supported: {why}");
                    if (item.StartsWith("trace:", StringComparison.Ordinal))
                        throw new UsageException($"-d {item}: not supported: rivet has no trace events");
                    return false;
            }
        }
        return true;
    }
}

/// <summary>Loads the -plugin options and the -d items into a machine before it starts.</summary>
internal sealed class CliPlugins : IDisposable
{
    private readonly TextWriter? _log;
    private readonly bool _ownsLog;

    private CliPlugins(TextWriter? log, bool ownsLog)
    {
        _log = log;
        _ownsLog = ownsLog;
    }

    /// <summary>
    /// Installs every -plugin (nothing at all when there are none, so the machine runs exactly
    /// as without plugins), then the -d items; throws <see cref="UsageException"/> with the one
    /// line to print.
    /// </summary>
    public static CliPlugins Load(PluginOptions options, Machine.Machine machine)
    {
        bool wantsLog = options.Items != LogItems.None || (options.LogPlugin && options.Specs.Count > 0);
        if (!wantsLog && options.Specs.Count == 0) return new CliPlugins(null, false);
        TextWriter? log = null;
        bool owns = false;
        if (wantsLog && options.LogFile != null)
        {
            try
            {
                // Plugins and harts write from their own threads: each Write is one whole message.
                log = TextWriter.Synchronized(new StreamWriter(new FileStream(options.LogFile, FileMode.Create, FileAccess.Write, FileShare.Read)));
                owns = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UsageException($"-D {options.LogFile}: cannot open the log file: {ex.Message}");
            }
        }
        else if (wantsLog)
        {
            log = Console.Error;
        }
        var plugins = new CliPlugins(log, owns);
        if (options.Specs.Count == 0)
        {
            machine.AttachLog(new GuestLog(log!, options.Items));
            return plugins;
        }
        EndWithExit = true;
        AppDomain.CurrentDomain.UnhandledException += plugins.OnUnhandledException;
        try
        {
            var host = new PluginHost(machine, options.LogPlugin ? log : null);
            foreach (string spec in options.Specs) host.Load(spec);
        }
        catch (PluginLoadException ex)
        {
            plugins.Dispose();
            throw new UsageException(ex.Message.ReplaceLineEndings(" "));
        }
        // After the plugins, so per-block items wrap their instrumentation.
        if (options.Items != LogItems.None) machine.AttachLog(new GuestLog(log!, options.Items));
        return plugins;
    }

    /// <summary>
    /// Set once a plugin may have run code (even one that then failed to install): a foreground
    /// thread it started must not keep the process alive, so Program ends it with Environment.Exit.
    /// </summary>
    public static bool EndWithExit { get; private set; }

    private int _failed, _disposed;

    /// <summary>
    /// An exception nobody caught on a plugin's own thread: one line naming the plugin, and exit
    /// code <see cref="Rivet.Machine.ExitCodes.PluginThreadFailed"/>. The runtime aborts the process
    /// (a stack trace and SIGABRT) as soon as this handler returns, so it exits first; exceptions
    /// that are not a plugin's are rivet's own bugs and keep the runtime's report.
    /// </summary>
    private void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        if (e.ExceptionObject is not Exception ex || PluginHost.OwnerOfUnhandledException(ex) is not { } plugin) return;
        if (Interlocked.Exchange(ref _failed, 1) == 0)
        {
            Console.Error.WriteLine(
                $"rivet: plugin '{plugin}' thread '{Thread.CurrentThread.Name ?? "unnamed"}' threw {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}; ending the run (exit code {Rivet.Machine.ExitCodes.PluginThreadFailed})");
            Console.Error.Flush();
            Dispose();
        }
        Environment.Exit(Rivet.Machine.ExitCodes.PluginThreadFailed);
    }

    /// <summary>Flushes the plugin log (after the machine exited) and closes a -D file.</summary>
    public void Dispose()
    {
        if (_log == null || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            _log.Flush();
            if (_ownsLog) _log.Dispose();
        }
        catch (IOException)
        {
            // the log's disk is full or gone: nothing more to say
        }
    }
}
