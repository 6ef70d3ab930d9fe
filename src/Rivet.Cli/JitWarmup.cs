using System.Reflection;
using System.Runtime.CompilerServices;

namespace Rivet.Cli;

/// <summary>
/// Compiles the code a shutdown runs before a shutdown needs it. Without this, a SIGTERM waits
/// for the JIT of every method on its path (the controller's shutdown sequence, device close,
/// the end of Main), a few milliseconds. The main thread does it while the machine runs; it
/// would only be waiting for the exit otherwise.
/// </summary>
internal static class JitWarmup
{
    /// <summary>Namespaces of the lifecycle and what its shutdown touches.</summary>
    private static readonly string[] CoreNamespaces = ["Rivet.Machine", "Rivet.Devices", "Rivet.Board"];

    /// <summary>Compiles every non-generic method of those namespaces and of this program; returns how many.</summary>
    public static int PrepareShutdownPath()
    {
        // The shutdown reports the signal on standard error: create that writer now, not then.
        Console.Error.Flush();
        int prepared = 0;
        foreach (Type t in typeof(Machine.Machine).Assembly.GetTypes())
        {
            if (t.Namespace is { } ns && CoreNamespaces.Contains(ns)) prepared += Prepare(t);
        }
        foreach (Type t in typeof(JitWarmup).Assembly.GetTypes())
        {
            prepared += Prepare(t);
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
