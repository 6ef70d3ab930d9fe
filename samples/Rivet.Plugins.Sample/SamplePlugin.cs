using System.Text;

namespace Rivet.Plugins.Sample;

/// <summary>
/// A sample Rivet plugin that uses every kind of callback and prints a per-vCPU summary at exit:
/// instructions (an inline scoreboard counter), blocks executed (a block execute callback),
/// loads and stores (memory callbacks), <c>wfi</c> instructions executed (an instruction execute
/// callback chosen from the disassembly), idle and resume counts, and registers read at vCPU
/// init and exit.
/// </summary>
/// <remarks>
/// Arguments: <c>verbose=on</c> lists every block as it is translated, with its disassembly.
/// Threading: vCPU callbacks run concurrently on the vCPUs' threads, so per-vCPU state lives in
/// arrays indexed by vCPU (each entry written by one thread only) and shared state is locked.
/// </remarks>
[RivetPlugin(PluginApi.Version)]
public sealed class SamplePlugin : IRivetPlugin
{
    private sealed class VCpuStats
    {
        public long Blocks, Loads, Stores, Wfis, Idles, Resumes;
        public ulong InitPc, InitA0, ExitPc, LastStoreAddress;
    }

    private readonly object _lock = new();
    private int _translations;     // guarded by _lock
    private ulong _largestPc;      // guarded by _lock
    private int _largestCount;     // guarded by _lock

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("verbose");
        bool verbose = args.GetBool("verbose", false);
        var stats = new VCpuStats[context.VCpuCount];
        for (int i = 0; i < stats.Length; i++) stats[i] = new VCpuStats();
        Scoreboard instructions = context.NewScoreboard();

        context.RegisterVCpuInit(cpu =>
        {
            stats[cpu].InitPc = context.ReadPc();
            stats[cpu].InitA0 = context.ReadRegister(10); // a0 = mhartid at reset
        });
        context.RegisterVCpuIdle(cpu => stats[cpu].Idles++);
        context.RegisterVCpuResume(cpu => stats[cpu].Resumes++);

        ExecuteCallback blockExecuted = (cpu, pc) => stats[cpu].Blocks++;
        ExecuteCallback wfiExecuted = (cpu, pc) => stats[cpu].Wfis++;
        MemoryCallback memory = (cpu, access) =>
        {
            VCpuStats s = stats[cpu];
            if (access.IsStore)
            {
                s.Stores++;
                s.LastStoreAddress = access.Address;
            }
            else
            {
                s.Loads++;
            }
        };

        context.RegisterBlockTranslated(block =>
        {
            block.RegisterExecute(blockExecuted);
            foreach (IInstruction insn in block.Instructions)
            {
                insn.RegisterExecuteInline(instructions, 1);
                insn.RegisterMemory(memory);
                if (insn.Disassembly == "wfi") insn.RegisterExecute(wfiExecuted);
            }
            lock (_lock)
            {
                _translations++;
                if (block.Instructions.Count > _largestCount)
                {
                    _largestCount = block.Instructions.Count;
                    _largestPc = block.Pc;
                }
            }
            if (verbose)
            {
                var sb = new StringBuilder($"sample: vcpu {block.VCpuIndex} translated block 0x{block.Pc:x}, {block.Instructions.Count} instructions, {block.Size} bytes\n");
                foreach (IInstruction insn in block.Instructions)
                {
                    string encoding = insn.Size == 2 ? $"{insn.Opcode:x4}" : $"{insn.Opcode:x8}"; // as objdump shows it
                    sb.Append($"sample:   0x{insn.Pc:x}: {encoding,-8} {insn.Disassembly}\n");
                }
                context.Output(sb.ToString());
            }
        });

        context.RegisterVCpuExit(cpu => stats[cpu].ExitPc = context.ReadPc());

        context.RegisterAtExit(() =>
        {
            var sb = new StringBuilder();
            for (int cpu = 0; cpu < stats.Length; cpu++)
            {
                VCpuStats s = stats[cpu];
                sb.Append($"sample: vcpu {cpu}: {instructions[cpu]} instructions, {s.Blocks} blocks, {s.Loads} loads, {s.Stores} stores");
                sb.Append($" (last at 0x{s.LastStoreAddress:x}), {s.Wfis} wfi, idle {s.Idles}, resumed {s.Resumes},");
                sb.Append($" init pc 0x{s.InitPc:x} a0 {s.InitA0}, exit pc 0x{s.ExitPc:x}\n");
            }
            lock (_lock)
            {
                sb.Append($"sample: {_translations} blocks translated, the largest at 0x{_largestPc:x} ({_largestCount} instructions)\n");
            }
            sb.Append($"sample: total {instructions.Sum()} instructions\n");
            context.Output(sb.ToString());
        });
    }
}
