using Rivet.Cpu;
using Rivet.Devices;
using Rivet.Memory;

namespace Rivet.Tests;

public sealed class DeviceTests
{
    private sealed class RecordingRequests : IMachineRequests
    {
        public readonly List<string> Log = [];
        public void RequestShutdown(ShutdownCause cause, int exitCode) => Log.Add($"shutdown {cause} {exitCode}");
        public void RequestReset(ShutdownCause cause) => Log.Add($"reset {cause}");
    }

    private static (Hart[] Harts, VirtualClock Clock, PhysicalMemory Mem) Harts(int n)
    {
        var clock = new VirtualClock();
        var mem = new PhysicalMemory(0x80000000, 1 << 20, []);
        var harts = Enumerable.Range(0, n).Select(i => new Hart(i, mem, clock)).ToArray();
        foreach (Hart h in harts) h.Reset();
        return (harts, clock, mem);
    }

    [Fact]
    public void FinisherPostsRequestsWithCodes()
    {
        var req = new RecordingRequests();
        var t = new SifiveTest(SifiveTest.DefaultBase, req);
        Assert.True(t.Write(0, 4, 0x5555));
        Assert.True(t.Write(0, 4, (42 << 16) | 0x3333));
        Assert.True(t.Write(0, 4, 0x7777));
        Assert.True(t.Write(0, 4, 0x1234)); // ignored, as QEMU
        Assert.Equal(["shutdown GuestShutdown 0", "shutdown GuestPanic 42", "reset GuestReset"], req.Log);
    }

    [Fact]
    public void ClintMsipRaisesAndClearsSoftwareInterrupt()
    {
        var (harts, clock, _) = Harts(2);
        var clint = new Clint(Clint.DefaultBase, harts, clock);
        Assert.True(clint.Write(4, 4, 1));
        Assert.Equal(1UL << Cause.MachineSoftware, harts[1].Mip & (1UL << Cause.MachineSoftware));
        Assert.Equal(0UL, harts[0].Mip);
        Assert.True(clint.Read(4, 4, out ulong v));
        Assert.Equal(1UL, v);
        Assert.True(clint.Write(4, 4, 0));
        Assert.Equal(0UL, harts[1].Mip);
        Assert.False(clint.Write(5, 1, 1)); // msip is a 32-bit register
    }

    [Fact]
    public void ClintTimerCompareDrivesMtip()
    {
        var (harts, clock, _) = Harts(1);
        var clint = new Clint(Clint.DefaultBase, harts, clock);
        Assert.True(clint.Write(0x4000, 8, 0)); // due at once
        Assert.NotEqual(0UL, harts[0].Mip & (1UL << Cause.MachineTimer));
        Assert.True(clint.Write(0x4000, 8, ulong.MaxValue));
        Assert.Equal(0UL, harts[0].Mip & (1UL << Cause.MachineTimer));
        Assert.True(clint.Write(0x4004, 4, 0)); // high half only: 0x00000000_FFFFFFFF
        Assert.True(clint.Read(0x4000, 8, out ulong cmp));
        Assert.Equal(0xFFFF_FFFFUL, cmp);
    }

    [Fact]
    public void FrozenClockStandsStill()
    {
        var clock = new VirtualClock();
        clock.SetMtime(1000);
        clock.Freeze();
        ulong a = clock.Mtime;
        Thread.Yield();
        Assert.Equal(a, clock.Mtime);
        Assert.Equal(long.MaxValue, clock.HostTimestampAt(a + 1));
        clock.Thaw();
        Assert.True(clock.Mtime >= a);
    }

    /// <summary>The 64-bit conversions between host ticks and mtime equal the exact 128-bit ones.</summary>
    [Fact]
    public void ClockConversionsAreExact()
    {
        ulong host = (ulong)System.Diagnostics.Stopwatch.Frequency;
        var rng = new Random(7);
        var ticks = new List<long> { 0, 1, 99, 100, 101, (long)host - 1, (long)host, (long)host + 1, long.MaxValue / 4, long.MaxValue };
        for (int i = 0; i < 10_000; i++) ticks.Add(rng.NextInt64(0, long.MaxValue) >> rng.Next(0, 62));
        foreach (long t in ticks)
        {
            Assert.Equal((ulong)((UInt128)(ulong)t * VirtualClock.Frequency / host), VirtualClock.ToMtime(t));
        }
        Assert.Equal(0UL, VirtualClock.ToMtime(-5));

        const long limit = long.MaxValue / 2;
        var mtimes = new List<ulong> { 0, 1, 9_999_999, 10_000_000, 10_000_001, ulong.MaxValue - 1, ulong.MaxValue };
        for (int i = 0; i < 10_000; i++) mtimes.Add((ulong)rng.NextInt64() >> rng.Next(0, 63));
        foreach (ulong m in mtimes)
        {
            UInt128 exact = (UInt128)m * host / VirtualClock.Frequency;
            Assert.Equal(exact > limit ? limit : (long)exact, VirtualClock.ToHostTicks(m));
        }
    }

    [Fact]
    public void UartTransmitsAndReportsLineStatus()
    {
        var console = HostConsole.InMemory(out MemoryStream sink);
        var uart = new Uart16550(Uart16550.DefaultBase, console);
        Assert.True(uart.Read(5, 1, out ulong lsr));
        Assert.Equal(0x60UL, lsr & 0x61); // THRE | TEMT, no data ready
        foreach (char c in "hi\n") uart.Write(0, 1, c);
        Assert.Equal("hi\n", HostConsole.Text(sink));
        console.EnqueueInput("x"u8);
        Assert.True(uart.Read(5, 1, out lsr));
        Assert.Equal(1UL, lsr & 1);
        Assert.True(uart.Read(0, 1, out ulong rx));
        Assert.Equal((ulong)'x', rx);
        Assert.True(uart.Read(5, 1, out lsr));
        Assert.Equal(0UL, lsr & 1);
    }

    [Fact]
    public void UartInterruptReachesHartThroughPlic()
    {
        var (harts, _, _) = Harts(1);
        var plic = new Plic(Plic.DefaultBase, harts);
        var console = HostConsole.InMemory(out _);
        var uart = new Uart16550(Uart16550.DefaultBase, console) { Irq = level => plic.SetLevel(10, level) };
        plic.Write(10 * 4, 4, 1);            // priority of source 10
        plic.Write(0x2000, 4, 1u << 10);     // enable for context 0 (hart 0, M)
        uart.Write(1, 1, 1);                 // IER: receive data available
        Assert.Equal(0UL, harts[0].Mip & (1UL << Cause.MachineExternal));
        console.EnqueueInput("k"u8);
        uart.OnInput();
        Assert.NotEqual(0UL, harts[0].Mip & (1UL << Cause.MachineExternal));
        Assert.True(plic.Read(0x200004, 4, out ulong claim));
        Assert.Equal(10UL, claim);
        uart.Read(0, 1, out _);              // drain: line drops
        plic.Write(0x200004, 4, 10);         // complete
        Assert.Equal(0UL, harts[0].Mip & (1UL << Cause.MachineExternal));
    }

    /// <summary>QEMU's serial.c: IIR reports the highest-priority cause, and a read clears THRI only when it is the one reported.</summary>
    [Fact]
    public void UartIirPrioritiesAndThreInterruptAsQemu()
    {
        var console = HostConsole.InMemory(out _);
        var uart = new Uart16550(Uart16550.DefaultBase, console);
        var levels = new List<bool>();
        uart.Irq = levels.Add;
        uart.Write(1, 1, 0x02);              // IER.THRI on an idle transmitter: interrupts at once
        Assert.True(levels[^1]);
        console.EnqueueInput("a"u8);
        uart.Write(1, 1, 0x03);              // RDI too; THRI unchanged, so still pending
        Assert.True(uart.Read(2, 1, out ulong iir));
        Assert.Equal(0x04UL, iir);           // received data first
        Assert.True(uart.Read(0, 1, out _));
        Assert.True(uart.Read(2, 1, out iir));
        Assert.Equal(0x02UL, iir);           // the THR interrupt survived the first IIR read
        Assert.True(uart.Read(2, 1, out iir));
        Assert.Equal(0x01UL, iir);           // and that read cleared it
        Assert.False(levels[^1]);
        uart.Write(1, 1, 0x03);              // rewriting IER without a THRI change does not re-arm it
        Assert.True(uart.Read(2, 1, out iir));
        Assert.Equal(0x01UL, iir);
        uart.Write(1, 1, 0x01);
        uart.Write(1, 1, 0x03);              // a THRI change does
        Assert.True(uart.Read(2, 1, out iir));
        Assert.Equal(0x02UL, iir);
    }

    /// <summary>PLIC contexts 2h (M) and 2h+1 (S) per hart: claim/complete across harts, thresholds, priorities.</summary>
    [Fact]
    public void PlicSupervisorContextsAcrossHarts()
    {
        var (harts, _, _) = Harts(2);
        var plic = new Plic(Plic.DefaultBase, harts);
        const ulong Seip = 1UL << Cause.SupervisorExternal, Meip = 1UL << Cause.MachineExternal;
        plic.Write(5 * 4, 4, 2);
        plic.Write(7 * 4, 4, 3);
        plic.Write(0x2000 + 3 * 0x80, 4, 1u << 5 | 1u << 7); // context 3: hart 1, S
        plic.Write(0x2000 + 1 * 0x80, 4, 1u << 5);           // context 1: hart 0, S
        plic.SetLevel(5, true);
        Assert.Equal(Seip, harts[1].Mip & (Seip | Meip));
        Assert.Equal(Seip, harts[0].Mip & (Seip | Meip));
        Assert.True(plic.Read(0x1000, 4, out ulong pending));
        Assert.Equal(1UL << 5, pending);
        plic.SetLevel(7, true);
        Assert.True(plic.Read(0x200000 + 3 * 0x1000 + 4, 4, out ulong claim));
        Assert.Equal(7UL, claim);                            // the higher priority first
        Assert.True(plic.Read(0x200000 + 1 * 0x1000 + 4, 4, out claim));
        Assert.Equal(5UL, claim);                            // hart 0 takes 5
        Assert.Equal(0UL, harts[0].Mip & Seip);              // claimed: no longer pending anywhere
        Assert.True(plic.Read(0x200000 + 3 * 0x1000 + 4, 4, out claim));
        Assert.Equal(0UL, claim);                            // so hart 1 gets nothing more
        Assert.Equal(0UL, harts[1].Mip & Seip);
        plic.Write(0x200000 + 1 * 0x1000 + 4, 4, 5);         // complete with the line still high: pending again
        Assert.Equal(Seip, harts[1].Mip & Seip);
        plic.Write(0x200000 + 3 * 0x1000, 4, 2);             // hart 1's S threshold 2 masks priority 2
        Assert.Equal(0UL, harts[1].Mip & Seip);
        Assert.Equal(Seip, harts[0].Mip & Seip);
        Assert.Equal(0UL, (harts[0].Mip | harts[1].Mip) & Meip); // no M context enabled
    }

    [Fact]
    public void MemoryOutsideRamAndDevicesIsNotMapped()
    {
        var mem = new PhysicalMemory(0x80000000, 1 << 20, []);
        Assert.False(mem.IsRam(0x7FFFFFFF, 1));
        Assert.False(mem.IsRam(0x800FFFFF, 2));
        Assert.True(mem.IsRam(0x800FFFFE, 2));
        Assert.Null(mem.FindDevice(0x1000, 4));
        mem.Dispose();
    }
}
