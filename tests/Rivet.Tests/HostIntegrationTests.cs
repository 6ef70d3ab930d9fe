using System.Runtime.InteropServices;
using Rivet.Board;
using Rivet.Cli;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// What rivet assumes of the host for a prompt SIGTERM (docs/LIFECYCLE.md, "SIGTERM to exit"):
/// the runtime export it hooks, the scheduling of vCPU threads, the JIT warm-up.
/// </summary>
public sealed class HostIntegrationTests
{
    [Fact]
    public void TheRuntimeStillHasTheSignalHookAndDispatcherRivetUses()
    {
        if (!OperatingSystem.IsLinux()) return;
        // A .NET update that drops it would silently send signals back through a new thread per
        // signal (the fallback): fail here instead.
        Assert.True(NativeLibrary.TryLoad("libSystem.Native", typeof(object).Assembly, null, out IntPtr lib));
        Assert.True(NativeLibrary.TryGetExport(lib, "SystemNative_SetPosixSignalHandler", out _));
        // Signals that are not rivet's are passed on to the runtime's own dispatcher.
        var dispatch = typeof(PosixSignalRegistration).GetMethod("OnPosixSignal", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static, [typeof(int), typeof(PosixSignal)]);
        Assert.NotNull(dispatch);
        Assert.True(dispatch.IsDefined(typeof(UnmanagedCallersOnlyAttribute), false));
    }

    [Fact]
    public void VCpuThreadsRunANiceLevelBelowAndWithALongerSlice()
    {
        if (!OperatingSystem.IsLinux()) return;
        var config = new MachineConfig { Harts = 2, KernelImage = TinyElf.Build(0x80000000, [0x6F, 0x00, 0x00, 0x00]) };
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        m.Start();
        Assert.True(SpinWait.SpinUntil(() => m.VCpus.All(v => v.State == VCpuState.Running), GuestRun.HangLimit));
        foreach (VCpuInfo v in m.VCpus)
        {
            string task = $"/proc/self/task/{v.HostThreadId}";
            // Field 19 of stat is the nice value; the command name (field 2) may hold spaces.
            string stat = File.ReadAllText($"{task}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(HostThreads.VCpuNice, int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture));
            // The custom slice exists from Linux 6.12 on; the scheduler's debug file shows it.
            if (Environment.OSVersion.Version >= new Version(6, 12) && File.Exists($"{task}/sched"))
            {
                string? slice = File.ReadLines($"{task}/sched").FirstOrDefault(l => l.StartsWith("se.slice", StringComparison.Ordinal));
                if (slice != null) Assert.Equal(HostThreads.VCpuSliceNanoseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), slice.Split(':')[1].Trim());
            }
        }
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public void TheShutdownPathIsPreparedAhead()
    {
        // Hundreds of methods: the controller, vCPUs, devices, board and the CLI itself.
        Assert.True(JitWarmup.PrepareShutdownPath() > 300);
    }

    /// <summary>rivet.dll and its libraries next to the launcher are ReadyToRun images (docs/STARTUP.md).</summary>
    [Theory]
    [InlineData("rivet.dll")]
    [InlineData("Rivet.Core.dll")]
    [InlineData("Rivet.Plugins.Api.dll")]
    [InlineData("ELFSharp.dll")]
    public void TheCommandIsPrecompiled(string assembly)
    {
        string path = Path.Combine(Path.GetDirectoryName(RivetProcess.Command)!, assembly);
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(path));
        Assert.True(pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} is IL only");
    }

    /// <summary>
    /// A run from start to SIGTERM JIT-compiles none of Rivet's own methods: start-up and the
    /// shutdown path are precompiled (what is left is listed in docs/STARTUP.md).
    /// </summary>
    [Fact]
    public async Task ARunCompilesNoneOfRivetsOwnCode()
    {
        string list = Path.Combine(Path.GetTempPath(), $"rivet-jit-{Environment.ProcessId}.txt");
        (System.Diagnostics.Process started, Task<string> err) = StartListingJit(list, "-smp", "2", "-nographic", "-kernel", Repo.Guest("build/lifecycle/ipi_forever.elf"));
        using System.Diagnostics.Process p = started;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!RivetProcess.Catches(p.Id, 1) && deadline.Elapsed < GuestRun.HangLimit) Thread.Yield();
        Assert.Equal(0, RivetProcess.Kill(p.Id, 15));
        Assert.True(p.WaitForExit((int)GuestRun.HangLimit.TotalMilliseconds), "rivet did not exit after SIGTERM");
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}: {await err}");
        string[] compiled = TakeJitList(list);
        Assert.NotEmpty(compiled); // the runtime did write the list: ELFSharp's generic reader is in it
        Assert.DoesNotContain(compiled, l => l.Contains("JIT compiled Rivet.", StringComparison.Ordinal));
    }

    /// <summary>
    /// A guest with symbols that gets hot (crc32: its loops are translated) JIT-compiles its regions
    /// and nothing of the framework's generic code over Rivet's own types: the symbol table at start and
    /// the translator's first region used to compile List, Sort, LINQ and Dictionary over our structs
    /// (about 75 methods, 12 ms of the vCPU's time at its first region).
    /// </summary>
    [Fact]
    public async Task AHotGuestCompilesItsRegionsAndNoGenericsOverRivetsTypes()
    {
        string list = Path.Combine(Path.GetTempPath(), $"rivet-jit-hot-{Environment.ProcessId}.txt");
        (System.Diagnostics.Process started, Task<string> err) = StartListingJit(list, "-M", "virt", "-display", "none", "-serial", "none", "-bios", "none", "-kernel", Repo.Guest("build/bench/crc32.elf"));
        using System.Diagnostics.Process p = started;
        Assert.True(p.WaitForExit((int)GuestRun.HangLimit.TotalMilliseconds), "rivet did not finish crc32");
        Assert.True(p.ExitCode == 0, $"exit code {p.ExitCode}: {await err}");
        string[] compiled = TakeJitList(list);
        bool translator = Rivet.Cpu.ExecutionEngines.FromEnvironment() == Rivet.Cpu.ExecutionEngine.Translator;
        Assert.Equal(translator, compiled.Any(l => l.Contains(":region_", StringComparison.Ordinal)));
        // GC.AllocateArray<DecodedInsn> (the pinned slots of a decoded page) is the one left, a single small method (docs/STARTUP.md).
        string[] ours = [.. compiled.Where(l => !l.Contains(":region_", StringComparison.Ordinal) && !l.Contains("System.GC:AllocateArray[", StringComparison.Ordinal)
            && (l.Contains("Rivet.Cpu.", StringComparison.Ordinal) || l.Contains("Rivet.Board.", StringComparison.Ordinal) || l.Contains("Rivet.Isa.", StringComparison.Ordinal)))];
        Assert.True(ours.Length == 0, string.Join("\n", ours));
    }

    /// <summary>Starts the rivet command with <paramref name="args"/>, the runtime listing every method it JIT-compiles into <paramref name="list"/>; its standard error, read to the end.</summary>
    private static (System.Diagnostics.Process Process, Task<string> Error) StartListingJit(string list, params string[] args)
    {
        File.Delete(list);
        var psi = new System.Diagnostics.ProcessStartInfo(RivetProcess.Command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_JitStdOutFile"] = list;
        psi.Environment["DOTNET_JitDisasmSummary"] = "1";
        var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        return (p, err);
    }

    /// <summary>The methods the run JIT-compiled (the list is deleted).</summary>
    private static string[] TakeJitList(string list)
    {
        string[] compiled = File.ReadAllLines(list);
        File.Delete(list);
        return compiled;
    }
}
