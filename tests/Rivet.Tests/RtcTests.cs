using System.Text.RegularExpressions;
using Rivet.Board;
using Rivet.Devices;

namespace Rivet.Tests;

/// <summary>
/// The goldfish RTC: guests/devices/rtc.c (time of day, alarm through PLIC source 11, checked
/// on QEMU 7.2 with and without -rtc base=DATE) and the register rules QEMU's model has.
/// </summary>
public sealed partial class RtcTests
{
    [GeneratedRegex(@"^time=(\d+)\nrtc ok\n$")]
    private static partial Regex Output();

    private static long GuestSeconds(Func<MachineConfig, MachineConfig>? tweak = null)
    {
        GuestRun run = GuestRun.Of(Repo.Guest("build/devices/rtc.elf"), 1, tweak);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Output}{run.Diagnostics}");
        Match m = Output().Match(run.Output);
        Assert.True(m.Success, run.Output);
        return long.Parse(m.Groups[1].Value);
    }

    [Fact]
    public void GuestReadsTheHostTimeOfDayAndItsAlarmInterrupts()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long t = GuestSeconds();
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(t, before - 1, after);
    }

    [Fact]
    public void RtcBaseDateSetsTheStart()
    {
        // As QEMU 7.2 printed it for -rtc base=2006-06-17T16:01:21.
        long t = GuestSeconds(c => c with { RtcStart = new DateTime(2006, 6, 17, 16, 1, 21, DateTimeKind.Utc) });
        Assert.InRange(t, 1150560081, 1150560081 + 30);
    }

    [Fact]
    public void TimeLowLatchesTimeHighAndWritesMoveTheClock()
    {
        using var rtc = new GoldfishRtc(GoldfishRtc.DefaultBase, new DateTime(2040, 1, 1, 0, 0, 0, DateTimeKind.Utc), null);
        Assert.True(rtc.Read(0x04, 4, out ulong stale));
        Assert.Equal(0UL, stale); // nothing latched yet
        Assert.True(rtc.Read(0x00, 4, out ulong lo));
        Assert.True(rtc.Read(0x04, 4, out ulong hi));
        ulong ns = hi << 32 | lo;
        ulong start = (ulong)(new DateTime(2040, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds * 1_000_000_000;
        Assert.InRange(ns, start, start + 60_000_000_000UL);
        Assert.True(rtc.Write(0x04, 4, 0)); // TIME_HIGH = 0
        Assert.True(rtc.Read(0x00, 4, out _));
        Assert.True(rtc.Read(0x04, 4, out ulong hi2));
        Assert.Equal(0UL, hi2);
        Assert.False(rtc.Read(0x00, 8, out _)); // 4-byte accesses only, as QEMU's
        Assert.False(rtc.Write(0x00, 1, 0));
    }

    [Fact]
    public void VirtualClockStandsStillWhilePaused()
    {
        var clock = new VirtualClock();
        clock.Freeze();
        using var rtc = new GoldfishRtc(GoldfishRtc.DefaultBase, DateTime.UnixEpoch.AddSeconds(100), clock);
        Assert.True(rtc.Read(0x00, 4, out ulong a));
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp(); // host time passes; the frozen virtual clock must not
        while (System.Diagnostics.Stopwatch.GetElapsedTime(t0) < TimeSpan.FromMilliseconds(2)) Thread.SpinWait(100);
        Assert.True(rtc.Read(0x00, 4, out ulong b));
        Assert.Equal(a, b);
    }
}
