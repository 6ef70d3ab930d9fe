using Rivet.Lifecycle.Tests.Models;
using Rivet.Lifecycle.Tests.Support;
using Xunit.Abstractions;

namespace Rivet.Lifecycle.Tests;

/// <summary>
/// Part 2 (LIFECYCLE.md, Verification): a tester that cannot find the known hang proves nothing.
/// Each route to the hang, modelled the way QEMU does it (<see cref="QemuModel"/>), must be found
/// within a small budget by every strategy, and its schedule must replay. The same shapes against
/// Rivet's Controller and VCpu, with the same budget, must find nothing.
/// </summary>
[Collection(CoyoteCollection.Name)]
public class KnownHangTests(ITestOutputHelper output, CoyoteFigures figures)
{
    /// <summary>Schedules allowed to find a known hang (every strategy needs far fewer; see README.md).</summary>
    public const uint Budget = 100;

    /// <summary>
    /// Schedules explored for each Rivet shape and for the control, times RIVET_COYOTE_SCALE: more
    /// than the most any strategy needed to find a hang in the model (52).
    /// </summary>
    public static readonly uint ShapeBudget = 60 * Coyote.Scale;

    private static readonly Strategy[] Strategies = [Strategy.Random, Strategy.Pct, Strategy.DelayBounding, Strategy.Portfolio];

    private static readonly HangRoute[] Routes = [HangRoute.LostKick, HangRoute.ErasedPause, HangRoute.StuckCallback];

    public static TheoryData<int, Strategy> ControlCases()
    {
        var data = new TheoryData<int, Strategy>();
        foreach (int n in new[] { 1, 2, 3 })
        {
            foreach (Strategy s in Strategies) data.Add(n, s);
        }
        return data;
    }

    /// <summary>
    /// The control: the model with none of the misbehaviours must not hang, or the hangs found
    /// below could come from the model rather than from the route each one switches on.
    /// </summary>
    [Theory]
    [MemberData(nameof(ControlCases))]
    public void QemuModelWithoutMisbehaviourFindsNothing(int vcpus, Strategy strategy)
    {
        CoyoteRun run = Coyote.Run(strategy, ShapeBudget, () => new QemuModel(HangRoute.None, vcpus).Run());
        output.WriteLine($"QEMU model, no misbehaviour x{vcpus}: {run}");
        figures.Add("control", strategy, run);
        Assert.Empty(run.Uncontrolled);
        Assert.True(run.Bugs == 0, $"the model itself hangs under {strategy}: {run.Bug}\n{run.Trace}");
        Assert.Equal((int)ShapeBudget, run.Schedules);
    }

    public static TheoryData<HangRoute, int, Strategy> ModelCases()
    {
        var data = new TheoryData<HangRoute, int, Strategy>();
        foreach (HangRoute route in Routes)
        {
            foreach (int n in new[] { 2, 3 })
            {
                foreach (Strategy s in Strategies) data.Add(route, n, s);
            }
        }
        return data;
    }

    public static TheoryData<HangRoute, Strategy> ShapeCases()
    {
        var data = new TheoryData<HangRoute, Strategy>();
        foreach (HangRoute route in Routes)
        {
            foreach (Strategy s in Strategies) data.Add(route, s);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void QemuModelHangIsFoundAndReplays(HangRoute route, int vcpus, Strategy strategy)
    {
        void Test() => new QemuModel(route, vcpus).Run();
        CoyoteRun found = Coyote.Run(strategy, Budget, Test);
        output.WriteLine($"QEMU model, {route} x{vcpus}: {found}");
        figures.Add("model", strategy, found);
        Assert.Empty(found.Uncontrolled);
        Assert.True(found.Bugs > 0, $"{strategy} did not find the {route} hang in {Budget} schedules");
        Assert.Contains("Deadlock", found.Bug, StringComparison.OrdinalIgnoreCase);
        figures.Note($"model {route,-13} x{vcpus} {strategy,-13} found after {found.Schedules,3} schedule(s)");

        CoyoteRun replay = Coyote.Replay(found, Test);
        output.WriteLine($"  replay: {replay}");
        Assert.Equal(1, replay.Bugs);
        Assert.Equal(found.Bug, replay.Bug);
    }

    /// <summary>The shape of each route against Rivet, 2 and 3 vCPUs, with the budget that finds the hang in the model.</summary>
    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void RivetShapeFindsNothing(HangRoute route, Strategy strategy)
    {
        string scenario = route switch
        {
            // SIGTERM while the vCPUs enter idle with a slow idle callback: the shutdown pauses them all.
            HangRoute.LostKick => nameof(Scenarios.ExitWhileEnteringIdle),
            // A resume from another thread while a pause is in progress.
            HangRoute.ErasedPause => nameof(Scenarios.PauseRacesResume),
            // A vCPU's callback asks the pauser for a pause, a reset and an exclusive section during a pause.
            _ => nameof(Scenarios.CallbackRequestsDuringPause),
        };
        foreach (int n in new[] { 2, 3 })
        {
            CoyoteRun run = Coyote.Run(strategy, ShapeBudget, () => Scenarios.All[scenario](n));
            output.WriteLine($"Rivet, {route} shape ({scenario}) x{n}: {run}");
            figures.Add("shape", strategy, run);
            Assert.Empty(run.Uncontrolled);
            Assert.True(run.Bugs == 0, $"{scenario} x{n} under {strategy}: {run.Bug}\n{run.Trace}");
            Assert.Equal((int)ShapeBudget, run.Schedules);
        }
    }
}
