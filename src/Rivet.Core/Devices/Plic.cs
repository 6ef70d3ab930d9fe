using Rivet.Cpu;
using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// SiFive PLIC at 0xC000000 with QEMU virt's layout: 96 sources, 2 contexts per hart (M = 2h
/// drives mip.MEIP, S = 2h+1 drives mip.SEIP). Level-triggered.
/// </summary>
internal sealed class Plic : IMmioDevice
{
    public const ulong DefaultBase = 0xC000000;
    public const int Sources = 96;
    private const ulong PendingBase = 0x1000, EnableBase = 0x2000, ContextBase = 0x200000;

    private readonly IReadOnlyList<Hart> _harts;
    private readonly object _gate = new();
    // All guarded by _gate.
    private readonly uint[] _priority = new uint[Sources];
    private readonly bool[] _level = new bool[Sources];
    private readonly bool[] _claimed = new bool[Sources];
    private readonly uint[][] _enable; // per context, 3 words
    private readonly uint[] _threshold;

    public Plic(ulong baseAddress, IReadOnlyList<Hart> harts)
    {
        Base = baseAddress;
        _harts = harts;
        int contexts = 2 * harts.Count;
        _enable = new uint[contexts][];
        for (int c = 0; c < contexts; c++) _enable[c] = new uint[Sources / 32];
        _threshold = new uint[contexts];
    }

    public string Name => "plic";
    public ulong Base { get; }
    public ulong Size => 0x600000;

    /// <summary>A device's interrupt line changed level. Any thread.</summary>
    public void SetLevel(int source, bool high)
    {
        if (source <= 0 || source >= Sources) return;
        lock (_gate)
        {
            _level[source] = high;
        }
        Update();
    }

    private bool Pending(int s) => _level[s] && !_claimed[s];

    private int BestFor(int context)
    {
        int best = 0;
        uint bestPriority = _threshold[context];
        for (int s = 1; s < Sources; s++)
        {
            if (Pending(s) && (_enable[context][s / 32] & (1u << (s % 32))) != 0 && _priority[s] > bestPriority)
            {
                best = s;
                bestPriority = _priority[s];
            }
        }
        return best;
    }

    /// <summary>Recomputes MEIP and SEIP for every hart; the harts are told after the lock is released.</summary>
    private void Update()
    {
        int contexts = 2 * _harts.Count;
        Span<bool> eip = contexts <= 1024 ? stackalloc bool[contexts] : new bool[contexts];
        lock (_gate)
        {
            for (int c = 0; c < contexts; c++) eip[c] = BestFor(c) != 0;
        }
        for (int h = 0; h < _harts.Count; h++)
        {
            _harts[h].SetPending(Cause.MachineExternal, eip[2 * h]);
            _harts[h].SetPending(Cause.SupervisorExternal, eip[2 * h + 1]);
        }
    }

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (size != 4 || offset % 4 != 0) return false;
        bool changed = false;
        lock (_gate)
        {
            if (offset < PendingBase)
            {
                int s = (int)(offset / 4);
                if (s < Sources) value = _priority[s];
            }
            else if (offset < EnableBase)
            {
                int word = (int)((offset - PendingBase) / 4);
                for (int b = 0; b < 32 && word * 32 + b < Sources; b++)
                {
                    if (Pending(word * 32 + b)) value |= 1UL << b;
                }
            }
            else if (offset < ContextBase)
            {
                int ctx = (int)((offset - EnableBase) / 0x80), word = (int)((offset - EnableBase) % 0x80 / 4);
                if (ctx < _enable.Length && word < Sources / 32) value = _enable[ctx][word];
            }
            else
            {
                int ctx = (int)((offset - ContextBase) / 0x1000);
                ulong reg = (offset - ContextBase) % 0x1000;
                if (ctx < _threshold.Length)
                {
                    if (reg == 0) value = _threshold[ctx];
                    else if (reg == 4)
                    {
                        int s = BestFor(ctx);
                        if (s != 0)
                        {
                            _claimed[s] = true;
                            changed = true;
                        }
                        value = (ulong)s;
                    }
                }
            }
        }
        if (changed) Update();
        return true;
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        if (size != 4 || offset % 4 != 0) return false;
        uint v = (uint)value;
        lock (_gate)
        {
            if (offset < PendingBase)
            {
                int s = (int)(offset / 4);
                if (s > 0 && s < Sources) _priority[s] = v & 7;
            }
            else if (offset < EnableBase)
            {
                // pending bits are read-only
            }
            else if (offset < ContextBase)
            {
                int ctx = (int)((offset - EnableBase) / 0x80), word = (int)((offset - EnableBase) % 0x80 / 4);
                if (ctx < _enable.Length && word < Sources / 32) _enable[ctx][word] = word == 0 ? v & ~1u : v;
            }
            else
            {
                int ctx = (int)((offset - ContextBase) / 0x1000);
                ulong reg = (offset - ContextBase) % 0x1000;
                if (ctx < _threshold.Length)
                {
                    if (reg == 0) _threshold[ctx] = v & 7;
                    else if (reg == 4 && v > 0 && v < Sources) _claimed[v] = false; // complete
                }
            }
        }
        Update();
        return true;
    }

    public void Reset()
    {
        lock (_gate)
        {
            Array.Clear(_priority);
            Array.Clear(_claimed);
            foreach (uint[] e in _enable) Array.Clear(e);
            Array.Clear(_threshold);
        }
        Update();
    }
}
