using Rivet.Board;
using Rivet.Cpu;
using Rivet.Devices;
using Rivet.Memory;

namespace Rivet.Tests;

/// <summary>gdb's breakpoints, single steps and watchpoints in the hart (docs/GDB.md), on hand-assembled guests.</summary>
public sealed class HartDebugTests
{
    private const ulong Ram = 0x80000000;
    private const int A0 = 10, A1 = 11, A2 = 12, T0 = 5, T1 = 6, S0 = 8, Ra = 1;

    // Encoders for the few instructions the guests use.
    private static uint I(uint op, int rd, uint f3, int rs1, int imm) => ((uint)(imm & 0xFFF) << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)rd << 7) | op;
    private static uint Addi(int rd, int rs1, int imm) => I(0x13, rd, 0, rs1, imm);
    private static uint Slli(int rd, int rs1, int sh) => I(0x13, rd, 1, rs1, sh);
    private static uint Lw(int rd, int rs1, int imm) => I(0x03, rd, 2, rs1, imm);
    private static uint Ld(int rd, int rs1, int imm) => I(0x03, rd, 3, rs1, imm);
    private static uint Jalr(int rd, int rs1, int imm) => I(0x67, rd, 0, rs1, imm);
    private static uint Csrr(int rd, int csr) => I(0x73, rd, 2, 0, csr);
    private static uint S(uint op, uint f3, int rs1, int rs2, int imm) => ((uint)((imm >> 5) & 0x7F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)(imm & 0x1F) << 7) | op;
    private static uint Sw(int rs2, int rs1, int imm) => S(0x23, 2, rs1, rs2, imm);
    private static uint Sd(int rs2, int rs1, int imm) => S(0x23, 3, rs1, rs2, imm);
    private static uint Fsd(int frs2, int rs1, int imm) => S(0x27, 3, rs1, frs2, imm);
    private static uint LrW(int rd, int rs1) => (2u << 27) | ((uint)rs1 << 15) | (2u << 12) | ((uint)rd << 7) | 0x2F;
    private static uint ScW(int rd, int rs1, int rs2) => (3u << 27) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (2u << 12) | ((uint)rd << 7) | 0x2F;
    private static uint AmoaddW(int rd, int rs1, int rs2) => ((uint)rs2 << 20) | ((uint)rs1 << 15) | (2u << 12) | ((uint)rd << 7) | 0x2F;

    private static uint Branch(uint f3, int rs1, int rs2, int off)
        => ((uint)((off >> 12) & 1) << 31) | ((uint)((off >> 5) & 0x3F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12)
            | ((uint)((off >> 1) & 0xF) << 8) | ((uint)((off >> 11) & 1) << 7) | 0x63;

    private static uint Beq(int rs1, int rs2, int off) => Branch(0, rs1, rs2, off);
    private static uint Bne(int rs1, int rs2, int off) => Branch(1, rs1, rs2, off);

    private static uint Jal(int rd, int off)
        => ((uint)((off >> 20) & 1) << 31) | ((uint)((off >> 1) & 0x3FF) << 21) | ((uint)((off >> 11) & 1) << 20) | ((uint)((off >> 12) & 0xFF) << 12) | ((uint)rd << 7) | 0x6F;

    private const uint Ecall = 0x00000073, Mret = 0x30200073, Wfi = 0x10500073;
    private const ushort CAddiA0 = 0x0505; // c.addi a0, 1
    private const ushort CSwA1A0 = 0xC10C; // c.sw a1, 0(a0)

    /// <summary>One hart over 1 MiB of RAM and the virt board's ROM (programmed to jump to RAM).</summary>
    private sealed class Rig
    {
        public readonly PhysicalMemory Memory;
        public readonly Hart Hart;
        public readonly DebugPoints Points = new();

        public Rig(IHartInstrumentation? instrumentation = null)
        {
            var rom = new ResetRom();
            rom.Program(Ram, 0x87e00000, Ram);
            Memory = new PhysicalMemory(Ram, 1 << 20, [rom]);
            Hart = new Hart(0, Memory, new VirtualClock()) { ResetVector = ResetRom.DefaultBase };
            Hart.Reset();
            Hart.Instrumentation = instrumentation;
            Hart.DebugPoints = Points;
            Hart.Pc = Ram;
        }

        public void Code(ulong at, params uint[] insns)
        {
            var bytes = new byte[insns.Length * 4];
            for (int i = 0; i < insns.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), insns[i]);
            Assert.True(Memory.WriteRam(at, bytes));
        }

        public void Bytes(ulong at, params byte[] bytes) => Assert.True(Memory.WriteRam(at, bytes));

        public ulong Word(ulong at)
        {
            var b = new byte[8];
            Assert.True(Memory.ReadRam(at, b));
            return BitConverter.ToUInt64(b);
        }

        public void Csr(int csr, ulong value) => Assert.True(Hart.TryWriteCsr(csr, value, debug: true));

        public ulong ReadCsr(int csr)
        {
            Assert.True(Hart.TryReadCsr(csr, out ulong v, debug: true));
            return v;
        }

        public void Break(ulong va)
        {
            Assert.True(Points.InsertBreakpoint(va));
            Hart.DebugPointsChanged();
        }

        public void Unbreak(ulong va)
        {
            Assert.True(Points.RemoveBreakpoint(va));
            Hart.DebugPointsChanged();
        }

        public void Watch(ulong va, ulong length, WatchKind kind)
        {
            Assert.True(Points.InsertWatchpoint(va, length, kind));
            Hart.DebugPointsChanged();
        }

        public void Unwatch(ulong va, ulong length, WatchKind kind)
        {
            Assert.True(Points.RemoveWatchpoint(va, length, kind));
            Hart.DebugPointsChanged();
        }

        /// <summary>Runs to a debug stop and returns its event.</summary>
        public DebugEvent Stop()
        {
            Assert.Equal(ExecExit.Debug, Hart.Run(1_000_000));
            DebugEvent? e = Hart.TakeDebugEvent();
            Assert.NotNull(e);
            Assert.Equal(e.Value.Pc, Hart.Pc);
            return e.Value;
        }

        public DebugEvent Step()
        {
            Hart.SingleStep = true;
            try
            {
                DebugEvent e = Stop();
                Assert.Equal(DebugStopKind.Step, e.Kind);
                return e;
            }
            finally
            {
                Hart.SingleStep = false;
            }
        }
    }

    private static void AssertBreak(DebugEvent e, ulong pc)
    {
        Assert.Equal(DebugStopKind.Breakpoint, e.Kind);
        Assert.Equal(pc, e.Pc);
    }

    private static uint[] Counting(int n) => [.. Enumerable.Repeat(Addi(A0, A0, 1), n), Jal(0, 0)];

    [Fact]
    public void BreakpointStopsBeforeItsInstructionAndAgainOnResume()
    {
        var r = new Rig();
        r.Code(Ram, Counting(4));
        r.Break(Ram + 8);
        AssertBreak(r.Stop(), Ram + 8);
        Assert.Equal(2UL, r.Hart.ReadRegister(A0));
        Assert.Equal(2UL, r.Hart.InstructionsRetired);
        // Resuming at a pc that still holds the breakpoint stops again, with nothing executed (as QEMU).
        AssertBreak(r.Stop(), Ram + 8);
        Assert.Equal(2UL, r.Hart.InstructionsRetired);
        // Removed: the hart runs on (the budget ends the run in the closing loop).
        r.Unbreak(Ram + 8);
        Assert.False(r.Points.RemoveBreakpoint(Ram + 8));
        Assert.Equal(ExecExit.Budget, r.Hart.Run(100));
        Assert.Equal(4UL, r.Hart.ReadRegister(A0));
        Assert.Null(r.Hart.TakeDebugEvent());
    }

    [Fact]
    public void BreakpointHitsMidBlockInCodeDecodedBeforeIt()
    {
        var r = new Rig();
        // loop: addi a0, 1; addi a1, 1; j loop
        r.Code(Ram, Addi(A0, A0, 1), Addi(A1, A1, 1), Jal(0, -8));
        Assert.Equal(ExecExit.Budget, r.Hart.Run(3000));
        ulong before = r.Hart.InstructionsRetired;
        r.Break(Ram + 4);
        AssertBreak(r.Stop(), Ram + 4);
        ulong a0 = r.Hart.ReadRegister(A0), a1 = r.Hart.ReadRegister(A1);
        Assert.Equal(a0, a1 + 1);
        // Every instruction counted once: a0 + a1 addis and one j per completed round.
        Assert.Equal(a0 + a1 + a1, r.Hart.InstructionsRetired);
        Assert.True(r.Hart.InstructionsRetired >= before);
    }

    [Fact]
    public void DuplicateBreakpointsNeedAsManyRemovals()
    {
        var points = new DebugPoints();
        Assert.True(points.InsertBreakpoint(0x1000));
        Assert.True(points.InsertBreakpoint(0x1000));
        Assert.True(points.RemoveBreakpoint(0x1000));
        Assert.True(points.HasBreakpoint(0x1000));
        Assert.True(points.RemoveBreakpoint(0x1000));
        Assert.False(points.HasBreakpoints);
        Assert.False(points.RemoveBreakpoint(0x1000));
        Assert.False(points.InsertWatchpoint(0x10, 0, WatchKind.Write));
        Assert.False(points.InsertWatchpoint(ulong.MaxValue, 2, WatchKind.Write));
        Assert.False(points.RemoveWatchpoint(0x10, 4, WatchKind.Read));
    }

    [Fact]
    public void BreakpointsHitAtBranchTargetTrapVectorAndAfterMret()
    {
        var r = new Rig();
        const ulong handler = Ram + 0x100;
        r.Code(Ram,
            Beq(0, 0, 8),          // 0x00 -> 0x08
            Addi(A1, 0, 99),       // 0x04 skipped
            Ecall,                 // 0x08 -> handler
            Addi(A2, 0, 7),        // 0x0c after mret
            Jal(0, 0));
        r.Code(handler,
            Csrr(T0, Cpu.Csr.Mepc), // handler + 0
            Addi(T0, T0, 4),
            I(0x73, 0, 1, T0, Cpu.Csr.Mepc), // csrw mepc, t0
            Mret);
        r.Csr(Cpu.Csr.Mtvec, handler);
        r.Break(Ram + 8);
        r.Break(handler);
        r.Break(Ram + 0xc);
        AssertBreak(r.Stop(), Ram + 8);          // a branch target
        Assert.Equal(1UL, r.Hart.InstructionsRetired);
        r.Unbreak(Ram + 8);
        AssertBreak(r.Stop(), handler);          // trap entry
        Assert.Equal(Cause.EcallFromM, r.ReadCsr(Cpu.Csr.Mcause));
        Assert.Equal(1UL, r.Hart.InstructionsRetired); // ecall does not retire
        AssertBreak(r.Stop(), handler);          // and again, on resume
        r.Unbreak(handler);
        AssertBreak(r.Stop(), Ram + 0xc);        // after mret
        Assert.Equal(5UL, r.Hart.InstructionsRetired);
        Assert.Equal(0UL, r.Hart.ReadRegister(A1));
        Assert.Equal(0UL, r.Hart.ReadRegister(A2));
    }

    [Fact]
    public void BreakpointHitsInTheRomAndStepsThere()
    {
        var r = new Rig();
        r.Hart.Pc = ResetRom.DefaultBase;
        r.Break(ResetRom.DefaultBase + 0xc); // ld a1, 32(t0)
        AssertBreak(r.Stop(), ResetRom.DefaultBase + 0xc);
        Assert.Equal(3UL, r.Hart.InstructionsRetired);
        Assert.Equal(0UL, r.Hart.ReadRegister(A1));
        // A step executes the instruction under the breakpoint (QEMU: singlestep overrides breakpoints).
        Assert.Equal(ResetRom.DefaultBase + 0x10, r.Step().Pc);
        Assert.Equal(0x87e00000UL, r.Hart.ReadRegister(A1));
        Assert.Equal(4UL, r.Hart.InstructionsRetired);
    }

    /// <summary>Counts execute callbacks per pc and one inline add per instruction.</summary>
    private sealed class Counter : IHartInstrumentation
    {
        public readonly Dictionary<ulong, long> Executed = [];
        public readonly long[] Inline = new long[1];
        public readonly List<int> BlockLengths = [];

        public BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
        {
            BlockLengths.Add(insns.Count);
            return new BlockHooks
            {
                Insn = [.. insns.Select(t => (HookOp[]?)[HookOp.Call((c, p) => Executed[p] = Executed.GetValueOrDefault(p) + 1)])],
            };
        }
    }

    /// <summary>Only inline adds: the block is credited in one go, and must give back what a stop leaves unrun.</summary>
    private sealed class InlineCounter : IHartInstrumentation
    {
        public readonly long[] Inline = new long[1];

        public BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
            => new() { Insn = [.. insns.Select(_ => (HookOp[]?)[HookOp.Inline(HookKind.Add, Inline, 0, 1)])] };
    }

    [Fact]
    public void BreakpointInInstrumentedCodeStopsBeforeItsHooks()
    {
        var counter = new Counter();
        var r = new Rig(counter);
        r.Code(Ram, Counting(6));
        r.Break(Ram + 12);
        AssertBreak(r.Stop(), Ram + 12);
        Assert.Equal(3UL, r.Hart.InstructionsRetired);
        Assert.False(counter.Executed.ContainsKey(Ram + 12));
        r.Unbreak(Ram + 12);
        Assert.Equal(ExecExit.Budget, r.Hart.Run(20));
        foreach (ulong pc in new[] { Ram, Ram + 4, Ram + 8, Ram + 12, Ram + 16, Ram + 20 }) Assert.Equal(1, counter.Executed[pc]);
        Assert.Equal(6UL, r.Hart.ReadRegister(A0));
    }

    [Fact]
    public void BreakpointInCreditedBlockKeepsInlineCountsExact()
    {
        var counter = new InlineCounter();
        var r = new Rig(counter);
        r.Code(Ram, Counting(6));
        r.Break(Ram + 12);
        AssertBreak(r.Stop(), Ram + 12);
        Assert.Equal(3, counter.Inline[0]);
        r.Unbreak(Ram + 12);
        r.Break(Ram + 24); // the closing j
        AssertBreak(r.Stop(), Ram + 24);
        Assert.Equal(6, counter.Inline[0]);
        Assert.Equal((ulong)counter.Inline[0], r.Hart.InstructionsRetired);
    }

    /// <summary>
    /// Sv39 with two gigapages, VA 0 and VA 0x40000000, both onto RAM at 0x80000000. M-mode code at
    /// RAM + 0 mrets to S-mode at VA 0x100 (RAM + 0x100): a0++, a1++, then jr s0 (VA 0x40000100, the same code).
    /// </summary>
    private static Rig PagedAlias(IHartInstrumentation? instrumentation = null)
    {
        var r = new Rig(instrumentation);
        const ulong root = Ram + 0x10000;
        ulong leaf = ((Ram >> 12) << 10) | 0xCF; // V R W X A D
        r.Bytes(root, [.. BitConverter.GetBytes(leaf), .. BitConverter.GetBytes(leaf)]);
        r.Code(Ram, Mret);
        r.Code(Ram + 0x80, Jal(0, 0)); // any trap parks here
        r.Csr(Cpu.Csr.Mtvec, Ram + 0x80);
        // One PMP entry over everything (QEMU 7.2 will not leave M-mode without one).
        r.Csr(Cpu.Csr.Pmpaddr0, ulong.MaxValue >> 10);
        r.Csr(Cpu.Csr.Pmpcfg0, 0x1F); // NAPOT, R W X
        r.Code(Ram + 0x100, Addi(A0, A0, 1), Addi(A1, A1, 1), Jalr(0, S0, 0));
        r.Csr(Cpu.Csr.Satp, (8UL << 60) | (root >> 12));
        r.Csr(Cpu.Csr.Mstatus, 1UL << (int)Mstatus.MppShift); // MPP = S
        r.Csr(Cpu.Csr.Mepc, 0x100);
        r.Hart.WriteRegister(S0, 0x40000100);
        return r;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BreakpointUnderPagingStopsOnlyAtItsVirtualAlias(bool instrumented)
    {
        var r = PagedAlias(instrumented ? new Counter() : null);
        r.Break(0x40000104);
        DebugEvent e = r.Stop();
        AssertBreak(e, 0x40000104);
        // The same physical instruction ran once at VA 0x104 without stopping.
        Assert.Equal(2UL, r.Hart.ReadRegister(A0));
        Assert.Equal(1UL, r.Hart.ReadRegister(A1));
        Assert.Equal(Priv.Supervisor, r.Hart.Privilege);
        Assert.Equal(5UL, r.Hart.InstructionsRetired);
        // A step in paged mode over the instruction under the breakpoint.
        Assert.Equal(0x40000108UL, r.Step().Pc);
        Assert.Equal(2UL, r.Hart.ReadRegister(A1));
    }

    [Fact]
    public void StepExecutesExactlyOneInstructionOfEveryControlTransfer()
    {
        var r = new Rig();
        const ulong handler = Ram + 0x200;
        r.Code(Ram,
            Addi(A0, 0, 1),        // 0x00
            Beq(A0, 0, 0x40),      // 0x04 not taken
            Bne(A0, 0, 8),         // 0x08 taken -> 0x10
            Addi(A1, 0, 1),        // 0x0c skipped
            Jal(Ra, 0x10),         // 0x10 -> 0x20
            0, 0, 0,
            Ecall,                 // 0x20 -> handler (a trap: nothing retires)
            Wfi,                   // 0x24 (after mret)
            Lw(A2, 0, 0),          // 0x28 load access fault at 0 -> handler
            0);
        r.Code(handler, Jalr(0, Ra, 0x10)); // handler: jr ra+16 (-> 0x24)
        r.Bytes(Ram + 0x300, [.. BitConverter.GetBytes(CAddiA0)]);
        r.Csr(Cpu.Csr.Mtvec, handler);
        (ulong Pc, ulong Retired)[] expected =
        [
            (Ram + 0x04, 1), (Ram + 0x08, 2), (Ram + 0x10, 3), (Ram + 0x20, 4),
            (handler, 4),      // ecall: at the vector, mcause written, nothing retired
            (Ram + 0x24, 5),   // jalr ra+16
        ];
        foreach ((ulong pc, ulong retired) in expected)
        {
            Assert.Equal(pc, r.Step().Pc);
            Assert.Equal(retired, r.Hart.InstructionsRetired);
        }
        Assert.Equal(Ram + 0x14, r.Hart.ReadRegister(Ra));
        Assert.Equal(Cause.EcallFromM, r.ReadCsr(Cpu.Csr.Mcause));
        Assert.Equal(0UL, r.Hart.ReadRegister(A1));
        // WFI with an interrupt pending (enabled in mie, masked by mstatus.MIE) retires without halting.
        r.Csr(Cpu.Csr.Mie, 1UL << Cause.MachineSoftware);
        r.Hart.SetPending(Cause.MachineSoftware, true);
        Assert.Equal(Ram + 0x28, r.Step().Pc);
        Assert.False(r.Hart.Halted);
        Assert.Equal(6UL, r.Hart.InstructionsRetired);
        // A faulting load: the step stops at the vector with the trap's CSRs written.
        Assert.Equal(handler, r.Step().Pc);
        Assert.Equal(Cause.LoadAccessFault, r.ReadCsr(Cpu.Csr.Mcause));
        Assert.Equal(Ram + 0x28, r.ReadCsr(Cpu.Csr.Mepc));
        Assert.Equal(6UL, r.Hart.InstructionsRetired);
        // mret, and a compressed instruction.
        r.Code(handler, Mret);
        r.Csr(Cpu.Csr.Mepc, Ram + 0x300);
        r.Csr(Cpu.Csr.Mstatus, 3UL << (int)Mstatus.MppShift);
        Assert.Equal(Ram + 0x300, r.Step().Pc);
        Assert.Equal(Ram + 0x302, r.Step().Pc);
        Assert.Equal(2UL, r.Hart.ReadRegister(A0));
        Assert.Equal(8UL, r.Hart.InstructionsRetired);
    }

    [Fact]
    public void StepOverWfiHaltsThenExecutesOneMoreOnWaking()
    {
        // As QEMU 7.2 (measured with a raw gdb stepi over wfi): the hart halts; once an interrupt
        // wakes it, masked, the next instruction runs too and the step stops after it.
        var r = new Rig();
        r.Code(Ram, Wfi, Addi(A0, A0, 1), Addi(A0, A0, 1), Jal(0, 0));
        r.Csr(Cpu.Csr.Mie, 1UL << Cause.MachineSoftware);
        r.Hart.SingleStep = true;
        Assert.Equal(ExecExit.Halted, r.Hart.Run(100));
        Assert.True(r.Hart.Halted);
        Assert.Equal(1UL, r.Hart.InstructionsRetired);
        Assert.Equal(ExecExit.Halted, r.Hart.Run(100)); // still nothing pending
        r.Hart.SetPending(Cause.MachineSoftware, true);
        Assert.Equal(ExecExit.Debug, r.Hart.Run(100));
        Assert.Equal(new DebugEvent(DebugStopKind.Step, Ram + 8), r.Hart.TakeDebugEvent());
        Assert.Equal(1UL, r.Hart.ReadRegister(A0));
        Assert.Equal(2UL, r.Hart.InstructionsRetired);
        Assert.Equal(0UL, r.ReadCsr(Cpu.Csr.Mcause));
    }

    [Fact]
    public void StepMasksAPendingTimerInterrupt()
    {
        var r = new Rig();
        const ulong handler = Ram + 0x100;
        r.Code(Ram, Counting(4));
        r.Csr(Cpu.Csr.Mtvec, handler);
        r.Csr(Cpu.Csr.Mie, 1UL << Cause.MachineTimer);
        r.Csr(Cpu.Csr.Mstatus, Mstatus.Mie);
        r.Hart.TimerCompare = 0; // due now
        Assert.Equal(Ram + 4, r.Step().Pc);
        Assert.Equal(Ram + 8, r.Step().Pc);
        Assert.Equal(0UL, r.ReadCsr(Cpu.Csr.Mcause));
        Assert.Equal(2UL, r.Hart.ReadRegister(A0));
        // Without the step the interrupt is taken at once.
        r.Break(handler);
        AssertBreak(r.Stop(), handler);
        Assert.Equal(Cause.InterruptFlag | Cause.MachineTimer, r.ReadCsr(Cpu.Csr.Mcause));
        Assert.Equal(Ram + 8, r.ReadCsr(Cpu.Csr.Mepc));
    }

    [Fact]
    public void StepOntoABreakpointReportsTheStepAndIgnoresItsOwnStart()
    {
        var counter = new Counter();
        var r = new Rig(counter);
        r.Code(Ram, Counting(4));
        r.Break(Ram);
        r.Break(Ram + 4);
        Assert.Equal(Ram + 4, r.Step().Pc);
        Assert.Equal(Ram + 8, r.Step().Pc);
        Assert.Equal(2UL, r.Hart.InstructionsRetired);
        // Instrumented steps are one-instruction blocks, each callback once.
        Assert.All(counter.BlockLengths, n => Assert.Equal(1, n));
        Assert.Equal(1, counter.Executed[Ram]);
        Assert.Equal(1, counter.Executed[Ram + 4]);
        // Running again stops at the next breakpoint as usual.
        r.Break(Ram + 12);
        AssertBreak(r.Stop(), Ram + 12);
        Assert.Equal(3UL, r.Hart.InstructionsRetired);
    }

    private static void AssertWatch(DebugEvent e, ulong pc, ulong address, WatchKind kind)
    {
        Assert.Equal(DebugStopKind.Watchpoint, e.Kind);
        Assert.Equal(pc, e.Pc);
        Assert.Equal(address, e.WatchAddress);
        Assert.Equal(kind, e.Watch);
    }

    private const ulong Data = Ram + 0x8000;

    /// <summary>a0 = Data, 0x80008000 = 0x10001 << 15 (lui would sign-extend it), in five instructions.</summary>
    private static uint[] LoadData() => [Addi(A0, 0, 1), Slli(A0, A0, 16), Addi(A0, A0, 1), Slli(A0, A0, 15), Addi(0, 0, 0)];

    [Fact]
    public void WriteWatchpointStopsBeforeTheStoreAndReportsTheRangeStart()
    {
        var r = new Rig();
        r.Code(Ram, [.. LoadData(),
            Addi(A1, 0, 42),       // 0x14
            Lw(A2, A0, 4),         // 0x18: a read, not a write
            Sw(A1, A0, 8),         // 0x1c: next to the range
            Sw(A1, A0, 4),         // 0x20: the watched store
            Addi(A2, 0, 1),        // 0x24
            Jal(0, 0)]);
        r.Watch(Data + 2, 4, WatchKind.Write); // overlaps the store's first two bytes
        // As QEMU 7.2 (measured): pc at the store, memory unchanged, the range's start reported.
        AssertWatch(r.Stop(), Ram + 0x20, Data + 2, WatchKind.Write);
        Assert.Equal(0UL, r.Word(Data) >> 32);
        Assert.Equal(8UL, r.Hart.InstructionsRetired);
        // Resumed or stepped with the watchpoint still there, it stops again at once (as QEMU).
        AssertWatch(r.Stop(), Ram + 0x20, Data + 2, WatchKind.Write);
        r.Hart.SingleStep = true;
        Assert.Equal(ExecExit.Debug, r.Hart.Run(100));
        r.Hart.SingleStep = false;
        AssertWatch(r.Hart.TakeDebugEvent()!.Value, Ram + 0x20, Data + 2, WatchKind.Write);
        Assert.Equal(8UL, r.Hart.InstructionsRetired);
        // gdb removes it and steps over the store itself.
        r.Unwatch(Data + 2, 4, WatchKind.Write);
        Assert.Equal(Ram + 0x24, r.Step().Pc);
        Assert.Equal(42UL, r.Word(Data) >> 32);
        Assert.Equal(9UL, r.Hart.InstructionsRetired);
        Assert.Equal(ExecExit.Budget, r.Hart.Run(10));
        Assert.Equal(1UL, r.Hart.ReadRegister(A2));
    }

    [Fact]
    public void ReadAndAccessWatchpointsAndPartialOverlaps()
    {
        var r = new Rig();
        r.Code(Ram, [.. LoadData(), Addi(A1, 0, 5),
            Sd(A1, A0, 0x10),      // 0x18: a store, not a read
            Lw(A2, A0, 0x0e),      // 0x1c: reads 0x0e..0x11, overlapping 0x10
            AmoaddW(A2, A0, A1),   // 0x20: reads and writes Data + 0
            Jal(0, 0)]);
        r.Watch(Data + 0x10, 1, WatchKind.Read);
        AssertWatch(r.Stop(), Ram + 0x1c, Data + 0x10, WatchKind.Read);
        Assert.Equal(0UL, r.Hart.ReadRegister(A2));
        Assert.Equal(7UL, r.Hart.InstructionsRetired);
        r.Unwatch(Data + 0x10, 1, WatchKind.Read);
        r.Watch(Data, 2, WatchKind.Read);
        AssertWatch(r.Stop(), Ram + 0x20, Data, WatchKind.Read); // the AMO reads
        Assert.Equal(5UL << 16, r.Hart.ReadRegister(A2));
        Assert.Equal(0UL, r.Word(Data) & 0xFFFFFFFF);
        Assert.Equal(8UL, r.Hart.InstructionsRetired);

        // Access: a store hits it too; an access next to the range does not.
        var a = new Rig();
        a.Code(Ram, [.. LoadData(), Sw(0, A0, 0x20), Sw(0, A0, 0x28), Jal(0, 0)]);
        a.Watch(Data + 0x24, 4, WatchKind.Access);
        Assert.Equal(ExecExit.Budget, a.Hart.Run(100));
        a.Watch(Data + 0x28, 8, WatchKind.Access);
        a.Hart.Pc = Ram;
        AssertWatch(a.Stop(), Ram + 0x18, Data + 0x28, WatchKind.Access);
    }

    [Fact]
    public void WatchpointsSeeCompressedMisalignedAndFloatingPointStores()
    {
        var r = new Rig();
        r.Code(Ram, [.. LoadData(),
            Addi(T1, 0, 3), Slli(T1, T1, 13), I(0x73, 0, 2, T1, Cpu.Csr.Mstatus), // csrs mstatus, FS
            Sw(0, A0, 0x31),                       // 0x20: misaligned, 0x31..0x34
            Fsd(0, A0, 0x40),                      // 0x24
            (uint)CSwA1A0 | ((uint)CSwA1A0 << 16), // 0x28, 0x2a: c.sw a1, 0(a0) twice
            Jal(0, 0)]);
        r.Watch(Data + 0x34, 1, WatchKind.Write);
        AssertWatch(r.Stop(), Ram + 0x20, Data + 0x34, WatchKind.Write);
        r.Unwatch(Data + 0x34, 1, WatchKind.Write);
        r.Watch(Data + 0x44, 4, WatchKind.Write);
        AssertWatch(r.Stop(), Ram + 0x24, Data + 0x44, WatchKind.Write);
        r.Unwatch(Data + 0x44, 4, WatchKind.Write);
        r.Watch(Data, 4, WatchKind.Write);
        AssertWatch(r.Stop(), Ram + 0x28, Data, WatchKind.Write);
        r.Unwatch(Data, 4, WatchKind.Write);
        Assert.Equal(Ram + 0x2a, r.Step().Pc);
        r.Watch(Data, 4, WatchKind.Write);
        AssertWatch(r.Stop(), Ram + 0x2a, Data, WatchKind.Write);
        Assert.Equal(11UL, r.Hart.InstructionsRetired);
    }

    [Fact]
    public void ScHitsAWriteWatchpointOnlyWithItsReservation()
    {
        const int A3 = 13;
        var r = new Rig();
        r.Code(Ram, [.. LoadData(),
            LrW(A2, A0),           // 0x14: a read
            ScW(A3, A0, A1),       // 0x18: with the reservation: checked as a read and a write
            ScW(A3, A0, A1),       // 0x1c: no reservation left: fails before any access
            Jal(0, 0)]);
        r.Watch(Data, 4, WatchKind.Write);
        AssertWatch(r.Stop(), Ram + 0x18, Data, WatchKind.Write);
        r.Unwatch(Data, 4, WatchKind.Write);
        Assert.Equal(Ram + 0x1c, r.Step().Pc);
        Assert.Equal(0UL, r.Hart.ReadRegister(A3));
        r.Watch(Data, 4, WatchKind.Write);
        Assert.Equal(ExecExit.Budget, r.Hart.Run(20));
        Assert.Equal(1UL, r.Hart.ReadRegister(A3));
    }

    [Fact]
    public void AMarkedSlotDisassemblesAsItsInstruction()
    {
        uint raw = Addi(A0, A0, 1);
        Isa.DecodedInsn marked = Isa.Decoder.Decode(raw);
        marked.Op = Isa.Op.Breakpoint;
        Assert.Equal("addi a0,a0,1", Isa.Disassembler.Format(marked, Ram));
        Assert.Equal(Isa.Op.Addi, Isa.Decoder.Decode(marked.Raw).Op);
    }

    [Fact]
    public void WatchpointsUnderPagingAreByVirtualAddress()
    {
        var r = PagedAlias();
        // S-mode code at VA 0x200: a store to VA 0x8000 (RAM + 0x8000), then to VA 0x40008000 (the same byte).
        uint addT0A0 = ((uint)A0 << 20) | ((uint)T0 << 15) | ((uint)T0 << 7) | 0x33; // add t0, t0, a0
        r.Code(Ram + 0x200, Addi(A0, 0, 1), Slli(A0, A0, 15), Sw(A0, A0, 0), Addi(T0, 0, 1), Slli(T0, T0, 30), addT0A0, Sw(A0, T0, 0), Addi(A2, 0, 1), Jal(0, 0));
        r.Csr(Cpu.Csr.Mepc, 0x200);
        r.Watch(0x40008000, 4, WatchKind.Write);
        DebugEvent e = r.Stop();
        // The store through VA 0x8000 wrote the same byte unwatched; the one through the watched VA stops.
        AssertWatch(e, 0x218, 0x40008000, WatchKind.Write);
        Assert.Equal(0UL, r.Hart.ReadRegister(A2));
        Assert.Equal(7UL, r.Hart.InstructionsRetired);
        Assert.Equal(0x8000UL, r.Word(Ram + 0x8000));
    }

    [Fact]
    public void NoDebugPointMeansThePlainInterpreter()
    {
        var r = new Rig();
        r.Code(Ram, Counting(4));
        Assert.Equal(ExecExit.Budget, r.Hart.Run(10));
        Assert.Equal(nameof(PlainRun), r.Hart.LastRunMode);
        // A breakpoint elsewhere: still the plain interpreter (only decoded slots carry marks).
        r.Break(Ram + 0x1000);
        Assert.Equal(ExecExit.Budget, r.Hart.Run(10));
        Assert.Equal(nameof(PlainRun), r.Hart.LastRunMode);
        // A watchpoint: the instrumented one, and back once it is gone.
        r.Watch(Ram + 0x9000, 8, WatchKind.Access);
        Assert.Equal(ExecExit.Budget, r.Hart.Run(10));
        Assert.Equal(nameof(WatchRun), r.Hart.LastRunMode);
        Assert.True(r.Points.RemoveWatchpoint(Ram + 0x9000, 8, WatchKind.Access));
        r.Hart.DebugPointsChanged();
        Assert.Equal(ExecExit.Budget, r.Hart.Run(10));
        Assert.Equal(nameof(PlainRun), r.Hart.LastRunMode);
        r.Hart.SingleStep = true;
        Assert.Equal(ExecExit.Debug, r.Hart.Run(10));
        Assert.Equal(nameof(StepRun), r.Hart.LastRunMode);
    }
}
