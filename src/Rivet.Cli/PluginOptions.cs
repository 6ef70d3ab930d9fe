using Rivet.Plugins.Hosting;

namespace Rivet.Cli;

/// <summary>
/// <c>-plugin</c>, <c>-d</c> and <c>-D</c> as QEMU has them: plugins to load (repeatable), and
/// where their output goes (<c>-d plugin</c> to standard error, with <c>-D FILE</c> to that file;
/// without <c>-d plugin</c> it is dropped).
/// </summary>
internal sealed class PluginOptions
{
    /// <summary>The -plugin values in order: <c>NAME_OR_PATH[,key=value...]</c>.</summary>
    public List<string> Specs { get; } = [];

    /// <summary>-d plugin: show plugin output.</summary>
    public bool LogPlugin { get; set; }

    /// <summary>-D FILE: the log file.</summary>
    public string? LogFile { get; set; }

    /// <summary>-d help: the log items Rivet has, in QEMU's format.</summary>
    public const string LogHelp = """
        Log items (comma separated):
        plugin          output from TCG plugins

        """;

    /// <summary>-d ITEM[,ITEM...]: only 'plugin' is supported.</summary>
    public void AddLogItems(string v)
    {
        foreach (string item in v.Split(','))
        {
            if (item == "plugin") LogPlugin = true;
            else throw new UsageException($"-d {v}: unsupported log item '{item}' (rivet supports only 'plugin')");
        }
    }
}

/// <summary>Loads the -plugin options into a machine before it starts.</summary>
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
    /// as without plugins); throws <see cref="UsageException"/> with the one line to print.
    /// </summary>
    public static CliPlugins Load(PluginOptions options, Machine.Machine machine)
    {
        if (options.Specs.Count == 0) return new CliPlugins(null, false);
        TextWriter? log = null;
        bool owns = false;
        if (options.LogPlugin && options.LogFile != null)
        {
            try
            {
                log = new StreamWriter(new FileStream(options.LogFile, FileMode.Create, FileAccess.Write, FileShare.Read));
                owns = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UsageException($"-D {options.LogFile}: cannot open the log file: {ex.Message}");
            }
        }
        else if (options.LogPlugin)
        {
            log = Console.Error;
        }
        var plugins = new CliPlugins(log, owns);
        EndWithExit = true;
        AppDomain.CurrentDomain.UnhandledException += plugins.OnUnhandledException;
        try
        {
            var host = new PluginHost(machine, log);
            foreach (string spec in options.Specs) host.Load(spec);
        }
        catch (PluginLoadException ex)
        {
            plugins.Dispose();
            throw new UsageException(ex.Message.ReplaceLineEndings(" "));
        }
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
