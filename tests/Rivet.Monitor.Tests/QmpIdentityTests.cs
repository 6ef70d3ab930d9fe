using System.Text.Json;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>
/// What Rivet says it is, and the commands tools probe at start-up, with QEMU 7.2's reply shapes
/// (recorded from qemu-system-riscv64 7.2 on the virt board); and query-qmp-schema, checked
/// against what the commands really accept and return.
/// </summary>
public sealed class QmpIdentityTests
{
    [Fact]
    public async Task QueryVersionReportsQemu72AndNamesRivetInThePackage()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        JsonElement version = await c.ReturnOfAsync("query-version");
        Assert.Equal("""{"qemu":{"micro":0,"minor":2,"major":7},"package":" (Rivet 0.1.0)"}""", version.GetRawText());
        Assert.Equal(c.Greeting.GetProperty("version").GetRawText(), version.GetRawText());
        Assert.Equal("7.2.0 (Rivet 0.1.0)\r\n", await Hmp(c, "info version"));
    }

    [Fact]
    public async Task ProbedQueriesAnswerAsQemu72DoesForVirt()
    {
        using QmpRig rig = QmpRig.Start(harts: 3);
        await using QmpClient c = await rig.ConnectAsync();
        Assert.Equal("""{"arch":"riscv64"}""", (await c.ReturnOfAsync("query-target")).GetRawText());
        Assert.Equal("""{"enabled":false,"present":false}""", (await c.ReturnOfAsync("query-kvm")).GetRawText());
        Assert.Equal("[]", (await c.ReturnOfAsync("query-iothreads")).GetRawText());
        Assert.Equal("""{"base-memory":16777216}""", (await c.ReturnOfAsync("query-memory-size-summary")).GetRawText());
        Assert.Equal("""[{"hotpluggable-cpus":false,"name":"virt","numa-mem-supported":false,"default-cpu-type":"rv64-riscv-cpu","is-default":true,"cpu-max":512,"deprecated":false,"default-ram-id":"riscv_virt_board.ram"}]""",
            (await c.ReturnOfAsync("query-machines")).GetRawText());
        Assert.Equal("""[{"name":"rv64","typename":"rv64-riscv-cpu","static":false,"deprecated":false}]""",
            (await c.ReturnOfAsync("query-cpu-definitions")).GetRawText());
        // virt has no hot-pluggable CPUs: QEMU 7.2's exact answer.
        Assert.Equal(("GenericError", "The feature 'query-hotpluggable-cpus' is not enabled"), await c.ErrorOfAsync("query-hotpluggable-cpus"));
        JsonElement[] cpus = (await c.ReturnOfAsync("query-cpus-fast")).EnumerateArray().ToArray();
        Assert.Equal(3, cpus.Length);
        Assert.All(cpus, cpu => Assert.Equal("riscv64", cpu.GetProperty("target").GetString()));
    }

    [Fact]
    public async Task QueryChardevListsEveryMonitorSocketAndTheSerialPort()
    {
        using QmpRig rig = QmpRig.Start();
        using var dir = new TempDir();
        QmpEndpoint second = rig.Server.Listen(new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "127.0.0.1", Port = 0 });
        await using QmpClient c = await rig.ConnectAsync();
        JsonElement[] chardevs = (await c.ReturnOfAsync("query-chardev")).EnumerateArray().ToArray();
        Assert.Equal(
            [
                ("compat_monitor0", $"unix:{rig.Endpoint.Path},server=on", true),
                ("compat_monitor1", $"tcp:127.0.0.1:{second.Port},server=on", true),
                ("serial0", "stdio", true),
            ],
            chardevs.Select(d => (d.GetProperty("label").GetString(), d.GetProperty("filename").GetString(), d.GetProperty("frontend-open").GetBoolean())));
    }

    // ---- query-qmp-schema ----

    private static async Task<Dictionary<string, JsonElement>> SchemaAsync(QmpClient c)
    {
        var schema = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonElement e in (await c.ReturnOfAsync("query-qmp-schema")).EnumerateArray())
        {
            string name = e.GetProperty("name").GetString()!;
            Assert.True(schema.TryAdd(name, e.Clone()), $"'{name}' is in the schema twice");
        }
        return schema;
    }

    [Fact]
    public async Task SchemaListsExactlyTheCommandsQueryCommandsDoesAndDefinesEveryTypeItUses()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        Dictionary<string, JsonElement> schema = await SchemaAsync(c);
        string[] commands = (await c.ReturnOfAsync("query-commands")).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal(commands, schema.Values.Where(e => e.GetProperty("meta-type").GetString() == "command").Select(e => e.GetProperty("name").GetString()!).Order());
        Assert.Equal(["POWERDOWN", "RESET", "RESUME", "SHUTDOWN", "STOP"],
            schema.Values.Where(e => e.GetProperty("meta-type").GetString() == "event").Select(e => e.GetProperty("name").GetString()!).Order());

        // Every type named anywhere is defined, with the fields its meta-type needs.
        foreach (JsonElement e in schema.Values)
        {
            string meta = e.GetProperty("meta-type").GetString()!;
            IEnumerable<string> referenced = meta switch
            {
                "command" => [e.GetProperty("arg-type").GetString()!, e.GetProperty("ret-type").GetString()!],
                "event" => [e.GetProperty("arg-type").GetString()!],
                "array" => [e.GetProperty("element-type").GetString()!],
                "object" => e.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("type").GetString()!),
                "enum" => [],
                "builtin" => [],
                _ => throw new Xunit.Sdk.XunitException($"unexpected meta-type {meta}"),
            };
            foreach (string t in referenced) Assert.True(schema.ContainsKey(t), $"{e.GetProperty("name")} uses undefined type '{t}'");
            if (meta == "enum")
            {
                Assert.Equal(e.GetProperty("values").EnumerateArray().Select(v => v.GetString()),
                    e.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
            }
            if (meta == "builtin") Assert.Contains(e.GetProperty("json-type").GetString(), new[] { "string", "int", "boolean", "value", "number", "null" });
        }
        // A command's argument type is an object.
        foreach (JsonElement cmd in schema.Values.Where(e => e.GetProperty("meta-type").GetString() == "command"))
            Assert.Equal("object", schema[cmd.GetProperty("arg-type").GetString()!].GetProperty("meta-type").GetString());
    }

    [Fact]
    public async Task EachCommandAcceptsExactlyTheArgumentsTheSchemaDeclares()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        Dictionary<string, JsonElement> schema = await SchemaAsync(c);
        foreach (JsonElement cmd in schema.Values.Where(e => e.GetProperty("meta-type").GetString() == "command"))
        {
            string name = cmd.GetProperty("name").GetString()!;
            JsonElement[] members = schema[cmd.GetProperty("arg-type").GetString()!].GetProperty("members").EnumerateArray().ToArray();
            // A member the schema does not declare is refused (the required ones given, as strings:
            // the only required argument, human-monitor-command's command-line, is one).
            var unexpected = members.Where(m => !m.TryGetProperty("default", out _))
                .ToDictionary(m => m.GetProperty("name").GetString()!, m => (object)"info status");
            unexpected["no-such-argument"] = 1;
            Assert.Equal(("GenericError", "Parameter 'no-such-argument' is unexpected"), await c.ErrorOfAsync(name, unexpected));
            foreach (JsonElement m in members)
            {
                string member = m.GetProperty("name").GetString()!;
                bool optional = m.TryGetProperty("default", out _);
                if (name == "qmp_capabilities") continue; // only valid once, during negotiation
                var wrongType = new Dictionary<string, object> { [member] = new object[] { new { } } };
                foreach (JsonElement other in members.Where(o => !o.TryGetProperty("default", out _) && o.GetProperty("name").GetString() != member))
                    wrongType[other.GetProperty("name").GetString()!] = "info status";
                (string cls, string desc) = await c.ErrorOfAsync(name, wrongType);
                Assert.Equal("GenericError", cls);
                Assert.StartsWith($"Invalid parameter type for '{member}', expected: ", desc);
                if (!optional)
                {
                    Assert.Equal(("GenericError", $"Parameter '{member}' is missing"), await c.ErrorOfAsync(name, new Dictionary<string, object>()));
                }
            }
        }
    }

    [Fact]
    public async Task EveryQueryReturnsWhatTheSchemaDeclares()
    {
        using QmpRig rig = QmpRig.Start(harts: 2, options: new QmpServerOptions { Name = "vm" });
        await using QmpClient c = await rig.ConnectAsync();
        await c.ReturnOfAsync("stop"); // thread ids are known once the vCPUs have run
        Dictionary<string, JsonElement> schema = await SchemaAsync(c);
        int checkedCount = 0;
        foreach (JsonElement cmd in schema.Values.Where(e => e.GetProperty("meta-type").GetString() == "command"))
        {
            string name = cmd.GetProperty("name").GetString()!;
            JsonElement reply;
            if (name == "human-monitor-command") reply = await c.ExecuteAsync(name, new Dictionary<string, object> { ["command-line"] = "info status" });
            else if (name.StartsWith("query-", StringComparison.Ordinal)) reply = await c.ExecuteAsync(name);
            else continue; // the others change the run state; their {} is checked by the run-control tests
            if (!reply.TryGetProperty("return", out JsonElement value))
            {
                Assert.Equal("query-hotpluggable-cpus", name); // the one that answers with an error, as QEMU's virt
                continue;
            }
            Conforms(schema, cmd.GetProperty("ret-type").GetString()!, value, name);
            checkedCount++;
        }
        Assert.Equal(14, checkedCount);
    }

    [Fact]
    public async Task EveryEventCarriesTheDataTheSchemaDeclares()
    {
        using QmpRig rig = QmpRig.Start();
        await using QmpClient c = await rig.ConnectAsync();
        Dictionary<string, JsonElement> schema = await SchemaAsync(c);
        foreach (string command in new[] { "stop", "system_reset", "cont", "system_powerdown" }) await c.ReturnOfAsync(command);
        // system_powerdown is posted, and a quit right behind it overtakes it (QEMU's main loop, too,
        // checks shutdown before powerdown and then never emits POWERDOWN): wait for the event first.
        await c.NextEventAsync("POWERDOWN");
        await c.ReturnOfAsync("quit");
        await c.NextEventAsync("SHUTDOWN");
        string[] seen = c.Events.Select(e => e.EventName!).ToArray();
        Assert.Equal(["STOP", "RESET", "RESUME", "POWERDOWN", "SHUTDOWN"], seen);
        foreach (Received e in c.Events)
        {
            JsonElement declared = schema[e.EventName!];
            Assert.Equal("event", declared.GetProperty("meta-type").GetString());
            // An event without data leaves "data" out, as QEMU; its declared type has no members then.
            JsonElement data = e.Message.TryGetProperty("data", out JsonElement d) ? d : JsonDocument.Parse("{}").RootElement;
            Conforms(schema, declared.GetProperty("arg-type").GetString()!, data, e.EventName!);
        }
    }

    /// <summary>Checks a JSON value against a schema type: members present, types right, nothing undeclared.</summary>
    private static void Conforms(Dictionary<string, JsonElement> schema, string type, JsonElement value, string path)
    {
        JsonElement t = schema[type];
        switch (t.GetProperty("meta-type").GetString())
        {
            case "builtin":
                JsonValueKind kind = value.ValueKind;
                bool ok = t.GetProperty("json-type").GetString() switch
                {
                    "string" => kind == JsonValueKind.String,
                    "int" => kind == JsonValueKind.Number && value.TryGetInt64(out _) || kind == JsonValueKind.Number && value.TryGetUInt64(out _),
                    "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
                    "value" => true,
                    _ => false,
                };
                Assert.True(ok, $"{path}: {value.GetRawText()} is not a {type}");
                break;
            case "enum":
                Assert.Contains(value.GetString(), t.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
                break;
            case "array":
                Assert.Equal(JsonValueKind.Array, value.ValueKind);
                int i = 0;
                foreach (JsonElement item in value.EnumerateArray()) Conforms(schema, t.GetProperty("element-type").GetString()!, item, $"{path}[{i++}]");
                break;
            case "object":
                Assert.Equal(JsonValueKind.Object, value.ValueKind);
                var declared = t.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
                foreach (JsonProperty p in value.EnumerateObject())
                {
                    Assert.True(declared.TryGetValue(p.Name, out JsonElement m), $"{path}: member '{p.Name}' is not in {type}");
                    Conforms(schema, m.GetProperty("type").GetString()!, p.Value, $"{path}.{p.Name}");
                }
                foreach ((string member, JsonElement m) in declared)
                {
                    if (!m.TryGetProperty("default", out _)) Assert.True(value.TryGetProperty(member, out _), $"{path}: required member '{member}' is missing");
                }
                break;
        }
    }

    private static async Task<string> Hmp(QmpClient c, string line)
        => (await c.ReturnOfAsync("human-monitor-command", new Dictionary<string, object> { ["command-line"] = line })).GetString()!;
}
