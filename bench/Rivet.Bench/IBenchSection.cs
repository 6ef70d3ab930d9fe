namespace Rivet.Bench;

/// <summary>One kind of measurement, selected with --section NAME.</summary>
internal interface IBenchSection
{
    /// <summary>The short name for --section (lower case, no spaces).</summary>
    string Name { get; }

    /// <summary>The heading printed above the section's output.</summary>
    string Title { get; }

    /// <summary>Runs the section and prints its figures; returns 0, or non-zero if a run failed.</summary>
    int Run(BenchContext context);
}

/// <summary>What every section gets: the options, where the repository is, where to print.</summary>
/// <param name="RepoRoot">The folder holding Rivet.slnx, or null if it was not found.</param>
/// <param name="Out">The figures (standard output).</param>
/// <param name="Progress">Progress and warnings (standard error), so the figures stay clean.</param>
internal sealed record BenchContext(BenchOptions Options, string? RepoRoot, TextWriter Out, TextWriter Progress);
