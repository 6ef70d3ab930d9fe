using System.Diagnostics;
using Rivet.Machine;

namespace Rivet.Cpu.Translator;

/// <summary>
/// The background tier (docs/TRANSLATOR.md, "Compiling off the vCPU thread"): the runtime's JIT
/// compiles a region's method on this one thread while its hart goes on interpreting; the hart
/// enters the region once <see cref="Region.Compiled"/> is set. A region is compiled by calling it
/// with the entry -1, which returns before it reads anything. The thread holds no lock while the
/// JIT runs (only its queue's, to take the next region), and no hart or control thread ever waits
/// for it: a machine that exits leaves its queued regions behind, unrun.
/// </summary>
internal static class RegionCompiler
{
    private static readonly object s_gate = new();
    private static readonly Queue<Region> s_queue = new(); // guarded by s_gate
    private static bool s_started; // guarded by s_gate

    /// <summary>Queues <paramref name="region"/> for the JIT.</summary>
    public static void Enqueue(Region region)
    {
        lock (s_gate)
        {
            s_queue.Enqueue(region);
            if (!s_started)
            {
                s_started = true;
                HostSync.StartThread("jit", Run);
            }
            Monitor.Pulse(s_gate);
        }
    }

    /// <summary>Compiles <paramref name="region"/> now, on this thread: false when the JIT refuses its method (a translator bug).</summary>
    public static unsafe bool Compile(Region region)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            region.Code(null!, null, 0, 0, -1);
            return true;
        }
        catch (InvalidProgramException e)
        {
            region.RefusedBecause = e.Message;
            return false;
        }
        finally
        {
            Interlocked.Add(ref region.Statistics.CompileTicks, Stopwatch.GetTimestamp() - start);
        }
    }

    private static void Run()
    {
        while (true)
        {
            Region region;
            lock (s_gate)
            {
                // Not a control-path wait: nobody waits for this thread, it waits for work.
                while (s_queue.Count == 0) HostSync.Wait(s_gate);
                region = s_queue.Dequeue();
            }
            if (Compile(region)) region.MarkCompiled();
            else region.MarkRefused();
        }
    }
}
