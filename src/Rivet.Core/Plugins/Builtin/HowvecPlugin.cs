using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>howvec</c>: a histogram of instruction classes (QEMU's contrib/plugins/howvec.c). QEMU has
/// class tables for aarch64 and sparc only (RISC-V falls back to counting every opcode); Rivet's
/// table is <see cref="InstructionClass"/>, one row per class. <c>count=CLASS</c> counts that
/// class's opcodes individually, <c>count=!CLASS</c> not at all; <c>inline=on</c> counts with inline
/// scoreboard adds instead of callbacks; <c>verbose=on</c> lists classes that never ran.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class HowvecPlugin : IRivetPlugin
{
    private enum CountType
    {
        Class,
        Individual,
        None,
    }

    /// <summary>The RISC-V class table: name as printed, and the short name <c>count=</c> takes.</summary>
    internal static readonly (InstructionClass Class, string Name, string Opt)[] Classes =
    [
        (InstructionClass.Alu, "Integer ALU", "alu"),
        (InstructionClass.MulDiv, "Multiply/Divide", "muldiv"),
        (InstructionClass.Load, "Loads", "load"),
        (InstructionClass.Store, "Stores", "store"),
        (InstructionClass.Branch, "Cond Branch", "branch"),
        (InstructionClass.Jump, "Jump", "jump"),
        (InstructionClass.Call, "Call", "call"),
        (InstructionClass.Return, "Return", "ret"),
        (InstructionClass.Atomic, "Atomic", "atomic"),
        (InstructionClass.Csr, "CSR", "csr"),
        (InstructionClass.Fp, "Floating Point", "fp"),
        (InstructionClass.Fence, "Fence", "fence"),
        (InstructionClass.System, "System", "system"),
        (InstructionClass.Illegal, "Illegal", "illegal"),
    ];

    private const int Limit = 50; // QEMU's fixed limit of individual instructions listed

    private sealed class Individual(uint opcode, string disassembly, string className, Scoreboard count)
    {
        public readonly uint Opcode = opcode;
        public readonly string Disassembly = disassembly;
        public readonly string ClassName = className;
        public readonly Scoreboard Count = count;
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("inline", "verbose", "count");
        bool inline = args.GetBool("inline", false);
        bool verbose = args.GetBool("verbose", false);
        var what = new CountType[Classes.Length];
        foreach (string value in args.GetAll("count"))
        {
            bool none = value.StartsWith('!');
            string opt = none ? value[1..] : value;
            int row = Array.FindIndex(Classes, c => c.Opt == opt);
            if (row < 0)
                throw new PluginArgumentException($"count={value}: no instruction class '{opt}' (classes: {string.Join(", ", Classes.Select(c => c.Opt))})");
            what[row] = none ? CountType.None : CountType.Individual;
        }
        var rowOf = new int[Enum.GetValues<InstructionClass>().Length];
        for (int r = 0; r < Classes.Length; r++) rowOf[(int)Classes[r].Class] = r;

        Scoreboard[] classCounts = [.. Classes.Select(_ => context.NewScoreboard())];
        var individual = new ConcurrentDictionary<uint, Individual>();
        ExecuteCallback[] bumps = [.. classCounts.Select(Bump)];

        context.RegisterBlockTranslated(block =>
        {
            foreach (IInstruction insn in block.Instructions)
            {
                int row = rowOf[(int)insn.Class];
                Scoreboard? counter = what[row] switch
                {
                    CountType.Class => classCounts[row],
                    CountType.Individual => individual.GetOrAdd(insn.Opcode,
                        op => new Individual(op, insn.Disassembly, Classes[row].Name, context.NewScoreboard())).Count,
                    _ => null,
                };
                if (counter == null) continue;
                if (inline) insn.RegisterExecuteInline(counter, 1);
                else insn.RegisterExecute(what[row] == CountType.Class ? bumps[row] : Bump(counter));
            }
        });

        context.RegisterAtExit(() =>
        {
            var sb = new StringBuilder("Instruction Classes:\n");
            for (int r = 0; r < Classes.Length; r++)
            {
                switch (what[r])
                {
                    case CountType.Class:
                        long n = classCounts[r].Sum();
                        if (n != 0 || verbose) sb.Append(CultureInfo.InvariantCulture, $"Class: {Classes[r].Name,-24}\t({n} hits)\n");
                        break;
                    case CountType.Individual:
                        sb.Append(CultureInfo.InvariantCulture, $"Class: {Classes[r].Name,-24}\tcounted individually\n");
                        break;
                    default:
                        sb.Append(CultureInfo.InvariantCulture, $"Class: {Classes[r].Name,-24}\tnot counted\n");
                        break;
                }
            }
            // QEMU lists them only when there are two or more.
            if (individual.Count > 1)
            {
                sb.Append("Individual Instructions:\n");
                foreach ((Individual x, long hits) in individual.Values.Select(x => (x, x.Count.Sum()))
                             .OrderByDescending(p => p.Item2).ThenBy(p => p.x.Opcode).Take(Limit))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"Instr: {x.Disassembly,-24}\t({hits} hits)\t(op=0x{x.Opcode:x8}/{x.ClassName})\n");
                }
            }
            context.Output(sb.ToString());
        });
    }

    /// <summary>A callback adding one to the executing vCPU's entry (each vCPU writes only its own).</summary>
    private static ExecuteCallback Bump(Scoreboard counter) => (cpu, _) => counter[cpu]++;
}
