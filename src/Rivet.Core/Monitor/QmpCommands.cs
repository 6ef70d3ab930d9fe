using System.Globalization;
using System.Text;
using System.Text.Json;
using Rivet.Machine;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Qmp;

/// <summary>The type of a command argument, as QAPI's input visitor checks it.</summary>
internal enum QmpType
{
    String,
    Integer,
    Boolean,
    /// <summary>A list of QMPCapability names (qmp_capabilities' "enable").</summary>
    CapabilityList,
}

internal sealed record QmpParam(string Name, QmpType Type, bool Required = false);

/// <summary>What a command handler gets: the session, the server, the checked arguments.</summary>
internal sealed record QmpCall(QmpSession Session, QmpServer Server, IReadOnlyDictionary<string, JsonElement> Args)
{
    public RivetMachine Machine => Server.Machine;
}

/// <summary>One QMP command: its name, its arguments and what it does.</summary>
internal sealed record QmpCommand(string Name, QmpParam[] Params, Func<QmpCall, QmpReply> Run);

/// <summary>
/// The command table. Commands run on the client's session thread and go through the public
/// Machine API; the ones that wait (stop, cont, system_reset) block that thread only.
/// Argument errors use QEMU's wording (qobject-input-visitor): missing and mistyped members are
/// reported in declaration order, then the first unexpected one.
/// </summary>
internal static class QmpCommands
{
    public const string Capabilities = "qmp_capabilities";

    public static readonly QmpCommand QmpCapabilities = new(Capabilities, [new("enable", QmpType.CapabilityList)], NegotiateCapabilities);

    /// <summary>Command mode's commands, in the order query-commands lists them.</summary>
    public static readonly IReadOnlyList<QmpCommand> All =
    [
        QmpCapabilities,
        new("query-version", [], c => QmpReply.Of(w => QmpMessages.WriteVersion(w, c.Server.Options))),
        new("query-commands", [], _ => QmpReply.Of(WriteCommandList)),
        new("query-status", [], QueryStatus),
        new("query-name", [], QueryName),
        new("query-cpus-fast", [], QueryCpusFast),
        new("stop", [], c => RunControl(c, "stop")),
        new("cont", [], c => RunControl(c, "cont")),
        new("system_reset", [], c => RunControl(c, "system_reset")),
        new("system_powerdown", [], c => RunControl(c, "system_powerdown")),
        new("quit", [], Quit),
        new("human-monitor-command", [new("command-line", QmpType.String, Required: true), new("cpu-index", QmpType.Integer)], HumanMonitorCommand),
    ];

    private static readonly Dictionary<string, QmpCommand> s_byName = All.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static QmpCommand? Find(string name) => s_byName.GetValueOrDefault(name);

    /// <summary>Checks <paramref name="arguments"/> (an object, or null for none) against the command's parameters.</summary>
    public static QmpError? CheckArguments(QmpCommand command, JsonElement? arguments, out Dictionary<string, JsonElement> args)
    {
        args = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var given = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (arguments is JsonElement obj)
        {
            foreach (JsonProperty p in obj.EnumerateObject()) given[p.Name] = p.Value;
        }
        foreach (QmpParam p in command.Params)
        {
            if (!given.TryGetValue(p.Name, out JsonElement v))
            {
                if (p.Required) return QmpError.Generic($"Parameter '{p.Name}' is missing");
                continue;
            }
            if (CheckType(p.Name, p.Type, v) is QmpError typeError) return typeError;
            args[p.Name] = v;
        }
        foreach (string name in given.Keys)
        {
            if (!args.ContainsKey(name)) return QmpError.Generic($"Parameter '{name}' is unexpected");
        }
        return null;
    }

    private static QmpError? CheckType(string name, QmpType type, JsonElement v)
    {
        static QmpError Invalid(string name, string expected) => QmpError.Generic($"Invalid parameter type for '{name}', expected: {expected}");
        switch (type)
        {
            case QmpType.String:
                return v.ValueKind == JsonValueKind.String ? null : Invalid(name, "string");
            case QmpType.Integer:
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _) ? null : Invalid(name, "integer");
            case QmpType.Boolean:
                return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Invalid(name, "boolean");
            case QmpType.CapabilityList:
                if (v.ValueKind != JsonValueKind.Array) return Invalid(name, "array");
                int i = 0;
                foreach (JsonElement item in v.EnumerateArray())
                {
                    string element = $"{name}[{i++}]";
                    if (item.ValueKind != JsonValueKind.String) return Invalid(element, "string");
                    if (item.GetString() != "oob") return QmpError.Generic($"Parameter '{element}' does not accept value '{item.GetString()}'");
                }
                return null;
            default:
                return Invalid(name, "unknown");
        }
    }

    // ---- the commands ----

    private static QmpReply NegotiateCapabilities(QmpCall c)
    {
        if (c.Session.Negotiated)
            return QmpReply.Fail(new QmpError(QmpErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored"));
        bool oob = c.Args.TryGetValue("enable", out JsonElement enable) && enable.EnumerateArray().Any();
        // Entering command mode and queueing the reply happen under the event gate together, so
        // the first event a client sees comes after this reply, never before it.
        return new QmpReply
        {
            Value = QmpReply.Empty.Value,
            UnderEventGate = true,
            OnQueued = () => c.Session.EnterCommandMode(oob),
        };
    }

    private static void WriteCommandList(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (QmpCommand c in All)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static QmpReply QueryStatus(QmpCall c) => new()
    {
        UnderEventGate = true,
        Value = w =>
        {
            RunState s = c.Server.ReportedRunState();
            w.WriteStartObject();
            w.WriteBoolean("running", s == RunState.Running);
            w.WriteBoolean("singlestep", false);
            w.WriteString("status", s.QmpName());
            w.WriteEndObject();
        },
    };

    private static QmpReply QueryName(QmpCall c) => QmpReply.Of(w =>
    {
        w.WriteStartObject();
        if (c.Server.Options.Name is string name) w.WriteString("name", name);
        w.WriteEndObject();
    });

    /// <summary>The QOM path of hart N, as QEMU's virt board names it (one hart array, soc0).</summary>
    public static string QomPath(int index) => $"/machine/soc0/harts[{index.ToString(CultureInfo.InvariantCulture)}]";

    private static QmpReply QueryCpusFast(QmpCall c)
    {
        IReadOnlyList<VCpuInfo> cpus = c.Machine.VCpus; // no vCPU is interrupted: states are read under their own gates
        return QmpReply.Of(w =>
        {
            w.WriteStartArray();
            foreach (VCpuInfo v in cpus)
            {
                w.WriteStartObject();
                w.WriteNumber("cpu-index", v.Index);
                w.WriteString("qom-path", QomPath(v.Index));
                w.WriteNumber("thread-id", v.HostThreadId);
                w.WriteStartObject("props");
                w.WriteNumber("core-id", v.Index);
                w.WriteEndObject();
                w.WriteString("target", "riscv");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    private static QmpReply RunControl(QmpCall c, string what)
        => c.Server.RunControl(what) is QmpError error ? QmpReply.Fail(error) : QmpReply.Empty;

    private static QmpReply Quit(QmpCall c) => new()
    {
        Value = QmpReply.Empty.Value,
        // Requested once the reply is queued: the client reads {} before SHUTDOWN, as in QEMU.
        AfterQueued = () => c.Machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0),
    };

    // ---- human-monitor-command: a small HMP for scripts that speak it ----

    private static QmpReply HumanMonitorCommand(QmpCall c)
    {
        int cpu = 0;
        if (c.Args.TryGetValue("cpu-index", out JsonElement cpuArg))
        {
            long index = cpuArg.GetInt64();
            if (index < 0 || index >= c.Machine.HartCount) return QmpReply.Fail("Parameter 'cpu-index' expects a CPU number");
            cpu = (int)index;
        }
        string line = c.Args["command-line"].GetString()!.Trim();
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string verb = words.Length > 0 ? words[0] : "";
        string? output;
        switch (verb)
        {
            case "":
                output = "";
                break;
            case "info" when words.Length == 2:
                output = HmpInfo(c, words[1], cpu, out QmpReply? gated);
                if (gated != null) return gated;
                break;
            case "stop" or "cont" or "c" or "system_reset" or "system_powerdown":
                {
                    string what = verb == "c" ? "cont" : verb;
                    QmpError? error = c.Server.RunControl(what);
                    output = error == null ? "" : $"Error: {error.Desc}\n";
                    break;
                }
            case "quit" or "q":
                return new QmpReply { Value = w => w.WriteStringValue(""), AfterQueued = () => c.Machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0) };
            case "help" or "?":
                output = "info cpus|name|status|version\nstop\ncont|c\nsystem_reset\nsystem_powerdown\nquit|q\n";
                break;
            default:
                output = $"unknown command: '{line}'\n";
                break;
        }
        return QmpReply.Of(w => w.WriteStringValue(Crlf(output ?? "")));
    }

    private static string? HmpInfo(QmpCall c, string what, int cpu, out QmpReply? gated)
    {
        gated = null;
        switch (what)
        {
            case "status":
                gated = new QmpReply
                {
                    UnderEventGate = true,
                    Value = w =>
                    {
                        RunState s = c.Server.ReportedRunState();
                        string text = s == RunState.Running ? "VM status: running" : s == RunState.Paused ? "VM status: paused" : $"VM status: paused ({s.QmpName()})";
                        w.WriteStringValue(text + "\r\n");
                    },
                };
                return null;
            case "version":
                {
                    (int major, int minor, int micro) = c.Server.Options.VersionTriple;
                    return $"{major}.{minor}.{micro} ({c.Server.Options.Package})\n";
                }
            case "name":
                return c.Server.Options.Name is string name ? $"{name}\n" : "";
            case "cpus":
                {
                    var sb = new StringBuilder();
                    foreach (VCpuInfo v in c.Machine.VCpus)
                        sb.Append(CultureInfo.InvariantCulture, $"{(v.Index == cpu ? '*' : ' ')} CPU #{v.Index}: thread_id={v.HostThreadId}\n");
                    return sb.ToString();
                }
            default:
                return $"unknown command: 'info {what}'\n";
        }
    }

    /// <summary>The monitor's terminal convention: every newline goes out as CRLF.</summary>
    private static string Crlf(string s) => s.Replace("\n", "\r\n", StringComparison.Ordinal);
}
