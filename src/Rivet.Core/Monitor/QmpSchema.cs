using System.Text.Json;

namespace Rivet.Qmp;

/// <summary>
/// A QAPI type as QMP introspection describes it (QEMU's qapi/introspect.json, SchemaInfo). The
/// command table declares every argument and return value with these, and query-qmp-schema is
/// generated from those declarations, so the schema cannot drift from what the commands do.
/// </summary>
internal abstract record QapiType(string Name)
{
    public abstract string MetaType { get; }
}

/// <summary>A built-in type: str, int, bool, number, any.</summary>
internal sealed record QapiBuiltin(string Name, string JsonType) : QapiType(Name)
{
    public override string MetaType => "builtin";
}

internal sealed record QapiEnum(string Name, IReadOnlyList<string> Values) : QapiType(Name)
{
    public override string MetaType => "enum";
}

internal sealed record QapiArray(QapiType Element) : QapiType($"[{Element.Name}]")
{
    public override string MetaType => "array";
}

internal sealed record QapiObject(string Name, IReadOnlyList<QapiMember> Members) : QapiType(Name)
{
    public override string MetaType => "object";
}

/// <summary>An object member; an optional one may be left out of a value (QEMU writes "default": null for it).</summary>
internal sealed record QapiMember(string Name, QapiType Type, bool Optional = false);

/// <summary>An event and the type of its "data" (<see cref="QapiTypes.Empty"/> when it has none).</summary>
internal sealed record QapiEvent(string Name, QapiObject Data);

/// <summary>The types Rivet's commands and events use, with QEMU's QAPI names and members.</summary>
internal static class QapiTypes
{
    public static readonly QapiBuiltin Str = new("str", "string");
    public static readonly QapiBuiltin Int = new("int", "int");
    public static readonly QapiBuiltin Bool = new("bool", "boolean");
    public static readonly QapiBuiltin Any = new("any", "value");

    /// <summary>The argument type of commands and events without arguments (QAPI's q_empty).</summary>
    public static readonly QapiObject Empty = new("q_empty", []);

    public static readonly QapiEnum QmpCapability = new("QMPCapability", ["oob"]);
    public static readonly QapiEnum RunState = new("RunState", ["prelaunch", "running", "paused", "debug", "shutdown", "guest-panicked", "internal-error"]);
    public static readonly QapiEnum ShutdownCause = new("ShutdownCause",
        ["none", "host-error", "host-qmp-quit", "host-qmp-system-reset", "host-signal", "host-ui", "guest-shutdown", "guest-reset", "guest-panic", "subsystem-reset"]);
    /// <summary>The targets Rivet emulates (QEMU's enum lists every target QEMU has).</summary>
    public static readonly QapiEnum SysEmuTarget = new("SysEmuTarget", ["riscv64"]);

    public static readonly QapiObject VersionTriple = new("VersionTriple", [new("major", Int), new("minor", Int), new("micro", Int)]);
    public static readonly QapiObject VersionInfo = new("VersionInfo", [new("qemu", VersionTriple), new("package", Str)]);
    public static readonly QapiObject CommandInfo = new("CommandInfo", [new("name", Str)]);
    public static readonly QapiObject StatusInfo = new("StatusInfo", [new("running", Bool), new("singlestep", Bool), new("status", RunState)]);
    public static readonly QapiObject NameInfo = new("NameInfo", [new("name", Str, Optional: true)]);
    public static readonly QapiObject CpuInstanceProperties = new("CpuInstanceProperties",
        [new("node-id", Int, true), new("socket-id", Int, true), new("die-id", Int, true), new("cluster-id", Int, true),
         new("core-id", Int, true), new("thread-id", Int, true)]);
    public static readonly QapiObject CpuInfoFast = new("CpuInfoFast",
        [new("cpu-index", Int), new("qom-path", Str), new("thread-id", Int), new("props", CpuInstanceProperties, true), new("target", SysEmuTarget)]);
    public static readonly QapiObject TargetInfo = new("TargetInfo", [new("arch", SysEmuTarget)]);
    public static readonly QapiObject KvmInfo = new("KvmInfo", [new("enabled", Bool), new("present", Bool)]);
    public static readonly QapiObject MachineInfo = new("MachineInfo",
        [new("name", Str), new("alias", Str, true), new("is-default", Bool, true), new("cpu-max", Int), new("hotpluggable-cpus", Bool),
         new("numa-mem-supported", Bool), new("deprecated", Bool), new("default-cpu-type", Str, true), new("default-ram-id", Str, true)]);
    public static readonly QapiObject CpuDefinitionInfo = new("CpuDefinitionInfo",
        [new("name", Str), new("migration-safe", Bool, true), new("static", Bool), new("unavailable-features", new QapiArray(Str), true),
         new("typename", Str), new("alias-of", Str, true), new("deprecated", Bool)]);
    public static readonly QapiObject ChardevInfo = new("ChardevInfo", [new("label", Str), new("filename", Str), new("frontend-open", Bool)]);
    public static readonly QapiObject HotpluggableCpu = new("HotpluggableCPU",
        [new("type", Str), new("vcpus-count", Int), new("props", CpuInstanceProperties), new("qom-path", Str, true)]);
    public static readonly QapiObject MemoryInfo = new("MemoryInfo", [new("base-memory", Int), new("plugged-memory", Int, true)]);
    public static readonly QapiObject IoThreadInfo = new("IOThreadInfo",
        [new("id", Str), new("thread-id", Int), new("poll-max-ns", Int), new("poll-grow", Int), new("poll-shrink", Int), new("aio-max-batch", Int)]);

    public static readonly QapiEnum SchemaMetaType = new("SchemaMetaType", ["builtin", "enum", "array", "object", "alternate", "command", "event"]);
    /// <summary>SchemaInfo's variants flattened into optional members ("members" differ between enums and objects, hence any).</summary>
    public static readonly QapiObject SchemaInfo = new("SchemaInfo",
        [new("name", Str), new("meta-type", SchemaMetaType), new("json-type", Str, true), new("element-type", Str, true),
         new("members", new QapiArray(Any), true), new("values", new QapiArray(Str), true), new("arg-type", Str, true),
         new("ret-type", Str, true), new("allow-oob", Bool, true)]);

    public static readonly QapiObject ShutdownData = new("q_obj_SHUTDOWN-arg", [new("guest", Bool), new("reason", ShutdownCause)]);
    public static readonly QapiObject ResetData = new("q_obj_RESET-arg", [new("guest", Bool), new("reason", ShutdownCause)]);

    /// <summary>The events Rivet sends (docs/QMP.md, Events).</summary>
    public static readonly IReadOnlyList<QapiEvent> Events =
        [new("SHUTDOWN", ShutdownData), new("POWERDOWN", Empty), new("RESET", ResetData), new("STOP", Empty), new("RESUME", Empty)];
}

/// <summary>Writes query-qmp-schema's reply from the command table and the event list.</summary>
internal static class QmpSchema
{
    /// <summary>The implicit argument type of a command (QAPI's q_obj_NAME-arg), or q_empty.</summary>
    public static QapiObject ArgumentType(QmpCommand c)
        => c.Params.Length == 0 ? QapiTypes.Empty : new QapiObject($"q_obj_{c.Name}-arg", c.Params.Select(p => new QapiMember(p.Name, p.Type, !p.Required)).ToArray());

    public static void Write(Utf8JsonWriter w, IEnumerable<QmpCommand> commands, IEnumerable<QapiEvent> events)
    {
        var types = new List<QapiType>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Collect(QapiType t)
        {
            if (!seen.Add(t.Name)) return;
            types.Add(t);
            switch (t)
            {
                case QapiArray a: Collect(a.Element); break;
                case QapiObject o: foreach (QapiMember m in o.Members) Collect(m.Type); break;
            }
        }

        w.WriteStartArray();
        foreach (QmpCommand c in commands)
        {
            QapiObject args = ArgumentType(c);
            Collect(args);
            Collect(c.Returns);
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("meta-type", "command");
            w.WriteString("arg-type", args.Name);
            w.WriteString("ret-type", c.Returns.Name);
            w.WriteEndObject();
        }
        foreach (QapiEvent e in events)
        {
            Collect(e.Data);
            w.WriteStartObject();
            w.WriteString("name", e.Name);
            w.WriteString("meta-type", "event");
            w.WriteString("arg-type", e.Data.Name);
            w.WriteEndObject();
        }
        foreach (QapiType t in types) WriteType(w, t);
        w.WriteEndArray();
    }

    private static void WriteType(Utf8JsonWriter w, QapiType t)
    {
        w.WriteStartObject();
        w.WriteString("name", t.Name);
        w.WriteString("meta-type", t.MetaType);
        switch (t)
        {
            case QapiBuiltin b:
                w.WriteString("json-type", b.JsonType);
                break;
            case QapiEnum e:
                w.WriteStartArray("members");
                foreach (string v in e.Values)
                {
                    w.WriteStartObject();
                    w.WriteString("name", v);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("values");
                foreach (string v in e.Values) w.WriteStringValue(v);
                w.WriteEndArray();
                break;
            case QapiArray a:
                w.WriteString("element-type", a.Element.Name);
                break;
            case QapiObject o:
                w.WriteStartArray("members");
                foreach (QapiMember m in o.Members)
                {
                    w.WriteStartObject();
                    w.WriteString("name", m.Name);
                    w.WriteString("type", m.Type.Name);
                    if (m.Optional) w.WriteNull("default");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
        }
        w.WriteEndObject();
    }
}
