using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rivet.Machine;

namespace Rivet.Qmp;

/// <summary>QMP's error classes (qapi/error.json) that Rivet uses.</summary>
internal static class QmpErrorClass
{
    public const string GenericError = "GenericError";
    public const string CommandNotFound = "CommandNotFound";
}

/// <summary>An error reply: <c>{"error": {"class": ..., "desc": ...}}</c>.</summary>
internal sealed record QmpError(string Class, string Desc)
{
    public static QmpError Generic(string desc) => new(QmpErrorClass.GenericError, desc);
}

/// <summary>
/// A command's outcome, built into bytes by the session. <see cref="UnderEventGate"/> replies are
/// built and queued atomically with the event fan-out, so what they report never contradicts the
/// events before them in the client's stream.
/// </summary>
internal sealed class QmpReply
{
    public static readonly QmpReply Empty = new() { Value = w => { w.WriteStartObject(); w.WriteEndObject(); } };

    /// <summary>Writes the value of "return"; null for an error reply.</summary>
    public Action<Utf8JsonWriter>? Value { get; init; }
    public QmpError? Error { get; init; }
    public bool UnderEventGate { get; init; }
    /// <summary>Runs under the event gate right after the reply is queued (entering command mode).</summary>
    public Action? OnQueued { get; init; }
    /// <summary>Runs once the reply is queued, before it is written, with no lock held (quit's shutdown request).</summary>
    public Action? AfterQueued { get; init; }

    public static QmpReply Fail(string desc) => new() { Error = QmpError.Generic(desc) };
    public static QmpReply Fail(QmpError error) => new() { Error = error };
    public static QmpReply Of(Action<Utf8JsonWriter> value) => new() { Value = value };
}

/// <summary>Serialises QMP's server messages: one compact JSON object followed by CRLF.</summary>
internal static class QmpMessages
{
    // Relaxed escaping: quotes in error descriptions stay ' as in QEMU's output (the stream is
    // UTF-8 JSON, never embedded in HTML, so nothing needs the stricter default).
    private static readonly JsonWriterOptions s_writerOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Build(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Greeting(QmpServerOptions o) => Build(w =>
    {
        w.WriteStartObject("QMP");
        w.WritePropertyName("version");
        WriteVersion(w, o);
        w.WriteStartArray("capabilities");
        w.WriteStringValue("oob");
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>query-version's VersionInfo: {"qemu": {"micro", "minor", "major"}, "package"}.</summary>
    public static void WriteVersion(Utf8JsonWriter w, QmpServerOptions o)
    {
        (int major, int minor, int micro) = QmpServerOptions.QemuInterface;
        w.WriteStartObject();
        w.WriteStartObject("qemu");
        w.WriteNumber("micro", micro);
        w.WriteNumber("minor", minor);
        w.WriteNumber("major", major);
        w.WriteEndObject();
        w.WriteString("package", o.Package);
        w.WriteEndObject();
    }

    public static byte[] Reply(QmpReply reply, JsonElement? id) => Build(w =>
    {
        if (reply.Error is QmpError e)
        {
            w.WriteStartObject("error");
            w.WriteString("class", e.Class);
            w.WriteString("desc", e.Desc);
            w.WriteEndObject();
        }
        else
        {
            w.WritePropertyName("return");
            reply.Value!(w);
        }
        if (id is JsonElement value)
        {
            w.WritePropertyName("id");
            value.WriteTo(w); // verbatim: any JSON value, numbers keep their text
        }
    });

    public static byte[] Error(QmpError error, JsonElement? id = null) => Reply(QmpReply.Fail(error), id);

    /// <summary>
    /// An event; "data" only when the event has some (STOP, RESUME and POWERDOWN have none, and
    /// QEMU leaves the member out for them too). The timestamp is wall-clock time, as QEMU's.
    /// </summary>
    public static byte[] Event(MachineEvent e, DateTimeOffset now) => Build(w =>
    {
        w.WriteString("event", e.Name);
        if (e.Guest != null || e.Reason != null)
        {
            w.WriteStartObject("data");
            if (e.Guest is bool guest) w.WriteBoolean("guest", guest);
            if (e.Reason is ShutdownCause reason) w.WriteString("reason", reason.QmpName());
            w.WriteEndObject();
        }
        long micros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (TimeSpan.TicksPerMillisecond / 1000);
        w.WriteStartObject("timestamp");
        w.WriteNumber("seconds", micros / 1_000_000);
        w.WriteNumber("microseconds", micros % 1_000_000);
        w.WriteEndObject();
    });
}
