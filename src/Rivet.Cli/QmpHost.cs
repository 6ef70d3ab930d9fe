using Rivet.Board;
using Rivet.Cli.Chardev;
using Rivet.Qmp;

namespace Rivet.Cli;

/// <summary>
/// The -qmp options at start-up, as QEMU orders them: bind every endpoint before anything runs
/// (a bad one is a start-up error), start the machine, wait for the first client of each
/// wait=on endpoint, then let the clients' commands run. With wait=on the machine is built
/// paused (prelaunch) and only runs once the clients have connected (unless -S keeps it there),
/// so a signal during the wait still ends rivet through the normal shutdown path.
/// </summary>
internal sealed class QmpHost : IDisposable
{
    private readonly QmpServer _server;
    private readonly List<QmpEndpoint> _waitFor = [];
    private QmpHost(QmpServer server) => _server = server;

    /// <summary>The machine configuration to build: paused at first if a client must connect before it runs.</summary>
    public static MachineConfig Configure(CliOptions options, MachineConfig config)
        => options.Qmp.Any(q => q.Wait) ? config with { StartPaused = true } : config;

    /// <summary>Binds the endpoints (null without -qmp); throws <see cref="UsageException"/> if one cannot be bound.</summary>
    public static QmpHost? Listen(CliOptions options, Machine.Machine machine)
    {
        if (options.Qmp.Count == 0 && options.QmpChardevs.Count == 0) return null;
        var server = new QmpServer(machine, new QmpServerOptions
        {
            Version = CommandLine.Version,
            Name = options.Name,
            HoldCommandsUntilOpen = true,
            CloseAtShutdown = true,
        });
        var host = new QmpHost(server);
        try
        {
            foreach (QmpEndpoint ep in options.Qmp)
            {
                QmpEndpoint bound = server.Listen(ep);
                if (ep.Wait) host._waitFor.Add(bound);
            }
        }
        catch (QmpBindException ex)
        {
            server.Dispose();
            throw new UsageException($"-qmp: {ex.Message}");
        }
        return host;
    }

    /// <summary>
    /// Starts a session on each QMP character device (-qmp stdio, -mon chardev=ID,mode=control):
    /// the session is the device's front end (attached before the devices start).
    /// </summary>
    public void Serve(CliOptions options, ChardevHost chardevs)
    {
        foreach (QmpChardev q in options.QmpChardevs)
        {
            Chardev.Chardev device = chardevs.Find(q.Id) ?? throw new InvalidOperationException($"chardev {q.Id} was not opened");
            var frontend = new QmpOnChardev(device);
            chardevs.Attach(q.Id, frontend);
            _server.Serve(frontend, device.Filename, q.Pretty);
        }
    }

    /// <summary>Waits for the first client of each wait=on endpoint; false if the machine went away first.</summary>
    public bool WaitForClients()
    {
        foreach (QmpEndpoint ep in _waitFor)
        {
            Console.Error.WriteLine($"rivet: waiting for a QMP connection on {ep}");
            if (!_server.WaitForClient(ep)) return false; // shut down (a signal) while waiting
        }
        return true;
    }

    /// <summary>Lets the clients' commands run.</summary>
    public void Open() => _server.Open();

    public void Dispose() => _server.Dispose();
}

/// <summary>
/// A character device as the QMP server sees it, and the QMP session as the device's front end:
/// input from the device's reader, output with back-pressure through its queue. Only a socket's
/// peer leaving (CLOSED) ends the session; stdio and pipes stay, as QEMU's monitor does (it keeps
/// sending events).
/// </summary>
internal sealed class QmpOnChardev(Chardev.Chardev device) : IQmpChardev, ICharFrontend
{
    private Action<ReadOnlySpan<byte>>? _receive;
    private Action? _ended;

    public void StartInput(Action<ReadOnlySpan<byte>> receive, Action ended)
    {
        _ended = ended;
        Volatile.Write(ref _receive, receive);
    }

    public bool Write(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel) => device.WriteWaiting(data, timeout, cancel);

    void ICharFrontend.Receive(ReadOnlySpan<byte> data) => Volatile.Read(ref _receive)?.Invoke(data);

    void ICharFrontend.Event(ChardevEvent e)
    {
        if (e == ChardevEvent.Closed) _ended?.Invoke();
    }
}
