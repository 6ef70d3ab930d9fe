using System.Diagnostics;

namespace Rivet.Bench;

/// <summary>
/// The rivet command as users run it: the launcher <c>src/Rivet.Cli/bin/Release/net10.0/rivet</c>
/// (blocks the shutdown signals, then execs <c>dotnet rivet.dll</c> from the same folder). Every
/// section that runs rivet as a process takes it from here, so they all measure the same thing.
/// </summary>
/// <param name="Launcher">The full path of bin/Release/net10.0/rivet.</param>
/// <param name="Dotnet">The .NET host, for the .NET floor rows (programs run as <c>dotnet X.dll</c>).</param>
internal sealed record RivetCli(string Launcher, string Dotnet)
{
    /// <summary>rivet's main-loop thread: present once the machine has started.</summary>
    public const string MachineThread = "main-loop";

    private const string TargetFramework = "net10.0";

    /// <summary>
    /// The launcher, built with <c>dotnet build -c Release src/Rivet.Cli</c> first if it (or
    /// rivet.dll) is missing; null, with the reason on standard error and the exit code to give in
    /// <paramref name="error"/>, if there is none. A build older than the sources under src/ adds a
    /// note to <paramref name="notes"/> (the figures are of the build, not of the sources).
    /// </summary>
    public static RivetCli? Find(BenchContext context, List<string> notes, out int error)
    {
        error = 0;
        string root = context.RepoRoot!;
        string cliDir = Path.Combine(root, "src", "Rivet.Cli");
        string binDir = Path.Combine(cliDir, "bin", "Release", TargetFramework);
        string launcher = Path.Combine(binDir, "rivet");
        string dll = Path.Combine(binDir, "rivet.dll");
        string? dotnet = ChildProcess.FindOnPath("dotnet");
        if (dotnet == null && Environment.GetEnvironmentVariable("DOTNET_ROOT") is string dotnetRoot && File.Exists(Path.Combine(dotnetRoot, "dotnet")))
            dotnet = Path.Combine(dotnetRoot, "dotnet");
        if (dotnet == null)
        {
            context.Progress.WriteLine("error: dotnet is not on PATH (nor in DOTNET_ROOT); cannot run the rivet CLI");
            error = 2;
            return null;
        }

        if (!File.Exists(launcher) || !File.Exists(dll))
        {
            context.Progress.WriteLine($"{(File.Exists(launcher) ? dll : launcher)} is missing: running dotnet build -c Release {cliDir}");
            int code = RunTool(context.Progress, dotnet, ["build", "-c", "Release", "--nologo", "-v", "q", Path.Combine(cliDir, "Rivet.Cli.csproj")]);
            if (code != 0 || !File.Exists(launcher) || !File.Exists(dll))
            {
                context.Progress.WriteLine(code != 0
                    ? $"error: building the rivet CLI failed (exit code {code}); build it with: dotnet build -c Release {cliDir}"
                    : $"error: the build made no {launcher} (the launcher needs a C compiler, /usr/bin/cc, on Linux)");
                error = 2;
                return null;
            }
        }
        else
        {
            // The managed images only: the launcher is rebuilt when Launcher/rivet.c changes, not with them.
            DateTime built = new[] { dll, Path.Combine(binDir, "Rivet.Core.dll") }
                .Where(File.Exists).Min(File.GetLastWriteTimeUtc);
            string? newer = NewestSource(Path.Combine(root, "src"));
            if (newer != null && File.GetLastWriteTimeUtc(newer) > built)
            {
                notes.Add($"the rivet CLI build ({built.ToLocalTime():yyyy-MM-dd HH:mm}) is older than {Path.GetRelativePath(root, newer)}; the process "
                    + $"figures are of that build (rebuild: dotnet build -c Release {Path.GetRelativePath(root, cliDir)})");
            }
        }
        return new RivetCli(launcher, dotnet);
    }

    /// <summary>The most recently written .cs, .csproj or .c under src/ (bin and obj left out), or null.</summary>
    private static string? NewestSource(string src)
    {
        if (!Directory.Exists(src)) return null;
        return Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".cs", StringComparison.Ordinal) || p.EndsWith(".csproj", StringComparison.Ordinal) || p.EndsWith(".c", StringComparison.Ordinal))
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .MaxBy(File.GetLastWriteTimeUtc);
    }

    /// <summary>Runs a tool with its output on <paramref name="progress"/>; its exit code, or -1 if it could not start.</summary>
    private static int RunTool(TextWriter progress, string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        try
        {
            using Process p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { if (e.Data != null) progress.WriteLine($"  {e.Data}"); };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) progress.WriteLine($"  {e.Data}"); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            progress.WriteLine($"error: cannot run {program}: {ex.Message}");
            return -1;
        }
    }
}
