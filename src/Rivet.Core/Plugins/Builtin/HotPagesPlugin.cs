using System.Runtime.InteropServices;
using System.Text;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>hotpages</c>: the guest pages with the most memory accesses (QEMU's contrib/plugins/hotpages.c),
/// from a memory callback on every instruction. <c>limit=N</c> (default 20) pages are listed,
/// sorted by <c>sortby=rw</c> (reads plus writes, the default), <c>reads</c>, <c>writes</c> or
/// <c>address</c>; <c>pagesize=N</c> (a power of two, default 4096). As QEMU's: RAM accesses count
/// at their physical page, device accesses at their virtual one; <c>io=on</c> counts only device accesses.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class HotPagesPlugin : IRivetPlugin
{
    private struct PageCounts
    {
        public long Reads, Writes;
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("limit", "sortby", "pagesize", "io");
        bool trackIo = args.GetBool("io", false);
        int limit = (int)args.GetInt64("limit", 20, 1, int.MaxValue);
        string sortBy = args.GetString("sortby", "rw");
        if (sortBy is not ("rw" or "reads" or "writes" or "address"))
            throw new PluginArgumentException($"sortby={sortBy}: expected rw, reads, writes or address");
        long pageSize = args.GetInt64("pagesize", 4096, 1, 1L << 40);
        if ((pageSize & (pageSize - 1)) != 0) throw new PluginArgumentException($"pagesize={pageSize}: expected a power of two");
        ulong mask = ~((ulong)pageSize - 1);

        // One table per vCPU, touched only by that vCPU's thread; merged at exit, with every vCPU paused.
        var tables = new Dictionary<ulong, PageCounts>[context.VCpuCount];
        for (int i = 0; i < tables.Length; i++) tables[i] = [];
        MemoryCallback access = (cpu, a) =>
        {
            if (trackIo && !a.IsIo) return;
            ulong page = a.IsIo ? a.Address : a.PhysicalAddress;
            ref PageCounts c = ref CollectionsMarshal.GetValueRefOrAddDefault(tables[cpu], page & mask, out _);
            if (a.IsStore) c.Writes++;
            else c.Reads++;
        };
        context.RegisterBlockTranslated(block =>
        {
            foreach (IInstruction insn in block.Instructions) insn.RegisterMemory(access);
        });
        context.RegisterAtExit(() =>
        {
            var pages = new Dictionary<ulong, (long Reads, ulong ReadCpus, long Writes, ulong WriteCpus)>();
            for (int cpu = 0; cpu < tables.Length; cpu++)
            {
                ulong bit = 1UL << (cpu & 63);
                foreach ((ulong page, PageCounts c) in tables[cpu])
                {
                    var p = pages.GetValueOrDefault(page);
                    if (c.Reads > 0) p = (p.Reads + c.Reads, p.ReadCpus | bit, p.Writes, p.WriteCpus);
                    if (c.Writes > 0) p = (p.Reads, p.ReadCpus, p.Writes + c.Writes, p.WriteCpus | bit);
                    pages[page] = p;
                }
            }
            var sorted = sortBy switch
            {
                "reads" => pages.OrderByDescending(p => p.Value.Reads).ThenBy(p => p.Key),
                "writes" => pages.OrderByDescending(p => p.Value.Writes).ThenBy(p => p.Key),
                "address" => pages.OrderBy(p => p.Key),
                _ => pages.OrderByDescending(p => p.Value.Reads + p.Value.Writes).ThenBy(p => p.Key),
            };
            var sb = new StringBuilder("Addr, RCPUs, Reads, WCPUs, Writes\n");
            foreach ((ulong page, var p) in sorted.Take(limit))
            {
                sb.Append($"0x{page:x16}, 0x{p.ReadCpus:x4}, {p.Reads}, 0x{p.WriteCpus:x4}, {p.Writes}\n");
            }
            context.Output(sb.ToString());
        });
    }
}
