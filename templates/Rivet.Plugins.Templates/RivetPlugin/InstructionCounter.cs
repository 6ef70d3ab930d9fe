using System.Text;
using Rivet.Plugins;

namespace MyPlugin;

/// <summary>
/// Counts the instructions each vCPU executes and prints the counts when the machine exits.
/// </summary>
/// <remarks>
/// Arguments (after the assembly's path in <c>-plugin PATH,percpu=on</c>): <c>percpu=on</c>
/// prints one line per vCPU before the total. The counter is an inline scoreboard: one entry per
/// vCPU, incremented by the emulator itself as each instruction executes, with no callback into
/// the plugin, so it costs little. Output goes through <see cref="IPluginContext.Output"/>, shown
/// with <c>-d plugin</c> (to the file <c>-D FILE</c> names, if any).
/// </remarks>
[RivetPlugin(PluginApi.Version)]
public sealed class InstructionCounter : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("percpu"); // a misspelt argument is a one-line error, not silently ignored
        bool perCpu = args.GetBool("percpu", false);
        Scoreboard instructions = context.NewScoreboard();

        // Called once per block of guest code as it is translated, on that vCPU's thread.
        context.RegisterBlockTranslated(block =>
        {
            foreach (IInstruction insn in block.Instructions) insn.RegisterExecuteInline(instructions, 1);
        });

        // Called once, after every vCPU has stopped.
        context.RegisterAtExit(() =>
        {
            var text = new StringBuilder();
            if (perCpu)
            {
                for (int cpu = 0; cpu < context.VCpuCount; cpu++) text.Append($"MyPlugin: vcpu {cpu}: {instructions[cpu]} instructions\n");
            }
            text.Append($"MyPlugin: {instructions.Sum()} instructions\n");
            context.Output(text.ToString());
        });
    }
}
