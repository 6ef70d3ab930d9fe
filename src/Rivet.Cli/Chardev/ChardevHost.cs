namespace Rivet.Cli.Chardev;

/// <summary>
/// The character devices of one run: opened in command-line order at start-up (a failure is a
/// start-up error naming the option; mux=on devices get a <see cref="MuxChardev"/> over them),
/// front ends attached (monitors, then the UART), started, closed at exit.
/// </summary>
internal sealed class ChardevHost : IDisposable
{
    // A class, not a value tuple: LINQ and List over a tuple of references are not precompiled and
    // would be JIT-compiled at every start (docs/STARTUP.md).
    private sealed record OpenDevice(ChardevSpec Spec, Chardev Device);

    private readonly List<OpenDevice> _open = [];
    private readonly Dictionary<string, ICharFrontend> _single = new(StringComparer.Ordinal); // front ends of non-mux devices

    private ChardevHost()
    {
    }

    /// <summary>Opens every device; throws <see cref="UsageException"/> (after closing those already open).</summary>
    public static ChardevHost Open(IEnumerable<ChardevSpec> specs)
    {
        var host = new ChardevHost();
        foreach (ChardevSpec spec in specs)
        {
            try
            {
                Chardev device = spec.Open();
                host._open.Add(new OpenDevice(spec, spec.Mux ? new MuxChardev(device) : device));
            }
            catch (ChardevException ex)
            {
                host.Dispose();
                throw new UsageException($"{spec.Origin}: {ex.Message}");
            }
        }
        return host;
    }

    /// <summary>The device by id: what its front ends write to (the mux, for mux=on).</summary>
    public Chardev? Find(string? id) => _open.FirstOrDefault(d => d.Spec.Id == id)?.Device;

    /// <summary>query-chardev's view: label, QEMU's filename, whether a front end uses it.</summary>
    public IReadOnlyList<Rivet.Qmp.HostChardevInfo> Describe() =>
        [.. _open.Select(d => new Rivet.Qmp.HostChardevInfo(d.Spec.Id, d.Device.Filename,
            d.Device is MuxChardev mux ? mux.FrontendCount > 0 : _single.ContainsKey(d.Spec.Id)))];

    /// <summary>Every mux, for C-a x.</summary>
    public IEnumerable<MuxChardev> Muxes => _open.Select(d => d.Device).OfType<MuxChardev>();

    /// <summary>Attaches a front end before <see cref="Start"/> (the command line has checked that a device without mux has one only).</summary>
    public void Attach(string id, ICharFrontend frontend)
    {
        Chardev device = Find(id) ?? throw new InvalidOperationException($"no chardev {id}");
        if (device is MuxChardev mux) mux.Attach(frontend);
        else _single.Add(id, frontend);
    }

    /// <summary>Starts events and input; devices nobody reads drop theirs.</summary>
    public void Start()
    {
        foreach (var (spec, device) in _open)
        {
            if (device is MuxChardev mux) mux.Start();
            else if (_single.TryGetValue(spec.Id, out ICharFrontend? frontend)) device.Start(frontend);
            else device.StartInput(_ => { });
        }
    }

    /// <summary>
    /// Waits for the first client of every wait=on server, in command-line order, announcing each
    /// as QEMU does; false if <paramref name="down"/> (the machine going away) came first.
    /// </summary>
    public bool WaitForClients(Task down)
    {
        foreach (var (spec, device) in _open)
        {
            if (device.FirstClient is not Task first) continue;
            Console.Error.WriteLine($"rivet: {spec.Origin}: info: QEMU waiting for connection on: {device.Filename}");
            Task.WaitAny(first, down);
            if (!first.IsCompleted) return false;
        }
        return true;
    }

    public bool AnyWaits => _open.Any(d => d.Device.FirstClient != null);

    /// <summary>Closes every device: queued output is written first, unless its peer stopped reading (then reported).</summary>
    public void Dispose()
    {
        foreach (var (spec, device) in _open)
        {
            device.Dispose();
            if (device.DroppedOutput > 0 || device.OutputStalled)
            {
                string dropped = device.DroppedOutput > 0 ? $"{device.DroppedOutput} bytes of output dropped" : "output not delivered";
                Console.Error.WriteLine($"rivet: {spec.Origin}: {dropped} (the other end did not read)");
            }
        }
    }
}
