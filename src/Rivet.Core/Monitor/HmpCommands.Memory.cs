using System.Globalization;
using System.Text;

namespace Rivet.Qmp;

/// <summary>The monitor commands that read guest memory in bulk (sum, memsave, pmemsave) and cpu.</summary>
internal static partial class HmpCommands
{
    private const int Chunk = 64 * 1024;

    /// <summary>cpu N: the CPU later commands use (QEMU's "invalid CPU index" otherwise).</summary>
    private static void SelectCpu(Hmp m, HmpArgs a, StringBuilder o)
    {
        long index = a.Int("index");
        if (index < 0 || index >= m.Machine.HartCount) o.Append("invalid CPU index\n");
        else m.CurrentCpu = (int)index;
    }

    /// <summary>
    /// Guest RAM as x (the current CPU's virtual addresses, through its translation) or xp
    /// (physical addresses) sees it; false, with nothing copied, unless every byte is RAM.
    /// </summary>
    private static bool ReadGuest(Hmp m, ulong address, Span<byte> destination, bool physical)
        => physical ? m.Machine.ReadPhysicalMemory(address, destination) : m.Machine.ReadVirtualMemory(m.CurrentCpu, address, destination);

    /// <summary>
    /// Copies [address, address+length) into <paramref name="destination"/>: RAM as it is, anything
    /// else as zeros (QEMU reads unassigned memory as 0; device registers are not read, a read
    /// could take a byte from the UART). False if any byte was not RAM.
    /// </summary>
    private static bool ReadOrZero(Hmp m, ulong address, Span<byte> destination, bool physical = true)
    {
        if (ReadGuest(m, address, destination, physical)) return true;
        for (int i = 0; i < destination.Length; i++)
        {
            if (!ReadGuest(m, unchecked(address + (ulong)i), destination.Slice(i, 1), physical)) destination[i] = 0;
        }
        return false;
    }

    /// <summary>QEMU's hmp_sum: the BSD checksum ('sum' Unix command) of the bytes, as five decimal digits.</summary>
    private static void Sum(Hmp m, HmpArgs a, StringBuilder o)
    {
        ulong address = (ulong)a.Int("start");
        long left = a.Int("size");
        ushort sum = 0;
        byte[] buffer = new byte[Chunk];
        while (left > 0)
        {
            int n = (int)Math.Min(left, Chunk);
            ReadOrZero(m, address, buffer.AsSpan(0, n));
            foreach (byte b in buffer.AsSpan(0, n)) sum = (ushort)(((sum >> 1) | (sum << 15)) + b);
            address = unchecked(address + (ulong)n);
            left -= n;
        }
        o.Append(sum.ToString("d5", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>
    /// memsave and pmemsave, as QEMU: the file is created first; memsave (through the current CPU's
    /// translation) stops at the first chunk that is not all RAM
    /// (keeping what it wrote), pmemsave writes zeros where there is no RAM.
    /// </summary>
    private static void MemorySave(Hmp m, HmpArgs a, StringBuilder o, bool physical)
    {
        ulong address = (ulong)a.Int("val");
        long size = a.Int("size");
        string path = a.Str("filename")!;
        if (HostFile.TryOpen(path, FileMode.Create, FileAccess.Write, 4096, out string error) is not FileStream file)
        {
            o.Append("Error: ").Append(error).Append('\n');
            return;
        }
        using (file)
        {
            byte[] buffer = new byte[Chunk];
            ulong at = address;
            for (long left = size; left > 0;)
            {
                int n = (int)Math.Min(left, Chunk);
                if (!ReadOrZero(m, at, buffer.AsSpan(0, n), physical) && !physical)
                {
                    o.Append(CultureInfo.InvariantCulture, $"Error: Invalid addr 0x{address:x16}/size {size} specified\n");
                    return;
                }
                try
                {
                    file.Write(buffer, 0, n);
                }
                catch (IOException)
                {
                    o.Append("Error: An IO error has occurred\n");
                    return;
                }
                at = unchecked(at + (ulong)n);
                left -= n;
            }
        }
    }

    /// <summary>gva2gpa: the current CPU's translation of one address, as QEMU's hmp_gva2gpa.</summary>
    private static void Gva2Gpa(Hmp m, HmpArgs a, StringBuilder o)
    {
        ulong va = (ulong)a.Int("addr");
        if (m.Machine.TranslateForDebug(m.CurrentCpu, va, out ulong pa)) o.Append(CultureInfo.InvariantCulture, $"gpa: 0x{pa:x}\n");
        else o.Append("Unmapped\n");
    }

    /// <summary>Page-table entries info mem reads at most, so a table that points at itself cannot keep the monitor busy for long.</summary>
    private const int MaxInfoMemEntries = 1 << 20;

    /// <summary>
    /// info mem: QEMU 7.2's mem_info_svxx for the current CPU's satp: every valid leaf from VA 0
    /// up, rows merged while virtual and physical addresses run on with the same attribute bits,
    /// virtual addresses sign-extended; page tables read from RAM as they are (anything else reads
    /// as zero, an invalid entry).
    /// </summary>
    private static void InfoMem(Hmp m, HmpArgs a, StringBuilder o)
    {
        ulong satp = m.Machine.CaptureHartState(m.CurrentCpu).Satp;
        int levels = (satp >> 60) switch { 8 => 3, 9 => 4, 10 => 5, _ => 0 };
        if (levels == 0)
        {
            o.Append("No translation or protection\n");
            return;
        }
        int vaBits = 12 + 9 * levels;
        o.Append("vaddr            paddr            size             attr\n");
        o.Append("---------------- ---------------- ---------------- -------\n");
        var walk = new MemWalk(m, o, vaBits);
        walk.Table((satp & ((1UL << 44) - 1)) << 12, 0, levels - 1);
        walk.Print();
        if (walk.Budget < 0) o.Append(CultureInfo.InvariantCulture, $"(stopped after {MaxInfoMemEntries} page-table entries)\n");
    }

    private sealed class MemWalk(Hmp m, StringBuilder o, int vaBits)
    {
        private ulong _vaddr = ulong.MaxValue, _paddr = ulong.MaxValue, _size;
        private ulong _attr;

        public int Budget { get; private set; } = MaxInfoMemEntries;

        public void Table(ulong table, ulong vaddr, int level)
        {
            ulong pageSize = 1UL << (12 + 9 * level);
            Span<byte> raw = stackalloc byte[8];
            for (int i = 0; i < 512; i++, vaddr += pageSize)
            {
                if (--Budget < 0) return;
                ulong pte = m.Machine.ReadPhysicalMemory(table + (ulong)i * 8, raw) ? BitConverter.ToUInt64(raw) : 0;
                ulong attr = pte & 0xff, paddr = (pte >> 10) << 12;
                if ((attr & 1) == 0) continue;
                if ((attr & 0xe) == 0)
                {
                    if (level > 0) Table(paddr, vaddr, level - 1); // a pointer in the last level maps nothing
                    continue;
                }
                if (attr == _attr && _paddr + _size == paddr && _vaddr + _size == vaddr)
                {
                    _size += pageSize;
                    continue;
                }
                Print();
                (_vaddr, _paddr, _size, _attr) = (vaddr, paddr, pageSize, attr);
            }
        }

        public void Print()
        {
            if (_size == 0 || _vaddr >= 1UL << vaBits) return;
            ulong va = (_vaddr & (1UL << (vaBits - 1))) != 0 ? _vaddr | ~((1UL << vaBits) - 1) : _vaddr;
            string bits = string.Concat((_attr & 2) != 0 ? "r" : "-", (_attr & 4) != 0 ? "w" : "-", (_attr & 8) != 0 ? "x" : "-",
                (_attr & 16) != 0 ? "u" : "-", (_attr & 32) != 0 ? "g" : "-", (_attr & 64) != 0 ? "a" : "-", (_attr & 128) != 0 ? "d" : "-");
            o.Append(CultureInfo.InvariantCulture, $"{va:x16} {_paddr:x16} {_size:x16} {bits}\n");
        }
    }
}
