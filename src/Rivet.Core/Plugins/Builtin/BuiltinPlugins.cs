namespace Rivet.Plugins.Builtin;

/// <summary>
/// The plugins built into Rivet, selected with <c>-plugin NAME</c>. They use the public API
/// like any other plugin (the timeline also observes the lifecycle from inside); each mirrors
/// the QEMU plugin of the same name, output format included.
/// </summary>
internal static class BuiltinPlugins
{
    private static readonly SortedDictionary<string, Func<IRivetPlugin>> s_all = new(StringComparer.Ordinal)
    {
        ["execlog"] = () => new ExeclogPlugin(),
        ["bbv"] = () => new BbvPlugin(),
        ["cache"] = () => new CachePlugin(),
        ["drcov"] = () => new DrcovPlugin(),
        ["hotblocks"] = () => new HotBlocksPlugin(),
        ["howvec"] = () => new HowvecPlugin(),
        ["hotpages"] = () => new HotPagesPlugin(),
        ["idle"] = () => new IdlePlugin(),
        ["insn"] = () => new InsnPlugin(),
        ["ips"] = () => new IpsPlugin(),
        ["stoptrigger"] = () => new StopTriggerPlugin(),
        ["timeline"] = () => new TimelinePlugin(),
        ["traps"] = () => new TrapsPlugin(),
    };

    public static IReadOnlyList<string> Names { get; } = [.. s_all.Keys];

    public static IRivetPlugin? Create(string name) => s_all.TryGetValue(name, out Func<IRivetPlugin>? create) ? create() : null;
}
