using System.Collections.Concurrent;

namespace Rivet.Lifecycle.Tests.Support;

/// <summary>All Coyote tests run in one collection, one at a time (the engine is not made for parallel runs).</summary>
[CollectionDefinition(Name)]
public sealed class CoyoteCollection : ICollectionFixture<CoyoteFigures>
{
    public const string Name = "Coyote";
}

/// <summary>
/// Adds up the schedules explored per strategy over the whole run and writes the table to
/// coyote-figures.txt in the output folder when the collection ends (README.md quotes it).
/// </summary>
public sealed class CoyoteFigures : IDisposable
{
    private readonly ConcurrentQueue<(string Group, CoyoteRun Run)> _runs = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly DateTime _started = DateTime.UtcNow;

    public void Add(string group, Strategy strategy, CoyoteRun run) => _runs.Enqueue((group, run));

    public void Note(string line) => _lines.Enqueue(line);

    public void Dispose()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"Coyote figures, {DateTime.UtcNow:u}, seed {Coyote.Seed}, wall {(DateTime.UtcNow - _started).TotalSeconds:F1} s");
        foreach (var g in _runs.GroupBy(r => (r.Group, r.Run.Strategy)).OrderBy(g => g.Key.Group).ThenBy(g => g.Key.Strategy))
        {
            sb.AppendLine($"{g.Key.Group,-10} {g.Key.Strategy,-13} runs {g.Count(),4}  schedules {g.Sum(x => x.Run.Schedules),7}  "
                + $"bugs {g.Sum(x => x.Run.Bugs),3}  time {g.Sum(x => x.Run.Elapsed.TotalSeconds),7:F1} s");
        }
        foreach (string line in _lines) sb.AppendLine(line);
        try
        {
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "coyote-figures.txt"), sb.ToString());
        }
        catch (IOException)
        {
            // Figures are informative only.
        }
    }
}
