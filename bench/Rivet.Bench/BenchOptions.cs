using System.Globalization;
using Rivet.Cpu;

namespace Rivet.Bench;

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The options shared by every section.</summary>
internal sealed record BenchOptions
{
    public const int DefaultRuns = 3;

    /// <summary>Timed runs per measurement; the best (fastest) one is reported.</summary>
    public int Runs { get; init; } = DefaultRuns;

    /// <summary>One untimed run first, so the JIT has compiled (and tiered up) the hot paths.</summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>--quick: fewer runs and iterations everywhere (each section decides how many).</summary>
    public bool Quick { get; init; }

    public bool NoQemu { get; init; }

    /// <summary>--engine: the execution engines mips measures (both by default, translator first); plugins takes the first.</summary>
    public IReadOnlyList<ExecutionEngine> Engines { get; init; } = [ExecutionEngine.Translator, ExecutionEngine.Interpreter];

    /// <summary>Guest-name filters (case-insensitive substrings); empty means every guest.</summary>
    public IReadOnlyList<string> Filters { get; init; } = [];

    /// <summary>--guests DIR: where the benchmark ELFs are; null means guests/build/bench in the repository.</summary>
    public string? GuestsDir { get; init; }

    /// <summary>Sections to run; empty means all of them.</summary>
    public IReadOnlyList<string> Sections { get; init; } = [];

    /// <summary>--cases N: fpdiff's generated cases per operation and width; null means the section's default.</summary>
    public long? Cases { get; init; }

    /// <summary>--seed N: fpdiff's generator seed.</summary>
    public ulong Seed { get; init; } = 20261205;

    public bool ShowHelp { get; init; }
    public bool ListSections { get; init; }

    public static string HelpText(IEnumerable<IBenchSection> sections) => $"""
        usage: dotnet run -c Release --project bench/Rivet.Bench -- [options]
        Rivet's benchmark program: runs the benchmark guests and prints the figures.

        --section NAME   run only this section (repeatable, or comma-separated); default: all
        --list           list the sections and exit
        --runs N         mips: timed runs per measurement, best one reported (default {DefaultRuns})
        --quick          one run, no warm-up (--runs N still sets the number of runs);
                         lifecycle: fewer iterations and runs, shorter idle window;
                         startstop: 10 start runs and 3 signal/quit runs per row
        --no-qemu        do not run QEMU for comparison (mips, lifecycle, qmp, startstop)
        --engine E       mips, plugins: translator, interpreter or both (default both: mips measures
                         each, plugins the translator)
        --filter NAME    mips: only guests whose name contains NAME (repeatable, or comma-separated);
                         fpdiff: only operations whose name contains NAME (+nx: the hardfloat runs)
        --guests DIR     mips: folder with the benchmark guests (default: guests/build/bench)
        --cases N        fpdiff: generated cases per operation and width (default 10000000; --quick 200000)
        --seed N         fpdiff: the case generator's seed (default 20261205)
        --help, -h       print this help and exit

        sections:
        {string.Join(Environment.NewLine, sections.Select(s => $"  {s.Name,-10} {s.Title}"))}

        Exit code: 0 when every run succeeded (targets met or not), 1 when a guest failed,
        2 for a usage error or missing guests.
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        bool quick = false;
        int? runs = null;
        List<string> filters = [], sections = [];
        for (int i = 0; i < args.Count; i++)
        {
            string opt = args[i];
            string Value()
            {
                if (i + 1 >= args.Count) throw new UsageException($"{opt}: requires an argument");
                return args[++i];
            }
            switch (opt)
            {
                case "-h" or "--help": o = o with { ShowHelp = true }; break;
                case "--list": o = o with { ListSections = true }; break;
                case "--quick": quick = true; break;
                case "--no-qemu": o = o with { NoQemu = true }; break;
                case "--runs":
                    {
                        string v = Value();
                        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1000)
                            throw new UsageException($"--runs {v}: expected a number from 1 to 1000");
                        runs = n;
                        break;
                    }
                case "--engine":
                    {
                        string v = Value();
                        o = o with
                        {
                            Engines = v == "both"
                                ? [ExecutionEngine.Translator, ExecutionEngine.Interpreter]
                                : ExecutionEngines.Parse(v) is ExecutionEngine e ? [e]
                                : throw new UsageException($"--engine {v}: expected translator, interpreter or both"),
                        };
                        break;
                    }
                case "--filter": filters.AddRange(SplitList(Value())); break;
                case "--section": sections.AddRange(SplitList(Value())); break;
                case "--guests": o = o with { GuestsDir = Value() }; break;
                case "--cases":
                    {
                        string v = Value();
                        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < 1)
                            throw new UsageException($"--cases {v}: expected a positive number");
                        o = o with { Cases = n };
                        break;
                    }
                case "--seed":
                    {
                        string v = Value();
                        if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
                            throw new UsageException($"--seed {v}: expected a number");
                        o = o with { Seed = n };
                        break;
                    }
                default: throw new UsageException($"{opt}: unknown option");
            }
        }
        return o with
        {
            Runs = runs ?? (quick ? 1 : DefaultRuns),
            WarmUp = !quick,
            Quick = quick,
            Filters = filters,
            Sections = sections,
        };
    }

    private static IEnumerable<string> SplitList(string v)
        => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True if the guest (or fpdiff's operation) passes the --filter options.</summary>
    public bool Selects(string guestName)
        => Filters.Count == 0 || Filters.Any(f => guestName.Contains(f, StringComparison.OrdinalIgnoreCase));
}
