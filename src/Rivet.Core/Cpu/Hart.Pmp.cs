namespace Rivet.Cpu;

/// <summary>
/// Physical memory protection as QEMU 7.2 enforces it (16 entries; OFF, TOR, NA4, NAPOT; R/W/X;
/// L): the lowest-numbered entry that matches the whole access decides; an access only partly
/// inside an entry is denied (M-mode too, as QEMU 7.2); one matching no entry is allowed in
/// M-mode and denied in S and U. M-mode is bound by the permissions of locked entries only.
/// </summary>
internal sealed partial class Hart
{
    private const byte PmpR = 1, PmpW = 2, PmpX = 4, PmpLock = 0x80;
    private const int PmpEntries = 16;

    /// <summary>Some entry is not OFF: M-mode accesses must be checked too (partial matches, locked entries).</summary>
    private bool _pmpBindsMachine;
    /// <summary>Some entry is not OFF.</summary>
    private bool PmpAnyActive
    {
        get
        {
            for (int i = 0; i < PmpEntries; i++)
            {
                if (((_pmpcfg[i] >> 3) & 3) != 0) return true;
            }
            return false;
        }
    }

    /// <summary>Entry <paramref name="i"/>'s inclusive byte range, as QEMU's pmp_update_rule_addr computes it; false when OFF.</summary>
    private bool PmpRange(int i, out ulong start, out ulong end)
    {
        ulong addr = _pmpaddr[i];
        switch ((_pmpcfg[i] >> 3) & 3)
        {
            case 1: // TOR
                start = (i == 0 ? 0 : _pmpaddr[i - 1]) << 2;
                end = (addr << 2) - 1;
                if (start > end) start = end = 0;
                return true;
            case 2: // NA4
                start = addr << 2;
                end = start + 3;
                return true;
            case 3: // NAPOT
                {
                    int ones = System.Numerics.BitOperations.TrailingZeroCount(~addr);
                    if (ones >= 62)
                    {
                        start = 0;
                        end = ulong.MaxValue;
                        return true;
                    }
                    start = (addr & ~((1UL << ones) - 1)) << 2;
                    end = start + (1UL << (ones + 3)) - 1;
                    return true;
                }
            default:
                start = end = 0;
                return false;
        }
    }

    private static byte PmpNeed(Access access) => access switch { Access.Fetch => PmpX, Access.Load => PmpR, _ => PmpW };

    /// <summary>The R/W/X an access by <paramref name="privilege"/> to [pa, pa + size) gets (QEMU's allowed_privs).</summary>
    private byte PmpPrivileges(ulong pa, ulong size, int privilege, bool quiet = false)
    {
        const byte all = PmpR | PmpW | PmpX;
        if (privilege == Priv.Machine && !_pmpBindsMachine) return all;
        ulong last = pa + size - 1;
        for (int i = 0; i < PmpEntries; i++)
        {
            if (!PmpRange(i, out ulong start, out ulong end)) continue;
            bool first = pa >= start && pa <= end, lastIn = last >= start && last <= end;
            if (first != lastIn)
            {
                if (!quiet) GuestError("pmp violation - access is partially inside\n");
                return 0; // partly inside: denied, as QEMU 7.2
            }
            if (!first) continue;
            if (privilege == Priv.Machine && (_pmpcfg[i] & PmpLock) == 0) return all;
            return (byte)(_pmpcfg[i] & all);
        }
        return privilege == Priv.Machine ? all : (byte)0;
    }

    /// <summary>True when no active entry covers only part of the 4 KiB page at <paramref name="page"/> (a TLB entry may then stand for every access in it).</summary>
    private bool PmpUniform(ulong page)
    {
        ulong last = page + Memory.PhysicalMemory.PageSize - 1;
        for (int i = 0; i < PmpEntries; i++)
        {
            if (!PmpRange(i, out ulong start, out ulong end)) continue;
            bool first = page >= start && page <= end, lastIn = last >= start && last <= end;
            if (first != lastIn) return false;
            if (!first && start > page && start <= last) return false; // an entry inside the page
        }
        return true;
    }

    private void GuestError(string line)
    {
        if (Log is { } log && log.Has(LogItems.GuestErrors)) log.Write(line);
    }

    /// <summary>After a pmpcfg/pmpaddr write: who is bound, and cached translations may no longer hold.</summary>
    private void PmpChanged()
    {
        bool binds = false;
        for (int i = 0; i < PmpEntries; i++)
        {
            if (((_pmpcfg[i] >> 3) & 3) != 0) binds = true;
        }
        _pmpBindsMachine = binds;
        TranslationChanged();
    }
}
