using System.Diagnostics;
using System.Text;

namespace Rivet.Gdb.Tests;

/// <summary>Debian's gdb-multiarch in batch mode against the stub and a fake target (the gdb QEMU 7.2 users have).</summary>
public sealed class GdbMultiarchTests
{
    /// <summary>Runs gdb with <paramref name="commands"/> after connecting; its standard output and error.</summary>
    private static (int Code, string Output) RunGdb(GdbServer server, params string[] commands)
    {
        var psi = new ProcessStartInfo("gdb-multiarch")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off", "-ex", $"target remote :{server.BoundEndpoint.Port}" })
            psi.ArgumentList.Add(a);
        foreach (string c in commands)
        {
            psi.ArgumentList.Add("-ex");
            psi.ArgumentList.Add(c);
        }
        using Process gdb = Process.Start(psi)!;
        gdb.StandardInput.Close();
        var output = new StringBuilder();
        object gate = new();
        gdb.OutputDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine(e.Data); };
        gdb.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine("ERR: " + e.Data); };
        gdb.BeginOutputReadLine();
        gdb.BeginErrorReadLine();
        if (!gdb.WaitForExit(60_000))
        {
            gdb.Kill(entireProcessTree: true);
            Assert.Fail($"gdb-multiarch did not finish within 60 s; output so far:\n{output}");
        }
        gdb.WaitForExit(); // drains the output
        lock (gate)
        {
            return (gdb.ExitCode, output.ToString());
        }
    }

    [Fact]
    public void GdbReadsRegistersThreadsMemoryAndMonitorOutputThenDetaches()
    {
        var target = new FakeTarget(3) { MonitorOutput = "fake monitor says hello\n" };
        // As -s binds it (every IPv4 address), and gdb connects as users type it: target remote :PORT.
        using GdbServer server = GdbServer.Listen(target, GdbEndpoint.Parse("tcp::0"));
        (int code, string output) = RunGdb(server,
            "info registers",
            "info threads",
            "p/x $pc",
            "x/4xb 0x80000000",
            "set $a0=5",
            "p $a0",
            "p/x $mstatus",
            "p $priv",
            "monitor info foo",
            "detach");
        Assert.True(code == 0, output);
        // gdb's only complaints (monitor output goes to its standard error): no executable file and no symbols (none was given).
        string[] errors = [.. output.Split('\n').Where(l => l.StartsWith("ERR:", StringComparison.Ordinal) && !l.Contains("warning: No executable has been specified", StringComparison.Ordinal) && !l.Contains("Try using the \"file\" command", StringComparison.Ordinal) && !l.Contains("fake monitor", StringComparison.Ordinal))];
        Assert.True(errors.Length == 0, output);
        // info registers: x_i = i on hart 0, pc 0x80000000.
        Assert.Matches(@"(?m)^a0\s+0xa\s+10$", output);
        Assert.Matches(@"(?m)^t6\s+0x1f\s+31$", output);
        Assert.Matches(@"(?m)^pc\s+0x80000000\s", output);
        // info threads: one thread per hart, as QEMU names them.
        Assert.Contains("Thread 1.1 (CPU#0 [running])", output);
        Assert.Contains("Thread 1.2 (CPU#1 [running])", output);
        Assert.Contains("Thread 1.3 (CPU#2 [running])", output);
        Assert.Contains("$1 = 0x80000000", output);
        Assert.Matches(@"0x80000000:\s+0x00\s+0x01\s+0x02\s+0x03", output);
        Assert.Contains("$2 = 5", output);
        Assert.Contains("Write 0 a0=5", target.Calls);
        Assert.Contains($"$3 = 0x{0xC000 + 66 + 0x300:x}", output);
        Assert.Contains("$4 = 3", output);
        Assert.Contains("fake monitor says hello", output);
        Assert.Contains("Monitor 0 info foo", target.Calls);
        Assert.Contains("[Inferior 1 (process 1) detached]", output);
        Assert.Contains("Detach", target.Calls);
        Assert.True(server.WaitForSessionsServed(1, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void GdbContinuesToABreakpointOnAnotherHartStepsAndKills()
    {
        var target = new FakeTarget(2);
        using GdbServer server = GdbServer.Listen(target, GdbEndpoint.Parse("tcp:127.0.0.1:0"));
        target.NextStop = step => new GdbStop(GdbStopReason.Trap, step.Count > 0 ? step.First() : 1);
        (int code, string output) = RunGdb(server,
            "break *0x80000010",
            "continue",
            "info threads",
            "stepi",
            "set debug remote 1",
            "kill");
        Assert.True(code == 0, output);
        Assert.Contains("InsertBreakpoint 80000010", target.Calls);
        Assert.Contains("Sending packet: $vKill;1", output); // the vKill path, and gdb still in no-ack mode:
        Assert.Contains("Packet received: OK", output);
        Assert.Contains("Thread 1.2 ", output);
        Assert.Contains("[Switching to Thread 1.2]", output);
        Assert.Contains("Resume step=[] others=True", target.Calls);   // continue
        // gdb steps RISC-V in software: a breakpoint after the instruction at pc (bytes 10 11: a
        // compressed one, so pc + 2), then it continues only the hart at the breakpoint
        // (vCont;c:p1.2: ResumeHarts), so no other hart moves.
        Assert.True(target.Calls.Contains("ResumeHarts step=[] run=[1]"), string.Join("\n", target.Calls.Where(c => c.Contains("Resume", StringComparison.Ordinal))));
        Assert.True(target.Calls.Contains("InsertBreakpoint 80000012"), string.Join("\n", target.Calls.Where(c => c.Contains("point", StringComparison.Ordinal))) + output);
        Assert.Contains("Kill", target.Calls);
        Assert.True(server.WaitForSessionsServed(1, TimeSpan.FromSeconds(30)));
    }
}
