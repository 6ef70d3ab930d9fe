using Rivet.Gdb;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb.Tests;

/// <summary>
/// An IGdbTarget with known values that records every call. Registers: x_i of hart h is
/// 0x100 * h + i, pc is 0x80000000 + 0x10 * h, priv 3, every CSR 0xC000 + its regnum; memory is
/// 64 KiB at 0x80000000 (byte i = i &amp; 0xff), nothing else. Resume raises Stopped from another
/// thread when <see cref="NextStop"/> is set; otherwise the machine "runs" until Interrupt.
/// </summary>
internal sealed class FakeTarget : IGdbTarget
{
    public const ulong RamBase = 0x8000_0000;
    private readonly object _gate = new();
    private readonly List<string> _calls = [];
    private readonly Dictionary<(int, string), ulong> _registers = [];
    private bool _running;

    public FakeTarget(int harts = 2)
    {
        HartCount = harts;
        for (int i = 0; i < Memory.Length; i++) Memory[i] = (byte)i;
    }

    public int HartCount { get; }
    public byte[] Memory { get; } = new byte[0x10000];

    /// <summary>The stop the next Resume produces (from another thread); null: it runs until Interrupt.</summary>
    public Func<IReadOnlyCollection<int>, GdbStop>? NextStop { get; set; } = step => new GdbStop(GdbStopReason.Trap, step.Count > 0 ? step.First() : 0);

    public bool AttachResult { get; set; } = true;
    public string MonitorOutput { get; set; } = "fake monitor output\n";
    public HashSet<int> Halted { get; } = [];

    public event Action<GdbStop>? Stopped;

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    private void Record(string call)
    {
        lock (_gate)
        {
            _calls.Add(call);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until a call satisfying <paramref name="match"/> was recorded (a hang becomes a failure).</summary>
    public string WaitForCall(Func<string, bool> match)
    {
        long deadline = Environment.TickCount64 + 30_000;
        lock (_gate)
        {
            while (true)
            {
                string? c = _calls.FirstOrDefault(match);
                if (c != null) return c;
                long left = deadline - Environment.TickCount64;
                Assert.True(left > 0, $"no matching call; calls: {string.Join(" | ", _calls)}");
                Monitor.Wait(_gate, (int)left);
            }
        }
    }

    public void RaiseStopped(GdbStop stop) => Stopped?.Invoke(stop);

    public bool Attach()
    {
        Record("Attach");
        return AttachResult;
    }

    public void Detach() => Record("Detach");

    public void Kill()
    {
        Record("Kill");
        new Thread(() => Stopped?.Invoke(new GdbStop(GdbStopReason.Exited, 0))).Start();
    }

    public void Interrupt()
    {
        Record("Interrupt");
        bool was;
        lock (_gate)
        {
            was = _running;
            _running = false;
        }
        if (was) new Thread(() => Stopped?.Invoke(new GdbStop(GdbStopReason.Interrupt, 0))).Start();
    }

    public bool Resume(IReadOnlyCollection<int> step, bool othersRun)
    {
        Record($"Resume step=[{string.Join(",", step)}] others={othersRun}");
        Func<IReadOnlyCollection<int>, GdbStop>? next = NextStop;
        if (next == null)
        {
            lock (_gate)
            {
                _running = true;
            }
            return true;
        }
        GdbStop stop = next(step);
        new Thread(() => Stopped?.Invoke(stop)).Start();
        return true;
    }

    public bool ResumeHarts(IReadOnlyCollection<int> step, IReadOnlyCollection<int> run)
    {
        Record($"ResumeHarts step=[{string.Join(",", step)}] run=[{string.Join(",", run)}]");
        Func<IReadOnlyCollection<int>, GdbStop>? next = NextStop;
        if (next == null)
        {
            lock (_gate)
            {
                _running = true;
            }
            return true;
        }
        GdbStop stop = next(step.Count > 0 ? step : run);
        new Thread(() => Stopped?.Invoke(stop)).Start();
        return true;
    }

    public static ulong Initial(int hart, RegisterDescriptor r)
    {
        int regnum = GdbTargetDescription.Regnum(r);
        return regnum switch
        {
            < 32 => (ulong)(0x100 * hart + regnum),
            32 => RamBase + (ulong)(0x10 * hart),
            GdbTargetDescription.PrivRegnum => 3,
            < GdbTargetDescription.PrivRegnum => 0x3ff0_0000_0000_0000 + (ulong)regnum, // f registers: raw doubles
            _ => 0xC000 + (ulong)regnum,
        };
    }

    public bool TryReadRegister(int hart, RegisterDescriptor register, out ulong value)
    {
        Record($"Read {hart} {register.Name}");
        lock (_gate)
        {
            if (!_registers.TryGetValue((hart, register.Name), out value)) value = Initial(hart, register);
        }
        return register.Name != "tinfo"; // one register that cannot be read
    }

    public bool TryWriteRegister(int hart, RegisterDescriptor register, ulong value)
    {
        Record($"Write {hart} {register.Name}={value:x}");
        if (register.Name is "mhartid" or "zero") return false;
        lock (_gate)
        {
            _registers[(hart, register.Name)] = value;
        }
        return true;
    }

    public bool ReadMemory(int hart, ulong address, Span<byte> destination, bool physical)
    {
        Record($"ReadMemory {hart} {address:x} {destination.Length} physical={physical}");
        if (address < RamBase || address - RamBase + (ulong)destination.Length > (ulong)Memory.Length) return false;
        Memory.AsSpan((int)(address - RamBase), destination.Length).CopyTo(destination);
        return true;
    }

    public bool WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source, bool physical)
    {
        Record($"WriteMemory {hart} {address:x} {Convert.ToHexStringLower(source)} physical={physical}");
        if (address < RamBase || address - RamBase + (ulong)source.Length > (ulong)Memory.Length) return false;
        source.CopyTo(Memory.AsSpan((int)(address - RamBase)));
        return true;
    }

    public bool InsertBreakpoint(ulong address)
    {
        Record($"InsertBreakpoint {address:x}");
        return address != 0;
    }

    public bool RemoveBreakpoint(ulong address)
    {
        Record($"RemoveBreakpoint {address:x}");
        return address != 0;
    }

    public bool InsertWatchpoint(ulong address, ulong length, GdbWatchKind kind)
    {
        Record($"InsertWatchpoint {address:x} {length} {kind}");
        return true;
    }

    public bool RemoveWatchpoint(ulong address, ulong length, GdbWatchKind kind)
    {
        Record($"RemoveWatchpoint {address:x} {length} {kind}");
        return true;
    }

    public bool IsHalted(int hart) => Halted.Contains(hart);

    public string MonitorCommand(int hart, string line)
    {
        Record($"Monitor {hart} {line}");
        return MonitorOutput;
    }
}
