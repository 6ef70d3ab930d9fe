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
    /// Copies [address, address+length) into <paramref name="destination"/>: RAM as it is, anything
    /// else as zeros (QEMU reads unassigned memory as 0; device registers are not read, a read
    /// could take a byte from the UART). False if any byte was not RAM.
    /// </summary>
    private static bool ReadOrZero(Hmp m, ulong address, Span<byte> destination)
    {
        if (m.Machine.ReadPhysicalMemory(address, destination)) return true;
        for (int i = 0; i < destination.Length; i++)
        {
            if (!m.Machine.ReadPhysicalMemory(unchecked(address + (ulong)i), destination.Slice(i, 1))) destination[i] = 0;
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
    /// view, which is physical while Rivet has no paging) stops at the first chunk that is not all RAM
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
                if (!ReadOrZero(m, at, buffer.AsSpan(0, n)) && !physical)
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
}
