using System.Reflection;
using System.Runtime.CompilerServices;

namespace Rivet.Cli;

/// <summary>
/// Prepares the code a shutdown runs before a shutdown needs it. The code is precompiled
/// (ReadyToRun, docs/STARTUP.md), but the first call of each method still loads its types and
/// binds its entry point: about 1 ms of a SIGTERM's way out, measured side by side. The main
/// thread does it once the run has lasted <see cref="After"/>; it would only be waiting otherwise.
/// </summary>
internal static class JitWarmup
{
    /// <summary>Namespaces of the lifecycle and what its shutdown touches (not the monitor, say:
    /// compiling it would load System.Text.Json and the socket libraries into every process,
    /// and a bigger process takes longer to tear down).</summary>
    private static readonly string[] CoreNamespaces = ["Rivet.Machine", "Rivet.Devices", "Rivet.Board"];

    /// <summary>The program's own part of the way out: signal handling, the end of Main, plugin logs.</summary>
    private static readonly Type[] CliTypes = [typeof(RivetProgram), typeof(SignalHandlers), typeof(CliPlugins)];

    /// <summary>How long a run goes before the warm-up: runs that end sooner never pay for it.</summary>
    public static readonly TimeSpan After = TimeSpan.FromMilliseconds(50);

    /// <summary>Prepares the shutdown path, then waits for the machine's exit code.</summary>
    public static int ThenWaitForExit(Machine.Machine machine)
    {
        PrepareShutdownPath();
        return machine.WaitForExit();
    }

    /// <summary>Compiles every non-generic method of those (and their nested types); returns how many.</summary>
    public static int PrepareShutdownPath()
    {
        // The shutdown reports the signal on standard error: set up the writer and the console
        // (the first write initialises it) now, not then. Writing nothing shows nothing.
        Console.Error.Flush();
        if (!Chardev.RawTerminal.FdWriters) Console.OpenStandardError().Write([]);
        int prepared = 0;
        foreach (Type t in typeof(Machine.Machine).Assembly.GetTypes())
        {
            if (t.Namespace is { } ns && CoreNamespaces.Contains(ns)) prepared += Prepare(t);
        }
        foreach (Type t in typeof(JitWarmup).Assembly.GetTypes())
        {
            if (CliTypes.Any(c => t == c || t.DeclaringType == c)) prepared += Prepare(t);
        }
        return prepared;
    }

    private static int Prepare(Type t)
    {
        if (t.ContainsGenericParameters || t.IsInterface) return 0;
        const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        int prepared = 0;
        foreach (MethodBase m in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
        {
            if (m.IsAbstract || m.ContainsGenericParameters) continue;
            if ((m.Attributes & MethodAttributes.PinvokeImpl) != 0) continue;
            if ((m.MethodImplementationFlags & (MethodImplAttributes.InternalCall | MethodImplAttributes.Runtime)) != 0) continue;
            try
            {
                // PrepareMethod alone skips virtual methods (interface implementations such as
                // IVCpuExecutor.Kick) until they have an entry point; asking for it gives them one.
                _ = m.MethodHandle.GetFunctionPointer();
                RuntimeHelpers.PrepareMethod(m.MethodHandle);
                prepared++;
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException or BadImageFormatException or TypeLoadException)
            {
                // Not compilable on its own (it will be when first called); nothing is lost.
            }
        }
        return prepared;
    }
}
