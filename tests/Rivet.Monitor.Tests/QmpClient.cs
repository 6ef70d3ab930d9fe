using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Rivet.Monitor.Tests;

/// <summary>One message from the server, in arrival order.</summary>
internal sealed record Received(long Seq, JsonElement Message, string Line)
{
    public bool IsEvent => Message.ValueKind == JsonValueKind.Object && Message.TryGetProperty("event", out _);
    public string? EventName => IsEvent ? Message.GetProperty("event").GetString() : null;
}

/// <summary>
/// A QMP client written from QEMU's QMP specification (docs/interop/qmp-spec.rst), not from
/// Rivet's server: it connects, reads the greeting, negotiates, and sends
/// <c>{"execute", "arguments", "id"}</c> objects. The server promises one message per line, ended
/// by CRLF; the client checks that promise on every line (<see cref="FramingViolation"/>).
/// Every wait has a generous deadline, only so that a hang becomes a failure.
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly Socket? _socket;
    private readonly Stream? _fromServer, _toServer; // a client over a byte stream (stdio, a pipe)
    private readonly Channel<Received> _responses = Channel.CreateUnbounded<Received>();
    private readonly Channel<Received> _events = Channel.CreateUnbounded<Received>();
    private readonly List<Received> _transcript = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;
    private long _seq;
    private int _nextId;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _pump = Task.Run(PumpAsync);
    }

    private QmpClient(Stream fromServer, Stream toServer)
    {
        _fromServer = fromServer;
        _toServer = toServer;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>A client on a byte stream pair (rivet's standard output and input, a FIFO): reads the greeting, negotiates.</summary>
    public static async Task<QmpClient> OverStreamsAsync(Stream fromServer, Stream toServer, bool negotiate = true)
        => await StartAsync(new QmpClient(fromServer, toServer), negotiate);

    public JsonElement Greeting { get; private set; }

    /// <summary>A line that was not one JSON value ended by CRLF, if any.</summary>
    public string? FramingViolation { get; private set; }

    /// <summary>Everything received so far (greeting, replies, events), in order.</summary>
    public IReadOnlyList<Received> Transcript
    {
        get
        {
            lock (_transcript)
            {
                return [.. _transcript];
            }
        }
    }

    public IReadOnlyList<Received> Events => Transcript.Where(r => r.IsEvent).ToList();

    /// <summary>Completes when the server closed the connection.</summary>
    public Task Closed => _closed.Task;

    public static EndPoint EndPointOf(Rivet.Qmp.QmpEndpoint ep) => ep.Transport == Rivet.Qmp.QmpTransport.Unix
        ? new UnixDomainSocketEndPoint(ep.Path)
        : new IPEndPoint(IPAddress.Parse(ep.Host), ep.Port);

    /// <summary>Connects and reads the greeting; with <paramref name="negotiate"/>, also enters command mode.</summary>
    public static async Task<QmpClient> ConnectAsync(EndPoint endpoint, bool negotiate = true)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        using (var cts = new CancellationTokenSource(Deadline))
        {
            await socket.ConnectAsync(endpoint, cts.Token);
        }
        return await StartAsync(new QmpClient(socket), negotiate);
    }

    private static async Task<QmpClient> StartAsync(QmpClient client, bool negotiate)
    {
        Received greeting = await client.NextResponseAsync();
        Assert.True(greeting.Message.TryGetProperty("QMP", out JsonElement qmp), $"first message is not a greeting: {greeting.Line}");
        client.Greeting = qmp;
        if (negotiate)
        {
            JsonElement r = await client.ExecuteAsync("qmp_capabilities");
            Assert.True(r.TryGetProperty("return", out _), $"qmp_capabilities failed: {r}");
        }
        return client;
    }

    private async Task PumpAsync()
    {
        var pending = new List<byte>();
        byte[] buffer = new byte[16384];
        try
        {
            while (true)
            {
                int n = _socket != null ? await _socket.ReceiveAsync(buffer, SocketFlags.None) : await _fromServer!.ReadAsync(buffer);
                if (n == 0) break;
                for (int i = 0; i < n; i++)
                {
                    pending.Add(buffer[i]);
                    if (buffer[i] != (byte)'\n') continue;
                    string line = Encoding.UTF8.GetString(pending.ToArray());
                    pending.Clear();
                    Accept(line);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // the connection is gone
        }
        if (pending.Count > 0) FramingViolation ??= $"trailing bytes without a line end: {Encoding.UTF8.GetString(pending.ToArray())}";
        _responses.Writer.TryComplete();
        _events.Writer.TryComplete();
        _closed.TrySetResult();
    }

    private void Accept(string line)
    {
        if (!line.EndsWith("\r\n", StringComparison.Ordinal)) FramingViolation ??= $"line not ended by CRLF: {line}";
        JsonElement message;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            message = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            FramingViolation ??= $"line is not one JSON value ({ex.Message}): {line}";
            return;
        }
        var r = new Received(Interlocked.Increment(ref _seq), message, line);
        lock (_transcript)
        {
            _transcript.Add(r);
        }
        (r.IsEvent ? _events : _responses).Writer.TryWrite(r);
    }

    // ---- sending ----

    public async Task SendRawAsync(string text) => await SendRawAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendRawAsync(byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Deadline);
        if (_socket != null)
        {
            await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
            return;
        }
        await _toServer!.WriteAsync(bytes, cts.Token);
        await _toServer.FlushAsync(cts.Token);
    }

    /// <summary>The request as the spec writes it; <paramref name="id"/> null leaves the member out.</summary>
    public static string Request(string command, object? arguments = null, object? id = null)
    {
        var request = new Dictionary<string, object?> { ["execute"] = command };
        if (arguments != null) request["arguments"] = arguments;
        if (id != null) request["id"] = id;
        return JsonSerializer.Serialize(request) + "\r\n";
    }

    /// <summary>Sends a command with a fresh id and returns its response; checks the id came back.</summary>
    public async Task<JsonElement> ExecuteAsync(string command, object? arguments = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        await SendRawAsync(Request(command, arguments, id));
        Received r = await NextResponseAsync();
        Assert.True(r.Message.TryGetProperty("id", out JsonElement echoed) && echoed.ValueKind == JsonValueKind.Number && echoed.GetInt32() == id,
            $"response to {command} (id {id}) carries the wrong id: {r.Line}");
        return r.Message;
    }

    /// <summary>Runs a command that must succeed; returns the value of "return".</summary>
    public async Task<JsonElement> ReturnOfAsync(string command, object? arguments = null)
    {
        JsonElement r = await ExecuteAsync(command, arguments);
        Assert.True(r.TryGetProperty("return", out JsonElement value), $"{command} failed: {r}");
        return value;
    }

    /// <summary>Runs a command that must fail; returns (class, desc).</summary>
    public async Task<(string Class, string Desc)> ErrorOfAsync(string command, object? arguments = null)
    {
        JsonElement r = await ExecuteAsync(command, arguments);
        return ErrorOf(r);
    }

    public static (string Class, string Desc) ErrorOf(JsonElement response)
    {
        Assert.True(response.TryGetProperty("error", out JsonElement e), $"expected an error: {response}");
        return (e.GetProperty("class").GetString()!, e.GetProperty("desc").GetString()!);
    }

    // ---- receiving ----

    /// <summary>The next message that is not an event (a reply, or the greeting).</summary>
    public async Task<Received> NextResponseAsync()
    {
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no response within {Deadline.TotalSeconds} s; transcript: {Describe()}");
        }
        catch (ChannelClosedException)
        {
            throw new IOException($"the server closed the connection; transcript: {Describe()}");
        }
    }

    /// <summary>The next event (of any name).</summary>
    public async Task<Received> NextEventAsync()
    {
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {Deadline.TotalSeconds} s; transcript: {Describe()}");
        }
        catch (ChannelClosedException)
        {
            throw new IOException($"the server closed the connection before an event came; transcript: {Describe()}");
        }
    }

    /// <summary>Skips events until one called <paramref name="name"/>.</summary>
    public async Task<Received> NextEventAsync(string name)
    {
        while (true)
        {
            Received e = await NextEventAsync();
            if (e.EventName == name) return e;
        }
    }

    /// <summary>True if the server closes the connection within the deadline.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        try
        {
            await _closed.Task.WaitAsync(Deadline);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public string Describe()
    {
        IReadOnlyList<Received> t = Transcript;
        IEnumerable<string> lines = t.Skip(Math.Max(0, t.Count - 12)).Select(r => r.Line.TrimEnd());
        return $"[{t.Count} messages, last: {string.Join(" | ", lines)}]";
    }

    /// <summary>Closes the client's side at once (no goodbye).</summary>
    public void Abort()
    {
        if (_socket == null)
        {
            _toServer!.Dispose();
            _fromServer!.Dispose();
            return;
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        await _pump;
    }
}
