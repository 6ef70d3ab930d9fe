using System.Buffers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.Channels;

namespace Rivet.Qmp;

/// <summary>Result of looking for one complete JSON value at the front of the input.</summary>
internal enum FrameStatus
{
    Incomplete,
    Complete,
    Error,
}

/// <summary>
/// One QMP client, served by its own thread ("qmp-client-N") over a <see cref="QmpConnection"/>
/// (a socket the server accepted, or a character device). The thread blocks in recv, cuts the
/// byte stream into top-level JSON values with <see cref="Utf8JsonReader"/> (messages may span
/// lines, several may share one), runs them one at a time (as QEMU does without out-of-band
/// execution; stop, cont and system_reset block this thread only), and writes each reply itself.
/// Events come from the machine's main loop, which only queues them; a writer task sends them.
///
/// Why a thread and not a task: with every host core busy running guest code, each hand-over
/// between threads waits for the scheduler, and a thread blocked in recv is woken by the kernel
/// directly. Reading on a dedicated thread and replying from it leaves one hand-over each way (to
/// the machine's main loop and back), as in QEMU, where a pool-based reader took three or four
/// (docs/QMP.md has the figures).
///
/// Order: replies and events go through one outbox, written under one write lock by whoever
/// holds it (this thread after a command, or the event writer), so what the client reads is the
/// order in which things were queued. Bounds: one message (<see cref="QmpServerOptions.MaxMessageBytes"/>),
/// and events not yet written (<see cref="QmpServerOptions.EventBacklog"/>; beyond it the client
/// is too slow and is disconnected, so the main loop never waits for a socket). A client that
/// does not read its replies stalls only its own thread, in send.
/// </summary>
internal sealed class QmpSession
{
    private const int ReceiveChunk = 64 * 1024;
    private const int WriteBatch = 64 * 1024;

    private static readonly JsonDocumentOptions s_documentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    private enum OutKind { Reply, Event }

    private readonly record struct Outgoing(byte[] Data, OutKind Kind);

    private readonly QmpServer _server;
    private readonly QmpConnection _connection;
    private readonly bool _pretty;
    private readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>();
    /// <summary>Held while draining the outbox into the socket, so messages go out in queue order.</summary>
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _batch = new(4096); // guarded by _writeLock
    private readonly CancellationTokenSource _closing = new();

    private int _pendingEvents;      // events queued and not yet written (Interlocked)
    private int _aborted;            // 1 once Abort ran (Interlocked)
    private int _overflowed;         // 1 once the event backlog overflowed (Interlocked)
    private volatile bool _draining; // the server closes: flush what is queued, then close

    // Guarded by the server's EventGate (written by this session's thread, read by the fan-out).
    private bool _negotiated;

    private QmpHmpHost? _hmpHost;

    public QmpSession(QmpServer server, QmpConnection connection, int id, string endpoint, bool pretty = false)
    {
        _server = server;
        _connection = connection;
        _pretty = pretty;
        Id = id;
        Name = $"QMP client #{id} on {endpoint}";
    }

    public int Id { get; }

    /// <summary>This client's human monitor (human-monitor-command), made on first use; session thread only.</summary>
    internal QmpHmpHost HmpHost => _hmpHost ??= new QmpHmpHost(_server);
    public string Name { get; }

    /// <summary>True once qmp_capabilities succeeded (read on the session's own thread).</summary>
    public bool Negotiated => _negotiated;

    /// <summary>exec-oob is accepted as a key (after qmp_capabilities enabled "oob").</summary>
    public bool OobEnabled { get; private set; }

    /// <summary>Called under the event gate when the qmp_capabilities reply has been queued.</summary>
    public void EnterCommandMode(bool oob)
    {
        _negotiated = true;
        OobEnabled = oob;
    }

    // ---- events (machine main-loop thread, under the server's EventGate) ----

    /// <summary>Queues an event without blocking; false if the client is too slow to keep up.</summary>
    public bool TryPostEvent(byte[] message)
    {
        if (!_negotiated || Volatile.Read(ref _aborted) != 0) return true;
        if (Interlocked.Increment(ref _pendingEvents) > _server.Options.EventBacklog)
        {
            Interlocked.Decrement(ref _pendingEvents);
            return false;
        }
        // Unbounded, completed only on close: TryWrite does not block, and the channel runs the
        // event writer's continuation on the thread pool, not here.
        if (!_outbox.Writer.TryWrite(new Outgoing(_pretty ? QmpPretty.Format(message) : message, OutKind.Event))) Interlocked.Decrement(ref _pendingEvents);
        return true;
    }

    /// <summary>The event backlog overflowed: report once and disconnect (called off the main loop).</summary>
    public void DisconnectSlowClient()
    {
        if (Interlocked.Exchange(ref _overflowed, 1) != 0) return;
        _server.Report($"{Name}: more than {_server.Options.EventBacklog} events not read; disconnected");
        Abort();
    }

    // ---- closing ----

    /// <summary>Server shutdown: stop reading, flush what is queued (bounded), close.</summary>
    public void CloseGracefully()
    {
        _draining = true;
        try
        {
            _connection.EndInput(); // the thread's receive returns 0: end of input
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Abort();
        }
    }

    /// <summary>Closes at once: pending output is dropped, a blocked recv or send fails. Idempotent.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        _outbox.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the session already finished
        }
        _connection.Dispose();
    }

    // ---- the session thread ----

    public void Run()
    {
        Task events = EventWriterAsync();
        bool drain = false;
        try
        {
            Queue(QmpMessages.Greeting(_server.Options), OutKind.Reply);
            Flush();
            _server.WhenOpen.Wait(_closing.Token);
            ReadLoop();
            drain = true; // end of input or an over-long message: what was answered still goes out
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            drain = _draining; // the connection broke (nothing more can be delivered), or the server closes
        }
        catch (Exception ex)
        {
            _server.Report($"{Name}: internal error: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            if (drain)
            {
                _outbox.Writer.TryComplete();
                try
                {
                    // What is queued goes out from this thread, in order (Flush takes the write
                    // lock, as the writer does). Waiting for the writer instead would wait for the
                    // thread pool to schedule it, milliseconds on the way out of the process.
                    _connection.SetSendDeadline(_server.Options.FlushTimeout);
                    Flush();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
                {
                    // the client is gone or does not read: nothing more to deliver
                }
            }
            _server.OnSessionEnded(this); // flushed: all the server waits for on the way out of the process
            Abort();
            // The writer ends on the pool once Abort cancels it; its locks are disposed only if it
            // has (an undisposed one is just garbage), so nothing here waits for the pool.
            if (events.IsCompleted)
            {
                _closing.Dispose();
                _writeLock.Dispose();
            }
            _server.OnSessionEnded(this);
        }
    }

    private void Queue(byte[] data, OutKind kind)
    {
        if (_pretty) data = QmpPretty.Format(data);
        if (!_outbox.Writer.TryWrite(new Outgoing(data, kind))) throw new ObjectDisposedException(Name); // closed meanwhile
    }

    /// <summary>Writes everything queued so far, on this thread (after a reply: no hand-over to another thread).</summary>
    private void Flush()
    {
        _writeLock.Wait(_closing.Token);
        try
        {
            while (TakeBatch(out int events))
            {
                _connection.Send(_batch.WrittenSpan);
                if (events > 0) Interlocked.Add(ref _pendingEvents, -events);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Moves queued messages into the batch buffer (under the write lock); false if there were none.</summary>
    private bool TakeBatch(out int events)
    {
        _batch.ResetWrittenCount();
        events = 0;
        while (_batch.WrittenCount < WriteBatch && _outbox.Reader.TryRead(out Outgoing m))
        {
            _batch.Write(m.Data);
            if (m.Kind == OutKind.Event) events++;
        }
        return _batch.WrittenCount > 0;
    }

    /// <summary>Sends events that arrive while the session thread is waiting for input.</summary>
    private async Task EventWriterAsync()
    {
        await Task.Yield(); // the session thread goes on to read while this waits for events
        CancellationToken ct = _closing.Token;
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                await _writeLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    while (TakeBatch(out int events))
                    {
                        await _connection.SendAsync(_batch.WrittenMemory, ct).ConfigureAwait(false);
                        if (events > 0) Interlocked.Add(ref _pendingEvents, -events);
                    }
                }
                finally
                {
                    _writeLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            Abort(); // the client is gone (or we are closing): the session thread's recv fails too
        }
    }

    private void ReadLoop()
    {
        int max = _server.Options.MaxMessageBytes;
        byte[] buffer = new byte[4096];
        int start = 0, end = 0;
        bool skipLine = false; // after a parse error: resynchronise at the next newline
        while (true)
        {
            if (end == buffer.Length)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length) Array.Resize(ref buffer, Math.Min(buffer.Length * 2, max + ReceiveChunk));
            }
            int n = _connection.Receive(buffer, end, buffer.Length - end);
            if (n == 0) return;
            end += n;

            while (start < end)
            {
                if (skipLine)
                {
                    int newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                    if (newline < 0)
                    {
                        start = end;
                        break;
                    }
                    start = newline + 1;
                    skipLine = false;
                }
                while (start < end && buffer[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') start++;
                if (start == end) break;

                FrameStatus status = TryFrame(buffer.AsSpan(start, end - start), out int length, out string? error);
                if (status == FrameStatus.Incomplete) break;
                if (status == FrameStatus.Error)
                {
                    Reply(QmpReply.Fail($"JSON parse error, {error}"), null);
                    start += length; // where the error is; the rest of that line goes too
                    skipLine = true;
                    continue;
                }
                if (length > max) break; // reported below
                Handle(buffer.AsSpan(start, length).ToArray());
                start += length;
            }
            if (start == end) start = end = 0;
            if (end - start > max)
            {
                // As QEMU's JSON streamer (with a smaller bound): an error, then we hang up, since
                // the rest of that message cannot be told apart from the next one.
                Reply(QmpReply.Fail("JSON token size limit exceeded"), null);
                _server.Report($"{Name}: message longer than {max} bytes; disconnected");
                return;
            }
        }
    }

    /// <summary>
    /// Finds one complete top-level JSON value at the front of <paramref name="data"/> (which
    /// starts with a non-space byte). On <see cref="FrameStatus.Error"/>, <paramref name="length"/>
    /// is the offset of the error and <paramref name="error"/> says what it is.
    /// </summary>
    internal static FrameStatus TryFrame(ReadOnlySpan<byte> data, out int length, out string? error)
    {
        length = 0;
        error = null;
        var reader = new Utf8JsonReader(data, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        try
        {
            if (!reader.Read()) return FrameStatus.Incomplete;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return FrameStatus.Incomplete;
            length = checked((int)reader.BytesConsumed);
            return FrameStatus.Complete;
        }
        catch (JsonException ex)
        {
            error = Describe(ex);
            length = ErrorOffset(data, ex);
            return FrameStatus.Error;
        }
    }

    /// <summary>The byte offset of a reader error (line and byte-in-line → offset).</summary>
    private static int ErrorOffset(ReadOnlySpan<byte> data, JsonException ex)
    {
        long line = ex.LineNumber ?? 0;
        int offset = 0;
        while (line > 0)
        {
            int nl = data[offset..].IndexOf((byte)'\n');
            if (nl < 0) return data.Length;
            offset += nl + 1;
            line--;
        }
        return (int)Math.Min(data.Length, offset + (ex.BytePositionInLine ?? 0));
    }

    /// <summary>The reader's message without its "LineNumber: ..." suffix.</summary>
    private static string Describe(JsonException ex)
    {
        string m = ex.Message;
        int at = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at >= 0 ? m[..at] : m;
    }

    // ---- one message ----

    private void Handle(byte[] message)
    {
        // The reader checks structure, not the bytes inside strings: reject bad UTF-8 up front.
        if (!Utf8.IsValid(message))
        {
            Reply(QmpReply.Fail("JSON parse error, invalid UTF-8 sequence in string"), null);
            return;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, s_documentOptions);
        }
        catch (JsonException ex)
        {
            Reply(QmpReply.Fail($"JSON parse error, {Describe(ex)}"), null);
            return;
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                Reply(QmpReply.Fail("QMP input must be a JSON object"), null);
                return;
            }
            JsonElement? id = root.TryGetProperty("id", out JsonElement idValue) ? idValue : null;
            Reply(Dispatch(root), id);
        }
    }

    /// <summary>QEMU's qmp_dispatch: check the request's members, find the command, check its arguments, run it.</summary>
    private QmpReply Dispatch(JsonElement request)
    {
        string? execKey = null, name = null;
        JsonElement? arguments = null;
        foreach (JsonProperty member in request.EnumerateObject())
        {
            switch (member.Name)
            {
                case "execute":
                case "exec-oob" when OobEnabled:
                    if (member.Value.ValueKind != JsonValueKind.String) return QmpReply.Fail($"QMP input member '{member.Name}' must be a string");
                    if (execKey != null) return QmpReply.Fail($"QMP input member '{member.Name}' clashes with '{execKey}'");
                    execKey = member.Name;
                    name = member.Value.GetString();
                    break;
                case "arguments":
                    if (member.Value.ValueKind != JsonValueKind.Object) return QmpReply.Fail("QMP input member 'arguments' must be an object");
                    arguments = member.Value;
                    break;
                case "id":
                    break;
                default:
                    return QmpReply.Fail($"QMP input member '{member.Name}' is unexpected");
            }
        }
        if (execKey == null || name == null) return QmpReply.Fail("QMP input lacks member 'execute'");

        QmpCommand? command = _negotiated ? QmpCommands.Find(name) : name == QmpCommands.Capabilities ? QmpCommands.QmpCapabilities : null;
        if (command == null)
        {
            return QmpReply.Fail(new QmpError(QmpErrorClass.CommandNotFound, _negotiated
                ? $"The command {name} has not been found"
                : "Expecting capabilities negotiation with 'qmp_capabilities'"));
        }
        if (execKey == "exec-oob") return QmpReply.Fail($"The command {name} does not support OOB");
        if (QmpCommands.CheckArguments(command, arguments, out Dictionary<string, JsonElement> args) is QmpError argumentError)
            return QmpReply.Fail(argumentError);
        return command.Run(new QmpCall(this, _server, args));
    }

    /// <summary>Queues a reply (in order with the events) and writes it out from this thread.</summary>
    private void Reply(QmpReply reply, JsonElement? id)
    {
        if (reply.UnderEventGate)
        {
            lock (_server.EventGate)
            {
                Queue(QmpMessages.Reply(reply, id), OutKind.Reply);
                reply.OnQueued?.Invoke();
            }
        }
        else
        {
            Queue(QmpMessages.Reply(reply, id), OutKind.Reply);
        }
        // Before the write: a client that sends quit and hangs up at once still gets its quit.
        // Anything the request causes (SHUTDOWN) is queued after the reply, so it follows it.
        reply.AfterQueued?.Invoke();
        Flush();
    }
}
