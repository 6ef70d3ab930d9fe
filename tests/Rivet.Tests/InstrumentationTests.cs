using Rivet.Board;
using Rivet.Cpu;

namespace Rivet.Tests;

/// <summary>The instrumented interpreter reports exactly what a known guest executes.</summary>
public sealed class InstrumentationTests
{
    // li t0, 1000; loop: addi t0, t0, -1; bnez t0, loop; then the finisher pass sequence.
    private static readonly byte[] Program =
    [
        0x93, 0x02, 0x80, 0x3E, // 0x80000000 addi t0, x0, 1000
        0x93, 0x82, 0xF2, 0xFF, // 0x80000004 addi t0, t0, -1
        0xE3, 0x9E, 0x02, 0xFE, // 0x80000008 bnez t0, 0x80000004
        .. TinyElf.PassProgram, // 0x8000000c lui, 0x10 lui, 0x14 addiw, 0x18 sw, 0x1c j .
    ];

    private sealed class Recorder : IHartInstrumentation
    {
        public readonly Dictionary<ulong, long> InsnCounts = [];
        public readonly Dictionary<ulong, long> BlockCounts = [];
        public readonly List<MemoryAccess> Memory = [];
        public readonly List<(ulong Pc, int Count)> Translations = [];
        public readonly long[] Inline = new long[1];

        public BlockHooks? Translate(int cpu, ulong pc, IReadOnlyList<TranslatedInsn> insns)
        {
            lock (this) Translations.Add((pc, insns.Count));
            var hooks = new BlockHooks
            {
                Entry = [HookOp.Call((c, p) => Bump(BlockCounts, p))],
                Insn = [.. insns.Select(_ => (HookOp[]?)[HookOp.Call((c, p) => Bump(InsnCounts, p)), HookOp.Inline(HookKind.Add, Inline, 0, 1)])],
                Memory = [.. insns.Select(_ => (MemoryHookOp[]?)[new MemoryHookOp(HookKind.Callback, true, true, (c, m) => { lock (this) Memory.Add(m); }, null, 0, 0)])],
            };
            return hooks;
        }

        private void Bump(Dictionary<ulong, long> d, ulong pc)
        {
            lock (this) d[pc] = d.GetValueOrDefault(pc) + 1;
        }
    }

    [Fact]
    public void CallbacksSeeEveryInstructionBlockAndStore()
    {
        var config = new MachineConfig { Harts = 1, KernelImage = TinyElf.Build(0x80000000, Program) };
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        var rec = new Recorder();
        m.Board.Harts[0].Instrumentation = rec;
        m.Start();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (rec)
        {
            Assert.Equal(1, rec.InsnCounts[0x80000000]);
            Assert.Equal(1000, rec.InsnCounts[0x80000004]);
            Assert.Equal(1000, rec.InsnCounts[0x80000008]);
            foreach (ulong pc in new ulong[] { 0x8000000c, 0x80000010, 0x80000014, 0x80000018 }) Assert.Equal(1, rec.InsnCounts[pc]);
            // Blocks: [0x80000000..bnez] once, [0x80000004..bnez] 999 times, then the exit sequence.
            Assert.Equal(1, rec.BlockCounts[0x80000000]);
            Assert.Equal(999, rec.BlockCounts[0x80000004]);
            Assert.Equal(1, rec.BlockCounts[0x8000000c]);
            Assert.Contains((0x80000000UL, 3), rec.Translations);
            Assert.Contains((0x80000004UL, 2), rec.Translations);
            MemoryAccess store = Assert.Single(rec.Memory, a => a.Pc >= 0x80000000); // besides the reset ROM's two loads
            Assert.Equal(new MemoryAccess(0x80000018, 0x100000, 4, true, 0x5555), store);
            long total = rec.InsnCounts.Values.Sum();
            Assert.Equal(total, rec.Inline[0]); // inline counters agree with the callbacks
            Assert.Equal((ulong)total, m.InstructionsRetired); // and with the hart's own count
        }
    }
    // mstatus.FS on, then F/D loads and stores through the same hooks as the integer ones.
    private static readonly byte[] FpProgram =
    [
        0xB7, 0x22, 0x00, 0x00, // 0x80000000 lui t0, 0x2
        0x73, 0xA0, 0x02, 0x30, // 0x80000004 csrs mstatus, t0 (FS = Initial)
        0x17, 0x13, 0x00, 0x00, // 0x80000008 auipc t1, 1 (t1 = 0x80001008)
        0x07, 0x30, 0x03, 0x00, // 0x8000000c fld ft0, 0(t1)
        0x27, 0x34, 0x03, 0x00, // 0x80000010 fsd ft0, 8(t1)
        0x87, 0x20, 0x03, 0x01, // 0x80000014 flw ft1, 16(t1)
        0x27, 0x2C, 0x13, 0x00, // 0x80000018 fsw ft1, 24(t1)
        .. TinyElf.PassProgram, // 0x8000001c
    ];

    [Fact]
    public void FloatingPointLoadsAndStoresReachTheMemoryHooks()
    {
        var config = new MachineConfig { Harts = 1, KernelImage = TinyElf.Build(0x80000000, FpProgram) };
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        var rec = new Recorder();
        m.Board.Harts[0].Instrumentation = rec;
        m.Start();
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        lock (rec)
        {
            Assert.Equal(
            [
                new MemoryAccess(0x8000000c, 0x80001008, 8, false, 0),
                new MemoryAccess(0x80000010, 0x80001010, 8, true, 0),
                new MemoryAccess(0x80000014, 0x80001018, 4, false, 0),
                new MemoryAccess(0x80000018, 0x80001020, 4, true, 0),
                new MemoryAccess(0x80000028, 0x100000, 4, true, 0x5555),
            ], rec.Memory.Where(a => a.Pc >= 0x80000000)); // after the reset ROM's two loads
            foreach (ulong pc in new ulong[] { 0x8000000c, 0x80000010, 0x80000014, 0x80000018 }) Assert.Equal(1, rec.InsnCounts[pc]);
        }
    }
}
