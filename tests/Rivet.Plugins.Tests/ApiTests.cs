using System.Collections.Concurrent;
using Rivet.Machine;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>The plugin API's callbacks report exactly what guests with known behaviour do.</summary>
public sealed class ApiTests
{
    /// <summary>Records every callback kind on a one-hart machine, with register reads where they are allowed.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class Recorder : IRivetPlugin
    {
        public readonly List<string> Order = [];                 // lifecycle callbacks, in order (locked)
        public readonly ConcurrentDictionary<ulong, long> InsnCounts = new();
        public readonly ConcurrentDictionary<ulong, long> BlockCounts = new();
        public readonly List<(ulong Pc, int Count, int Size)> Translations = [];
        public readonly List<MemoryAccessInfo> Accesses = [];
        public readonly List<ulong> PcInMemoryCallback = [];
        public readonly List<string> Disassembly = [];
        public byte[] FirstBytes = [];
        public uint FirstOpcode;
        public ulong[] RegistersAt18 = [];
        public ulong PcAt18;
        public Exception? OutOfRangeRegister;
        public ulong InitPc, InitA0, ExitPc;
        public string? InitThread;
        public bool ExecBeforeInit;
        public Exception? AtExitRegisterRead, LateRegistration, StaleBlock;
        public long InlineTotal, BlockInlineTotal;
        public IBlock? Kept;
        public IPluginContext? Context;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Context = context;
            Scoreboard perInsn = context.NewScoreboard();
            Scoreboard perBlock = context.NewScoreboard();
            context.RegisterVCpuInit(cpu =>
            {
                lock (Order) Order.Add($"init {cpu}");
                InitThread = Thread.CurrentThread.Name;
                InitPc = context.ReadPc();
                InitA0 = context.ReadRegister(10);
            });
            context.RegisterBlockTranslated(block =>
            {
                lock (Translations) Translations.Add((block.Pc, block.Instructions.Count, block.Size));
                Kept ??= block;
                if (block.Pc == 0x80000000)
                {
                    FirstBytes = block.Instructions[0].Bytes.ToArray();
                    FirstOpcode = block.Instructions[0].Opcode;
                    lock (Disassembly) Disassembly.AddRange(block.Instructions.Select(i => i.Disassembly));
                }
                block.RegisterExecute((cpu, pc) =>
                {
                    BlockCounts.AddOrUpdate(pc, 1, (_, n) => n + 1);
                    lock (Order) ExecBeforeInit |= !Order.Contains("init 0");
                });
                block.RegisterExecuteInline(perBlock, block.Instructions.Count);
                foreach (IInstruction insn in block.Instructions)
                {
                    insn.RegisterExecuteInline(perInsn, 1);
                    insn.RegisterExecute((cpu, pc) => InsnCounts.AddOrUpdate(pc, 1, (_, n) => n + 1));
                    insn.RegisterMemory((cpu, access) =>
                    {
                        lock (Accesses)
                        {
                            Accesses.Add(access);
                            PcInMemoryCallback.Add(context.ReadPc());
                        }
                    });
                    if (insn.Pc == 0x80000018)
                    {
                        insn.RegisterExecute((cpu, pc) =>
                        {
                            RegistersAt18 = [.. Enumerable.Range(0, 32).Select(i => context.ReadRegister(i))];
                            PcAt18 = context.ReadPc();
                            OutOfRangeRegister = Record(() => context.ReadRegister(32));
                        });
                    }
                }
            });
            context.RegisterVCpuExit(cpu =>
            {
                lock (Order) Order.Add($"exit {cpu}");
                ExitPc = context.ReadPc();
            });
            context.RegisterAtExit(() =>
            {
                lock (Order) Order.Add("atexit");
                AtExitRegisterRead = Record(() => context.ReadRegister(5));
                LateRegistration = Record(() => context.RegisterVCpuIdle(_ => { }));
                StaleBlock = Record(() => Kept!.RegisterExecute((_, _) => { }));
                InlineTotal = perInsn.Sum();
                BlockInlineTotal = perBlock[0];
                // Requests from an at-exit callback are posted and must neither hang nor change the exit code.
                context.RequestPause();
                context.RequestShutdown(99);
            });
        }

        private static Exception? Record(Action a)
        {
            try
            {
                a();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public void EveryCallbackKindSeesTheKnownProgram()
    {
        var rec = new Recorder();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Memory), host => host.Install(rec, "recorder"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);

        // Lifecycle order: init on the vCPU's own thread before any guest code, exit, then at-exit.
        Assert.Equal(["init 0", "exit 0", "atexit"], rec.Order);
        Assert.Equal("vcpu-0", rec.InitThread);
        Assert.False(rec.ExecBeforeInit);
        Assert.Equal(0x1000UL, rec.InitPc); // the reset ROM, registers zero until it runs
        Assert.Equal(0UL, rec.InitA0);
        Assert.Equal(0x80000028UL, rec.ExitPc); // parked on the final j .

        // The block: 11 instructions, 44 bytes, with bytes, encoding and disassembly.
        Assert.Contains((0x80000000UL, 11, 44), rec.Translations);
        Assert.Equal(new byte[] { 0x97, 0x12, 0x00, 0x00 }, rec.FirstBytes);
        Assert.Equal(0x00001297u, rec.FirstOpcode);
        Assert.Equal("auipc t0,0x1", rec.Disassembly[0]);
        Assert.Equal("sd t1,8(t0)", rec.Disassembly[2]);
        Assert.Equal("lbu t3,9(t0)", rec.Disassembly[4]);
        Assert.Equal("jal zero,0x80000028", rec.Disassembly[10]);

        // Every instruction before the final j . ran exactly once.
        for (ulong pc = 0x80000000; pc < 0x80000028; pc += 4) Assert.Equal(1, rec.InsnCounts[pc]);
        Assert.Equal(1, rec.BlockCounts[0x80000000]);

        // Memory: exactly these seven accesses, with their values and what they hit (no paging:
        // physical = virtual); ReadPc is the accessing instruction. First the reset ROM's loads of
        // the device tree address (16 MiB of RAM) and the start address (the ROM is memory, as QEMU's).
        MemoryAccessInfo[] expected =
        [
            new MemoryAccessInfo(0x100c, 0x1020, 8, false, 0x80e00000) { PhysicalAddress = 0x1020, DeviceName = "RAM" },
            new MemoryAccessInfo(0x1010, 0x1018, 8, false, 0x80000000) { PhysicalAddress = 0x1018, DeviceName = "RAM" },
            new MemoryAccessInfo(0x80000008, 0x80001008, 8, true, 0x5a3) { PhysicalAddress = 0x80001008, DeviceName = "RAM" },
            new MemoryAccessInfo(0x8000000c, 0x80001008, 4, false, 0x5a3) { PhysicalAddress = 0x80001008, DeviceName = "RAM" },
            new MemoryAccessInfo(0x80000010, 0x80001009, 1, false, 0x05) { PhysicalAddress = 0x80001009, DeviceName = "RAM" },
            new MemoryAccessInfo(0x80000014, 0x80001010, 2, true, 0x5a3) { PhysicalAddress = 0x80001010, DeviceName = "RAM" },
            new MemoryAccessInfo(0x80000024, 0x100000, 4, true, 0x5555) { PhysicalAddress = 0x100000, IsIo = true, DeviceName = "riscv.sifive.test" },
        ];
        Assert.Equal(expected, rec.Accesses);
        Assert.Equal(expected.Select(a => a.Pc), rec.PcInMemoryCallback);

        // Registers inside an execute callback: the state before 0x80000018 runs.
        Assert.Equal(0x80000018UL, rec.PcAt18);
        Assert.Equal(0UL, rec.RegistersAt18[0]);
        Assert.Equal(0x80001000UL, rec.RegistersAt18[5]);  // t0
        Assert.Equal(0x5a3UL, rec.RegistersAt18[6]);       // t1
        Assert.Equal(0x5a3UL, rec.RegistersAt18[7]);       // t2
        Assert.Equal(0x05UL, rec.RegistersAt18[28]);       // t3
        Assert.IsType<ArgumentOutOfRangeException>(rec.OutOfRangeRegister);

        // Inline counters agree with the callbacks and with the hart's own count.
        Assert.Equal(rec.InsnCounts.Values.Sum(), rec.InlineTotal);
        Assert.Equal((long)r.Retired[0], rec.InlineTotal);
        // A block's inline add counts the whole block on entry (as QEMU's), even if it is left early.
        Assert.Equal(rec.BlockCounts.Sum(b => b.Value * rec.Translations.First(t => t.Pc == b.Key).Count), rec.BlockInlineTotal);

        // What is not allowed says so clearly.
        var ex = Assert.IsType<InvalidOperationException>(rec.AtExitRegisterRead);
        Assert.Contains("plugin 'recorder': ReadRegister is only valid inside a vCPU callback", ex.Message);
        Assert.Contains("only be registered during Install", Assert.IsType<InvalidOperationException>(rec.LateRegistration).Message);
        Assert.Contains("only be instrumented during its block-translated callback", Assert.IsType<InvalidOperationException>(rec.StaleBlock).Message);
        Assert.Throws<InvalidOperationException>(() => rec.Context!.ReadPc()); // the test's own thread
    }

    [Fact]
    public void ExecuteCountsOfALoopAreExact()
    {
        var rec = new Recorder();
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(rec, "recorder"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1, rec.InsnCounts[0x80000000]);
        Assert.Equal(1000, rec.InsnCounts[0x80000004]);
        Assert.Equal(1000, rec.InsnCounts[0x80000008]);
        foreach (ulong pc in new ulong[] { 0x8000000c, 0x80000010, 0x80000014, 0x80000018 }) Assert.Equal(1, rec.InsnCounts[pc]);
        // Blocks: [0x80000000..bnez] once, [0x80000004..bnez] 999 times, the exit sequence once.
        Assert.Equal(1, rec.BlockCounts[0x80000000]);
        Assert.Equal(999, rec.BlockCounts[0x80000004]);
        Assert.Equal(1, rec.BlockCounts[0x8000000c]);
        Assert.Contains((0x80000000UL, 3, 12), rec.Translations);
        Assert.Contains((0x80000004UL, 2, 8), rec.Translations);
        Assert.Equal((long)r.Retired[0], rec.InlineTotal);
        Assert.Equal([new MemoryAccessInfo(0x80000018, 0x100000, 4, true, 0x5555) { PhysicalAddress = 0x100000, IsIo = true, DeviceName = "riscv.sifive.test" }], rec.Accesses.Where(a => a.Pc >= 0x80000000)); // after the reset ROM's two loads
    }

    /// <summary>Two insn counters (inline and by callback) on three spinning vCPUs agree with every hart's own count.</summary>
    [Fact]
    public void PerVCpuCountsMatchEveryHart()
    {
        var stopper = new StopAfter(blocks: 20_000);
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", harts: 3), host =>
        {
            host.Load("insn");
            host.Load("insn,inline=false");
            host.Install(stopper, "stopper");
        });
        Assert.Equal(0, r.ExitCode);
        string[] lines = PluginRun.Lines(r.Output, "cpu ");
        Assert.Equal(6, lines.Length);
        for (int cpu = 0; cpu < 3; cpu++)
        {
            Assert.Equal($"cpu {cpu} insns: {r.Retired[cpu]}", lines[cpu]);     // inline counters
            Assert.Equal($"cpu {cpu} insns: {r.Retired[cpu]}", lines[3 + cpu]); // callbacks
            Assert.True(r.Retired[cpu] > 0);
        }
        Assert.Equal(2, PluginRun.Count(r.Output, $"total insns: {r.Retired.Aggregate(0UL, (a, b) => a + b)}\n"));
    }

    /// <summary>Shuts the machine down once every vCPU has executed a number of blocks.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class StopAfter(long blocks) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args)
        {
            long[] seen = new long[context.VCpuCount];
            int done = 0;
            context.RegisterBlockTranslated(b => b.RegisterExecute((cpu, _) =>
            {
                if (++seen[cpu] == blocks && Interlocked.Increment(ref done) == seen.Length) context.RequestShutdown();
            }));
        }
    }

    private sealed class CountingHook : IVCpuHooks
    {
        public int Idles, Resumes;
        public void OnIdle(int cpuIndex) => Interlocked.Increment(ref Idles);
        public void OnResume(int cpuIndex) => Interlocked.Increment(ref Resumes);
    }

    [Fact]
    public void IdleCallbacksComposeWithAnExistingHook()
    {
        var hook = new CountingHook();
        int pluginIdles = 0;
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.IdleAndSpin, harts: 2), host =>
        {
            host.Machine.Controller.Hooks = hook;
            host.Install(new Lambda(c => c.RegisterVCpuIdle(cpu =>
            {
                Interlocked.Increment(ref pluginIdles);
                c.RequestShutdown(5);
            })), "composer");
        });
        Assert.Equal(5, r.ExitCode);
        Assert.Equal(1, pluginIdles);
        Assert.Equal(1, hook.Idles);    // the hook that was there first still runs
        Assert.Equal(1, hook.Resumes);
    }

    [Fact]
    public void InstallationIsAllOrNothingAndOnlyBeforeStart()
    {
        var diagnostics = new StringWriter();
        using var m = new Machine.Machine(Programs.Config(Programs.Loop), Stream.Null, TextWriter.Synchronized(diagnostics));
        var host = new PluginHost(m);
        Assert.Throws<InvalidOperationException>(() => new PluginHost(m)); // one host per machine

        // A plugin that registers callbacks and then rejects its arguments leaves nothing behind.
        bool rejectedRan = false;
        var rejecting = new Lambda(c =>
        {
            c.RegisterAtExit(() => rejectedRan = true);
            c.RegisterBlockTranslated(_ => rejectedRan = true);
            throw new PluginArgumentException("colour=blue: no such colour");
        });
        var ex = Assert.Throws<PluginLoadException>(() => host.Install(rejecting, "fussy", PluginArgs.Parse("colour=blue")));
        Assert.Equal("plugin 'fussy': colour=blue: no such colour", ex.Message);
        ex = Assert.Throws<PluginLoadException>(() => host.Install(new Lambda(_ => throw new IOException("disk on fire")), "broken"));
        Assert.Equal("plugin 'broken': installation failed: IOException: disk on fire", ex.Message);
        ex = Assert.Throws<PluginLoadException>(() => host.Install(new Unversioned(), "old"));
        Assert.Contains("does not declare the plugin API version it targets", ex.Message);

        // A scoreboard from another machine is refused where it is used (inside a callback: contained).
        using var other = new Machine.Machine(Programs.Config(Programs.Loop), Stream.Null, TextWriter.Null);
        Scoreboard foreign = null!;
        new PluginHost(other).Install(new Lambda(c => foreign = c.NewScoreboard()), "other");
        host.Install(new Lambda(c => c.RegisterBlockTranslated(b => b.RegisterExecuteInline(foreign, 1))), "mixer");
        Assert.Equal(["mixer"], host.Plugins);

        m.Start();
        Assert.Throws<InvalidOperationException>(() => host.Load("insn")); // too late
        Assert.Equal(0, m.WaitForExit(GuestRun.HangLimit));
        Assert.False(rejectedRan);
        string d;
        lock (diagnostics) d = diagnostics.ToString();
        Assert.Contains("rivet: plugin 'mixer' block-translated callback threw ArgumentException on vCPU 0: the scoreboard belongs to another machine", d);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Lambda(Action<IPluginContext> install) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args) => install(context);
    }

    private sealed class Unversioned : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args)
        {
        }
    }
}
