using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Rivet.Plugins.Hosting;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>cache</c>: a set-associative L1 instruction and data cache per core, and optionally a unified
/// L2, fed by every instruction fetch and data access (QEMU's contrib/plugins/cache.c, same options,
/// same tables). Accesses to devices are not cached (QEMU skips I/O too).
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class CachePlugin : IRivetPlugin
{
    internal enum Eviction
    {
        Lru,
        Fifo,
        Random,
    }

    /// <summary>One set-associative cache (QEMU's Cache): tags only, no data. Guarded by its own lock (cores may share one).</summary>
    internal sealed class Cache
    {
        private readonly int _assoc, _blockShift;
        private readonly ulong _setMask, _tagMask;
        private readonly Eviction _policy;
        private readonly ulong[] _tags;     // [set * assoc + way]
        private readonly bool[] _valid;
        private readonly ulong[] _lastUse;  // LRU: the set's generation at the way's last use
        private readonly ulong[] _generation; // LRU: per set
        private readonly int[] _fifoNext;   // FIFO: once a set is full, its ways are replaced in fill order
        private readonly Random _random = new();

        public long Accesses, Misses;

        public Cache(int blockSize, int assoc, int size, Eviction policy)
        {
            int sets = size / (blockSize * assoc);
            _assoc = assoc;
            _blockShift = System.Numerics.BitOperations.Log2((uint)blockSize);
            _setMask = (ulong)(sets - 1) << _blockShift;
            _tagMask = ~(_setMask | (uint)(blockSize - 1));
            _policy = policy;
            _tags = new ulong[sets * assoc];
            _valid = new bool[sets * assoc];
            _lastUse = new ulong[sets * assoc];
            _generation = new ulong[sets];
            _fifoNext = new int[sets];
        }

        /// <summary>One access: true on a hit; a miss fills the block (QEMU's access_cache).</summary>
        public bool Access(ulong address)
        {
            ulong tag = address & _tagMask;
            int set = (int)((address & _setMask) >> _blockShift);
            int first = set * _assoc;
            Accesses++;
            for (int way = 0; way < _assoc; way++)
            {
                if (_valid[first + way] && _tags[first + way] == tag)
                {
                    if (_policy == Eviction.Lru) _lastUse[first + way] = _generation[set]++;
                    return true;
                }
            }
            Misses++;
            int victim = -1;
            for (int way = 0; way < _assoc; way++)
            {
                if (!_valid[first + way])
                {
                    victim = way;
                    break;
                }
            }
            if (victim < 0)
            {
                victim = _policy switch
                {
                    Eviction.Lru => LeastRecentlyUsed(first),
                    Eviction.Fifo => _fifoNext[set],
                    _ => _random.Next(_assoc),
                };
                if (_policy == Eviction.Fifo) _fifoNext[set] = (victim + 1) % _assoc;
            }
            if (_policy == Eviction.Lru) _lastUse[first + victim] = _generation[set]++;
            _tags[first + victim] = tag;
            _valid[first + victim] = true;
            return false;
        }

        private int LeastRecentlyUsed(int first)
        {
            int min = 0;
            for (int way = 1; way < _assoc; way++)
            {
                if (_lastUse[first + way] < _lastUse[first + min]) min = way;
            }
            return min;
        }
    }

    /// <summary>Misses caused by one instruction (QEMU's InsnData), shared by every core that runs it.</summary>
    private sealed class InsnData(ulong address, string? symbol, string disassembly)
    {
        public readonly ulong Address = address;
        public readonly string? Symbol = symbol;
        public readonly string Disassembly = disassembly;
        public long DataMisses, FetchMisses, L2Misses; // Interlocked
    }

    /// <summary>A cache level's geometry, checked as QEMU's cache_config_error does (plus powers of two, which QEMU assumes).</summary>
    private static (int BlockSize, int Assoc, int Size) Geometry(PluginArgs args, string name, string prefix, int blockSize, int assoc, int size, ref bool mentioned)
    {
        string b = prefix + "blksize", a = prefix + "assoc", s = prefix + "cachesize";
        mentioned |= args.Get(b) != null || args.Get(a) != null || args.Get(s) != null;
        blockSize = (int)args.GetInt64(b, blockSize, 1, 1 << 30);
        assoc = (int)args.GetInt64(a, assoc, 1, 1 << 20);
        size = (int)args.GetInt64(s, size, 1, int.MaxValue);
        string? error = size % blockSize != 0 ? "cache size must be divisible by block size"
            : size % ((long)blockSize * assoc) != 0 ? "cache size must be divisible by set size (assoc * block size)"
            : !System.Numerics.BitOperations.IsPow2(blockSize) ? "block size must be a power of two"
            : !System.Numerics.BitOperations.IsPow2(size / (blockSize * assoc)) ? "the number of sets (cache size / (assoc * block size)) must be a power of two"
            : null;
        if (error != null)
            throw new PluginArgumentException($"{name} cannot be constructed from given parameters ({b}={blockSize}, {a}={assoc}, {s}={size}): {error}");
        return (blockSize, assoc, size);
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("iblksize", "iassoc", "icachesize", "dblksize", "dassoc", "dcachesize",
            "l2blksize", "l2assoc", "l2cachesize", "l2", "evict", "limit", "cores");
        // QEMU's defaults: 16 KiB 8-way L1s and a 2 MiB 16-way L2, 64-byte blocks.
        bool unused = false, l2Sized = false;
        var d = Geometry(args, "dcache", "d", 64, 8, 64 * 8 * 32, ref unused);
        var i = Geometry(args, "icache", "i", 64, 8, 64 * 8 * 32, ref unused);
        var l2 = Geometry(args, "L2 cache", "l2", 64, 16, 64 * 16 * 2048, ref l2Sized);
        bool useL2 = args.GetBool("l2", l2Sized); // an L2 size, block or associativity turns it on, as in QEMU
        int limit = (int)args.GetInt64("limit", 32, 0, int.MaxValue);
        int cores = (int)args.GetInt64("cores", context.VCpuCount, 1, 4096);
        Eviction policy = args.GetString("evict", "lru") switch
        {
            "lru" => Eviction.Lru,
            "fifo" => Eviction.Fifo,
            "rand" => Eviction.Random,
            string other => throw new PluginArgumentException($"evict={other}: invalid eviction policy (expected lru, fifo or rand)"),
        };
        Func<ulong, bool> isRam = context is PluginContext own ? a => own.Machine.Board.Memory.IsRam(a, 1) : _ => true;

        Cache[] dcaches = [.. Enumerable.Range(0, cores).Select(_ => new Cache(d.BlockSize, d.Assoc, d.Size, policy))];
        Cache[] icaches = [.. Enumerable.Range(0, cores).Select(_ => new Cache(i.BlockSize, i.Assoc, i.Size, policy))];
        Cache[]? l2caches = useL2 ? [.. Enumerable.Range(0, cores).Select(_ => new Cache(l2.BlockSize, l2.Assoc, l2.Size, policy))] : null;
        var insns = new ConcurrentDictionary<ulong, InsnData>();

        // The L2 behind an L1 miss; the caller holds no cache lock.
        void L2Access(int core, ulong address, InsnData insn)
        {
            Cache c = l2caches![core];
            bool hit;
            lock (c) hit = c.Access(address);
            if (!hit) Interlocked.Increment(ref insn.L2Misses);
        }

        context.RegisterBlockTranslated(block =>
        {
            foreach (IInstruction insn in block.Instructions)
            {
                // One record per address however often it is translated (QEMU keeps one per host address).
                InsnData data = insns.GetOrAdd(insn.Pc, pc => new InsnData(pc, insn.Symbol, insn.Disassembly));
                insn.RegisterExecute((cpu, pc) =>
                {
                    int core = cpu % cores;
                    Cache c = icaches[core];
                    bool hit;
                    lock (c) hit = c.Access(pc);
                    if (hit) return;
                    Interlocked.Increment(ref data.FetchMisses);
                    if (l2caches != null) L2Access(core, pc, data);
                });
                insn.RegisterMemory((cpu, access) =>
                {
                    if (!isRam(access.Address)) return;
                    int core = cpu % cores;
                    Cache c = dcaches[core];
                    bool hit;
                    lock (c) hit = c.Access(access.Address);
                    if (hit) return;
                    Interlocked.Increment(ref data.DataMisses);
                    if (l2caches != null) L2Access(core, access.Address, data);
                });
            }
        });
        context.RegisterAtExit(() => context.Output(Report(dcaches, icaches, l2caches, [.. insns.Values], limit)));
    }

    /// <summary>QEMU's log_stats and log_top_insns (QEMU 10's layout).</summary>
    private static string Report(Cache[] d, Cache[] i, Cache[]? l2, InsnData[] insns, int limit)
    {
        var sb = new StringBuilder("core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, imiss rate");
        if (l2 != null) sb.Append(", l2 accesses, l2 misses, l2 miss rate");
        sb.Append('\n');
        for (int core = 0; core < d.Length; core++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{core,-8}");
            StatsLine(sb, d[core].Accesses, d[core].Misses, i[core].Accesses, i[core].Misses, l2?[core].Accesses ?? 0, l2?[core].Misses ?? 0);
        }
        if (d.Length > 1)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{"sum",-8}");
            StatsLine(sb, d.Sum(c => c.Accesses), d.Sum(c => c.Misses), i.Sum(c => c.Accesses), i.Sum(c => c.Misses),
                l2?.Sum(c => c.Accesses) ?? 0, l2?.Sum(c => c.Misses) ?? 0);
        }
        sb.Append('\n');

        Top(sb, "address, data misses, instruction\n", insns, x => x.DataMisses, limit);
        Top(sb, "\naddress, fetch misses, instruction\n", insns, x => x.FetchMisses, limit);
        if (l2 != null) Top(sb, "\naddress, L2 misses, instruction\n", insns, x => x.L2Misses, limit);
        return sb.ToString();
    }

    private static void StatsLine(StringBuilder sb, long dAccesses, long dMisses, long iAccesses, long iMisses, long l2Accesses, long l2Misses)
    {
        static double Rate(long misses, long accesses) => accesses == 0 ? 0.0 : (double)misses / accesses * 100.0;
        sb.Append(CultureInfo.InvariantCulture,
            $"{dAccesses,-14} {dMisses,-12} {Rate(dMisses, dAccesses),9:F4}%  {iAccesses,-14} {iMisses,-12} {Rate(iMisses, iAccesses),9:F4}%");
        // QEMU 10 prints the L2 columns only when the L2 saw accesses and misses.
        if (l2Accesses != 0 && l2Misses != 0)
            sb.Append(CultureInfo.InvariantCulture, $"  {l2Accesses,-12} {l2Misses,-11} {Rate(l2Misses, l2Accesses),10:F4}%");
        sb.Append('\n');
    }

    private static void Top(StringBuilder sb, string header, InsnData[] insns, Func<InsnData, long> misses, int limit)
    {
        sb.Append(header);
        // Most misses first; ties by address (QEMU leaves them in hash-table order).
        foreach (InsnData x in insns.OrderByDescending(misses).ThenBy(x => x.Address).Take(limit))
        {
            sb.Append(CultureInfo.InvariantCulture, $"0x{x.Address:x}");
            if (x.Symbol != null) sb.Append(" (").Append(x.Symbol).Append(')');
            sb.Append(CultureInfo.InvariantCulture, $", {misses(x)}, {x.Disassembly}\n");
        }
    }
}
