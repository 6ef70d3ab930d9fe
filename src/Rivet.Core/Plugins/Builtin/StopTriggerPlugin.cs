namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>stoptrigger</c> (QEMU's contrib/plugins/stoptrigger.c): shut the machine down when a vCPU
/// is about to execute its instruction number N+1 (<c>icount=N</c>, counted per vCPU) or an
/// instruction at an address (<c>addr=0x...</c>, repeatable). The exit code is
/// <c>exitcode=</c> (default 0), or a <c>:CODE</c> suffix on one trigger as QEMU writes it
/// (<c>addr=0x80000010:3</c>). QEMU exits inside the callback; Rivet requests a shutdown, so the
/// vCPU stops at its next block boundary and the at-exit callbacks still run.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class StopTriggerPlugin : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("icount", "addr", "exitcode");
        int defaultCode = (int)args.GetInt64("exitcode", 0, 0, 255);
        (ulong Value, int Code) Parse(string key, string text)
        {
            int colon = text.IndexOf(':');
            if (colon < 0) return (PluginArgs.ParseNumber(key, text), defaultCode);
            ulong code = PluginArgs.ParseNumber(key, text[(colon + 1)..]);
            if (code > 255) throw new PluginArgumentException($"{key}={text}: the exit code must be 0..255");
            return (PluginArgs.ParseNumber(key, text[..colon]), (int)code);
        }

        ulong? icount = null;
        int icountCode = defaultCode;
        if (args.Get("icount") is { } icountText)
        {
            (ulong n, icountCode) = Parse("icount", icountText);
            if (n < 1) throw new PluginArgumentException($"icount={icountText}: must be a positive integer");
            icount = n;
        }
        var addresses = new Dictionary<ulong, int>();
        foreach (string a in args.GetAll("addr"))
        {
            (ulong address, int code) = Parse("addr", a);
            addresses[address] = code;
        }
        if (icount == null && addresses.Count == 0) throw new PluginArgumentException("'icount' or 'addr' argument missing");

        int triggered = 0;
        void Trigger(int code, string message)
        {
            if (Interlocked.Exchange(ref triggered, 1) != 0) return;
            context.Output(message);
            context.RequestShutdown(code);
        }

        // Per vCPU, written only by that vCPU's thread.
        ulong[] counts = new ulong[context.VCpuCount];
        ExecuteCallback? countCallback = null;
        if (icount is ulong limit)
        {
            countCallback = (cpu, pc) =>
            {
                if (++counts[cpu] == limit + 1) Trigger(icountCode, $"icount reached at 0x{pc:x}, exiting\n");
            };
        }
        context.RegisterBlockTranslated(block =>
        {
            foreach (IInstruction insn in block.Instructions)
            {
                if (countCallback != null) insn.RegisterExecute(countCallback);
                if (addresses.TryGetValue(insn.Pc, out int code))
                {
                    ulong at = insn.Pc;
                    insn.RegisterExecute((cpu, pc) => Trigger(code, $"0x{at:x} reached, exiting\n"));
                }
            }
        });
    }
}
