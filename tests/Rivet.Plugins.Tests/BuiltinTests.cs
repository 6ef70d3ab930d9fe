using System.Text.Json;
using Rivet.Cpu;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>The built-in plugins on guests with known behaviour.</summary>
public sealed class BuiltinTests
{
    [Theory]
    [InlineData("insn")]
    [InlineData("insn,inline=false")]
    public void InsnCountsEveryInstruction(string spec)
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Load(spec));
        Assert.Equal(0, r.ExitCode);
        // 2005 instructions up to the finisher store, then the final j . until the machine stops.
        Assert.True(r.Retired[0] >= 2005, r.Output + " retired " + r.Retired[0]);
        Assert.Equal($"cpu 0 insns: {r.Retired[0]}\ntotal insns: {r.Retired[0]}\n", r.Output);
    }

    /// <summary>
    /// Issue 16: inline counters alone keep code translated (a region adds what its instructions add,
    /// exactly); a plugin with a callback on every block start keeps its code in the interpreter. Either
    /// way the count is every instruction retired. The loop is made hot at once (64 entries, compiled
    /// at the first), so the translator's run enters regions whatever the machine's load.
    /// </summary>
    [Theory]
    [InlineData("insn", true)]
    [InlineData("insn,inline=false", false)]
    [InlineData("insn+hotblocks", false)]
    public void InsnCountsExactlyWhereRegionsRun(string plugins, bool regions)
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host =>
        {
            foreach (string spec in plugins.Split('+')) host.Load(spec);
        }, beforeStart: m =>
        {
            foreach (Hart h in m.Board.Harts)
            {
                h.HotThreshold = 64;
                h.CompileInBackground = false;
            }
        });
        Assert.Equal(0, r.ExitCode);
        Assert.True(r.Retired[0] >= 2005, r.Output + " retired " + r.Retired[0]);
        Assert.StartsWith($"cpu 0 insns: {r.Retired[0]}\ntotal insns: {r.Retired[0]}\n", r.Output);
        bool translator = Programs.Config(Programs.Loop).Engine == ExecutionEngine.Translator;
        Assert.True((regions && translator) == (r.RegionEntries > 0), $"{r.RegionEntries} region entries with {plugins}");
    }

    [Fact]
    public void HotBlocksCountsExecutionsOfEachBlock()
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Load("hotblocks"));
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^collected [56] entries in the hash table$", lines[0]); // with the reset ROM's two
        Assert.Equal("pc, tcount, icount, ecount", lines[1]);
        // pc, translations, instructions, executions
        Assert.Contains("0x0000000080000004, 1, 2, 999", lines);
        Assert.Contains("0x0000000080000000, 1, 3, 1", lines);
        Assert.Contains("0x000000008000000c, 1, 5, 1", lines);
        long[] counts = [.. lines.Skip(2).Select(l => long.Parse(l.Split(", ")[3]))];
        Assert.Equal(counts.OrderByDescending(c => c), counts); // hottest first

        PluginRunResult top = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Load("hotblocks,limit=1"));
        Assert.Single(top.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2));
    }

    [Fact]
    public void HotPagesCountsReadsAndWritesPerPage()
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Memory), host => host.Load("hotpages"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "Addr, RCPUs, Reads, WCPUs, Writes\n" +
            "0x0000000080001000, 0x0001, 2, 0x0001, 2\n" +
            "0x0000000000001000, 0x0001, 2, 0x0000, 0\n" + // the reset ROM's two loads
            "0x0000000000100000, 0x0000, 0, 0x0001, 1\n", r.Output);

        PluginRunResult byAddress = PluginRun.Run(Programs.Config(Programs.Memory), host => host.Load("hotpages,sortby=address,limit=1"));
        Assert.Equal("Addr, RCPUs, Reads, WCPUs, Writes\n0x0000000000001000, 0x0001, 2, 0x0000, 0\n", byAddress.Output);

        // io=on (QEMU's track_io): device accesses only.
        PluginRunResult io = PluginRun.Run(Programs.Config(Programs.Memory), host => host.Load("hotpages,io=on"));
        Assert.Equal("Addr, RCPUs, Reads, WCPUs, Writes\n0x0000000000100000, 0x0000, 0, 0x0001, 1\n", io.Output);
    }

    [Fact]
    public void IdleCountsIdleAndResumePerVCpu()
    {
        var idle = new SignalOnIdle();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.IdleAndSpin, harts: 2),
            host =>
            {
                host.Load("idle");
                host.Install(idle, "signal"); // after idle's own callback, so that has run too
            },
            machine =>
            {
                Assert.True(idle.Entered.Wait(GuestRun.HangLimit));
                machine.RequestShutdown(ShutdownCause.HostSignal);
            });
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // vCPU 0 went idle once and was woken once, by the shutdown's stop request; vCPU 1 never idled.
        Assert.Matches(@"^vcpu 0: idle 1 times, resumed 1 times, idle for \d+\.\d{3} ms$", lines[0]);
        Assert.Equal("vcpu 1: idle 0 times, resumed 0 times, idle for 0.000 ms", lines[1]);
        Assert.StartsWith("total: idle 1 times, resumed 1 times, idle for ", lines[2]);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class SignalOnIdle : IRivetPlugin
    {
        public readonly ManualResetEventSlim Entered = new();

        public void Install(IPluginContext context, PluginArgs args) => context.RegisterVCpuIdle(_ => Entered.Set());
    }

    [Theory]
    [InlineData("stoptrigger,icount=1006,exitcode=3", 3, "icount reached at 0x80000008, exiting\n")] // the reset ROM's 6, then instruction 1001 is a bnez
    [InlineData("stoptrigger,icount=1006:7", 7, "icount reached at 0x80000008, exiting\n")]
    [InlineData("stoptrigger,icount=8", 0, "icount reached at 0x80000008, exiting\n")]
    [InlineData("stoptrigger,icount=9", 0, "icount reached at 0x80000004, exiting\n")]
    [InlineData("stoptrigger,addr=0x80000010,exitcode=5", 5, "0x80000010 reached, exiting\n")]
    [InlineData("stoptrigger,addr=0x90000000,addr=0x8000000c:9", 9, "0x8000000c reached, exiting\n")]
    public void StopTriggerStopsAtACountOrAnAddress(string spec, int exitCode, string message)
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Load(spec));
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Equal(message, r.Output);
    }

    [Fact]
    public void StopTriggerEndsAGuestThatNeverExits()
    {
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 2), host => host.Load("stoptrigger,icount=100000,exitcode=4"));
        Assert.Equal(4, r.ExitCode);
        Assert.Matches(@"^icount reached at 0x8000000[0-9a-f], exiting\n$", r.Output);
        Assert.True(r.Retired.Max() >= 100000);
    }

    [Fact]
    public void TimelineWritesAPerfettoTrace()
    {
        string file = Path.Combine(Path.GetTempPath(), $"rivet-timeline-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        try
        {
            PluginRunResult r = PluginRun.Run(Programs.Guest("build/smp/ipi_wfi.elf", harts: 4), host =>
            {
                host.Load($"timeline,file={file}");
                host.Install(new ResumeFromIdle(vcpu: 2), "poker");
            });
            Assert.Equal(0, r.ExitCode);
            Assert.Matches(@"^timeline: \d+ events written to ", r.Output);
            TimelineChecks.AssertValid(File.ReadAllText(file), vcpus: 4);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement[] events = [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];
            // Every vCPU went idle and was kicked to stop; hart 0 asked for the shutdown through the finisher.
            for (int tid = 1; tid <= 4; tid++)
            {
                Assert.Contains(events, e => Tid(e) == tid && Ph(e) == "X" && Name(e) == "idle");
                Assert.Contains(events, e => Tid(e) == tid && Ph(e) == "X" && Name(e) == "running");
                Assert.Contains(events, e => Tid(e) == tid && Ph(e) == "i" && Name(e) == "kick" && Arg(e, "reason") == "stop");
            }
            Assert.Contains(events, e => Name(e) == "shutdown request" && Arg(e, "source") == "vcpu-0" && Arg(e, "cause") == "guest-shutdown" && Tid(e) == 1);
            Assert.Contains(events, e => Name(e) == "resume request" && Arg(e, "source") == "plugin 'poker' (vcpu-2)" && Tid(e) == 3);
            Assert.Contains(events, e => Name(e) == "SHUTDOWN" && Tid(e) == 0 && Arg(e, "reason") == "guest-shutdown");
            string[] runStates = [.. events.Where(e => Tid(e) == 0 && Ph(e) == "X").Select(Name)];
            Assert.Equal(["prelaunch", "running", "shutdown"], runStates);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int Tid(JsonElement e) => e.GetProperty("tid").GetInt32();
    private static string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;
    private static string Name(JsonElement e) => e.GetProperty("name").GetString()!;
    private static string? Arg(JsonElement e, string key)
        => e.TryGetProperty("args", out JsonElement a) && a.TryGetProperty(key, out JsonElement v) ? v.GetString() : null;

    /// <summary>Posts a resume (a no-op while running) from one vCPU's first idle: a request with a plugin as its source.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class ResumeFromIdle(int vcpu) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args)
        {
            int done = 0;
            context.RegisterVCpuIdle(cpu =>
            {
                if (cpu == vcpu && Interlocked.Exchange(ref done, 1) == 0) context.RequestResume();
            });
        }
    }

    [Theory]
    [InlineData("insn,inline=maybe", "plugin 'insn': inline=maybe: expected on/off")]
    [InlineData("insn,colour=blue", "plugin 'insn': unknown argument 'colour' (known: inline)")]
    [InlineData("insn,inline", "-plugin insn,inline: argument 'inline' is not key=value")]
    [InlineData("hotblocks,limit=0", "plugin 'hotblocks': limit=0: expected a number from 1 to")]
    [InlineData("hotpages,sortby=size", "plugin 'hotpages': sortby=size: expected rw, reads, writes or address")]
    [InlineData("hotpages,pagesize=1000", "plugin 'hotpages': pagesize=1000: expected a power of two")]
    [InlineData("idle,verbose=on", "plugin 'idle': unknown argument 'verbose' (it takes no arguments)")]
    [InlineData("stoptrigger", "plugin 'stoptrigger': 'icount' or 'addr' argument missing")]
    [InlineData("stoptrigger,icount=0", "plugin 'stoptrigger': icount=0: must be a positive integer")]
    [InlineData("stoptrigger,addr=main", "plugin 'stoptrigger': addr=main: expected a number")]
    [InlineData("stoptrigger,icount=5,exitcode=300", "plugin 'stoptrigger': exitcode=300: expected a number from 0 to 255")]
    [InlineData("timeline", "plugin 'timeline': file=PATH is required")]
    [InlineData("timeline,file=/nonexistent-dir/t.json", "plugin 'timeline': file=/nonexistent-dir/t.json: cannot write it")]
    [InlineData("nosuch", "-plugin nosuch: no built-in plugin 'nosuch' (built-ins: bbv, cache, drcov, execlog, hotblocks, hotpages, howvec, idle, insn, ips, stoptrigger, timeline, traps;")]
    [InlineData("", "-plugin : no plugin name or path given")]
    public void BadArgumentsAreRejectedWithOneLine(string spec, string message)
    {
        using var m = new Machine.Machine(Programs.Config(Programs.Loop), Stream.Null, TextWriter.Null);
        var host = new PluginHost(m);
        var ex = Assert.Throws<PluginLoadException>(() => host.Load(spec));
        Assert.StartsWith(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(host.Plugins);
    }
}

/// <summary>What ui.perfetto.dev needs of a JSON trace, checked on a document.</summary>
internal static class TimelineChecks
{
    public static void AssertValid(string json, int vcpus)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        JsonElement[] events = [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];
        Assert.NotEmpty(events);
        foreach (JsonElement e in events)
        {
            foreach (string field in new[] { "name", "ph", "ts", "pid", "tid" }) Assert.True(e.TryGetProperty(field, out _), $"event without {field}: {e}");
            string ph = e.GetProperty("ph").GetString()!;
            Assert.Contains(ph, new[] { "X", "i", "M" });
            Assert.True(e.GetProperty("ts").GetDouble() >= 0);
            if (ph == "X") Assert.True(e.GetProperty("dur").GetDouble() >= 0);
        }
        var names = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => e.GetProperty("tid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString());
        Assert.Equal("controller (main loop)", names[0]);
        for (int i = 0; i < vcpus; i++) Assert.Equal($"vcpu-{i}", names[i + 1]);
        // Complete events on one thread never overlap: states follow one another.
        foreach (var track in events.Where(e => e.GetProperty("ph").GetString() == "X").GroupBy(e => e.GetProperty("tid").GetInt32()))
        {
            double end = double.MinValue;
            foreach (JsonElement e in track.OrderBy(e => e.GetProperty("ts").GetDouble()))
            {
                double ts = e.GetProperty("ts").GetDouble();
                Assert.True(ts >= end - 0.002, $"overlapping states on tid {track.Key} at {ts}");
                end = ts + e.GetProperty("dur").GetDouble();
            }
        }
    }
}
