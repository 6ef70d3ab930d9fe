namespace Rivet.Cli;

/// <summary>
/// <c>-smp [cpus=]N[,maxcpus=M][,sockets=S][,dies=D][,clusters=C][,cores=C][,threads=T]</c>,
/// resolved and validated as QEMU 7.2's machine_parse_smp_config does for the 'virt' machine
/// (no dies, no clusters; cores are preferred over sockets when one is missing), with its
/// messages. Rivet runs <see cref="Cpus"/> harts; the rest of the topology is checked, not used
/// (no device tree carries it yet).
/// </summary>
internal sealed record SmpTopology(uint Cpus, uint Sockets, uint Cores, uint Threads, uint MaxCpus)
{
    private static readonly string[] Keys = ["cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads"];

    public static SmpTopology Parse(string text, int machineMaxCpus)
    {
        var kv = KeyValueOptions.Parse(text, "cpus");
        kv.CheckKeys(Keys, key => $"Parameter 'smp.{key}' is unexpected");
        uint Get(string key)
        {
            if (kv.Get(key) is not string v) return 0;
            if (!KeyValueOptions.TryParseUnsigned(v, out ulong n)) throw new KeyValueException($"Parameter 'smp.{key}' expects integer");
            // Beyond any machine's CPU count; QEMU would wrap such values to 32 bits.
            if (n > uint.MaxValue) throw new KeyValueException($"Parameter 'smp.{key}' expects integer below 2^32");
            return (uint)n;
        }
        uint cpus = Get("cpus"), sockets = Get("sockets"), dies = Get("dies"), clusters = Get("clusters");
        uint cores = Get("cores"), threads = Get("threads"), maxcpus = Get("maxcpus");

        // QEMU 7.2 only warns ("deprecated, considered invalid") and treats 0 as omitted.
        foreach (string key in Keys)
        {
            if (kv.Get(key) != null && Get(key) == 0)
                throw new KeyValueException("CPU topology parameters must be greater than zero (rivet needs at least 1; QEMU 7.2 only warns)");
        }
        if (dies > 1) throw new KeyValueException("dies not supported by this machine's CPU topology");
        if (clusters > 1) throw new KeyValueException("clusters not supported by this machine's CPU topology");

        // 64-bit, saturating arithmetic: the products of 32-bit parameters cannot wrap as they would in C.
        ulong s = sockets, c = cores, t = threads, max = maxcpus, n = cpus;
        if (n == 0 && max == 0)
        {
            s = s > 0 ? s : 1;
            c = c > 0 ? c : 1;
            t = t > 0 ? t : 1;
        }
        else
        {
            max = max > 0 ? max : n;
            if (c == 0)
            {
                s = s > 0 ? s : 1;
                t = t > 0 ? t : 1;
                c = max / (s * t);
            }
            else if (s == 0)
            {
                t = t > 0 ? t : 1;
                s = max / (c * t);
            }
            t = t > 0 ? t : (s * c == 0 ? 0 : max / (s * c));
        }
        ulong product = Multiply(Multiply(s, c), t);
        max = max > 0 ? max : product;
        n = n > 0 ? n : max;

        string hierarchy = $"sockets ({s}) * cores ({c}) * threads ({t})";
        if (product != max)
            throw new KeyValueException($"Invalid CPU topology: product of the hierarchy must match maxcpus: {hierarchy} != maxcpus ({max})");
        if (max < n)
            throw new KeyValueException($"Invalid CPU topology: maxcpus must be equal to or greater than smp: {hierarchy} == maxcpus ({max}) < smp_cpus ({n})");
        if (max > (ulong)machineMaxCpus)
            throw new KeyValueException($"Invalid SMP CPUs {max}. The max CPUs supported by machine 'virt' is {machineMaxCpus}");
        return new SmpTopology((uint)n, (uint)s, (uint)c, (uint)t, (uint)max);
    }

    /// <summary>Saturates instead of wrapping: a product too large for any machine stays too large.</summary>
    private static ulong Multiply(ulong a, ulong b) => b != 0 && a > ulong.MaxValue / b ? ulong.MaxValue : a * b;
}
