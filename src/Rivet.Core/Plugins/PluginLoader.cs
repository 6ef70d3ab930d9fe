using System.Reflection;
using System.Runtime.Loader;

namespace Rivet.Plugins.Hosting;

/// <summary>
/// Turns a <c>-plugin</c> value into a plugin instance: a built-in by name, or the one plugin
/// class of an assembly loaded from a path into its own <see cref="AssemblyLoadContext"/>.
/// </summary>
internal static class PluginLoader
{
    public static (IRivetPlugin Plugin, string Name, PluginArgs Args) Resolve(string spec)
    {
        int comma = spec.IndexOf(',');
        string target = comma < 0 ? spec : spec[..comma];
        string rest = comma < 0 ? "" : spec[(comma + 1)..];
        if (target.StartsWith("file=", StringComparison.Ordinal)) target = target[5..];
        if (target.Length == 0) throw new PluginLoadException($"-plugin {spec}: no plugin name or path given");
        PluginArgs args;
        try
        {
            args = PluginArgs.Parse(rest);
        }
        catch (PluginArgumentException ex)
        {
            throw new PluginLoadException($"-plugin {spec}: {ex.Message}");
        }

        if (!IsPath(target))
        {
            if (Builtin.BuiltinPlugins.Create(target) is { } builtin) return (builtin, target, args);
            throw new PluginLoadException(
                $"-plugin {spec}: no built-in plugin '{target}' (built-ins: {string.Join(", ", Builtin.BuiltinPlugins.Names)}; give a plugin assembly by its path, e.g. ./MyPlugin.dll)");
        }
        string path = Path.GetFullPath(target);
        string name = Path.GetFileNameWithoutExtension(path);
        Type type = FindPluginClass(spec, path);
        PluginHost.CheckApiVersion(type, $"-plugin {spec}");
        IRivetPlugin plugin;
        try
        {
            plugin = (IRivetPlugin)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException ex)
        {
            Exception inner = ex.InnerException ?? ex;
            throw new PluginLoadException($"-plugin {spec}: constructing {type.FullName} failed: {inner.GetType().Name}: {inner.Message}");
        }
        return (plugin, name, args);
    }

    /// <summary>A path (it has a directory separator or ends in .dll) rather than a built-in's name.</summary>
    private static bool IsPath(string target)
        => target.Contains('/') || target.Contains(Path.DirectorySeparatorChar) || target.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    private static Type FindPluginClass(string spec, string path)
    {
        if (!File.Exists(path)) throw new PluginLoadException($"-plugin {spec}: cannot load plugin assembly {path}: no such file");
        Assembly assembly;
        Type[] types;
        try
        {
            assembly = new PluginLoadContext(path).LoadFromAssemblyPath(path);
            types = assembly.GetExportedTypes();
        }
        catch (BadImageFormatException)
        {
            throw new PluginLoadException($"-plugin {spec}: cannot load plugin assembly {path}: not a .NET assembly");
        }
        catch (Exception ex) when (ex is IOException or ReflectionTypeLoadException or TypeLoadException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"-plugin {spec}: cannot load plugin assembly {path}: {ex.GetType().Name}: {OneLine(ex.Message)}");
        }
        Type[] plugins = [.. types.Where(t => t.IsClass && !t.IsAbstract && typeof(IRivetPlugin).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) != null)];
        if (plugins.Length == 0)
        {
            throw new PluginLoadException(
                $"-plugin {spec}: no plugin entry point in {Path.GetFileName(path)}: it has no public class implementing Rivet.Plugins.IRivetPlugin with a public parameterless constructor");
        }
        if (plugins.Length > 1)
        {
            throw new PluginLoadException(
                $"-plugin {spec}: {Path.GetFileName(path)} has {plugins.Length} plugin classes ({string.Join(", ", plugins.Select(t => t.FullName))}); a plugin assembly has exactly one");
        }
        return plugins[0];
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    /// <summary>
    /// A plugin assembly's own load context: its dependencies resolve from its folder (its
    /// .deps.json when there is one), except Rivet.Plugins.Api, which is always the host's copy so
    /// that the plugin's IRivetPlugin is the host's.
    /// </summary>
    internal sealed class PluginLoadContext : AssemblyLoadContext
    {
        private static readonly Assembly s_api = typeof(IRivetPlugin).Assembly;
        private readonly AssemblyDependencyResolver? _resolver;
        private readonly string _folder;

        /// <summary>The name the plugin goes by (its assembly's file name, as <see cref="Resolve"/> gives it).</summary>
        public string PluginName { get; }

        public PluginLoadContext(string path)
            : base($"plugin {Path.GetFileName(path)}")
        {
            PluginName = Path.GetFileNameWithoutExtension(path);
            _folder = Path.GetDirectoryName(path)!;
            try
            {
                _resolver = new AssemblyDependencyResolver(path);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                _resolver = null; // no usable .deps.json: probe the folder
            }
        }

        protected override Assembly? Load(AssemblyName name)
        {
            if (string.Equals(name.Name, s_api.GetName().Name, StringComparison.OrdinalIgnoreCase)) return s_api;
            string? path = _resolver?.ResolveAssemblyToPath(name);
            if (path == null && _resolver == null)
            {
                string candidate = Path.Combine(_folder, name.Name + ".dll");
                if (File.Exists(candidate)) path = candidate;
            }
            // Null: the default context (the runtime and the host's own assemblies).
            return path != null ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            string? path = _resolver?.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path != null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
        }
    }
}
