namespace Rivet.Cpu.Translator;

/// <summary>
/// A machine's regions, shared by its harts (docs/TRANSLATOR.md, "Shared between harts"): a region
/// depends only on the bytes of its physical page (its code generation), the virtual page it runs
/// at, the paged/bare specialisation and its head, so a hart whose head gets hot takes the region
/// another hart made from the same code instead of translating and compiling it again (8 harts
/// booting Linux run the same kernel). The lock is held for a dictionary operation only.
/// </summary>
internal sealed class SharedRegions
{
    /// <summary>Beyond this many regions the cache starts again (code rewritten in place leaves dead generations behind).</summary>
    public const int MaxRegions = 1 << 16;

    private readonly object _gate = new();
    private readonly Dictionary<Key, Region> _regions = []; // guarded by _gate

    private sealed record Key(ulong PhysBase, ulong PageBase, int Head, bool Paged); // a class: Dictionary's shared code is precompiled

    /// <summary>The region with head <paramref name="head"/> made from the page's code at <paramref name="generation"/>, or null.</summary>
    public Region? Find(ulong physBase, ulong pageBase, int head, bool paged, int generation)
    {
        var key = new Key(physBase, pageBase, head, paged);
        lock (_gate)
        {
            if (!_regions.TryGetValue(key, out Region? r)) return null;
            if (r.Generation == generation && !r.Refused) return r;
            if (r.Generation != generation) _regions.Remove(key); // the page holds other code now
            return null;
        }
    }

    /// <summary>Offers <paramref name="region"/> (head <paramref name="head"/>) to the other harts; it replaces what was there.</summary>
    public void Add(Region region, int head)
    {
        var key = new Key(region.PhysBase, region.PageBase, head, region.Paged);
        lock (_gate)
        {
            if (_regions.Count >= MaxRegions) _regions.Clear();
            _regions[key] = region;
        }
    }

    /// <summary>Forgets every region (a hart's cache was full: -accel tcg,tb-size=).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _regions.Clear();
        }
    }
}
