using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>bbv</c>: basic-block vectors for SimPoint (QEMU's contrib/plugins/bbv.c, QEMU 8.1 and
/// later). Each vCPU writes <c>OUTFILE.N.bb</c>; every <c>interval=</c> instructions (default
/// 100000000) it appends a line <c>T:id:count :id:count ...</c>: each block executed in the
/// interval (id: the order blocks were first seen, from 0) with the instructions it executed.
/// A block counts whole when it starts, so an interval ends at the first block boundary at or past
/// the limit, and the excess is carried into the next one; the unfinished last interval is not
/// written (as QEMU).
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class BbvPlugin : IRivetPlugin
{
    private sealed class Bb(int index, int vcpus)
    {
        public readonly int Index = index;
        public readonly long[] Counts = new long[vcpus]; // each entry written by its vCPU only
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("interval", "outfile");
        long interval = args.GetInt64("interval", 100_000_000, 1, long.MaxValue);
        string outfile = args.Get("outfile") ?? throw new PluginArgumentException("outfile unspecified (give outfile=PATH: each vCPU writes PATH.N.bb)");
        int vcpus = context.VCpuCount;
        var writers = new StreamWriter[vcpus];
        for (int cpu = 0; cpu < vcpus; cpu++)
        {
            string path = $"{outfile}.{cpu}.bb";
            try
            {
                writers[cpu] = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                foreach (StreamWriter? w in writers) w?.Dispose();
                throw new PluginArgumentException($"outfile={outfile}: cannot create {path}: {ex.Message}");
            }
        }

        object blocksLock = new();
        var byPc = new Dictionary<ulong, Bb>(); // guarded by blocksLock
        var blocks = new List<Bb>();             // in index order; guarded by blocksLock
        long[] executed = new long[vcpus];       // instructions since the last interval ended, per vCPU

        void EndInterval(int cpu)
        {
            executed[cpu] -= interval;
            var line = new StringBuilder("T");
            Bb[] snapshot;
            lock (blocksLock) snapshot = [.. blocks];
            foreach (Bb bb in snapshot)
            {
                long n = bb.Counts[cpu];
                if (n == 0) continue;
                line.Append(':').Append(bb.Index).Append(':').Append(n).Append(' ');
                bb.Counts[cpu] = 0;
            }
            writers[cpu].Write(line.Append('\n').ToString());
        }

        context.RegisterBlockTranslated(block =>
        {
            Bb bb;
            lock (blocksLock)
            {
                if (!byPc.TryGetValue(block.Pc, out bb!))
                {
                    bb = new Bb(blocks.Count, vcpus);
                    byPc.Add(block.Pc, bb);
                    blocks.Add(bb);
                }
            }
            int n = block.Instructions.Count;
            block.RegisterExecute((cpu, _) =>
            {
                bb.Counts[cpu] += n;
                executed[cpu] += n;
                if (executed[cpu] >= interval) EndInterval(cpu);
            });
        });
        context.RegisterAtExit(() =>
        {
            foreach (StreamWriter w in writers) w.Dispose();
        });
    }
}
