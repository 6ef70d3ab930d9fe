using Rivet.Memory;

namespace Rivet.Cpu;

/// <summary>How a debugger-style guest memory access went (the plugin API's MemoryResult, in the same order).</summary>
internal enum GuestAccess
{
    Ok,
    PageFault,
    AccessFault,
    Device,
    Unmapped,
}

/// <summary>
/// The plugin API's register and memory access on the hart's own thread (docs/PLUGINS.md,
/// "Registers" and "Guest memory"): CSRs as a debugger sees them, pc redirection from execute
/// callbacks, and guest memory through the current translation without trapping.
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>A plugin wrote pc in an execute callback: the interpreter leaves the instrumented instruction unexecuted and goes on at <see cref="Pc"/>.</summary>
    private bool _pcRedirected;

    internal ulong ReadF(int index) => _fregs[index];

    internal void WriteF(int index, ulong value) => _fregs[index] = value;

    /// <summary>A CSR as a debugger reads it: no privilege, counter-enable or FS check.</summary>
    internal bool TryReadCsrDebug(int csr, out ulong value) => TryReadCsr(csr, out value, debug: true);

    /// <summary>
    /// A CSR write as from M-mode with FS on (WARL rules apply); false for read-only or missing
    /// CSRs. The counters take the value written at once (a csrw's own retirement is not counted).
    /// </summary>
    internal bool TryWriteCsrDebug(int csr, ulong value)
    {
        switch (csr)
        {
            case Csr.Mcycle:
                _cycleDelta = value - _instret;
                return true;
            case Csr.Minstret:
                _cycleDelta += _instret - value;
                _instretAdjust += _instret - value;
                _instret = value;
                return true;
            default:
                return TryReadCsr(csr, out _, debug: true) && TryWriteCsr(csr, value, debug: true);
        }
    }

    /// <summary>Sets the privilege (0, 1 or 3): other TLBs, and fetch translation from the next block.</summary>
    internal void SetPrivilege(int privilege)
    {
        Privilege = privilege;
        ContextChanged();
    }

    /// <summary>Sets pc; from an execute callback the instrumented instruction is then skipped.</summary>
    internal void RedirectPc(ulong pc, bool fromExecuteCallback)
    {
        Pc = pc;
        if (fromExecuteCallback) _pcRedirected = true;
    }

    /// <summary>
    /// Translates [va, va + size) (within one page) as a load or store from the data privilege
    /// would: page tables (A and D set for a store only), SUM, MXR and PMP.
    /// </summary>
    private GuestAccess TranslateForPlugin(ulong va, ulong size, bool store, out ulong pa)
    {
        int priv = DataPrivilege;
        Access access = store ? Access.Store : Access.Load;
        // A read walks as a debugger (nothing set or logged), which sees U pages from S: apply SUM after.
        if (!Walk(va, access, priv, debug: !store, out pa, out ulong leaf, out _, out ulong cause))
            return cause == AccessFaultCause(access) ? GuestAccess.AccessFault : GuestAccess.PageFault;
        if (priv == Priv.Supervisor && (leaf & PteU) != 0 && (_mstatus & Mstatus.Sum) == 0) return GuestAccess.PageFault;
        if ((PmpPrivileges(pa, size, priv, quiet: true) & PmpNeed(access)) == 0) return GuestAccess.AccessFault;
        return GuestAccess.Ok;
    }

    /// <summary>Translation as a load would, page tables only (no PMP, nothing set).</summary>
    internal bool TryTranslateForPlugin(ulong va, out ulong pa)
    {
        if (!Walk(va, Access.Load, DataPrivilege, debug: true, out pa, out ulong leaf, out _, out _)) return false;
        return !(DataPrivilege == Priv.Supervisor && (leaf & PteU) != 0 && (_mstatus & Mstatus.Sum) == 0);
    }

    private GuestAccess PhysicalKind(ulong pa, int length)
        => _memory.IsRam(pa, (ulong)length) ? GuestAccess.Ok : _memory.FindDevice(pa, 1) != null ? GuestAccess.Device : GuestAccess.Unmapped;

    /// <summary>
    /// Walks [va, va + length) page by page; <paramref name="each"/> gets each piece's physical
    /// address. A first pass checks every page, so a failure accesses nothing.
    /// </summary>
    private GuestAccess ForEachPage(ulong va, int length, bool store, Action<ulong, int, int>? each)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            int done = 0;
            while (done < length)
            {
                ulong a = va + (ulong)done;
                int chunk = (int)Math.Min((ulong)(length - done), PhysicalMemory.PageSize - (a & PageOffsetMask));
                GuestAccess r = TranslateForPlugin(a, (ulong)chunk, store, out ulong pa);
                if (r == GuestAccess.Ok) r = PhysicalKind(pa, chunk);
                if (r != GuestAccess.Ok) return r; // only in the first pass: the second sees the same state
                if (pass == 1) each?.Invoke(pa, done, chunk);
                done += chunk;
            }
        }
        return GuestAccess.Ok;
    }

    internal GuestAccess ReadVirtual(ulong va, Span<byte> destination)
    {
        byte[] buffer = new byte[destination.Length];
        GuestAccess r = ForEachPage(va, buffer.Length, false, (pa, at, n) => _memory.ReadRam(pa, buffer.AsSpan(at, n)));
        if (r == GuestAccess.Ok) buffer.CopyTo(destination);
        return r;
    }

    internal GuestAccess WriteVirtual(ulong va, ReadOnlySpan<byte> source)
    {
        byte[] data = source.ToArray();
        return ForEachPage(va, data.Length, true, (pa, at, n) => WriteRamForPlugin(pa, data.AsSpan(at, n)));
    }

    internal GuestAccess ReadPhysical(ulong pa, Span<byte> destination)
    {
        GuestAccess r = PhysicalKind(pa, destination.Length);
        if (r == GuestAccess.Ok) _memory.ReadRam(pa, destination);
        return r;
    }

    internal GuestAccess WritePhysical(ulong pa, ReadOnlySpan<byte> source)
    {
        GuestAccess r = PhysicalKind(pa, source.Length);
        if (r == GuestAccess.Ok)
        {
            for (int at = 0; at < source.Length;)
            {
                int n = (int)Math.Min((ulong)(source.Length - at), PhysicalMemory.PageSize - ((pa + (ulong)at) & PageOffsetMask));
                WriteRamForPlugin(pa + (ulong)at, source.Slice(at, n));
                at += n;
            }
        }
        return r;
    }

    /// <summary>A plugin's write within one RAM page: decoded code from it is dropped (this hart looks up its page again), watchers see it as a store.</summary>
    private void WriteRamForPlugin(ulong pa, ReadOnlySpan<byte> data)
    {
        _memory.WriteRam(pa, data);
        NoteStore(pa, data.Length);
        RaiseSignal(SignalCodeStale);
    }

    /// <summary>The physical address of the data access just made at <paramref name="va"/> (memory callbacks run right after it).</summary>
    internal ulong PhysicalOfAccess(ulong va, bool store)
    {
        ulong off = TlbLookup(store ? _tlbStore : _tlbLoad, va, 1);
        if (off != ulong.MaxValue) return off + _memory.RamBase;
        return Walk(va, store ? Access.Store : Access.Load, DataPrivilege, debug: true, out ulong pa, out _, out _, out _) ? pa : va;
    }

    /// <summary>The device at a physical address, or null for RAM (and for nothing).</summary>
    internal IMmioDevice? DeviceAt(ulong pa) => _memory.IsRam(pa, 1) ? null : _memory.FindDevice(pa, 1);
}
