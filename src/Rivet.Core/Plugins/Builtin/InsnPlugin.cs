using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>insn</c>: instructions executed, per vCPU and in total (QEMU's tests/tcg/plugins/insn.c).
/// By default an inline scoreboard counter on every instruction, which costs no callback;
/// <c>inline=false</c> counts in a per-instruction callback instead.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class InsnPlugin : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("inline");
        bool inline = args.GetBool("inline", true);
        Func<int, long> count;
        if (inline)
        {
            Scoreboard counts = context.NewScoreboard();
            context.RegisterBlockTranslated(block =>
            {
                foreach (IInstruction insn in block.Instructions) insn.RegisterExecuteInline(counts, 1);
            });
            count = cpu => counts[cpu];
        }
        else
        {
            // One slot per vCPU, written only by that vCPU's thread; read at exit, with every vCPU paused.
            long[] counts = new long[context.VCpuCount];
            ExecuteCallback bump = (cpu, _) => counts[cpu]++;
            context.RegisterBlockTranslated(block =>
            {
                foreach (IInstruction insn in block.Instructions) insn.RegisterExecute(bump);
            });
            count = cpu => counts[cpu];
        }
        context.RegisterAtExit(() =>
        {
            var sb = new StringBuilder();
            long total = 0;
            for (int cpu = 0; cpu < context.VCpuCount; cpu++)
            {
                long n = count(cpu);
                total += n;
                sb.Append($"cpu {cpu} insns: {n}\n");
            }
            sb.Append($"total insns: {total}\n");
            context.Output(sb.ToString());
        });
    }
}
