using System.Diagnostics;
using System.Text;
using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Tests;

internal static class Repo
{
    /// <summary>The repository root (the folder holding Rivet.slnx).</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "Rivet.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (Rivet.slnx)");
    }

    public static string Guests => Path.Combine(Root, "guests");

    /// <summary>A built guest; the test command builds them with make before the tests run.</summary>
    public static string Guest(string relative)
    {
        string path = Path.Combine(Guests, relative);
        if (!File.Exists(path))
            throw new FileNotFoundException($"guest {relative} is not built: run 'make -C guests' (the README's test command does)", path);
        return path;
    }
}

/// <summary>Runs a guest in-process and collects its exit code and console output.</summary>
internal sealed record GuestRun(int ExitCode, string Output, string Diagnostics, ulong Instructions)
{
    /// <summary>Generous: turns a hang into a failure, never a timing assertion.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    public static GuestRun Of(string elf, int harts, Func<MachineConfig, MachineConfig>? tweak = null)
    {
        var config = new MachineConfig { Harts = harts, Kernel = elf };
        if (tweak != null) config = tweak(config);
        var output = new MemoryStream();
        var diagnostics = new StringWriter();
        using var machine = new Machine.Machine(config, output, TextWriter.Synchronized(diagnostics));
        machine.Start();
        int? code = machine.WaitForExit(HangLimit);
        if (code == null)
        {
            machine.RequestShutdown(ShutdownCause.HostUi);
            machine.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"{Path.GetFileName(elf)} did not finish within {HangLimit.TotalSeconds} s; output so far: {Encoding.UTF8.GetString(output.ToArray())}");
        }
        return new GuestRun(code.Value, Encoding.UTF8.GetString(output.ToArray()), diagnostics.ToString(), machine.InstructionsRetired);
    }
}

/// <summary>Runs the rivet command as a child process.</summary>
internal static class RivetProcess
{
    /// <summary>
    /// The command as users run it: the launcher in src/Rivet.Cli's build output (ReadyToRun,
    /// signals blocked until the handlers exist), built in the tests' own configuration.
    /// </summary>
    public static string Command { get; } = FindCommand();

    private static string FindCommand()
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfm.Parent?.Name ?? "Release";
        string path = Path.Combine(Repo.Root, "src", "Rivet.Cli", "bin", configuration, tfm.Name, "rivet");
        if (!File.Exists(path))
            throw new FileNotFoundException($"the rivet launcher is not built ({path}): the build needs a C compiler (cc)", path);
        return path;
    }

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start rivet");
    }

    /// <summary>A start-up error: exit code 1, one "rivet: ..." line naming the problem, no guest output.</summary>
    public static void AssertStartupError((int Code, string Out, string Err) r, string expectedFragment)
    {
        Xunit.Assert.Equal(1, r.Code);
        string[] lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Xunit.Assert.True(lines.Length == 1, $"expected one line on stderr, got: {r.Err}");
        Xunit.Assert.StartsWith("rivet: ", lines[0]);
        Xunit.Assert.Contains(expectedFragment, lines[0]);
        Xunit.Assert.Equal("", r.Out); // the guest never started
    }

    /// <summary>kill(2): sends <paramref name="sig"/> to <paramref name="pid"/>; 0 on success.</summary>
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int sig);

    /// <summary>True if process <paramref name="pid"/> has a handler installed for <paramref name="signo"/> (SigCgt in /proc/PID/status).</summary>
    public static bool Catches(int pid, int signo)
    {
        string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigCgt:", StringComparison.Ordinal));
        return line != null && (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << (signo - 1))) != 0;
    }

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using Process p = Start(args);
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException($"rivet {string.Join(' ', args)} did not exit");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
