using Rivet.Cpu;
using CpuMemoryAccess = Rivet.Cpu.MemoryAccess;

namespace Rivet.Plugins.Hosting;

/// <summary>
/// One thing a plugin attached to a block or an instruction, as registered: a callback, an inline
/// add or store, or a conditional callback (<see cref="HookKind"/>). Turned into the hart's
/// <see cref="HookOp"/> for the translating vCPU, whose entry of the scoreboard it names.
/// </summary>
internal readonly record struct PluginOp(HookKind Kind, ExecuteCallback? Callback, ScoreboardField Field, ulong Immediate, HookCondition Condition)
{
    public static PluginOp Call(ExecuteCallback callback) => new(HookKind.Callback, callback, default, 0, HookCondition.Always);

    public static PluginOp Inline(HookKind kind, ScoreboardField field, ulong immediate) => new(kind, null, field, immediate, HookCondition.Always);

    public HookOp ToHook(int cpu, CallbackSite callSite, CallbackSite conditionalSite) => Kind switch
    {
        HookKind.Callback => HookOp.Call(PluginInstrumentation.Contain(Callback!, callSite)),
        HookKind.Conditional => HookOp.When(PluginInstrumentation.Contain(Callback!, conditionalSite), Condition, Field.Scoreboard.Values, Field.Scoreboard.Slot(cpu, Field.Index), Immediate),
        _ => HookOp.Inline(Kind, Field.Scoreboard.Values, Field.Scoreboard.Slot(cpu, Field.Index), Immediate),
    };
}

/// <summary>One thing a plugin attached to an instruction's memory accesses: a callback or an inline add or store.</summary>
internal readonly record struct PluginMemoryOp(HookKind Kind, MemoryAccessFilter Filter, MemoryCallback? Callback, ScoreboardField Field, ulong Immediate)
{
    public MemoryHookOp ToHook(int cpu, CallbackSite site, Hart hart)
    {
        bool loads = (Filter & MemoryAccessFilter.Read) != 0, stores = (Filter & MemoryAccessFilter.Write) != 0;
        if (Kind == HookKind.Callback)
        {
            Action<int, CpuMemoryAccess> call = PluginInstrumentation.Contain(Callback!, Filter, site, hart);
            return new MemoryHookOp(HookKind.Callback, loads, stores, call, null, 0, 0);
        }
        return new MemoryHookOp(Kind, loads, stores, null, Field.Scoreboard.Values, Field.Scoreboard.Slot(cpu, Field.Index), Immediate);
    }
}

internal sealed partial class BlockView
{
    public void RegisterExecuteInline(InlineOperation operation, ScoreboardField field, ulong immediate)
    {
        CheckOpen();
        Host.CheckField(field);
        Add(PluginOp.Inline(InlineOps.Kind(operation), field, immediate));
    }

    public void RegisterExecuteConditional(ExecuteCallback callback, ScoreboardCondition condition, ScoreboardField field, ulong immediate)
    {
        CheckOpen();
        ArgumentNullException.ThrowIfNull(callback);
        Host.CheckField(field);
        Add(new PluginOp(HookKind.Conditional, callback, field, immediate, InlineOps.Condition(condition)));
    }
}

internal sealed partial class InstructionView
{
    public void RegisterExecuteInline(InlineOperation operation, ScoreboardField field, ulong immediate)
    {
        block.CheckOpen();
        block.Host.CheckField(field);
        (Ops ??= []).Add(PluginOp.Inline(InlineOps.Kind(operation), field, immediate));
    }

    public void RegisterExecuteConditional(ExecuteCallback callback, ScoreboardCondition condition, ScoreboardField field, ulong immediate)
    {
        block.CheckOpen();
        ArgumentNullException.ThrowIfNull(callback);
        block.Host.CheckField(field);
        (Ops ??= []).Add(new PluginOp(HookKind.Conditional, callback, field, immediate, InlineOps.Condition(condition)));
    }

    public void RegisterMemoryInline(MemoryAccessFilter filter, InlineOperation operation, ScoreboardField field, ulong immediate)
    {
        block.CheckOpen();
        CheckFilter(filter);
        block.Host.CheckField(field);
        (Memory ??= []).Add(new PluginMemoryOp(InlineOps.Kind(operation), filter, null, field, immediate));
    }
}
