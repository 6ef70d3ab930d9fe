using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>The public Machine API on real guests: pause, resume, reset, shutdown and exit codes.</summary>
public sealed class MachineTests
{
    // An endless loop: the guest never exits by itself.
    private static readonly byte[] Spin = [0x6F, 0x00, 0x00, 0x00];

    private static Machine.Machine Build(byte[] program, int harts, out List<MachineEvent> events, LifecycleOptions? lifecycle = null)
    {
        var config = new MachineConfig
        {
            Harts = harts,
            KernelImage = TinyElf.Build(0x80000000, program),
            Lifecycle = lifecycle ?? new LifecycleOptions(),
        };
        var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        var log = new List<MachineEvent>();
        m.Event += e =>
        {
            lock (log) log.Add(e);
        };
        events = log;
        return m;
    }

    [Fact]
    public void PauseStopsEveryVCpuAndResumeRunsThemAgain()
    {
        using var m = Build(Spin, 4, out var events);
        m.Start();
        Assert.True(m.Resume()); // idempotent: already running after start
        Assert.Equal(RunState.Running, m.RunState);
        Assert.True(m.Pause());
        Assert.Equal(RunState.Paused, m.RunState);
        Assert.All(m.VCpus, v => Assert.Equal(VCpuState.Stopped, v.State));
        Assert.True(m.Board.Clock.IsFrozen); // guest time stands still while paused
        ulong frozen = m.InstructionsRetired;
        Assert.True(m.Pause()); // idempotent
        Assert.Equal(frozen, m.InstructionsRetired);
        Assert.True(m.Resume());
        Assert.Equal(RunState.Running, m.RunState);
        Assert.False(m.Board.Clock.IsFrozen);
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (events)
        {
            Assert.Equal(["RESUME", "STOP", "RESUME", "SHUTDOWN"], events.Select(e => e.Name));
            Assert.Equal(ShutdownCause.HostSignal, events[^1].Reason);
            Assert.False(events[^1].Guest);
        }
        Assert.All(m.VCpus, v => Assert.Equal(VCpuState.Exited, v.State));
    }

    [Fact]
    public void AShutdownRequestStopsTheVCpusWithoutWaitingForTheMainLoop()
    {
        using var m = Build(Spin, 4, out _);
        bool All(VCpuState state) => m.VCpus.All(v => v.State == state);
        using var mainLoopHeld = new ManualResetEvent(false);
        using var release = new ManualResetEvent(false);
        m.Event += e =>
        {
            if (e.Name != "RESUME") return;
            mainLoopHeld.Set();
            release.WaitOne(GuestRun.HangLimit); // the main loop is busy elsewhere
        };
        m.Start();
        Assert.True(mainLoopHeld.WaitOne(GuestRun.HangLimit));
        Assert.True(SpinWait.SpinUntil(() => All(VCpuState.Running), GuestRun.HangLimit));
        // Stopped by the request alone: the main loop is still inside the listener.
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.True(SpinWait.SpinUntil(() => All(VCpuState.Stopped), GuestRun.HangLimit));
        Assert.Equal(RunState.Running, m.RunState); // the run state is still the main loop's to change
        release.Set();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        Assert.All(m.VCpus, v => Assert.Equal(VCpuState.Exited, v.State));
    }

    [Fact]
    public void ExclusiveSectionRunsWithEveryVCpuStoppedThenResumes()
    {
        using var m = Build(Spin, 4, out _);
        m.Start();
        VCpuState[]? seen = null;
        Assert.True(m.Controller.RunExclusive(() => seen = m.Controller.VCpus.Select(v => v.State).ToArray()));
        Assert.NotNull(seen);
        Assert.All(seen, s => Assert.Equal(VCpuState.Stopped, s));
        Assert.Equal(RunState.Running, m.RunState);
        ulong before = m.InstructionsRetired;
        // Running again: the harts retire instructions (a real event, observed with a deadline).
        var deadline = DateTime.UtcNow + GuestRun.HangLimit;
        while (m.InstructionsRetired == before && DateTime.UtcNow < deadline) Thread.Yield();
        Assert.NotEqual(before, m.InstructionsRetired);
        m.RequestShutdown();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public void StartPausedWaitsInPrelaunch()
    {
        var config = new MachineConfig { Harts = 2, KernelImage = TinyElf.Build(0x80000000, TinyElf.PassProgram), StartPaused = true };
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        m.Start();
        Assert.Equal(RunState.Prelaunch, m.RunState);
        Assert.Null(m.WaitForExit(TimeSpan.FromMilliseconds(50))); // nothing runs in prelaunch
        Assert.Equal(0UL, m.InstructionsRetired);
        Assert.True(m.Resume());
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public void ResetRestartsHartsAtTheResetVector()
    {
        using var m = Build(Spin, 2, out var events);
        m.Start();
        Assert.True(m.Pause());
        Assert.True(m.Reset());
        Assert.Equal(RunState.Paused, m.RunState);
        Assert.All(m.VCpus, v => Assert.Equal(0x1000UL, v.ProgramCounter)); // the reset ROM
        Assert.True(m.Resume());
        m.RequestShutdown();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (events) Assert.Contains(events, e => e.Name == "RESET" && e.Reason == ShutdownCause.HostQmpSystemReset);
    }

    [Fact]
    public void GuestShutdownWithNoShutdownPausesInsteadOfExiting()
    {
        using var m = Build(TinyElf.PassProgram, 1, out var events, new LifecycleOptions { NoShutdown = true });
        m.Start();
        // Wait for the guest's own shutdown through the event stream, not by sleeping.
        var seen = new ManualResetEvent(false);
        m.Event += e =>
        {
            if (e.Name == "STOP") seen.Set();
        };
        lock (events)
        {
            if (events.Any(e => e.Name == "STOP")) seen.Set();
        }
        Assert.True(seen.WaitOne(GuestRun.HangLimit));
        Assert.Equal(RunState.Shutdown, m.RunState);
        Assert.False(m.Resume()); // as QEMU: cont needs system_reset first
        Assert.True(m.Reset());
        Assert.True(m.Resume());
        m.RequestShutdown(ShutdownCause.HostQmpQuit);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public void GuestResetWithNoRebootExits()
    {
        byte[] reset = TinyElf.FinisherProgram(0x7777); // the finisher's reset value
        using var m = Build(reset, 1, out var events, new LifecycleOptions { NoReboot = true });
        m.Start();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (events) Assert.Equal(ShutdownCause.GuestReset, events.Single(e => e.Name == "SHUTDOWN").Reason);
    }

    [Fact]
    public void HostResetWithNoRebootShutsDownAsQemu()
    {
        using var m = Build(Spin, 2, out var events, new LifecycleOptions { NoReboot = true });
        m.Start();
        Assert.True(m.Reset());
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (events) Assert.Equal(ShutdownCause.HostQmpSystemReset, events.Single(e => e.Name == "SHUTDOWN").Reason);
    }

    [Fact]
    public void IdleHartsShutDownPromptly()
    {
        // wfi loop on every hart: nothing pending, all idle.
        byte[] idle = [0x73, 0x00, 0x50, 0x10, 0x6F, 0xF0, 0xDF, 0xFF]; // wfi; j -4
        using var m = Build(idle, 4, out _);
        m.Start();
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }

    [Fact]
    public void MonitorAccessorsReadRegistersRamAndTheMemoryMapWithoutStoppingTheMachine()
    {
        using var m = Build(Spin, 2, out _);
        // Before the start: the reset state.
        HartState h1 = m.CaptureHartState(1);
        Assert.Equal(0x1000UL, h1.Pc); // the reset ROM's first instruction, as QEMU's virt
        Assert.Equal(1UL, h1.Mhartid);
        Assert.Equal(0UL, h1.X[10]); // registers are zero until the ROM sets a0 = mhartid
        Assert.Equal(0xA00000000UL, h1.Mstatus); // UXL = SXL = 64
        Assert.Equal(3, h1.Privilege);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.CaptureHartState(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.CaptureHartState(-1));

        Span<byte> word = stackalloc byte[4];
        Assert.True(m.ReadPhysicalMemory(0x80000000, word));
        Assert.Equal(Spin, word.ToArray());
        ulong ramEnd = 0x80000000 + MachineConfig.DefaultRamSize;
        word.Fill(0xAA);
        Assert.False(m.ReadPhysicalMemory(ramEnd - 2, word)); // straddles the end of RAM
        Assert.Equal([0xAA, 0xAA, 0xAA, 0xAA], word.ToArray()); // nothing copied
        Assert.False(m.ReadPhysicalMemory(0x10000000, word)); // the UART: never read
        Assert.False(m.ReadPhysicalMemory(0, word));
        Assert.True(m.ReadPhysicalMemory(0x1000, word)); // the reset ROM reads as memory (auipc t0,0)
        Assert.Equal([0x97, 0x02, 0x00, 0x00], word.ToArray());
        Assert.False(m.ReadPhysicalMemory(ulong.MaxValue - 1, word));

        Assert.Equal(
            [
                ("riscv_virt_board.mrom", 0x1000UL, 0xF000UL, MemoryRegionKind.Rom),
                ("riscv.sifive.test", 0x100000UL, 0x1000UL, MemoryRegionKind.Io),
                ("goldfish_rtc", 0x101000UL, 0x24UL, MemoryRegionKind.Io),
                ("riscv.sifive.clint", 0x2000000UL, 0x10000UL, MemoryRegionKind.Io),
                ("riscv.sifive.plic", 0xC000000UL, 0x600000UL, MemoryRegionKind.Io),
                ("serial", 0x10000000UL, 0x100UL, MemoryRegionKind.Io),
                .. Enumerable.Range(0, 8).Select(i => ("virtio-mmio", 0x10001000UL + 0x1000UL * (ulong)i, 0x200UL, MemoryRegionKind.Io)),
                ("riscv_virt_board.ram", 0x80000000UL, MachineConfig.DefaultRamSize, MemoryRegionKind.Ram),
            ],
            m.MemoryRegions.Select(r => (r.Name, r.Base, r.Size, r.Kind)));

        // While the harts run (the reset ROM's six instructions, then a one-instruction loop), every read sees that.
        m.Start();
        ulong retired = m.InstructionsRetired;
        for (int i = 0; i < 1000 || m.InstructionsRetired == retired; i++)
        {
            ulong pc = m.CaptureHartState(i & 1).Pc;
            Assert.True(pc == 0x80000000UL || pc - 0x1000 < 0x18, $"pc 0x{pc:x}");
            Assert.True(m.ReadPhysicalMemory(0x80000000, word));
        }
        Assert.Equal(RunState.Running, m.RunState);
        m.RequestShutdown(ShutdownCause.HostSignal);
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
    }
}
