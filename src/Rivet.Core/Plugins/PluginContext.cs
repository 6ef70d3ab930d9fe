using Rivet.Cpu;
using Rivet.Machine;

namespace Rivet.Plugins.Hosting;

/// <summary>
/// One installed plugin's <see cref="IPluginContext"/>. Registrations collect here during
/// <see cref="IRivetPlugin.Install"/> and go live only if it returns normally
/// (<see cref="PluginHost"/>.Commit), so a plugin that rejects its arguments leaves no trace.
/// </summary>
internal sealed partial class PluginContext : IPluginContext
{
    private readonly Dictionary<string, CallbackSite> _sites = [];

    public PluginContext(PluginHost host, string name)
    {
        Host = host;
        Name = name;
        BlockExecSite = Site("block-exec");
        InsnExecSite = Site("insn-exec");
        MemorySite = Site("memory");
    }

    public PluginHost Host { get; }
    public string Name { get; }
    public int ApiVersion => PluginApi.Version;
    public string TargetName => "riscv64";
    public int VCpuCount => Host.VCpuCount;
    public bool OutputEnabled => Host.OutputEnabled;

    /// <summary>True only while <see cref="IRivetPlugin.Install"/> runs: the only time registration is allowed.</summary>
    public bool Installing { get; set; } = true;

    public List<Registration<VCpuCallback>> Init { get; } = [];
    public List<Registration<VCpuCallback>> Exit { get; } = [];
    public List<Registration<VCpuCallback>> Idle { get; } = [];
    public List<Registration<VCpuCallback>> Resume { get; } = [];
    public List<Registration<BlockTranslatedCallback>> Translated { get; } = [];
    public List<Registration<AtExitCallback>> AtExit { get; } = [];

    public CallbackSite BlockExecSite { get; private set; }
    public CallbackSite InsnExecSite { get; private set; }
    public CallbackSite MemorySite { get; private set; }

    // Built-in plugins only (internal): lifecycle observation for the timeline.
    public ILifecycleObserver? Observer { get; set; }
    public Action<MachineEvent>? MachineEvents { get; set; }

    /// <summary>The machine this plugin is installed in (built-in plugins only).</summary>
    public Machine.Machine Machine => Host.Machine;

    private CallbackSite Site(string kind)
    {
        if (!_sites.TryGetValue(kind, out CallbackSite? site))
        {
            site = new CallbackSite(Name, kind, Host.Diagnostics);
            _sites[kind] = site;
        }
        return site;
    }

    private void Add<T>(List<Registration<T>> list, T callback, string kind)
        where T : Delegate
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (!Installing)
            throw new InvalidOperationException($"plugin '{Name}': callbacks can only be registered during Install");
        list.Add(new Registration<T>(callback, Site(kind), this));
    }

    public void RegisterVCpuInit(VCpuCallback callback) => Add(Init, callback, "vcpu-init");
    public void RegisterVCpuExit(VCpuCallback callback) => Add(Exit, callback, "vcpu-exit");
    public void RegisterVCpuIdle(VCpuCallback callback) => Add(Idle, callback, "vcpu-idle");
    public void RegisterVCpuResume(VCpuCallback callback) => Add(Resume, callback, "vcpu-resume");
    public void RegisterBlockTranslated(BlockTranslatedCallback callback) => Add(Translated, callback, "block-translated");
    public void RegisterAtExit(AtExitCallback callback) => Add(AtExit, callback, "at-exit");

    public Scoreboard NewScoreboard() => Host.NewScoreboard();

    public ulong ReadRegister(int index)
    {
        if ((uint)index > 31) throw new ArgumentOutOfRangeException(nameof(index), index, "RISC-V integer registers are x0..x31");
        return Host.CurrentHart(this, "ReadRegister").ReadRegister(index);
    }

    public ulong ReadPc() => Host.CurrentHart(this, "ReadPc").Pc;

    public void RequestPause() => Host.Controller.PostPause(Host.RequestSource(this));

    public void RequestResume() => Host.Controller.PostResume(Host.RequestSource(this));

    public void RequestReset() => Host.Controller.PostReset(ShutdownCause.HostUi, Host.RequestSource(this));

    public void RequestShutdown(int exitCode = 0) => Host.Controller.PostShutdown(ShutdownCause.HostUi, exitCode, Host.RequestSource(this));

    public void Output(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Host.Write(text);
    }
}
