namespace Rivet.Tests;

/// <summary>guests/devices/plic_smp.c: PLIC S contexts and claim/complete across two harts (passes on QEMU 7.2 too).</summary>
public sealed class PlicGuestTests
{
    [Fact]
    public void SupervisorContextsClaimAndCompleteAcrossHarts()
    {
        GuestRun run = GuestRun.Of(Repo.Guest("build/devices/plic_smp.elf"), 2);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Output}{run.Diagnostics}");
        Assert.Equal("plic smp ok\n", run.Output);
    }
}
