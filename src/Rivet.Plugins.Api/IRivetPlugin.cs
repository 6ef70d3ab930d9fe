namespace Rivet.Plugins;

/// <summary>
/// A Rivet plugin: a public, non-abstract class with a public parameterless constructor that
/// implements this interface and carries <see cref="RivetPluginAttribute"/>. Rivet creates one
/// instance per <c>-plugin</c> option and calls <see cref="Install"/> once, before the guest starts.
/// </summary>
/// <example>
/// <code>
/// [RivetPlugin(PluginApi.Version)]
/// public sealed class CountBlocks : IRivetPlugin
/// {
///     public void Install(IPluginContext context, PluginArgs args)
///     {
///         args.RejectUnknown();
///         Scoreboard blocks = context.NewScoreboard();
///         context.RegisterBlockTranslated(block => block.RegisterExecuteInline(blocks, 1));
///         context.RegisterAtExit(() => context.Output($"blocks executed: {blocks.Sum()}\n"));
///     }
/// }
/// </code>
/// </example>
public interface IRivetPlugin
{
    /// <summary>
    /// Registers the plugin's callbacks (this is the only time callbacks can be registered) and
    /// checks its arguments. Throw <see cref="PluginArgumentException"/> to reject the arguments:
    /// Rivet prints the message as one line and exits with code 1 before the guest starts. Any
    /// other exception is reported the same way, as a failed installation.
    /// </summary>
    /// <param name="context">The plugin's view of the machine; valid for the whole run.</param>
    /// <param name="args">The <c>key=value</c> pairs that followed the plugin's name on the command line.</param>
    void Install(IPluginContext context, PluginArgs args);
}

/// <summary>
/// Declares the plugin API version a plugin class targets. Rivet refuses (with one clear line,
/// exit code 1) a plugin without it, or one targeting a version outside
/// <see cref="PluginApi.MinimumVersion"/>..<see cref="PluginApi.Version"/> of the running host.
/// Write <c>[RivetPlugin(PluginApi.Version)]</c>: the constant is compiled into the plugin, so
/// it records the version the plugin was built against.
/// </summary>
/// <param name="apiVersion">The API version the plugin was written for.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class RivetPluginAttribute(int apiVersion) : Attribute
{
    /// <summary>The API version the plugin was written for.</summary>
    public int ApiVersion { get; } = apiVersion;
}

/// <summary>Versions of the plugin API.</summary>
public static class PluginApi
{
    /// <summary>The API version this assembly defines (QEMU's <c>QEMU_PLUGIN_VERSION</c>).</summary>
    public const int Version = 2;

    /// <summary>The oldest API version a host built with this assembly still loads (QEMU's <c>QEMU_PLUGIN_MIN_VERSION</c>).</summary>
    public const int MinimumVersion = 1;
}

/// <summary>
/// Thrown by <see cref="IRivetPlugin.Install"/> (or the <see cref="PluginArgs"/> helpers) when the
/// plugin's arguments are wrong. The message is shown to the user after the plugin's name.
/// </summary>
/// <param name="message">What is wrong, in one line, e.g. <c>unknown argument 'x' (known: limit)</c>.</param>
public sealed class PluginArgumentException(string message) : Exception(message);
