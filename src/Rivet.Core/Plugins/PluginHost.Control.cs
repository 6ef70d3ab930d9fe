using Rivet.Cpu;
using Rivet.Devices;
using Rivet.Machine;

namespace Rivet.Plugins.Hosting;

/// <summary>A registered discontinuity callback with the kinds it asked for.</summary>
internal sealed record DisconRegistration(DisconCallback Callback, DisconType Types, CallbackSite Site, PluginContext Plugin);

/// <summary>
/// Discontinuities, instrumentation flushes, plugin reset and uninstall, and time control
/// (docs/PLUGINS.md, "Traps, control and time").
/// </summary>
/// <remarks>
/// Reset and uninstall never wait and never run a plugin's code under a lifecycle lock: the
/// plugin's callbacks are dropped in an exclusive section posted to the controller (every vCPU
/// stopped at a block boundary, so none is inside one of them), every hart's blocks are flushed
/// (the hooks baked into them go), and the completion callback is queued as work on a vCPU, which
/// runs it with no lock held. Registrations made by a reset's completion callback go live in a
/// second exclusive section.
/// </remarks>
public sealed partial class PluginHost
{
    internal DisconRegistration[] Discon = [];

    private bool _disconAttached;
    private PluginContext? _timeOwner;

    private VirtualClock Clock => _machine.Board.Clock;

    private void MergeControl(PluginContext p)
    {
        Discon = [.. Discon, .. p.Discon];
        if (Discon.Length > 0 && !_disconAttached)
        {
            var discon = new PluginDiscon(this);
            foreach (Hart h in _harts) h.Discon = discon;
            _disconAttached = true;
        }
        if (p.TimeControl != null && !Clock.IsControlled) Clock.TakeControl();
    }

    /// <summary>The time handle for <paramref name="p"/>, or null if another plugin holds it (install only).</summary>
    internal TimeHandle? RequestTimeControl(PluginContext p)
    {
        // Under -icount guest time is the instruction count's; nobody else may move it.
        if (Clock.IsIcount) throw new InvalidOperationException($"plugin '{p.Name}': time control is not available with -icount (guest time counts instructions)");
        if (_timeOwner != null && _timeOwner != p) return null;
        _timeOwner = p;
        return p.TimeControl ??= new TimeHandle(this);
    }

    internal void UpdateTime(ulong nanoseconds)
    {
        if (!Clock.Advance(nanoseconds)) return;
        // Sleeping harts whose timer fell due must re-check; running ones see it at their next slice.
        foreach (VCpu v in _controller.VCpus) v.Wake();
    }

    internal ulong TimeNanoseconds => Clock.Nanoseconds;

    internal void FlushInstrumentation()
    {
        foreach (Hart h in _harts) h.FlushInstrumentation();
    }

    /// <summary>Drops <paramref name="p"/>'s callbacks in an exclusive section, then queues <paramref name="done"/> (and, for a reset, the re-registration).</summary>
    internal void PostDrop(PluginContext p, PluginControlCallback? done, bool uninstall)
    {
        int target = VCpu.Current is { } v && v.CurrentHart is int i && i < _harts.Length && ReferenceEquals(_controller.VCpuOfHart(i), v) ? i : 0;
        string what = uninstall ? "uninstall" : "reset";
        _controller.PostExclusive(() =>
        {
            Drop(p);
            if (done == null && uninstall) return;
            var site = new CallbackSite(p.Name, what + "-done", Diagnostics);
            _controller.VCpuOfHart(target).Post(new WorkItem(vcpu => RunControlDone(p, done, site, vcpu, uninstall)) { Hart = target });
        }, $"plugin '{p.Name}' {what}");
    }

    /// <summary>Every vCPU stopped: removes the plugin's registrations and the blocks that carry its hooks.</summary>
    private void Drop(PluginContext p)
    {
        Exit = [.. Exit.Where(r => r.Plugin != p)];
        Idle = [.. Idle.Where(r => r.Plugin != p)];
        Resume = [.. Resume.Where(r => r.Plugin != p)];
        Translated = [.. Translated.Where(r => r.Plugin != p)];
        AtExit = [.. AtExit.Where(r => r.Plugin != p)];
        Discon = [.. Discon.Where(r => r.Plugin != p)];
        p.DropRegistrations();
        FlushInstrumentation();
    }

    private void RunControlDone(PluginContext p, PluginControlCallback? done, CallbackSite site, VCpu vcpu, bool uninstall)
    {
        if (!uninstall && p.IsUninstalled) return; // uninstalled while its reset was pending: nothing to re-register
        if (done != null)
        {
            if (!uninstall) p.Installing = true;
            vcpu.EnterCallback(site.HangName);
            PluginContext? outer = PluginThreads.Enter(p);
            try
            {
                done();
            }
            catch (Exception ex)
            {
                site.Fail(vcpu.CurrentHart, ex);
            }
            finally
            {
                PluginThreads.Leave(outer);
                vcpu.LeaveCallback();
                p.Installing = false;
            }
        }
        if (uninstall) return;
        // What the callback registered goes live with every vCPU stopped, as at install.
        _controller.PostExclusive(() =>
        {
            if (p.IsUninstalled) return;
            Merge(p);
            // Blocks translated since the drop carry no hooks of the new callbacks: translate again.
            FlushInstrumentation();
            p.EndReset();
        }, $"plugin '{p.Name}' reset");
    }
}

/// <summary>Every hart's discontinuities, to the plugins that asked for their kind.</summary>
internal sealed class PluginDiscon(PluginHost host) : IHartDiscon
{
    public void OnDiscon(Hart hart, DisconKind kind, ulong cause, ulong fromPc, ulong toPc, ulong tval)
    {
        DisconRegistration[] list = host.Discon;
        if (list.Length == 0) return;
        var info = new Discontinuity((DisconType)kind, cause, fromPc, toPc, tval, hart.Privilege);
        VCpu? v = VCpu.Current;
        int cpu = hart.HartId;
        foreach (DisconRegistration r in list)
        {
            if (r.Site.Disabled || (r.Types & info.Type) == 0) continue;
            v?.EnterCallback(r.Site.HangName);
            PluginContext? outer = PluginThreads.Enter(r.Plugin);
            try
            {
                r.Callback(cpu, info);
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
}

/// <summary>The time-control handle a plugin holds.</summary>
internal sealed class TimeHandle(PluginHost host) : ITimeControl
{
    public ulong Nanoseconds => host.TimeNanoseconds;

    public void UpdateNs(ulong nanoseconds) => host.UpdateTime(nanoseconds);
}
