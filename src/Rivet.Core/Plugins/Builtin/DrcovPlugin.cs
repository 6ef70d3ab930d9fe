using System.Globalization;
using System.Text;
using Rivet.Board;
using Rivet.Plugins.Hosting;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>drcov</c>: code coverage in DynamoRIO's drcov format, version 2 (QEMU's
/// contrib/plugins/drcov.c), which Lighthouse, bncov and fuzzers read. <c>filename=</c> (default
/// <c>file.drcov.trace</c>). The module table lists the ELF files the machine loaded (kernel first,
/// then firmware) with their address range and entry, and each block executed at least once is a
/// 32-bit offset from its module's base, a 16-bit size and a 16-bit module id; blocks outside every
/// module are left out. With no ELF loaded the table is QEMU's system-mode one (one module at 0,
/// path <c>(null)</c>) and offsets are addresses. As in QEMU, a block translated again (by another
/// vCPU, or after its code changed) is listed again.
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class DrcovPlugin : IRivetPlugin
{
    private sealed class Entry(ulong start, int size)
    {
        public readonly ulong Start = start;
        public readonly int Size = size;
        public volatile bool Executed;
    }

    private sealed record Module(ulong Base, ulong End, ulong Entry, string Path);

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("filename");
        string fileName = args.GetString("filename", "file.drcov.trace");
        Module[] modules = context is PluginContext own ? Modules(own.Machine.Board.LoadedElfs) : [];
        FileStream file;
        try
        {
            file = new FileStream(fileName, FileMode.Create, FileAccess.Write);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PluginArgumentException($"filename={fileName}: cannot create it: {ex.Message}");
        }

        var entries = new List<Entry>(); // guarded by itself
        ExecuteCallback executed(Entry e) => (_, _) => e.Executed = true;
        context.RegisterBlockTranslated(block =>
        {
            var e = new Entry(block.Pc, block.Size);
            lock (entries) entries.Add(e);
            block.RegisterExecute(executed(e));
        });
        context.RegisterAtExit(() =>
        {
            using (file)
            {
                Entry[] all;
                lock (entries) all = [.. entries];
                Write(file, modules, all);
            }
        });
    }

    private static Module[] Modules(IReadOnlyList<LoadedElf> elfs)
        => [.. elfs.Select(e => new Module(
            e.Image.Segments.Min(s => s.Address),
            e.Image.Segments.Max(s => s.Address + s.MemorySize),
            e.Image.Entry,
            Path.GetFullPath(e.Path)))];

    private static void Write(Stream file, Module[] modules, Entry[] entries)
    {
        var table = new List<(uint Offset, ushort Size, ushort Module)>();
        foreach (Entry e in entries)
        {
            if (!e.Executed) continue;
            if (modules.Length == 0)
            {
                table.Add(((uint)e.Start, (ushort)e.Size, 0));
                continue;
            }
            int m = Array.FindIndex(modules, x => e.Start >= x.Base && e.Start < x.End);
            if (m >= 0) table.Add(((uint)(e.Start - modules[m].Base), (ushort)e.Size, (ushort)m));
        }
        var header = new StringBuilder();
        header.Append("DRCOV VERSION: 2\nDRCOV FLAVOR: drcov-64\n");
        header.Append(CultureInfo.InvariantCulture, $"Module Table: version 2, count {Math.Max(modules.Length, 1)}\n");
        header.Append("Columns: id, base, end, entry, path\n");
        if (modules.Length == 0) header.Append("0, 0x0, 0x0, 0x0, (null)\n");
        for (int i = 0; i < modules.Length; i++)
            header.Append(CultureInfo.InvariantCulture, $"{i}, 0x{modules[i].Base:x}, 0x{modules[i].End:x}, 0x{modules[i].Entry:x}, {modules[i].Path}\n");
        header.Append(CultureInfo.InvariantCulture, $"BB Table: {table.Count} bbs\n");
        file.Write(Encoding.UTF8.GetBytes(header.ToString()));
        // bb_entry_t: uint32 start, uint16 size, uint16 mod_id, little-endian.
        var bytes = new byte[table.Count * 8];
        for (int i = 0; i < table.Count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8), table[i].Offset);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 8 + 4), table[i].Size);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 8 + 6), table[i].Module);
        }
        file.Write(bytes);
    }
}
