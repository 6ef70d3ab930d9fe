namespace Rivet.Cli.Chardev;

/// <summary>
/// The character devices of one run: opened in command-line order at start-up (a failure is a
/// start-up error naming the option), input started once their receivers exist, closed at exit.
/// </summary>
internal sealed class ChardevHost : IDisposable
{
    private readonly List<(ChardevSpec Spec, Chardev Device)> _open = [];

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
                host._open.Add((spec, spec.Open()));
            }
            catch (ChardevException ex)
            {
                host.Dispose();
                throw new UsageException($"{spec.Origin}: {ex.Message}");
            }
        }
        return host;
    }

    public Chardev? Find(string? id) => _open.FirstOrDefault(d => d.Spec.Id == id).Device;

    /// <summary>Starts input: to <paramref name="receivers"/>' receiver by id; devices nobody reads drop theirs.</summary>
    public void StartInput(IReadOnlyDictionary<string, Action<ReadOnlySpan<byte>>> receivers)
    {
        foreach (var (spec, device) in _open)
        {
            device.StartInput(receivers.TryGetValue(spec.Id, out var receive) ? receive : _ => { });
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
