using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Rivet.Bench;

/// <summary>The machine the figures were measured on.</summary>
internal static class HostInfo
{
    public static void Print(TextWriter w)
    {
        w.WriteLine("Rivet benchmark");
        w.WriteLine($"host: {Environment.ProcessorCount} logical processors{CpuModel()}");
        w.WriteLine($"os:   {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        w.WriteLine($".net: {RuntimeInformation.FrameworkDescription} ({(GCSettings.IsServerGC ? "server" : "workstation")} GC)");
        if (!IsOptimized(typeof(Rivet.Machine.Machine).Assembly))
            w.WriteLine("warning: Rivet.Core is a Debug build; the figures mean little (use dotnet run -c Release)");
    }

    /// <summary>", model name" from /proc/cpuinfo on Linux; empty elsewhere.</summary>
    private static string CpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return "";
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and >= 0)
                    return ", " + line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
            // no model name then
        }
        catch (UnauthorizedAccessException)
        {
            // no model name then
        }
        return "";
    }

    private static bool IsOptimized(Assembly assembly)
        => assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
}
