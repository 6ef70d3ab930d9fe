using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace Rivet.Plugins.Hosting;

/// <summary>
/// Which plugin a thread belongs to. While the host runs a plugin's Install or a lifecycle
/// callback, the plugin's identity is an <see cref="AsyncLocal{T}"/>; <see cref="Thread.Start()"/>
/// captures the execution context, so the identity flows into every thread that code starts, and
/// the change notification on that thread's first context switch records it as the plugin's.
/// Threads started from execute or memory callbacks (not wrapped: they run per instruction) or
/// with <see cref="Thread.UnsafeStart()"/> are not seen; docs/PLUGINS.md says so.
/// </summary>
internal static class PluginThreads
{
    private static readonly AsyncLocal<PluginContext?> s_current = new(OnContextChanged);

    /// <summary>The plugin whose code started this thread, if a plugin's did.</summary>
    [ThreadStatic] private static PluginContext? t_starter;

    /// <summary>Marks the calling thread as running <paramref name="plugin"/>'s code; returns what to restore.</summary>
    public static PluginContext? Enter(PluginContext plugin)
    {
        PluginContext? previous = s_current.Value;
        if (!ReferenceEquals(previous, plugin)) s_current.Value = plugin;
        return previous;
    }

    public static void Leave(PluginContext? previous)
    {
        if (!ReferenceEquals(s_current.Value, previous)) s_current.Value = previous;
    }

    private static void OnContextChanged(AsyncLocalValueChangedArgs<PluginContext?> e)
    {
        // A switch onto a thread carrying a plugin's identity, not the pool's and not yet owned: a
        // thread that plugin's code started, running for the first time.
        if (!e.ThreadContextChanged || e.CurrentValue is not { } plugin || t_starter != null) return;
        Thread t = Thread.CurrentThread;
        if (t.IsThreadPoolThread) return;
        t_starter = plugin;
        plugin.Host.TrackThread(t, plugin);
    }

    /// <summary>
    /// The plugin an unhandled exception belongs to: the one that started the thread it was thrown
    /// on, or else the plugin assembly of the innermost frame that comes from one (a plugin's work
    /// on the thread pool); null when it is none of the plugins' (rivet's own).
    /// </summary>
    public static string? Owner(Exception ex)
    {
        if (t_starter is { } starter) return starter.Name;
        foreach (StackFrame frame in new StackTrace(ex).GetFrames())
        {
            Assembly? assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            if (assembly != null && AssemblyLoadContext.GetLoadContext(assembly) is PluginLoader.PluginLoadContext context) return context.PluginName;
        }
        return null;
    }

    /// <summary>Thread.IsBackground throws once a thread has ended.</summary>
    public static bool IsLiveForeground(Thread t)
    {
        try
        {
            return t.IsAlive && !t.IsBackground;
        }
        catch (ThreadStateException)
        {
            return false;
        }
    }
}
