using System.Collections.Concurrent;
using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>hotblocks</c>: the most executed blocks (QEMU's contrib/plugins/hotblocks.c), counted by an
/// inline scoreboard per block. <c>limit=N</c> (default 20) is how many to list.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class HotBlocksPlugin : IRivetPlugin
{
    private sealed class BlockStat(ulong pc, Scoreboard executions)
    {
        public readonly ulong Pc = pc;
        public readonly Scoreboard Executions = executions;
        public int Translations; // Interlocked: vCPUs translate concurrently
        public int Instructions;
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("limit");
        int limit = (int)args.GetInt64("limit", 20, 1, int.MaxValue);
        var blocks = new ConcurrentDictionary<ulong, BlockStat>();
        context.RegisterBlockTranslated(block =>
        {
            BlockStat stat = blocks.GetOrAdd(block.Pc, pc => new BlockStat(pc, context.NewScoreboard()));
            Interlocked.Increment(ref stat.Translations);
            Volatile.Write(ref stat.Instructions, block.Instructions.Count);
            block.RegisterExecuteInline(stat.Executions, 1);
        });
        context.RegisterAtExit(() =>
        {
            var sb = new StringBuilder();
            sb.Append($"collected {blocks.Count} entries in the hash table\n");
            sb.Append("pc, tcount, icount, ecount\n");
            foreach ((BlockStat b, long executions) in blocks.Values.Select(b => (b, b.Executions.Sum()))
                         .OrderByDescending(x => x.Item2).ThenBy(x => x.b.Pc).Take(limit))
            {
                sb.Append($"0x{b.Pc:x16}, {b.Translations}, {b.Instructions}, {executions}\n");
            }
            context.Output(sb.ToString());
        });
    }
}
