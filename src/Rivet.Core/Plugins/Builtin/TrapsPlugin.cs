using System.Globalization;
using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>traps</c>: per vCPU, the interrupts, exceptions and host calls it took, printed at exit in
/// the format of QEMU 10's contrib/plugins/traps.c (a CSV header, then one row per vCPU with
/// printf's <c>"% 4d, % 10d, % 10d, % 10d"</c> fields). Trap returns (Rivet's extension) are not
/// counted, as QEMU has none.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class TrapsPlugin : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown();
        int n = context.VCpuCount;
        // One slot per vCPU, written only by that vCPU's thread; read at exit, with every vCPU paused.
        long[] interrupts = new long[n], exceptions = new long[n], hostcalls = new long[n];
        context.RegisterVCpuDiscon(DisconType.AllQemu, (cpu, d) =>
        {
            switch (d.Type)
            {
                case DisconType.Interrupt: interrupts[cpu]++; break;
                case DisconType.Exception: exceptions[cpu]++; break;
                case DisconType.HostCall: hostcalls[cpu]++; break;
            }
        });
        context.RegisterAtExit(() =>
        {
            var sb = new StringBuilder("VCPU, interrupts, exceptions, hostcalls\n");
            for (int cpu = 0; cpu < n; cpu++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{Field(cpu, 4)}, {Field(interrupts[cpu], 10)}, {Field(exceptions[cpu], 10)}, {Field(hostcalls[cpu], 10)}\n");
            }
            context.Output(sb.ToString());
        });
    }

    /// <summary>printf's <c>% Nd</c>: a space where the sign of a negative number would go, right-aligned in <paramref name="width"/>.</summary>
    internal static string Field(long value, int width)
        => (value < 0 ? value.ToString(CultureInfo.InvariantCulture) : " " + value.ToString(CultureInfo.InvariantCulture)).PadLeft(width);
}
