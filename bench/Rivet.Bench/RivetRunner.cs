using System.Diagnostics;
using Rivet.Board;
using Rivet.Cpu;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Bench;

/// <summary>One run of a guest on Rivet, in this process.</summary>
/// <param name="ExitCode">The machine's exit code, or null if it did not finish in time.</param>
/// <param name="Elapsed">Wall-clock time from Start to WaitForExit returning.</param>
/// <param name="Instructions">Instructions retired by every hart (deterministic).</param>
/// <param name="Error">Why the run failed; null when it exited with 0.</param>
internal sealed record RivetRun(int? ExitCode, TimeSpan Elapsed, ulong Instructions, string? Error)
{
    public bool Ok => Error == null;
}

internal static class RivetRunner
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Builds a one-hart machine for the ELF, then times Start..WaitForExit. Building the machine
    /// (RAM, loading the image) is not timed; a full garbage collection before it keeps one run's
    /// garbage out of the next run's time. <paramref name="engine"/> null: the default engine
    /// (translator, unless RIVET_ENGINE says otherwise).
    /// </summary>
    public static RivetRun Run(string elfPath, int harts = 1, ExecutionEngine? engine = null)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var console = new MemoryStream();
        var diagnostics = new StringWriter();
        RivetMachine machine;
        try
        {
            var config = new MachineConfig { Harts = harts, Kernel = elfPath };
            if (engine is ExecutionEngine e) config = config with { Engine = e };
            machine = new RivetMachine(config, console, TextWriter.Synchronized(diagnostics));
        }
        catch (ImageException ex)
        {
            return new RivetRun(null, TimeSpan.Zero, 0, $"cannot load {Path.GetFileName(elfPath)}: {ex.Message}");
        }

        using (machine)
        {
            var sw = Stopwatch.StartNew();
            machine.Start();
            int? code = machine.WaitForExit(Timeout);
            sw.Stop();
            if (code == null)
            {
                machine.RequestShutdown(ShutdownCause.HostUi, 1);
                machine.WaitForExit(TimeSpan.FromSeconds(10));
            }
            ulong instructions = machine.InstructionsRetired;
            string? error = code switch
            {
                null => $"did not finish within {Timeout.TotalSeconds:F0} s",
                0 => null,
                int c => $"exit code {c}{Describe(console, diagnostics)}",
            };
            return new RivetRun(code, sw.Elapsed, instructions, error);
        }
    }

    /// <summary>The end of the guest's console output and Rivet's diagnostics, for a failure report.</summary>
    private static string Describe(MemoryStream console, StringWriter diagnostics)
    {
        string text = (System.Text.Encoding.UTF8.GetString(console.ToArray()) + diagnostics).Trim();
        if (text.Length == 0) return "";
        if (text.Length > 300) text = "..." + text[^300..];
        return ": " + text.ReplaceLineEndings(" | ");
    }
}
