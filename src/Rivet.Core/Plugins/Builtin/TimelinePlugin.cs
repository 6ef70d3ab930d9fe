using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Rivet.Machine;
using Rivet.Plugins.Hosting;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>timeline</c>: every vCPU's lifecycle (created, running, idle, stopped), its kicks and
/// wake-ups, the requests the controller receives (pause, resume, reset, shutdown, with their
/// source and cause) and the machine's run-state events, written at exit to <c>file=PATH</c> as
/// Chrome/Perfetto trace-event JSON (open it in ui.perfetto.dev or chrome://tracing).
/// <c>limit=N</c> caps the number of events kept (default 1000000; later ones are counted, not kept).
/// </summary>
/// <remarks>
/// It observes the lifecycle from inside (<see cref="ILifecycleObserver"/>, an internal hook, not
/// part of the plugin API): state changes arrive under a vCPU's lifecycle lock, so the recorder
/// only appends to its own buffer under its own lock, which it never holds while taking another.
/// </remarks>
[RivetPlugin(PluginApi.Version)]
internal sealed class TimelinePlugin : IRivetPlugin
{
    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("file", "limit");
        string file = args.Get("file") ?? throw new PluginArgumentException("file=PATH is required (where to write the trace)");
        int limit = (int)args.GetInt64("limit", 1_000_000, 1, int.MaxValue);
        if (context is not PluginContext internalContext) throw new PluginArgumentException("needs Rivet's own plugin host");
        FileStream stream;
        try
        {
            stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new PluginArgumentException($"file={file}: cannot write it: {ex.Message}");
        }
        var recorder = new TimelineRecorder(context.VCpuCount, limit);
        internalContext.Observer = recorder;
        internalContext.MachineEvents = recorder.OnMachineEvent;
        context.RegisterAtExit(() =>
        {
            int written;
            using (stream)
            {
                written = recorder.WriteTo(stream);
            }
            context.Output($"timeline: {written} events written to {file}\n");
        });
    }
}

/// <summary>Records lifecycle events in memory and writes them as trace-event JSON.</summary>
internal sealed class TimelineRecorder : ILifecycleObserver
{
    private const int Pid = 1;
    private const int ControllerTid = 0; // vCPU i is tid i + 1

    private readonly record struct TraceEvent(char Ph, int Tid, long Start, long End, string Name, string Category,
        string? Key1 = null, string? Value1 = null, string? Key2 = null, string? Value2 = null);

    private readonly long _origin;
    private readonly int _limit;

    // Guards everything below. A leaf lock: nothing else is taken while it is held.
    private readonly object _lock = new();
    private readonly List<TraceEvent> _events = [];
    private readonly string[] _state;       // each vCPU's current state, since _stateSince
    private readonly long[] _stateSince;
    private string _runState = "prelaunch"; // the machine's, since _runStateSince
    private long _runStateSince;
    private long _dropped;
    private bool _closed;                   // written out: record nothing more

    public TimelineRecorder(int vcpus, int limit)
    {
        _origin = Stopwatch.GetTimestamp();
        _limit = limit;
        _state = Enumerable.Repeat("created", vcpus).ToArray();
        _stateSince = Enumerable.Repeat(_origin, vcpus).ToArray();
        _runStateSince = _origin;
    }

    private void Add(in TraceEvent e)
    {
        if (_closed) return;
        if (_events.Count >= _limit)
        {
            _dropped++;
            return;
        }
        _events.Add(e);
    }

    public void StateChanged(int vcpu, VCpuState state)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if ((uint)vcpu >= (uint)_state.Length) return;
            Add(new TraceEvent('X', vcpu + 1, _stateSince[vcpu], now, _state[vcpu], "vcpu-state"));
            _state[vcpu] = state.ToString().ToLowerInvariant();
            _stateSince[vcpu] = now;
        }
    }

    public void Kicked(int vcpu, string why)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if ((uint)vcpu >= (uint)_state.Length) return;
            if (why == "wake") Add(new TraceEvent('i', vcpu + 1, now, now, "wake", "kick"));
            else Add(new TraceEvent('i', vcpu + 1, now, now, "kick", "kick", "reason", why));
        }
    }

    public void Requested(string kind, ShutdownCause cause, string source, int? vcpu)
    {
        long now = Stopwatch.GetTimestamp();
        int tid = vcpu is int v && (uint)v < (uint)_state.Length ? v + 1 : ControllerTid;
        lock (_lock)
        {
            Add(new TraceEvent('i', tid, now, now, $"{kind} request", "request", "source", source,
                cause == ShutdownCause.None ? null : "cause", cause == ShutdownCause.None ? null : cause.QmpName()));
        }
    }

    /// <summary>Run-state events, raised on the main loop with no lock held.</summary>
    public void OnMachineEvent(MachineEvent e)
    {
        long now = Stopwatch.GetTimestamp();
        string? next = e.Name switch
        {
            "STOP" => "paused",
            "RESUME" => "running",
            "SHUTDOWN" => "shutdown",
            _ => null,
        };
        lock (_lock)
        {
            Add(new TraceEvent('i', ControllerTid, now, now, e.Name, "run-state",
                e.Reason != null ? "reason" : null, e.Reason?.QmpName()));
            if (next != null && next != _runState)
            {
                Add(new TraceEvent('X', ControllerTid, _runStateSince, now, _runState, "run-state"));
                _runState = next;
                _runStateSince = now;
            }
        }
    }

    /// <summary>Closes the open spans and writes the trace; returns the number of events written.</summary>
    public int WriteTo(Stream stream)
    {
        List<TraceEvent> events;
        long dropped;
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            for (int i = 0; i < _state.Length; i++) Add(new TraceEvent('X', i + 1, _stateSince[i], now, _state[i], "vcpu-state"));
            Add(new TraceEvent('X', ControllerTid, _runStateSince, now, _runState, "run-state"));
            _closed = true;
            events = [.. _events];
            dropped = _dropped;
        }
        events.Sort((a, b) => a.Start.CompareTo(b.Start));

        // One event per line (readable, greppable), each written by Utf8JsonWriter.
        var buffer = new ArrayBufferWriter<byte>();
        using var w = new Utf8JsonWriter(buffer);
        bool first = true;
        void Flush()
        {
            w.Flush();
            stream.Write(first ? "\n"u8 : ",\n"u8);
            stream.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
            w.Reset(buffer);
            first = false;
        }

        stream.Write("{\"displayTimeUnit\":\"ms\",\"traceEvents\":["u8);
        Metadata(w, ControllerTid, "process_name", "name", "rivet");
        Flush();
        Metadata(w, ControllerTid, "thread_name", "name", "controller (main loop)");
        Flush();
        for (int i = 0; i < _state.Length; i++)
        {
            Metadata(w, i + 1, "thread_name", "name", $"vcpu-{i}");
            Flush();
        }
        for (int tid = 0; tid <= _state.Length; tid++)
        {
            Metadata(w, tid, "thread_sort_index", "sort_index", tid);
            Flush();
        }
        foreach (TraceEvent e in events)
        {
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteString("cat", e.Category);
            w.WriteString("ph", e.Ph.ToString());
            w.WriteNumber("ts", Micros(e.Start));
            if (e.Ph == 'X') w.WriteNumber("dur", Math.Round(Math.Max(0, e.End - e.Start) * 1e6 / Stopwatch.Frequency, 3));
            else w.WriteString("s", "t");
            w.WriteNumber("pid", Pid);
            w.WriteNumber("tid", e.Tid);
            if (e.Key1 != null || e.Key2 != null)
            {
                w.WriteStartObject("args");
                if (e.Key1 != null) w.WriteString(e.Key1, e.Value1);
                if (e.Key2 != null) w.WriteString(e.Key2, e.Value2);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            Flush();
        }
        stream.Write("\n],\n\"otherData\":"u8);
        w.WriteStartObject();
        w.WriteString("generator", "rivet -plugin timeline");
        w.WriteNumber("vcpus", _state.Length);
        w.WriteNumber("dropped_events", dropped);
        w.WriteEndObject();
        w.Flush();
        stream.Write(buffer.WrittenSpan);
        stream.Write("}\n"u8);
        stream.Flush();
        return events.Count;
    }

    private double Micros(long timestamp) => Math.Round((timestamp - _origin) * 1e6 / Stopwatch.Frequency, 3);

    private static void Metadata(Utf8JsonWriter w, int tid, string name, string key, string value)
    {
        MetadataStart(w, tid, name);
        w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Metadata(Utf8JsonWriter w, int tid, string name, string key, int value)
    {
        MetadataStart(w, tid, name);
        w.WriteNumber(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void MetadataStart(Utf8JsonWriter w, int tid, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("ph", "M");
        w.WriteNumber("ts", 0);
        w.WriteNumber("pid", Pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
    }
}
