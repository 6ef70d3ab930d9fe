using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>idle</c>: per vCPU, how often it went idle (the guest's <c>wfi</c> with nothing pending),
/// how often it resumed, and how long it spent idle (from the idle callback to the resume callback).
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class IdlePlugin : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown();
        int n = context.VCpuCount;
        // One slot per vCPU, written only by that vCPU's thread; read at exit, with every vCPU paused.
        long[] idles = new long[n], resumes = new long[n], idleTicks = new long[n], since = new long[n];
        context.RegisterVCpuIdle(cpu =>
        {
            idles[cpu]++;
            since[cpu] = Stopwatch.GetTimestamp();
        });
        context.RegisterVCpuResume(cpu =>
        {
            resumes[cpu]++;
            if (since[cpu] != 0) idleTicks[cpu] += Stopwatch.GetTimestamp() - since[cpu];
            since[cpu] = 0;
        });
        context.RegisterAtExit(() =>
        {
            static string Ms(long ticks) => (ticks * 1000.0 / Stopwatch.Frequency).ToString("F3", CultureInfo.InvariantCulture);
            var sb = new StringBuilder();
            for (int cpu = 0; cpu < n; cpu++)
            {
                sb.Append($"vcpu {cpu}: idle {idles[cpu]} times, resumed {resumes[cpu]} times, idle for {Ms(idleTicks[cpu])} ms\n");
            }
            sb.Append($"total: idle {idles.Sum()} times, resumed {resumes.Sum()} times, idle for {Ms(idleTicks.Sum())} ms\n");
            context.Output(sb.ToString());
        });
    }
}
