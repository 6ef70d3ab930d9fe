using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Rivet.Cpu;
using Rivet.Machine;

namespace Rivet.Plugins.Hosting;

/// <summary>A plugin could not be loaded or installed: the message is one line for the user (exit code 1).</summary>
/// <param name="message">What went wrong, naming the plugin.</param>
public sealed class PluginLoadException(string message) : Exception(message);

/// <summary>
/// Loads plugins into one machine before it starts and dispatches their callbacks
/// (docs/PLUGINS.md). With no plugin installed it attaches nothing, so the machine runs exactly
/// as without a host: the plain interpreter, no hooks.
/// </summary>
/// <remarks>
/// Wiring, done as the first plugin that needs it is installed: block instrumentation sets
/// every hart's <see cref="Hart.Instrumentation"/> (the instrumented interpreter); idle and
/// resume callbacks wrap <see cref="Controller.Hooks"/> (composing with a hook already there);
/// vCPU init callbacks are queued as run-on-vCPU work, so they run on each vCPU's thread before
/// it runs guest code; vCPU exit and at-exit callbacks become <see cref="Controller.AtExit"/>,
/// which the shutdown sequence runs on an exit thread once every vCPU is paused, joined by the
/// shutdown deadline.
/// Containment: every call into a plugin is wrapped; an exception is reported once (plugin,
/// callback kind, vCPU) on the machine's diagnostics and that plugin's callbacks of that kind are
/// disabled. vCPU lifecycle callbacks and block translation are named with
/// <see cref="VCpu.EnterCallback"/> so a hang report says which plugin a stuck vCPU is inside.
/// </remarks>
public sealed partial class PluginHost
{
    private static readonly ConditionalWeakTable<Machine.Machine, PluginHost> s_hosts = new();

    [ThreadStatic] private static Hart? t_exitHart; // the vCPU whose exit callbacks run on this thread

    private readonly Machine.Machine _machine;
    private readonly Controller _controller;
    private readonly Hart[] _harts;
    private readonly TextWriter? _output;
    private readonly object _outputLock = new();
    private readonly List<string> _names = [];

    // Committed registrations, in install order. Only appended to before the machine starts;
    // read without a lock afterwards.
    internal Registration<VCpuCallback>[] Exit = [];
    internal Registration<VCpuCallback>[] Idle = [];
    internal Registration<VCpuCallback>[] Resume = [];
    internal Registration<BlockTranslatedCallback>[] Translated = [];
    internal Registration<AtExitCallback>[] AtExit = [];

    private bool _hooksAttached, _instrumentationAttached, _exitAttached;
    private readonly List<(Thread Thread, PluginContext Plugin)> _threads = []; // threads plugins started; guarded by itself
    private volatile CallbackSite? _exitCurrent; // the exit callback running, for the abandon report
    private long _exitSince;

    /// <summary>A host for <paramref name="machine"/>, which must not have started. One per machine.</summary>
    /// <param name="machine">The machine.</param>
    /// <param name="output">Where plugin output goes (<c>-d plugin</c>); null drops it, as QEMU does without <c>-d plugin</c>.</param>
    public PluginHost(Machine.Machine machine, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        if (!s_hosts.TryAdd(machine, this)) throw new InvalidOperationException("the machine already has a plugin host");
        _machine = machine;
        _controller = machine.Controller;
        _harts = machine.Board.Harts;
        _output = output;
    }

    /// <summary>The built-in plugins' names (for <c>-plugin NAME</c>).</summary>
    public static IReadOnlyList<string> BuiltinNames => Builtin.BuiltinPlugins.Names;

    /// <summary>The installed plugins' names, in install order.</summary>
    public IReadOnlyList<string> Plugins => _names;

    internal Machine.Machine Machine => _machine;
    internal Controller Controller => _controller;
    internal int VCpuCount => _harts.Length;
    internal bool OutputEnabled => _output != null;
    internal TextWriter Diagnostics => _machine.Diagnostics;

    /// <summary>
    /// Loads and installs a plugin from a <c>-plugin</c> option: <c>NAME_OR_PATH[,key=value...]</c>
    /// (or <c>file=PATH,...</c>). A bare name selects a built-in; a path to a <c>.dll</c> loads a
    /// plugin assembly in its own load context, sharing Rivet.Plugins.Api with the host.
    /// </summary>
    /// <param name="spec">The option's value.</param>
    /// <exception cref="PluginLoadException">The plugin cannot be loaded, has no entry point, targets an incompatible API version or rejects its arguments.</exception>
    /// <exception cref="InvalidOperationException">The machine has already started.</exception>
    public void Load(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        EnsureNotStarted();
        (IRivetPlugin plugin, string name, PluginArgs args) = PluginLoader.Resolve(spec);
        Install(plugin, name, args);
    }

    /// <summary>Installs a plugin instance (tests, embedders) under <paramref name="name"/>.</summary>
    /// <param name="plugin">The plugin; its class must carry <see cref="RivetPluginAttribute"/>.</param>
    /// <param name="name">The name used in its output and in reports.</param>
    /// <param name="args">Its arguments; none if null.</param>
    /// <exception cref="PluginLoadException">It targets an incompatible API version, rejects its arguments or fails to install.</exception>
    /// <exception cref="InvalidOperationException">The machine has already started.</exception>
    public void Install(IRivetPlugin plugin, string name, PluginArgs? args = null)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentException.ThrowIfNullOrEmpty(name);
        EnsureNotStarted();
        CheckApiVersion(plugin.GetType(), $"plugin '{name}'");
        var context = new PluginContext(this, name);
        PluginContext? outer = PluginThreads.Enter(context);
        try
        {
            plugin.Install(context, args ?? PluginArgs.Empty);
        }
        catch (PluginArgumentException ex)
        {
            throw new PluginLoadException($"plugin '{name}': {ex.Message}");
        }
        catch (Exception ex) when (ex is not PluginLoadException)
        {
            throw new PluginLoadException($"plugin '{name}': installation failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            PluginThreads.Leave(outer);
            context.Installing = false;
        }
        Commit(context);
    }

    /// <summary>Refuses a plugin class without <see cref="RivetPluginAttribute"/> or outside the supported API versions.</summary>
    internal static void CheckApiVersion(Type type, string what)
    {
        RivetPluginAttribute? attribute = type.GetCustomAttribute<RivetPluginAttribute>();
        if (attribute == null)
        {
            throw new PluginLoadException($"{what}: class {type.FullName} does not declare the plugin API version it targets (add [RivetPlugin(PluginApi.Version)])");
        }
        if (attribute.ApiVersion < PluginApi.MinimumVersion || attribute.ApiVersion > PluginApi.Version)
        {
            string supported = PluginApi.MinimumVersion == PluginApi.Version ? $"{PluginApi.Version}" : $"{PluginApi.MinimumVersion} to {PluginApi.Version}";
            throw new PluginLoadException($"{what}: class {type.FullName} targets plugin API version {attribute.ApiVersion}; this rivet supports version {supported}");
        }
    }

    private void EnsureNotStarted()
    {
        if (_controller.VCpus.Any(v => v.Thread != null))
            throw new InvalidOperationException("plugins must be installed before the machine starts");
    }

    /// <summary>Makes an installed plugin's registrations live; wires the machine on first need.</summary>
    private void Commit(PluginContext p)
    {
        if (p.Observer != null && _controller.Observer != null)
            throw new PluginLoadException($"plugin '{p.Name}': only one plugin per machine may observe the lifecycle (timeline)");
        _names.Add(p.Name);
        Merge(p);
        if (p.Observer != null) _controller.Observer = p.Observer;
        if (p.MachineEvents != null) _machine.Event += p.MachineEvents;
    }

    /// <summary>Adds a plugin's registrations to the live ones and wires what they need (at install, or with every vCPU stopped after a reset).</summary>
    private void Merge(PluginContext p)
    {
        Exit = [.. Exit, .. p.Exit];
        Idle = [.. Idle, .. p.Idle];
        Resume = [.. Resume, .. p.Resume];
        Translated = [.. Translated, .. p.Translated];
        AtExit = [.. AtExit, .. p.AtExit];

        if (p.Init.Count > 0)
        {
            Registration<VCpuCallback>[] init = [.. p.Init];
            // Queued work runs on the vCPU's thread before anything else it does, even under -S.
            for (int i = 0; i < _harts.Length; i++)
            {
                int hart = i; // under -icount every hart's init runs on the one vCPU, as that hart's
                _controller.VCpuOfHart(hart).Post(new WorkItem(_ => RunVCpuCallbacks(init, hart)) { Hart = hart });
            }
        }
        if ((Idle.Length > 0 || Resume.Length > 0) && !_hooksAttached)
        {
            _controller.Hooks = new PluginVCpuHooks(_controller.Hooks, this);
            _hooksAttached = true;
        }
        if (Translated.Length > 0 && !_instrumentationAttached)
        {
            var instrumentation = new PluginInstrumentation(this, _harts);
            foreach (Hart h in _harts) h.Instrumentation = instrumentation;
            _instrumentationAttached = true;
        }
        if ((Exit.Length > 0 || AtExit.Length > 0) && !_exitAttached)
        {
            Func<long, bool>? previous = _controller.AtExit;
            _controller.AtExit = previous == null ? RunExitCallbacks : deadline => previous(deadline) & RunExitCallbacks(deadline);
            _exitAttached = true;
        }
        // Any plugin may start threads of its own.
        _controller.JoinPluginThreads ??= JoinPluginThreads;
        MergeControl(p);
    }

    // ---- dispatch ----

    /// <summary>Runs vCPU callbacks on the calling vCPU thread, each named for hang reports and contained.</summary>
    internal static void RunVCpuCallbacks(Registration<VCpuCallback>[] list, int cpu)
    {
        VCpu? v = VCpu.Current;
        foreach (Registration<VCpuCallback> r in list)
        {
            if (r.Site.Disabled) continue;
            v?.EnterCallback(r.Site.HangName);
            PluginContext? outer = PluginThreads.Enter(r.Plugin);
            try
            {
                r.Callback(cpu);
            }
            catch (Exception ex)
            {
                r.Site.Fail(cpu, ex);
            }
            finally
            {
                PluginThreads.Leave(outer);
                v?.LeaveCallback();
            }
        }
    }

    /// <summary>Records a thread a plugin's code started (<see cref="PluginThreads"/>).</summary>
    internal void TrackThread(Thread thread, PluginContext plugin)
    {
        lock (_threads)
        {
            _threads.Add((thread, plugin));
        }
    }

    /// <summary>
    /// The foreground threads plugins started must end by the shutdown deadline (an at-exit callback
    /// is where a plugin tells them to): each still running then is reported and abandoned, false.
    /// The CLI ends the process with Environment.Exit, so such a thread cannot keep it alive.
    /// Background threads end with the process and are not waited for.
    /// </summary>
    private bool JoinPluginThreads(long deadline)
    {
        (Thread Thread, PluginContext Plugin)[] threads;
        lock (_threads)
        {
            threads = [.. _threads];
        }
        bool ended = true;
        foreach ((Thread t, PluginContext p) in threads)
        {
            if (!PluginThreads.IsLiveForeground(t) || HostSync.Join(t, deadline) || !PluginThreads.IsLiveForeground(t)) continue;
            Diagnostics.WriteLine($"rivet: plugin '{p.Name}' thread '{t.Name ?? "unnamed"}' (a foreground thread it started) was still running at the shutdown deadline; abandoned");
            ended = false;
        }
        if (!ended) Diagnostics.Flush();
        return ended;
    }

    /// <summary>
    /// The plugin an unhandled exception on a plugin's thread belongs to, or null if it is not a
    /// plugin's (see <see cref="PluginThreads.Owner"/>).
    /// </summary>
    internal static string? OwnerOfUnhandledException(Exception ex) => PluginThreads.Owner(ex);

    /// <summary>
    /// The shutdown sequence's plugin step (every vCPU paused): vCPU exit callbacks, then at-exit
    /// callbacks, on a thread of their own joined by <paramref name="deadline"/>, so a callback
    /// that never returns cannot hold up exit; false (and a report) if it had to be abandoned.
    /// </summary>
    private bool RunExitCallbacks(long deadline)
    {
        Thread t = HostSync.StartThread("plugin-exit", () =>
        {
            for (int cpu = 0; cpu < _harts.Length; cpu++)
            {
                t_exitHart = _harts[cpu];
                foreach (Registration<VCpuCallback> r in Exit) RunExitCallback(r.Site, r.Plugin, () => r.Callback(cpu), cpu);
            }
            t_exitHart = null;
            foreach (Registration<AtExitCallback> r in AtExit) RunExitCallback(r.Site, r.Plugin, () => r.Callback(), -1);
            _exitCurrent = null;
        });
        if (HostSync.Join(t, deadline)) return true;
        CallbackSite? stuck = _exitCurrent;
        Diagnostics.WriteLine(stuck == null
            ? "rivet: plugins' exit callbacks did not run before the shutdown deadline; abandoned"
            : $"rivet: {stuck.HangName} callback did not return within the shutdown deadline (inside it for {HostSync.SecondsSince(Volatile.Read(ref _exitSince)):F3} s); abandoned");
        Diagnostics.Flush();
        return false;
    }

    private void RunExitCallback(CallbackSite site, PluginContext plugin, Action call, int cpu)
    {
        if (site.Disabled) return;
        Volatile.Write(ref _exitSince, Stopwatch.GetTimestamp());
        _exitCurrent = site;
        PluginContext? outer = PluginThreads.Enter(plugin);
        try
        {
            call();
        }
        catch (Exception ex)
        {
            site.Fail(cpu, ex);
        }
        finally
        {
            PluginThreads.Leave(outer);
        }
    }

    // ---- services for contexts ----

    /// <summary>The hart whose vCPU callback is running on this thread; throws outside vCPU callbacks.</summary>
    internal Hart CurrentHart(PluginContext p, string what)
    {
        VCpu? v = VCpu.Current;
        if (v != null && v.CurrentHart is int i && i < _harts.Length && ReferenceEquals(_controller.VCpuOfHart(i), v)) return _harts[i];
        if (t_exitHart is { } h && Array.IndexOf(_harts, h) >= 0) return h;
        throw new InvalidOperationException(
            $"plugin '{p.Name}': {what} is only valid inside a vCPU callback (vCPU init, exit, idle or resume, block translated, execute or memory), not on thread '{Thread.CurrentThread.Name ?? "unnamed"}'");
    }

    internal string RequestSource(PluginContext p)
        => VCpu.Current is { } v ? $"plugin '{p.Name}' (vcpu-{v.CurrentHart})" : $"plugin '{p.Name}'";

    internal void Write(string text)
    {
        if (_output == null) return;
        lock (_outputLock)
        {
            _output.Write(text);
        }
    }

    internal Scoreboard NewScoreboard() => new(_harts.Length, this);

    internal void CheckScoreboard(Scoreboard scoreboard)
    {
        ArgumentNullException.ThrowIfNull(scoreboard);
        if (!ReferenceEquals(scoreboard.Owner, this)) throw new ArgumentException("the scoreboard belongs to another machine", nameof(scoreboard));
    }
}

/// <summary>A registered callback, the containment site it reports through and its plugin.</summary>
internal sealed record Registration<T>(T Callback, CallbackSite Site, PluginContext Plugin);

/// <summary>
/// One plugin's callbacks of one kind: named for hang reports, disabled (and reported once) when
/// one of them throws.
/// </summary>
internal sealed class CallbackSite(string plugin, string kind, TextWriter diagnostics)
{
    private volatile bool _disabled;
    private int _reported;

    public string Plugin => plugin;
    public string Kind => kind;

    /// <summary>What a vCPU inside this callback shows in a hang report, e.g. <c>plugin 'idle' vcpu-idle</c>.</summary>
    public string HangName { get; } = $"plugin '{plugin}' {kind}";

    public bool Disabled => _disabled;

    /// <summary>Disables the site without a report: its plugin was reset or uninstalled.</summary>
    public void Drop() => _disabled = true;

    /// <summary>Disables the site and reports the first failure; later ones (other vCPUs racing) stay quiet.</summary>
    public void Fail(int vcpu, Exception ex)
    {
        _disabled = true;
        if (Interlocked.Exchange(ref _reported, 1) != 0) return;
        string where = vcpu >= 0 ? $" on vCPU {vcpu}" : "";
        diagnostics.WriteLine($"rivet: {HangName} callback threw {ex.GetType().Name}{where}: {ex.Message.ReplaceLineEndings(" ")}; plugin '{plugin}' {kind} callbacks are disabled, the machine carries on");
    }
}

/// <summary>The plugins' idle and resume callbacks, after any hook that was there before.</summary>
internal sealed class PluginVCpuHooks(IVCpuHooks? inner, PluginHost host) : IVCpuHooks
{
    public void OnIdle(int cpuIndex)
    {
        try
        {
            inner?.OnIdle(cpuIndex);
        }
        finally
        {
            PluginHost.RunVCpuCallbacks(host.Idle, cpuIndex);
        }
    }

    public void OnResume(int cpuIndex)
    {
        try
        {
            inner?.OnResume(cpuIndex);
        }
        finally
        {
            PluginHost.RunVCpuCallbacks(host.Resume, cpuIndex);
        }
    }
}
