using System.Runtime.CompilerServices;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Qmp;

/// <summary>One character device of the host program, as query-chardev reports it.</summary>
internal sealed record HostChardevInfo(string Label, string Filename, bool FrontendOpen);

/// <summary>
/// The character devices the host program (the CLI) opened for a machine, for query-chardev.
/// Kept beside the machine rather than in the QMP server's options, so the server's construction
/// does not depend on the character devices.
/// </summary>
internal static class HostChardevs
{
    private static readonly ConditionalWeakTable<RivetMachine, Func<IReadOnlyList<HostChardevInfo>>> s_table = [];

    public static void Register(RivetMachine machine, Func<IReadOnlyList<HostChardevInfo>> describe) => s_table.AddOrUpdate(machine, describe);

    /// <summary>The devices, or null if the host registered none (a machine built by tests or tools).</summary>
    public static IReadOnlyList<HostChardevInfo>? Of(RivetMachine machine) => s_table.TryGetValue(machine, out var describe) ? describe() : null;
}
