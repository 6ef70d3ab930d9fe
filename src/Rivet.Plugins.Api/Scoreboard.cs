namespace Rivet.Plugins;

/// <summary>
/// Per-vCPU 64-bit counters that inline operations update without a callback (QEMU's
/// <c>qemu_plugin_scoreboard</c>). A scoreboard has one entry per vCPU; each entry holds
/// <see cref="FieldCount"/> 64-bit fields (QEMU's entry is a C struct of any size and a
/// <c>qemu_plugin_u64</c> names one <c>uint64_t</c> in it by its offset; here a
/// <see cref="ScoreboardField"/> names one field by its index). Each vCPU only ever writes its own
/// entry, so no locking is needed; reads from other threads see a recent value, and every value
/// is stable once the vCPUs are paused (at-exit callbacks).
/// </summary>
/// <remarks>
/// Entries are padded to whole 64-byte cache lines, so vCPUs counting on different host cores
/// never share a line. The indexer and <see cref="Sum"/> read and write field 0 as a signed
/// <c>long</c> (the API level 1 view); <see cref="Field"/> gives QEMU's unsigned view of any field.
/// </remarks>
public sealed class Scoreboard
{
    internal readonly long[] Values;
    internal readonly object Owner;

    /// <summary>Longs between one vCPU's entry and the next: the field count rounded up to 8 (64 bytes).</summary>
    internal readonly int Stride;

    internal Scoreboard(int vcpuCount, object owner, int fieldCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fieldCount, 1);
        FieldCount = fieldCount;
        Stride = (fieldCount + 7) & ~7;
        VCpuCount = vcpuCount;
        Values = new long[vcpuCount * Stride];
        Owner = owner;
    }

    /// <summary>The number of entries: one per vCPU.</summary>
    public int VCpuCount { get; }

    /// <summary>The number of 64-bit fields in each vCPU's entry (1 for <see cref="IPluginContext.NewScoreboard()"/>).</summary>
    public int FieldCount { get; }

    /// <summary>Field 0 of one vCPU's entry.</summary>
    /// <param name="vcpuIndex">The vCPU index.</param>
    public long this[int vcpuIndex]
    {
        get => Volatile.Read(ref Values[Slot(vcpuIndex, 0)]);
        set => Volatile.Write(ref Values[Slot(vcpuIndex, 0)], value);
    }

    /// <summary>The sum of field 0 over every vCPU (QEMU's <c>qemu_plugin_u64_sum</c>).</summary>
    /// <returns>The sum.</returns>
    public long Sum() => (long)Field(0).Sum();

    /// <summary>One field of every vCPU's entry (QEMU's <c>qemu_plugin_u64</c>: the scoreboard and an offset).</summary>
    /// <param name="index">The field, 0 to <see cref="FieldCount"/> - 1.</param>
    /// <returns>The field.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a field of this scoreboard.</exception>
    public ScoreboardField Field(int index)
    {
        if ((uint)index >= (uint)FieldCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"the scoreboard has {FieldCount} field(s) per vCPU");
        return new ScoreboardField(this, index);
    }

    /// <summary>Field 0, so a one-field scoreboard can be passed wherever a field is expected.</summary>
    /// <param name="scoreboard">The scoreboard.</param>
    public static implicit operator ScoreboardField(Scoreboard scoreboard)
    {
        ArgumentNullException.ThrowIfNull(scoreboard);
        return new ScoreboardField(scoreboard, 0);
    }

    internal int Slot(int vcpuIndex, int field)
    {
        if ((uint)vcpuIndex >= (uint)VCpuCount) throw new ArgumentOutOfRangeException(nameof(vcpuIndex), vcpuIndex, $"vCPU indexes run from 0 to {VCpuCount - 1}");
        return vcpuIndex * Stride + field;
    }
}

/// <summary>
/// One 64-bit field of a <see cref="Scoreboard"/>'s per-vCPU entries (QEMU's <c>qemu_plugin_u64</c>):
/// the target of inline operations and the operand of conditional callbacks. Values are unsigned,
/// as QEMU's; additions wrap modulo 2^64.
/// </summary>
public readonly struct ScoreboardField : IEquatable<ScoreboardField>
{
    internal ScoreboardField(Scoreboard scoreboard, int index)
    {
        Scoreboard = scoreboard;
        Index = index;
    }

    /// <summary>The scoreboard (null for <c>default(ScoreboardField)</c>, which no registration accepts).</summary>
    public Scoreboard Scoreboard { get; }

    /// <summary>The field's index in each entry.</summary>
    public int Index { get; }

    /// <summary>The field of one vCPU's entry (QEMU's <c>qemu_plugin_u64_get</c> / <c>_set</c>).</summary>
    /// <param name="vcpuIndex">The vCPU index.</param>
    public ulong this[int vcpuIndex]
    {
        get => (ulong)Volatile.Read(ref Board.Values[Board.Slot(vcpuIndex, Index)]);
        set => Volatile.Write(ref Board.Values[Board.Slot(vcpuIndex, Index)], (long)value);
    }

    /// <summary>Adds to the field of one vCPU's entry (QEMU's <c>qemu_plugin_u64_add</c>). Call it for the vCPU whose callback is running (entries are written by their own vCPU only).</summary>
    /// <param name="vcpuIndex">The vCPU index.</param>
    /// <param name="value">What to add (wrapping).</param>
    public void Add(int vcpuIndex, ulong value)
    {
        ref long slot = ref Board.Values[Board.Slot(vcpuIndex, Index)];
        Volatile.Write(ref slot, slot + (long)value);
    }

    /// <summary>The sum over every vCPU (QEMU's <c>qemu_plugin_u64_sum</c>), wrapping.</summary>
    /// <returns>The sum.</returns>
    public ulong Sum()
    {
        Scoreboard b = Board;
        ulong sum = 0;
        for (int cpu = 0; cpu < b.VCpuCount; cpu++) sum += (ulong)Volatile.Read(ref b.Values[cpu * b.Stride + Index]);
        return sum;
    }

    private Scoreboard Board => Scoreboard ?? throw new InvalidOperationException("default(ScoreboardField) names no scoreboard: use Scoreboard.Field(i)");

    /// <inheritdoc/>
    public bool Equals(ScoreboardField other) => ReferenceEquals(Scoreboard, other.Scoreboard) && Index == other.Index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ScoreboardField f && Equals(f);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Scoreboard, Index);

    /// <summary>Same scoreboard and field.</summary>
    /// <param name="left">One field.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(ScoreboardField left, ScoreboardField right) => left.Equals(right);

    /// <summary>Different scoreboard or field.</summary>
    /// <param name="left">One field.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(ScoreboardField left, ScoreboardField right) => !left.Equals(right);
}

/// <summary>What an inline operation does to the executing vCPU's field (QEMU's <c>qemu_plugin_op</c>).</summary>
public enum InlineOperation
{
    /// <summary>Adds the immediate, wrapping (<c>QEMU_PLUGIN_INLINE_ADD_U64</c>).</summary>
    Add,

    /// <summary>Stores the immediate (<c>QEMU_PLUGIN_INLINE_STORE_U64</c>).</summary>
    Store,
}

/// <summary>
/// When a conditional callback fires: the executing vCPU's field compared with the immediate,
/// both unsigned 64-bit (QEMU's <c>qemu_plugin_cond</c>), e.g. <see cref="Ge"/> fires when
/// <c>field &gt;= immediate</c>.
/// </summary>
public enum ScoreboardCondition
{
    /// <summary>Never fires (<c>QEMU_PLUGIN_COND_NEVER</c>).</summary>
    Never,

    /// <summary>Always fires (<c>QEMU_PLUGIN_COND_ALWAYS</c>).</summary>
    Always,

    /// <summary>field == immediate (<c>QEMU_PLUGIN_COND_EQ</c>).</summary>
    Eq,

    /// <summary>field != immediate (<c>QEMU_PLUGIN_COND_NE</c>).</summary>
    Ne,

    /// <summary>field &lt; immediate (<c>QEMU_PLUGIN_COND_LT</c>).</summary>
    Lt,

    /// <summary>field &lt;= immediate (<c>QEMU_PLUGIN_COND_LE</c>).</summary>
    Le,

    /// <summary>field &gt; immediate (<c>QEMU_PLUGIN_COND_GT</c>).</summary>
    Gt,

    /// <summary>field &gt;= immediate (<c>QEMU_PLUGIN_COND_GE</c>).</summary>
    Ge,
}
