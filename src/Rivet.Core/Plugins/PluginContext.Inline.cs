namespace Rivet.Plugins.Hosting;

/// <summary>Scoreboards of several fields and the containment sites of conditional callbacks.</summary>
internal sealed partial class PluginContext
{
    /// <summary>Block conditional callbacks: disabled together when one throws (apart from unconditional ones).</summary>
    public CallbackSite BlockCondSite => Site("block-exec-cond");

    /// <summary>Instruction conditional callbacks.</summary>
    public CallbackSite InsnCondSite => Site("insn-exec-cond");

    public Scoreboard NewScoreboard(int fields)
    {
        if (fields is < 1 or > InlineOps.MaxScoreboardFields)
            throw new ArgumentOutOfRangeException(nameof(fields), fields, $"a scoreboard has 1 to {InlineOps.MaxScoreboardFields} fields per vCPU");
        return new Scoreboard(VCpuCount, Host, fields);
    }
}

/// <summary>Scoreboards of several fields, and the API's inline operations and conditions in the hart's terms.</summary>
internal static class InlineOps
{
    public const int MaxScoreboardFields = 4096;

    public static void CheckField(this PluginHost host, ScoreboardField field)
    {
        if (field.Scoreboard == null) throw new ArgumentException("default(ScoreboardField) names no scoreboard: use Scoreboard.Field(i)", nameof(field));
        host.CheckScoreboard(field.Scoreboard);
    }

    public static Rivet.Cpu.HookKind Kind(InlineOperation operation) => operation switch
    {
        InlineOperation.Add => Rivet.Cpu.HookKind.Add,
        InlineOperation.Store => Rivet.Cpu.HookKind.Store,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "Add or Store"),
    };

    public static Rivet.Cpu.HookCondition Condition(ScoreboardCondition condition)
        => condition is >= ScoreboardCondition.Never and <= ScoreboardCondition.Ge
            ? (Rivet.Cpu.HookCondition)(int)condition
            : throw new ArgumentOutOfRangeException(nameof(condition), condition, "one of Never, Always, Eq, Ne, Lt, Le, Gt, Ge");
}
