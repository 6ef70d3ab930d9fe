using System.Net;
using System.Net.Sockets;

namespace Rivet.Gdb.Tests;

/// <summary>A GdbSession over one end of a loopback TCP connection (GdbSession over a Stream, as -gdb chardev uses it), a GdbClient on the other.</summary>
internal sealed class SessionHarness : IDisposable
{
    private readonly Thread _thread;
    private GdbSessionEnd _end;

    public SessionHarness(FakeTarget? target = null, bool attachHandshake = true)
    {
        Target = target ?? new FakeTarget();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        server.NoDelay = client.NoDelay = true; // as GdbServer's sockets: no Nagle delay between an ack and its reply
        Session = new GdbSession(Target, new NetworkStream(server, ownsSocket: true), () => server.Shutdown(SocketShutdown.Both));
        _thread = new Thread(() => _end = Session.Run()) { IsBackground = true, Name = "test-gdb-session" };
        _thread.Start();
        Client = new GdbClient(client);
        if (attachHandshake) Target.WaitForCall(c => c == "Attach");
    }

    public FakeTarget Target { get; }
    public GdbSession Session { get; }
    public GdbClient Client { get; }

    /// <summary>Starts as gdb does: qSupported with multiprocess, then the target description.</summary>
    public SessionHarness Handshake(bool multiprocess = true)
    {
        Client.Ask(multiprocess ? "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+" : "qSupported:swbreak+");
        Assert.StartsWith("l<?xml", Client.Ask("qXfer:features:read:target.xml:0,ffb"));
        return this;
    }

    /// <summary>Waits for the session to end (a hang becomes a failure) and returns how.</summary>
    public GdbSessionEnd WaitForEnd()
    {
        Assert.True(_thread.Join(TimeSpan.FromSeconds(30)), "the session did not end");
        return _end;
    }

    public void Dispose()
    {
        Session.Close();
        _thread.Join(TimeSpan.FromSeconds(30));
        Client.Dispose();
    }
}
