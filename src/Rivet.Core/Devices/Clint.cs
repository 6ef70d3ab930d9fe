using Rivet.Cpu;
using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// SiFive CLINT at 0x2000000: msip per hart (software interrupts, IPIs), mtimecmp per hart and
/// the shared mtime at 10 MHz. The compare values live on the harts so a hart can check its own
/// deadline without a lock.
/// </summary>
internal sealed class Clint(ulong baseAddress, IReadOnlyList<Hart> harts, VirtualClock clock) : IMmioDevice
{
    public const ulong DefaultBase = 0x2000000;
    private const ulong MtimecmpOffset = 0x4000, MtimeOffset = 0xBFF8;

    public string Name => "clint";
    public ulong Base => baseAddress;
    public ulong Size => 0x10000;

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (offset < MtimecmpOffset)
        {
            int hart = (int)(offset / 4);
            if (hart >= harts.Count) return true; // reads as zero
            if (size != 4 || offset % 4 != 0) return false;
            value = (harts[hart].Mip >> Cause.MachineSoftware) & 1;
            return true;
        }
        if (offset >= MtimeOffset)
        {
            return ReadPart(clock.Mtime, offset - MtimeOffset, size, out value);
        }
        {
            ulong rel = offset - MtimecmpOffset;
            int hart = (int)(rel / 8);
            if (hart >= harts.Count) return true; // reads as zero
            return ReadPart(harts[hart].TimerCompare, rel % 8, size, out value);
        }
    }

    private static bool ReadPart(ulong reg, ulong within, int size, out ulong value)
    {
        value = 0;
        if (size == 8 && within == 0) value = reg;
        else if (size == 4 && (within == 0 || within == 4)) value = (uint)(reg >> (int)(8 * within));
        else return false;
        return true;
    }

    private static bool WritePart(ref ulong reg, ulong within, int size, ulong value)
    {
        if (size == 8 && within == 0) reg = value;
        else if (size == 4 && within == 0) reg = (reg & 0xFFFF_FFFF_0000_0000) | (uint)value;
        else if (size == 4 && within == 4) reg = (reg & 0xFFFF_FFFF) | ((ulong)(uint)value << 32);
        else return false;
        return true;
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        if (offset < MtimecmpOffset)
        {
            int hart = (int)(offset / 4);
            if (hart >= harts.Count) return true;
            if (size != 4 || offset % 4 != 0) return false;
            harts[hart].SetPending(Cause.MachineSoftware, (value & 1) != 0);
            return true;
        }
        if (offset >= MtimeOffset)
        {
            ulong t = clock.Mtime;
            if (!WritePart(ref t, offset - MtimeOffset, size, value)) return false;
            clock.SetMtime(t);
            foreach (Hart h in harts) h.TimerCompare = h.TimerCompare; // re-evaluate MTIP everywhere
            return true;
        }
        {
            ulong rel = offset - MtimecmpOffset;
            int hart = (int)(rel / 8);
            if (hart >= harts.Count) return true;
            ulong cmp = harts[hart].TimerCompare;
            if (!WritePart(ref cmp, rel % 8, size, value)) return false;
            harts[hart].TimerCompare = cmp;
            return true;
        }
    }

    public void Reset()
    {
        // msip and mtimecmp are reset with the harts.
    }
}
