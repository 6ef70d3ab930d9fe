using System.Globalization;
using System.Text.Json;
using Rivet.Board;
using Rivet.Machine;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Qmp;

/// <summary>A command argument: its name, its QAPI type (str, int, bool, an enum or an array of them).</summary>
internal sealed record QmpParam(string Name, QapiType Type, bool Required = false);

/// <summary>What a command handler gets: the session, the server, the checked arguments.</summary>
internal sealed record QmpCall(QmpSession Session, QmpServer Server, IReadOnlyDictionary<string, JsonElement> Args)
{
    public RivetMachine Machine => Server.Machine;
}

/// <summary>One QMP command: its name, its arguments, the type of its return value and what it does.</summary>
internal sealed record QmpCommand(string Name, QmpParam[] Params, QapiType Returns, Func<QmpCall, QmpReply> Run);

/// <summary>
/// The command table. Commands run on the client's session thread and go through the public
/// Machine API; the ones that wait (stop, cont, system_reset) block that thread only.
/// Argument errors use QEMU's wording (qobject-input-visitor): missing and mistyped members are
/// reported in declaration order, then the first unexpected one.
/// </summary>
internal static class QmpCommands
{
    public const string Capabilities = "qmp_capabilities";

    public static readonly QmpCommand QmpCapabilities = new(Capabilities, [new("enable", new QapiArray(QapiTypes.QmpCapability))], QapiTypes.Empty, NegotiateCapabilities);

    /// <summary>Command mode's commands, in the order query-commands lists them.</summary>
    public static readonly IReadOnlyList<QmpCommand> All =
    [
        QmpCapabilities,
        new("query-version", [], QapiTypes.VersionInfo, c => QmpReply.Of(w => QmpMessages.WriteVersion(w, c.Server.Options))),
        new("query-commands", [], new QapiArray(QapiTypes.CommandInfo), _ => QmpReply.Of(WriteCommandList)),
        new("query-status", [], QapiTypes.StatusInfo, QueryStatus),
        new("query-name", [], QapiTypes.NameInfo, QueryName),
        new("query-cpus-fast", [], new QapiArray(QapiTypes.CpuInfoFast), QueryCpusFast),
        new("query-target", [], QapiTypes.TargetInfo, _ => QmpReply.Of(w => WriteObject(w, o => o.WriteString("arch", Target)))),
        new("query-kvm", [], QapiTypes.KvmInfo, _ => QmpReply.Of(w => WriteObject(w, o => { o.WriteBoolean("enabled", false); o.WriteBoolean("present", false); }))),
        new("query-machines", [], new QapiArray(QapiTypes.MachineInfo), QueryMachines),
        new("query-cpu-definitions", [], new QapiArray(QapiTypes.CpuDefinitionInfo), QueryCpuDefinitions),
        new("query-chardev", [], new QapiArray(QapiTypes.ChardevInfo), QueryChardev),
        new("query-hotpluggable-cpus", [], new QapiArray(QapiTypes.HotpluggableCpu), QueryHotpluggableCpus),
        new("query-memory-size-summary", [], QapiTypes.MemoryInfo, QueryMemorySizeSummary),
        new("query-iothreads", [], new QapiArray(QapiTypes.IoThreadInfo), _ => QmpReply.Of(w => { w.WriteStartArray(); w.WriteEndArray(); })),
        new("query-qmp-schema", [], new QapiArray(QapiTypes.SchemaInfo), _ => QmpReply.Of(WriteSchema)),
        new("stop", [], QapiTypes.Empty, c => RunControl(c, "stop")),
        new("cont", [], QapiTypes.Empty, c => RunControl(c, "cont")),
        new("system_reset", [], QapiTypes.Empty, c => RunControl(c, "system_reset")),
        new("system_powerdown", [], QapiTypes.Empty, c => RunControl(c, "system_powerdown")),
        new("quit", [], QapiTypes.Empty, Quit),
        new("human-monitor-command", [new("command-line", QapiTypes.Str, Required: true), new("cpu-index", QapiTypes.Int)], QapiTypes.Str, HumanMonitorCommand),
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

    private static QmpError? CheckType(string name, QapiType type, JsonElement v)
    {
        static QmpError Invalid(string name, string expected) => QmpError.Generic($"Invalid parameter type for '{name}', expected: {expected}");
        switch (type)
        {
            case QapiBuiltin { Name: "str" }:
                return v.ValueKind == JsonValueKind.String ? null : Invalid(name, "string");
            case QapiBuiltin { Name: "int" }:
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _) ? null : Invalid(name, "integer");
            case QapiBuiltin { Name: "bool" }:
                return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Invalid(name, "boolean");
            case QapiEnum e:
                if (v.ValueKind != JsonValueKind.String) return Invalid(name, "string");
                return e.Values.Contains(v.GetString()) ? null : QmpError.Generic($"Parameter '{name}' does not accept value '{v.GetString()}'");
            case QapiArray a:
                if (v.ValueKind != JsonValueKind.Array) return Invalid(name, "array");
                int i = 0;
                foreach (JsonElement item in v.EnumerateArray())
                {
                    if (CheckType($"{name}[{i++}]", a.Element, item) is QmpError error) return error;
                }
                return null;
            default:
                return Invalid(name, type.Name);
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

    private static void WriteSchema(Utf8JsonWriter w) => QmpSchema.Write(w, All, QapiTypes.Events);

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
                w.WriteString("target", Target);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>QEMU's SysEmuTarget for Rivet's harts (query-target, query-cpus-fast).</summary>
    public const string Target = "riscv64";

    private static void WriteObject(Utf8JsonWriter w, Action<Utf8JsonWriter> members)
    {
        w.WriteStartObject();
        members(w);
        w.WriteEndObject();
    }

    private static QmpReply QueryMachines(QmpCall c) => QmpReply.Of(w =>
    {
        // The one board Rivet has, and its default; as QEMU 7.2 describes virt (no NUMA in Rivet).
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteBoolean("hotpluggable-cpus", false);
        w.WriteString("name", "virt");
        w.WriteBoolean("numa-mem-supported", false);
        w.WriteString("default-cpu-type", "rv64-riscv-cpu");
        w.WriteBoolean("is-default", true);
        w.WriteNumber("cpu-max", MachineConfig.MaxHarts);
        w.WriteBoolean("deprecated", false);
        w.WriteString("default-ram-id", "riscv_virt_board.ram");
        w.WriteEndObject();
        w.WriteEndArray();
    });

    // QEMU 7.2 has no query-cpu-definitions for RISC-V (8.0 added it); this is 8.0's reply for rv64,
    // a "dynamic" model (its extensions are properties), hence not static.
    private static QmpReply QueryCpuDefinitions(QmpCall c) => QmpReply.Of(w =>
    {
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("name", "rv64");
        w.WriteString("typename", "rv64-riscv-cpu");
        w.WriteBoolean("static", false);
        w.WriteBoolean("deprecated", false);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static QmpReply QueryChardev(QmpCall c)
    {
        IReadOnlyList<QmpEndpoint> endpoints = c.Server.BoundEndpoints;
        IReadOnlyList<HostChardevInfo> devices = HostChardevs.Of(c.Machine) ?? [new HostChardevInfo("serial0", "stdio", true)];
        return QmpReply.Of(w =>
        {
            w.WriteStartArray();
            for (int i = 0; i < endpoints.Count; i++)
            {
                // QEMU labels each -qmp chardev compat_monitorN and names a listening socket with ,server=on.
                w.WriteStartObject();
                w.WriteBoolean("frontend-open", true);
                w.WriteString("filename", $"{endpoints[i]},server=on");
                w.WriteString("label", $"compat_monitor{i.ToString(CultureInfo.InvariantCulture)}");
                w.WriteEndObject();
            }
            foreach (HostChardevInfo d in devices)
            {
                w.WriteStartObject();
                w.WriteBoolean("frontend-open", d.FrontendOpen);
                w.WriteString("filename", d.Filename);
                w.WriteString("label", d.Label);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    // The virt board cannot hot-plug CPUs; QEMU 7.2 answers exactly this for it.
    private static QmpReply QueryHotpluggableCpus(QmpCall c) => QmpReply.Fail("The feature 'query-hotpluggable-cpus' is not enabled");

    private static QmpReply QueryMemorySizeSummary(QmpCall c)
    {
        ulong ram = c.Machine.Config.RamSize;
        return QmpReply.Of(w => WriteObject(w, o => o.WriteNumber("base-memory", ram)));
    }

    private static QmpReply RunControl(QmpCall c, string what)
        => c.Server.RunControl(what) is QmpError error ? QmpReply.Fail(error) : QmpReply.Empty;

    private static QmpReply Quit(QmpCall c) => new()
    {
        Value = QmpReply.Empty.Value,
        // Requested once the reply is queued: the client reads {} before SHUTDOWN, as in QEMU.
        AfterQueued = () => c.Machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0),
    };

    // ---- human-monitor-command: HMP (Hmp.cs) through QMP ----

    private static QmpReply HumanMonitorCommand(QmpCall c)
    {
        int cpu = 0;
        if (c.Args.TryGetValue("cpu-index", out JsonElement cpuArg))
        {
            long index = cpuArg.GetInt64();
            if (index < 0 || index >= c.Machine.HartCount) return QmpReply.Fail("Parameter 'cpu-index' expects a CPU number");
            cpu = (int)index;
        }
        // As QEMU's, each command gets a fresh current CPU (cpu-index or the first); the x/p format
        // carries over between commands of the session.
        QmpHmpHost host = c.Session.HmpHost;
        Hmp hmp = host.Monitor;
        hmp.CurrentCpu = cpu;
        HmpLine line = hmp.Parse(c.Args["command-line"].GetString()!);
        if (line.Command?.ReportsRunState == true)
        {
            // Built under the event gate, as query-status: it never contradicts the events before it.
            return new QmpReply { UnderEventGate = true, Value = w => w.WriteStringValue(Hmp.ToTerminal(hmp.Run(line))) };
        }
        string output = Hmp.ToTerminal(hmp.Run(line));
        bool quit = host.TakeQuitRequest();
        return new QmpReply
        {
            Value = w => w.WriteStringValue(output),
            // quit: requested once the reply is queued, so the client reads it before SHUTDOWN.
            AfterQueued = quit ? () => c.Machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0) : null,
        };
    }
}

/// <summary>HMP's host for one QMP session: run control and quit as the QMP commands do them.</summary>
internal sealed class QmpHmpHost : IHmpHost
{
    private readonly QmpServer _server;
    private bool _quit;

    public QmpHmpHost(QmpServer server)
    {
        _server = server;
        Monitor = new Hmp(this);
    }

    public Hmp Monitor { get; }
    public RivetMachine Machine => _server.Machine;
    public string? Name => _server.Options.Name;
    public string Package => _server.Options.Package;
    public RunState ReportedRunState() => _server.ReportedRunState();
    public string? RunControl(string what) => _server.RunControl(what)?.Desc;
    public void RequestQuit() => _quit = true;

    /// <summary>Whether the command just run was quit (and forgets it).</summary>
    public bool TakeQuitRequest()
    {
        bool quit = _quit;
        _quit = false;
        return quit;
    }
}
