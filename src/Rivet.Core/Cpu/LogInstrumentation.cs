namespace Rivet.Cpu;

/// <summary>
/// <c>-d in_asm</c>, <c>exec</c> and <c>cpu</c>: per-block logging through the instrumented
/// interpreter, so the plain loop stays as it is when none of them is asked for. Wraps the
/// plugins' instrumentation (if any): both see every block.
/// </summary>
internal sealed class LogInstrumentation(GuestLog log, Hart hart, IHartInstrumentation? inner) : IHartInstrumentation
{
    private long _blocks; // blocks seen by this hart; the Trace line's stand-in for QEMU's host address

    public BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
    {
        BlockHooks? hooks = inner?.Translate(cpu, pc, insns);
        if (log.Has(LogItems.InAsm)) log.Write(GuestLog.InAsmBlock(hart.Privilege, insns));
        if (!log.Has(LogItems.Exec | LogItems.Cpu)) return hooks;
        hooks ??= new BlockHooks();
        long block = _blocks++;
        bool exec = log.Has(LogItems.Exec), dump = log.Has(LogItems.Cpu), fpu = log.Has(LogItems.Fpu);
        // First at the block's start, before the plugins' hooks (which see the same block).
        hooks.Entry = [HookOp.Call((c, p) =>
        {
            // QEMU prints both for a block as one piece: Trace first, then the registers.
            string text = (exec ? GuestLog.ExecLine(c, block, p, hart.Privilege) : "") + (dump ? GuestLog.CpuDump(hart.CaptureState(), fpu) : "");
            log.Write(text);
        }), .. hooks.Entry ?? []];
        return hooks;
    }
}
