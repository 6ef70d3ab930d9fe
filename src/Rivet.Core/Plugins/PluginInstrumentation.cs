using Rivet.Cpu;
using Rivet.Isa;
using Rivet.Machine;
using CpuMemoryAccess = Rivet.Cpu.MemoryAccess;

namespace Rivet.Plugins.Hosting;

/// <summary>
/// The harts' instrumentation when a plugin instruments blocks: each new block is shown to every
/// plugin's block-translated callback, and what they attach is merged into one
/// <see cref="BlockHooks"/>. Runs on the translating vCPU's thread.
/// </summary>
internal sealed partial class PluginInstrumentation(PluginHost host, Hart[] harts) : IHartInstrumentation
{
    public BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
    {
        VCpu? v = VCpu.Current;
        BlockHooks? hooks = null;
        foreach (Registration<BlockTranslatedCallback> r in host.Translated)
        {
            if (r.Site.Disabled) continue;
            var block = new BlockView(host, cpu, pc, insns);
            bool ok = false;
            v?.EnterCallback(r.Site.HangName);
            PluginContext? outer = PluginThreads.Enter(r.Plugin);
            CallbackKind kind = PluginCallback.Enter(CallbackKind.Translation);
            try
            {
                r.Callback(block);
                ok = true;
            }
            catch (Exception ex)
            {
                // What this call attached is dropped with it.
                r.Site.Fail(cpu, ex);
            }
            finally
            {
                PluginCallback.Leave(kind);
                PluginThreads.Leave(outer);
                block.Close();
                v?.LeaveCallback();
            }
            if (ok) block.AddTo(ref hooks, r.Plugin, harts[cpu]);
        }
        return hooks;
    }

    /// <summary>A plugin's execute callback, contained: after it throws, it and its kind are skipped.</summary>
    internal static Action<int, ulong> Contain(ExecuteCallback callback, CallbackSite site) => (cpu, pc) =>
    {
        if (site.Disabled) return;
        CallbackKind kind = PluginCallback.Enter(CallbackKind.Execute);
        try
        {
            callback(cpu, pc);
        }
        catch (Exception ex)
        {
            site.Fail(cpu, ex);
        }
        finally
        {
            PluginCallback.Leave(kind);
        }
    };

    /// <summary>A plugin's memory callback, filtered and contained; the hart's pc is the accessing instruction's during the call.</summary>
    internal static Action<int, CpuMemoryAccess> Contain(MemoryCallback callback, MemoryAccessFilter filter, CallbackSite site, Hart hart) => (cpu, m) =>
    {
        if (site.Disabled || (filter & (m.IsStore ? MemoryAccessFilter.Write : MemoryAccessFilter.Read)) == 0) return;
        hart.Pc = m.Pc; // as the interpreter does before execute callbacks: ReadPc sees the instruction
        CallbackKind kind = PluginCallback.Enter(CallbackKind.Memory);
        try
        {
            callback(cpu, PluginContext.WithPhysical(new MemoryAccessInfo(m.Pc, m.Address, m.Size, m.IsStore, m.Value), hart));
        }
        catch (Exception ex)
        {
            site.Fail(cpu, ex);
        }
        finally
        {
            PluginCallback.Leave(kind);
        }
    };
}

/// <summary>The <see cref="IBlock"/> one plugin sees during one block-translated callback.</summary>
internal sealed partial class BlockView : IBlock
{
    private readonly PluginHost _host;
    private readonly InstructionView[] _insns;
    private List<PluginOp>? _ops; // in registration order

    public BlockView(PluginHost host, int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
    {
        _host = host;
        VCpuIndex = cpu;
        Pc = pc;
        _insns = new InstructionView[insns.Count];
        int size = 0;
        for (int i = 0; i < _insns.Length; i++)
        {
            _insns[i] = new InstructionView(this, insns[i]);
            size += insns[i].Length;
        }
        Size = size;
    }

    public ulong Pc { get; }
    public int Size { get; }
    public int VCpuIndex { get; }
    public IReadOnlyList<IInstruction> Instructions => _insns;
    public bool Closed { get; private set; }
    public PluginHost Host => _host;

    public void Close() => Closed = true;

    public void CheckOpen()
    {
        if (Closed) throw new InvalidOperationException("a block and its instructions can only be instrumented during its block-translated callback");
    }

    public void RegisterExecute(ExecuteCallback callback)
    {
        CheckOpen();
        ArgumentNullException.ThrowIfNull(callback);
        (_ops ??= []).Add(PluginOp.Call(callback));
    }

    public void RegisterExecuteInline(Scoreboard scoreboard, long amount)
    {
        CheckOpen();
        _host.CheckScoreboard(scoreboard);
        (_ops ??= []).Add(PluginOp.Inline(HookKind.Add, scoreboard, (ulong)amount));
    }

    /// <summary>Adds an operation to the block's list (Inline.cs checks the arguments).</summary>
    public void Add(PluginOp op) => (_ops ??= []).Add(op);

    /// <summary>Merges what the plugin attached into <paramref name="hooks"/>, wrapping callbacks with the plugin's containment.</summary>
    public void AddTo(ref BlockHooks? hooks, PluginContext plugin, Hart hart)
    {
        int n = _insns.Length, cpu = VCpuIndex;
        if (_ops != null)
        {
            hooks ??= new BlockHooks();
            hooks.Entry = [.. hooks.Entry ?? [], .. _ops.Select(o => o.ToHook(cpu, plugin.BlockExecSite, plugin.BlockCondSite))];
        }
        for (int i = 0; i < n; i++)
        {
            InstructionView insn = _insns[i];
            if (insn.Ops != null)
            {
                hooks ??= new BlockHooks();
                hooks.Insn ??= new HookOp[]?[n];
                hooks.Insn[i] = [.. hooks.Insn[i] ?? [], .. insn.Ops.Select(o => o.ToHook(cpu, plugin.InsnExecSite, plugin.InsnCondSite))];
            }
            if (insn.Memory != null)
            {
                hooks ??= new BlockHooks();
                hooks.Memory ??= new MemoryHookOp[]?[n];
                hooks.Memory[i] = [.. hooks.Memory[i] ?? [], .. insn.Memory.Select(o => o.ToHook(cpu, plugin.MemorySite, hart))];
            }
        }
    }
}

/// <summary>One instruction of a <see cref="BlockView"/>.</summary>
internal sealed partial class InstructionView(BlockView block, TranslatedInsn insn) : IInstruction
{
    private byte[]? _bytes;
    private string? _disassembly;

    public List<PluginOp>? Ops;               // before the instruction, in registration order
    public List<PluginMemoryOp>? Memory;      // after each access, in registration order

    // For the metadata partial (primary-constructor parameters are visible in this part only).
    private BlockView MetadataBlock => block;
    private DecodedInsn MetadataDecoded => insn.Decoded;

    public ulong Pc => insn.Pc;
    public int Size => insn.Length;
    public uint Opcode => insn.Raw;

    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (_bytes == null)
            {
                var bytes = new byte[insn.Length];
                for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(insn.Raw >> (8 * i));
                _bytes = bytes;
            }
            return _bytes;
        }
    }

    public string Disassembly => _disassembly ??= Disassembler.Format(insn.Decoded, insn.Pc);

    public void RegisterExecute(ExecuteCallback callback)
    {
        block.CheckOpen();
        ArgumentNullException.ThrowIfNull(callback);
        (Ops ??= []).Add(PluginOp.Call(callback));
    }

    public void RegisterExecuteInline(Scoreboard scoreboard, long amount)
    {
        block.CheckOpen();
        block.Host.CheckScoreboard(scoreboard);
        (Ops ??= []).Add(PluginOp.Inline(HookKind.Add, scoreboard, (ulong)amount));
    }

    public void RegisterMemory(MemoryCallback callback, MemoryAccessFilter filter = MemoryAccessFilter.ReadWrite)
    {
        block.CheckOpen();
        ArgumentNullException.ThrowIfNull(callback);
        CheckFilter(filter);
        (Memory ??= []).Add(new PluginMemoryOp(HookKind.Callback, filter, callback, default, 0));
    }

    private static void CheckFilter(MemoryAccessFilter filter)
    {
        if ((filter & MemoryAccessFilter.ReadWrite) == 0 || (filter & ~MemoryAccessFilter.ReadWrite) != 0)
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "select reads, writes or both");
    }
}
