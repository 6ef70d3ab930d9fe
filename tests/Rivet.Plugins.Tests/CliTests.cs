using System.Diagnostics;
using System.Text.RegularExpressions;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>-plugin, -d plugin and -D on the rivet command, as a child process.</summary>
public sealed class CliTests
{
    private static string Elf(byte[] program, string name) => TinyElf.WriteTemp(TinyElf.Build(0x80000000, program), name);

    /// <summary>The demo guest prints at once when it runs, so an empty standard output shows it never started.</summary>
    private static string Talker => Repo.Guest("build/demo/demo.elf");


    [Fact]
    public void UnknownBuiltin()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", "insns"), "-plugin insns: no built-in plugin 'insns'");

    [Fact]
    public void MissingAssembly()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", "/nonexistent/Plugin.dll"), "cannot load plugin assembly /nonexistent/Plugin.dll: no such file");

    [Fact]
    public void NotAnAssembly()
    {
        string path = TinyElf.WriteTemp("MZ but not really\n"u8.ToArray(), "text.dll");
        RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", path), "not a .NET assembly");
    }

    [Fact]
    public void AssemblyWithoutEntryPoint()
    {
        // A real .NET assembly with no plugin class in it.
        string path = Path.Combine(AppContext.BaseDirectory, "ELFSharp.dll");
        RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", path), "no plugin entry point in ELFSharp.dll");
    }

    [Fact]
    public void IncompatibleApiVersion()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", PluginAssemblies.Emit("Future", apiVersion: 99)),
            "class Emitted.Plugin targets plugin API version 99; this rivet supports version 1 to 2");

    [Fact]
    public void UndeclaredApiVersion()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", PluginAssemblies.Emit("Ancient", apiVersion: null)),
            "does not declare the plugin API version it targets");

    [Fact]
    public void TwoEntryPoints()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", PluginAssemblies.Emit("Twins", apiVersion: 1, classes: 2)),
            "has 2 plugin classes");

    [Fact]
    public void RejectedArguments()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", "hotblocks,limit=ten"), "plugin 'hotblocks': limit=ten: expected a number");

    [Fact]
    public void UnsupportedLogItem()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-d", "out_asm"), "-d out_asm: not supported: rivet generates no host code");

    [Fact]
    public void UnwritableLogFile()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", Talker, "-plugin", "insn", "-d", "plugin", "-D", "/nonexistent/log.txt"), "-D /nonexistent/log.txt: cannot open the log file");

    [Fact]
    public void PluginOutputGoesToStandardErrorWithDPlugin()
    {
        string elf = Elf(Programs.Loop, "loop.elf");
        var r = RivetProcess.Run("-kernel", elf, "-plugin", "insn", "-d", "plugin");
        Assert.Equal(0, r.Code);
        Assert.Matches(new Regex(@"\Acpu 0 insns: (\d+)\ntotal insns: \1\n\z"), r.Err);

        // Without -d plugin the output is dropped, as QEMU does.
        var quiet = RivetProcess.Run("-kernel", elf, "-plugin", "insn");
        Assert.Equal(0, quiet.Code);
        Assert.Equal("", quiet.Err);
    }

    [Fact]
    public void PluginOutputGoesToTheLogFileWithD()
    {
        string log = Path.Combine(Path.GetTempPath(), $"rivet-plugin-log-{Environment.ProcessId}.txt");
        try
        {
            var r = RivetProcess.Run("-kernel", Elf(Programs.Loop, "loop.elf"), "-plugin", "hotblocks,limit=2", "-plugin", "insn", "-d", "plugin", "-D", log);
            Assert.Equal(0, r.Code);
            Assert.Equal("", r.Err);
            string text = File.ReadAllText(log);
            Assert.Contains("0x0000000080000004, 1, 2, 999\n", text);
            Assert.Matches(new Regex(@"cpu 0 insns: (\d+)\ntotal insns: \1\n\z"), text); // installed second, so its at-exit runs second
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void StopTriggerSetsTheExitCode()
    {
        var r = RivetProcess.Run("-kernel", Repo.Guest("build/lifecycle/spin_forever.elf"), "-smp", "2", "-plugin", "stoptrigger,icount=50000,exitcode=3", "-d", "plugin");
        Assert.Equal(3, r.Code);
        Assert.Matches(@"^icount reached at 0x[0-9a-f]+, exiting\n$", r.Err);
    }

    [Fact]
    public void SamplePluginLoadsFromItsAssembly()
    {
        var r = RivetProcess.Run("-kernel", Elf(Programs.Memory, "memory.elf"), "-plugin", $"{PluginAssemblies.Sample},verbose=on", "-d", "plugin");
        Assert.Equal(0, r.Code);
        Assert.Contains("sample: vcpu 0 translated block 0x80000000, 11 instructions, 44 bytes\n", r.Err);
        Assert.Contains("sample:   0x80000008: 0062b423 sd t1,8(t0)\n", r.Err);
        Assert.Matches(@"sample: vcpu 0: \d+ instructions, \d+ blocks, 4 loads, 3 stores \(last at 0x100000\), 0 wfi, idle 0, resumed 0, init pc 0x1000 a0 0, exit pc 0x80000028\n", r.Err);
    }

    [Fact]
    public void TimelineFromTheCommandLineOpensAsATrace()
    {
        string file = Path.Combine(Path.GetTempPath(), $"rivet-cli-timeline-{Environment.ProcessId}.json");
        try
        {
            var r = RivetProcess.Run("-smp", "4", "-kernel", Repo.Guest("build/smp/ipi_wfi.elf"), "-plugin", $"timeline,file={file}");
            Assert.Equal(0, r.Code);
            Assert.Equal("", r.Err);
            TimelineChecks.AssertValid(File.ReadAllText(file), vcpus: 4);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// rivet takes its shutdown signals on the runtime's signal thread (docs/LIFECYCLE.md); a
    /// plugin's own handler for another signal must still run, and the signal must not fall
    /// through to its default action (for SIGUSR1: killing the process).
    /// </summary>
    [Fact]
    public void APluginsOwnSignalHandlerStillRuns()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int SIGUSR1 = 10, SIGTERM = 15;
        string plugin = PluginAssemblies.EmitSignalPlugin("Usr1", SIGUSR1, "usr1 plugin: got SIGUSR1");
        using Process p = RivetProcess.Start("-kernel", Repo.Guest("build/lifecycle/idle_forever.elf"), "-plugin", plugin);
        p.StandardInput.Close();
        var stderr = new System.Text.StringBuilder();
        using var got = new ManualResetEventSlim();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("got SIGUSR1", StringComparison.Ordinal)) got.Set();
        };
        p.BeginErrorReadLine();
        _ = p.StandardOutput.ReadToEndAsync();
        try
        {
            // The plugin's handler is installed once SigCgt shows SIGUSR1 caught (bit 9).
            Assert.True(SpinWait.SpinUntil(() => p.HasExited || RivetProcess.Catches(p.Id, SIGUSR1), GuestRun.HangLimit), "SIGUSR1 never caught");
            Assert.False(p.HasExited, "rivet exited before the signal");
            Assert.Equal(0, RivetProcess.Kill(p.Id, SIGUSR1));
            Assert.True(SpinWait.SpinUntil(() => got.IsSet || p.HasExited, GuestRun.HangLimit), "neither the plugin's handler ran nor rivet exited");
            Assert.False(p.HasExited, $"SIGUSR1 ended rivet (exit code {(p.HasExited ? p.ExitCode : 0)}) instead of reaching the plugin");
            Assert.True(got.IsSet);
            Assert.Equal(0, RivetProcess.Kill(p.Id, SIGTERM));
            Assert.True(p.WaitForExit(GuestRun.HangLimit), "no exit after SIGTERM");
            p.WaitForExit();
            string err;
            lock (stderr) err = stderr.ToString();
            Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}; stderr: {err}");
            Assert.Contains("rivet: terminating on signal 15", err);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
    }

    [Fact]
    public void HelpListsThePluginOptions()
    {
        var r = RivetProcess.Run("-help");
        Assert.Equal(0, r.Code);
        Assert.Contains("-plugin NAME|PATH[,key=value...]", r.Out);
        Assert.Contains("-d plugin", r.Out);
        Assert.Contains("-D FILE", r.Out);
    }
}
