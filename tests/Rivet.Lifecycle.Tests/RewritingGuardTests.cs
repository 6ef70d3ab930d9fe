using Microsoft.Coyote.Rewriting;
using Rivet.Machine;

namespace Rivet.Lifecycle.Tests;

/// <summary>
/// Coyote controls only rewritten code. If the build's rewrite step (the CoyoteRewrite target in
/// the .csproj) was skipped, every systematic test would silently explore nothing: fail instead.
/// </summary>
public class RewritingGuardTests
{
    [Fact]
    public void CoreAssemblyUnderTestIsRewritten()
        => Assert.True(RewritingEngine.IsAssemblyRewritten(typeof(Controller).Assembly),
            $"{typeof(Controller).Assembly.Location} is not rewritten by Coyote: the CoyoteRewrite build step did not run");

    [Fact]
    public void TestAssemblyIsRewritten()
        => Assert.True(RewritingEngine.IsAssemblyRewritten(typeof(RewritingGuardTests).Assembly),
            $"{typeof(RewritingGuardTests).Assembly.Location} is not rewritten by Coyote: the CoyoteRewrite build step did not run");

    [Fact]
    public void TheRewrittenCoreIsThisProjectsCopy()
    {
        // The shipped library (src/Rivet.Core/bin) must stay untouched: only the copy next to the tests is rewritten.
        string here = Path.GetDirectoryName(typeof(RewritingGuardTests).Assembly.Location)!;
        Assert.Equal(here, Path.GetDirectoryName(typeof(Controller).Assembly.Location));
    }
}
