using System.Diagnostics;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.SystematicTesting;
using Rivet.Machine;

namespace Rivet.Lifecycle.Tests.Support;

/// <summary>The exploration strategies every scenario runs under.</summary>
public enum Strategy
{
    /// <summary>Uniformly random choice at every scheduling point.</summary>
    Random,
    /// <summary>PCT: random priorities with up to 10 priority changes per schedule.</summary>
    Pct,
    /// <summary>Delay bounding: a deterministic round-robin with up to 10 random delays per schedule.</summary>
    DelayBounding,
    /// <summary>Coyote's default: a tuned portfolio of strategies (fair).</summary>
    Portfolio,
}

/// <summary>The result of one engine run, with what is needed to replay its bug.</summary>
public sealed record CoyoteRun(
    Strategy Strategy, uint Budget, int Schedules, int Bugs, string? Bug, string? Trace,
    IReadOnlyCollection<string> Uncontrolled, TimeSpan Elapsed)
{
    public override string ToString()
        => $"{Strategy,-13} schedules {Schedules,5} of {Budget,5}, bugs {Bugs}, {Elapsed.TotalMilliseconds,7:F0} ms"
            + (Bug == null ? "" : $": {Bug}");
}

/// <summary>Runs a test method under Coyote's systematic scheduler, in-process.</summary>
public static class Coyote
{
    /// <summary>Fixed so that the figures in README.md reproduce.</summary>
    public const uint Seed = 20251127;

    static Coyote()
    {
        Environment.SetEnvironmentVariable("COYOTE_CLI_TELEMETRY_OPTOUT", "1");
        // Control-path waits untimed (a lost wake-up is a deadlock), timer waits yield, threads unnamed.
        HostSync.Systematic = true;
    }

    /// <summary>
    /// Multiplies the schedule budgets of the "finds nothing" runs: RIVET_COYOTE_SCALE=10 for a
    /// deeper search than CI's (default 1).
    /// </summary>
    public static uint Scale { get; } =
        uint.TryParse(Environment.GetEnvironmentVariable("RIVET_COYOTE_SCALE"), out uint s) && s > 0 ? s : 1;

    /// <summary>Makes sure the static setup ran (HostSync.Systematic) before any lifecycle object exists.</summary>
    public static void EnsureSystematic() => HostSync.Systematic = true;

    public static Configuration Configure(Strategy strategy, uint iterations, uint maxSteps = 20_000)
    {
        Configuration c = Configuration.Create()
            .WithTestingIterations(iterations)
            .WithMaxSchedulingSteps(maxSteps)
            .WithRandomGeneratorSeed(Seed)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            .WithVerbosityEnabled(VerbosityLevel.None)
            // Everything the lifecycle uses must be under Coyote's control: anything else is a bug here.
            .WithPartiallyControlledConcurrencyAllowed(false);
        return strategy switch
        {
            Strategy.Random => c.WithRandomStrategy(),
            Strategy.Pct => c.WithPrioritizationStrategy(false, 10),
            Strategy.DelayBounding => c.WithDelayBoundingStrategy(false, 10),
            _ => c, // no strategy set: the default, a tuned (fair) portfolio
        };
    }

    public static CoyoteRun Run(Strategy strategy, uint iterations, Action test, uint maxSteps = 20_000)
        => Run(strategy, Configure(strategy, iterations, maxSteps), test);

    public static CoyoteRun Run(Strategy strategy, Configuration configuration, Action test)
    {
        EnsureSystematic();
        var sw = Stopwatch.StartNew();
        using TestingEngine engine = TestingEngine.Create(configuration, test);
        engine.SetLogger(new TextWriterLogger(TextWriter.Null, VerbosityLevel.None));
        engine.Run();
        sw.Stop();
        TestReport report = engine.TestReport;
        int schedules = report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths;
        string? bug = report.BugReports.FirstOrDefault();
        string? trace = report.NumOfFoundBugs > 0 ? engine.ReproducibleTrace : null;
        return new CoyoteRun(strategy, configuration.TestingIterations, schedules, report.NumOfFoundBugs, bug, trace,
            report.UncontrolledInvocations.ToArray(), sw.Elapsed);
    }

    /// <summary>Replays a reproducible trace; returns the bug it reproduces, or null.</summary>
    public static CoyoteRun Replay(CoyoteRun found, Action test)
    {
        Configuration c = Configure(found.Strategy, 1).WithReproducibleTrace(found.Trace!);
        return Run(found.Strategy, c, test);
    }
}
