using Rivet.Cpu;

namespace Rivet.Plugins.Hosting;

/// <summary>Discontinuity registration, flush, reset, uninstall and time control (PluginHost.Control.cs).</summary>
internal sealed partial class PluginContext
{
    private const int ControlIdle = 0, ControlResetting = 1, ControlUninstalled = 2;
    private int _control;

    public List<DisconRegistration> Discon { get; } = [];

    /// <summary>The handle, once this plugin has taken control of time.</summary>
    public TimeHandle? TimeControl { get; set; }

    public void RegisterVCpuDiscon(DisconType types, DisconCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (!Installing)
            throw new InvalidOperationException($"plugin '{Name}': callbacks can only be registered during Install");
        if ((types & DisconType.All) == 0) throw new ArgumentOutOfRangeException(nameof(types), types, "select at least one kind of discontinuity");
        Discon.Add(new DisconRegistration(callback, types, Site("vcpu-discon"), this));
    }

    public void FlushInstrumentation() => Host.FlushInstrumentation();

    public bool Reset(PluginControlCallback done)
    {
        ArgumentNullException.ThrowIfNull(done);
        CheckInstalled("Reset");
        if (Interlocked.CompareExchange(ref _control, ControlResetting, ControlIdle) != ControlIdle) return false;
        Host.PostDrop(this, done, uninstall: false);
        return true;
    }

    public bool Uninstall(PluginControlCallback? done = null)
    {
        CheckInstalled("Uninstall");
        int before = Interlocked.Exchange(ref _control, ControlUninstalled);
        if (before == ControlUninstalled) return false;
        // Callbacks stop now, before the exclusive section: every site this plugin has is dropped.
        DropSites();
        Host.PostDrop(this, done, uninstall: true);
        return true;
    }

    public ITimeControl? RequestTimeControl()
    {
        if (!Installing) throw new InvalidOperationException($"plugin '{Name}': time control can only be requested during Install");
        return Host.RequestTimeControl(this);
    }

    private void CheckInstalled(string what)
    {
        if (Installing && Volatile.Read(ref _control) == ControlIdle)
            throw new InvalidOperationException($"plugin '{Name}': {what} is only valid once the plugin is installed");
    }

    /// <summary>Every vCPU stopped: forgets the registrations (they were removed from the host) and retires their sites.</summary>
    public void DropRegistrations()
    {
        DropSites();
        Init.Clear();
        Exit.Clear();
        Idle.Clear();
        Resume.Clear();
        Translated.Clear();
        AtExit.Clear();
        Discon.Clear();
    }

    /// <summary>Retires every site (hooks baked into blocks check them), so new registrations get fresh ones.</summary>
    private void DropSites()
    {
        lock (_sites)
        {
            foreach (CallbackSite site in _sites.Values) site.Drop();
            BlockExecSite.Drop();
            InsnExecSite.Drop();
            MemorySite.Drop();
            if (Volatile.Read(ref _control) == ControlUninstalled) return;
            _sites.Clear();
            BlockExecSite = Site("block-exec");
            InsnExecSite = Site("insn-exec");
            MemorySite = Site("memory");
        }
    }

    /// <summary>The reset's registrations are live: another reset may follow (unless uninstalled meanwhile).</summary>
    public bool IsUninstalled => Volatile.Read(ref _control) == ControlUninstalled;

    public void EndReset() => Interlocked.CompareExchange(ref _control, ControlIdle, ControlResetting);
}
