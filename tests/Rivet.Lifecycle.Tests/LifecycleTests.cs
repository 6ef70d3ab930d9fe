using Rivet.Lifecycle.Tests.Support;
using Xunit.Abstractions;

namespace Rivet.Lifecycle.Tests;

/// <summary>Part 1: the real Controller and VCpu under Coyote, every scenario × 1–3 vCPUs × strategy.</summary>
[Collection(CoyoteCollection.Name)]
public class LifecycleTests(ITestOutputHelper output, CoyoteFigures figures)
{
    /// <summary>Schedules per (scenario, vCPU count, strategy), times RIVET_COYOTE_SCALE.</summary>
    public static readonly uint Budget = 20 * Coyote.Scale;

    public static TheoryData<string, int, Strategy> Cases()
    {
        var data = new TheoryData<string, int, Strategy>();
        foreach (string scenario in Scenarios.All.Keys)
        {
            for (int n = 1; n <= 3; n++)
            {
                foreach (Strategy s in new[] { Strategy.Random, Strategy.Pct, Strategy.DelayBounding, Strategy.Portfolio })
                {
                    data.Add(scenario, n, s);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FindsNothing(string scenario, int vcpus, Strategy strategy)
    {
        Action<int> body = Scenarios.All[scenario];
        CoyoteRun run = Coyote.Run(strategy, Budget, () => body(vcpus));
        output.WriteLine($"{scenario} x{vcpus}: {run}");
        figures.Add("lifecycle", strategy, run);
        Assert.Empty(run.Uncontrolled);
        Assert.True(run.Bugs == 0, $"{scenario} with {vcpus} vCPU(s) under {strategy}: {run.Bug}\n{run.Trace}");
        Assert.Equal((int)Budget, run.Schedules);
    }
}
