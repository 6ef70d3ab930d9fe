using System.Diagnostics;

namespace Rivet.Bench;

/// <summary>A guest program: its name (the file name without .elf) and path.</summary>
internal sealed record Guest(string Name, string Path);

/// <summary>Finds the compute guests (guests/build/bench/*.elf), building them if they are missing.</summary>
internal static class BenchGuests
{
    /// <summary>The order of guests/bench/README.md; others follow by name.</summary>
    private static readonly string[] KnownOrder = ["intloop", "crc32", "sieve", "sort", "matmul", "memory", "float", "coremarkish", "dhrystoneish"];

    /// <summary>
    /// The guests to run (after --filter), or null after printing why there are none. With no
    /// --guests and no ELFs in guests/build/bench, runs <c>make -C guests</c> first.
    /// </summary>
    public static IReadOnlyList<Guest>? Locate(BenchContext context)
    {
        BenchOptions o = context.Options;
        string dir;
        if (o.GuestsDir != null)
        {
            dir = Path.GetFullPath(o.GuestsDir);
            if (!HasElfs(dir))
            {
                context.Progress.WriteLine($"error: no *.elf in {dir} (--guests)");
                return null;
            }
        }
        else
        {
            if (context.RepoRoot == null)
            {
                context.Progress.WriteLine($"error: cannot find the repository ({RepoLocator.SolutionFile}) above {Environment.CurrentDirectory};");
                context.Progress.WriteLine("       run from the repository or give the guests with --guests DIR");
                return null;
            }
            dir = Path.Combine(context.RepoRoot, "guests", "build", "bench");
            if (!HasElfs(dir))
            {
                context.Progress.WriteLine($"no benchmark guests in {dir}: running make -C {Path.Combine(context.RepoRoot, "guests")}");
                if (!Build(context, Path.Combine(context.RepoRoot, "guests"), () => HasElfs(dir))) return null;
            }
        }

        List<Guest> all = [.. Directory.EnumerateFiles(dir, "*.elf")
            .Select(p => new Guest(Path.GetFileNameWithoutExtension(p), p))
            .OrderBy(g => Array.IndexOf(KnownOrder, g.Name) is int i and >= 0 ? i : KnownOrder.Length)
            .ThenBy(g => g.Name, StringComparer.Ordinal)];
        List<Guest> selected = [.. all.Where(g => o.Selects(g.Name))];
        if (selected.Count == 0)
        {
            context.Progress.WriteLine($"error: --filter {string.Join(",", o.Filters)} matches none of: {string.Join(", ", all.Select(g => g.Name))}");
            return null;
        }
        return selected;
    }

    private static bool HasElfs(string dir) => Directory.Exists(dir) && Directory.EnumerateFiles(dir, "*.elf").Any();

    /// <summary>
    /// Runs make -C guests, its output on the progress stream; false (with a message) if make
    /// fails or <paramref name="built"/> is still false afterwards.
    /// </summary>
    /// <summary>
    /// The never-ending lifecycle guests (busy: every hart spins; idle: every hart in wfi) in
    /// guests/build/lifecycle, built with make if missing; null if that fails (reported on progress).
    /// </summary>
    public static (string Dir, Workload Busy, Workload Idle)? LifecycleGuests(BenchContext context, string repoRoot)
    {
        string dir = Path.Combine(repoRoot, "guests", "build", "lifecycle");
        var busy = new Workload("busy", Path.Combine(dir, "spin_forever.elf"));
        var idle = new Workload("idle", Path.Combine(dir, "idle_forever.elf"));
        bool HaveGuests() => File.Exists(busy.Path) && File.Exists(idle.Path);
        if (!HaveGuests())
        {
            string source = Path.Combine(repoRoot, "guests");
            context.Progress.WriteLine($"no lifecycle guests in {dir}: running make -C {source}");
            if (!Build(context, source, HaveGuests, mentionGuestsOption: false)) return null;
        }
        return (dir, busy, idle);
    }

    public static bool Build(BenchContext context, string guestsSource, Func<bool> built, bool mentionGuestsOption = true)
    {
        TextWriter w = context.Progress;
        var psi = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(guestsSource);
        int exitCode;
        try
        {
            using Process p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { if (e.Data != null) w.WriteLine($"  {e.Data}"); };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) w.WriteLine($"  {e.Data}"); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            p.WaitForExit();
            exitCode = p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            w.WriteLine($"error: cannot run make ({ex.Message}).");
            PrintHowToBuild(w, guestsSource, mentionGuestsOption);
            return false;
        }
        if (exitCode != 0 || !built())
        {
            w.WriteLine(exitCode != 0 ? $"error: make -C {guestsSource} failed (exit code {exitCode})." : $"error: make -C {guestsSource} did not build the guests needed.");
            PrintHowToBuild(w, guestsSource, mentionGuestsOption);
            return false;
        }
        return true;
    }

    private static void PrintHowToBuild(TextWriter w, string guestsSource, bool mentionGuestsOption)
    {
        w.WriteLine($"       The guests are built with: make -C {guestsSource}");
        w.WriteLine($"       (needs riscv64-unknown-elf-gcc on PATH, or CROSS=<prefix>){(mentionGuestsOption ? ", or give --guests DIR" : "")}.");
    }
}

/// <summary>A guest a section measures, with its row label.</summary>
internal sealed record Workload(string Label, string Path);
