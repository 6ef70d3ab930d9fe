namespace Rivet.Plugins;

/// <summary>
/// Ownership of the guest's virtual time, from <see cref="IPluginContext.RequestTimeControl"/>
/// (QEMU's opaque time handle). mtime (the CLINT's and the <c>time</c> CSR's), the timer
/// compares and the goldfish RTC with <c>-rtc clock=vm</c> then follow this clock only.
/// </summary>
public interface ITimeControl
{
    /// <summary>The guest time in nanoseconds since the machine started.</summary>
    ulong Nanoseconds { get; }

    /// <summary>
    /// Sets the guest time (QEMU's <c>qemu_plugin_update_ns</c>); time only moves forward, so a
    /// value below the current one is ignored. Timers that fall due wake their harts. Any thread.
    /// </summary>
    /// <param name="nanoseconds">The new guest time in nanoseconds since the machine started.</param>
    void UpdateNs(ulong nanoseconds);
}

public partial interface IPluginContext
{
    /// <summary>
    /// Takes control of the guest's virtual time (QEMU's <c>qemu_plugin_request_time_control</c>):
    /// from the start of the run guest time stands still except when the owner calls
    /// <see cref="ITimeControl.UpdateNs"/>. Only one plugin may hold it; only during
    /// <see cref="IRivetPlugin.Install"/>.
    /// </summary>
    /// <returns>The handle, or null if another plugin already controls time.</returns>
    /// <exception cref="InvalidOperationException">Not called during <see cref="IRivetPlugin.Install"/>.</exception>
    ITimeControl? RequestTimeControl();
}
