namespace Rivet.Plugins;

/// <summary>A plugin's reset or uninstall has completed: none of its old callbacks can run any more.</summary>
public delegate void PluginControlCallback();

public partial interface IPluginContext
{
    /// <summary>
    /// Drops every translated block on every vCPU (QEMU's <c>tb_flush</c>, which plugins reach
    /// through a reset): each vCPU translates again as it meets code, so
    /// <see cref="RegisterBlockTranslated"/> callbacks see every block again and can attach
    /// different instrumentation. Posted: returns at once, from any thread (a vCPU callback
    /// included); each vCPU drops its blocks at its next block boundary.
    /// </summary>
    void FlushInstrumentation();

    /// <summary>
    /// Removes all of this plugin's callbacks, then calls <paramref name="done"/> once no vCPU can
    /// still run any of them (QEMU's <c>qemu_plugin_reset</c>); <paramref name="done"/> may
    /// register callbacks again, as during <see cref="IRivetPlugin.Install"/> (they go live when it
    /// returns). Posted: returns at once, from any thread, a callback of this plugin included. A
    /// second request while one is pending is ignored (false); so is any after
    /// <see cref="Uninstall"/>.
    /// </summary>
    /// <param name="done">Runs once, on a vCPU thread, with no emulator lock held.</param>
    /// <returns>True if the request was accepted.</returns>
    bool Reset(PluginControlCallback done);

    /// <summary>
    /// Removes the plugin (QEMU's <c>qemu_plugin_uninstall</c>): its callbacks stop at once (those
    /// already running finish), its at-exit callbacks will not run, and <paramref name="done"/> is
    /// called once no vCPU can still run any of them. Posted: safe from inside one of its own
    /// callbacks on a vCPU thread; never waits. Only the first call counts (false afterwards).
    /// </summary>
    /// <param name="done">Runs once, on a vCPU thread, with no emulator lock held; may be null.</param>
    /// <returns>True if this call uninstalls the plugin.</returns>
    bool Uninstall(PluginControlCallback? done = null);
}
