using System.Diagnostics;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>ips</c>: limits each vCPU to <c>ips=N</c> instructions per second (suffixes k, m, g) and
/// makes guest time follow the instruction count: at N instructions a vCPU has lived one virtual
/// second (QEMU 10's contrib/plugins/ips.c). Every N/10 instructions ("a quantum") a vCPU
/// compares its count with the host time since its last quantum, sleeps off any lead, and
/// moves guest time to (its instructions) / N, forward only.
/// </summary>
/// <remarks>
/// Rivet's addition: time spent idle (<c>wfi</c>) counts at host speed, as if the vCPU had run
/// N instructions a second, so a guest waiting for its timer gets it (QEMU's version advances time
/// only with instructions). The sleep is bounded by one quantum (0.1 s), so a pause or shutdown
/// waits at most that long for a vCPU inside it.
/// </remarks>
[RivetPlugin(PluginApi.Version)]
internal sealed class IpsPlugin : IRivetPlugin
{
    private const long UpdatesPerSecond = 10;
    private const long NanosPerSecond = 1_000_000_000;

    private readonly object _gate = new();
    private ulong _virtualNs; // the last time published; under _gate
    private ITimeControl _time = null!;
    private ulong _ips;
    private long _quantum;

    // Per vCPU, written only by its own thread (or the exit thread once every vCPU has paused).
    private ulong[] _total = [], _idleNs = [];
    private long[] _quantumInsns = [], _lastQuantum = [], _idleSince = [];

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("ips");
        _ips = ParseIps(args.Get("ips"));
        _quantum = (long)(_ips / UpdatesPerSecond);
        if (_quantum == 0) throw new PluginArgumentException($"minimum of {UpdatesPerSecond} instructions per second needed");
        _time = context.RequestTimeControl() ?? throw new PluginArgumentException("another plugin already controls time");
        int n = context.VCpuCount;
        _total = new ulong[n];
        _idleNs = new ulong[n];
        _quantumInsns = new long[n];
        _lastQuantum = new long[n];
        _idleSince = new long[n];
        context.RegisterVCpuInit(cpu => _lastQuantum[cpu] = Stopwatch.GetTimestamp());
        context.RegisterVCpuExit(cpu => Update(cpu, sleep: false));
        context.RegisterBlockTranslated(block =>
        {
            long insns = block.Instructions.Count;
            block.RegisterExecute((cpu, _) =>
            {
                // Counts the block as it starts, as QEMU's inline add and conditional callback.
                if ((_quantumInsns[cpu] += insns) >= _quantum) Update(cpu, sleep: true);
            });
        });
        context.RegisterVCpuIdle(cpu => _idleSince[cpu] = Stopwatch.GetTimestamp());
        context.RegisterVCpuResume(cpu =>
        {
            if (_idleSince[cpu] == 0) return;
            long now = Stopwatch.GetTimestamp();
            _idleNs[cpu] += (ulong)Stopwatch.GetElapsedTime(_idleSince[cpu], now).Ticks * 100;
            _idleSince[cpu] = 0;
            _lastQuantum[cpu] = now;
            Publish(cpu);
        });
    }

    /// <summary>The <c>ips</c> value: digits with an optional k, m or g (powers of 1000), 1e9 when absent.</summary>
    internal static ulong ParseIps(string? text)
    {
        if (text == null) return 1_000_000_000;
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        if (digits == 0 || !ulong.TryParse(text.AsSpan(0, digits), out ulong value))
            throw new PluginArgumentException($"couldn't parse {text}");
        string suffix = text[digits..].ToLowerInvariant();
        ulong scale = suffix switch { "" => 1, "k" => 1000, "m" => 1000 * 1000, "g" => 1000 * 1000 * 1000, _ => 0 };
        if (scale == 0) throw new PluginArgumentException($"bad suffix: {text[digits..]}");
        return checked(value * scale);
    }

    private void Update(int cpu, bool sleep)
    {
        long now = Stopwatch.GetTimestamp();
        long elapsedNs = Stopwatch.GetElapsedTime(_lastQuantum[cpu], now).Ticks * 100;
        ulong maxInsns = (ulong)((UInt128)(ulong)Math.Max(elapsedNs, 0) * _ips / NanosPerSecond);
        ulong quantum = (ulong)_quantumInsns[cpu];
        if (sleep && quantum >= maxInsns)
        {
            // Ran faster than allowed: sleep off the lead (at most one quantum, a tenth of a second).
            ulong aheadNs = (ulong)((UInt128)(quantum - maxInsns) * NanosPerSecond / _ips);
            long us = (long)Math.Min(aheadNs / 1000, NanosPerSecond / UpdatesPerSecond / 1000);
            if (us > 0) Thread.Sleep(TimeSpan.FromMicroseconds(us));
        }
        _total[cpu] += quantum;
        _quantumInsns[cpu] = 0;
        _lastQuantum[cpu] = Stopwatch.GetTimestamp();
        Publish(cpu);
    }

    /// <summary>Moves guest time to what this vCPU has lived, if that is later than the time now.</summary>
    private void Publish(int cpu)
    {
        ulong ns = (ulong)((UInt128)_total[cpu] * NanosPerSecond / _ips) + _idleNs[cpu];
        lock (_gate)
        {
            if (ns <= _virtualNs) return;
            _virtualNs = ns;
        }
        _time.UpdateNs(ns);
    }
}
