using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Inline add and store on multi-field scoreboards (block, instruction and memory events) and
/// conditional callbacks, against guests whose behaviour is known exactly and against the
/// callbacks that see the same events.
/// </summary>
public sealed class InlineTests
{
    [RivetPlugin(PluginApi.Version)]
    private sealed class Lambda(Action<IPluginContext> install) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args) => install(context);
    }

    /// <summary>Shuts the machine down once every vCPU has started <paramref name="blocks"/> blocks.</summary>
    private static Lambda StopAfter(long blocks) => new(context =>
    {
        long[] seen = new long[context.VCpuCount];
        int done = 0;
        context.RegisterBlockTranslated(b => b.RegisterExecute((cpu, _) =>
        {
            if (++seen[cpu] == blocks && Interlocked.Increment(ref done) == seen.Length) context.RequestShutdown();
        }));
    });

    /// <summary>
    /// Every inline kind on four vCPUs passing an IPI round a ring (loads and stores to the CLINT,
    /// wfi between turns), each checked against callbacks that see the same events on the same
    /// run: adds give the callbacks' counts, stores the last value a callback saw. With
    /// <paramref name="stepped"/> a memory hook on every instruction makes every block run its
    /// hooks instruction by instruction; without, instruction adds are credited per block.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InlineAddAndStoreAgreeWithCallbacksOnEveryVCpu(bool stepped)
    {
        const int Harts = 4;
        Scoreboard? sb = null;
        long[] insnCalls = new long[Harts], blockCalls = new long[Harts], blockInsns = new long[Harts], loads = new long[Harts], stores = new long[Harts];
        ulong[] lastInsn = new ulong[Harts], lastBlock = new ulong[Harts], lastAccessPc = new ulong[Harts];
        var inline = new Lambda(c =>
        {
            sb = c.NewScoreboard(7);
            c.RegisterBlockTranslated(b =>
            {
                b.RegisterExecuteInline(InlineOperation.Add, sb.Field(0), 1);
                b.RegisterExecuteInline(InlineOperation.Add, sb.Field(1), (ulong)b.Instructions.Count);
                b.RegisterExecuteInline(InlineOperation.Store, sb.Field(2), b.Pc);
                foreach (IInstruction i in b.Instructions)
                {
                    i.RegisterExecuteInline(InlineOperation.Add, sb.Field(3), 1);
                    if (stepped)
                    {
                        i.RegisterExecuteInline(InlineOperation.Store, sb.Field(4), i.Pc);
                        i.RegisterMemoryInline(MemoryAccessFilter.Read, InlineOperation.Add, sb.Field(5), 1);
                        i.RegisterMemoryInline(MemoryAccessFilter.Write, InlineOperation.Add, sb.Field(6), 1);
                        i.RegisterMemoryInline(MemoryAccessFilter.ReadWrite, InlineOperation.Store, sb.Field(6), 0); // then the add below
                        i.RegisterMemoryInline(MemoryAccessFilter.Write, InlineOperation.Add, sb.Field(6), 1);
                    }
                }
            });
        });
        var callbacks = new Lambda(c => c.RegisterBlockTranslated(b =>
        {
            int n = b.Instructions.Count;
            b.RegisterExecute((cpu, pc) =>
            {
                blockCalls[cpu]++;
                blockInsns[cpu] += n;
                lastBlock[cpu] = pc;
            });
            foreach (IInstruction i in b.Instructions)
            {
                i.RegisterExecute((cpu, pc) =>
                {
                    insnCalls[cpu]++;
                    lastInsn[cpu] = pc;
                });
                i.RegisterMemory((cpu, a) =>
                {
                    if (a.IsStore) stores[cpu]++;
                    else loads[cpu]++;
                    lastAccessPc[cpu] = a.Pc;
                });
            }
        }));
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Ring4, harts: Harts), host =>
        {
            host.Install(inline, "inline");
            host.Install(callbacks, "callbacks");
            host.Install(StopAfter(2000), "stopper");
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        for (int cpu = 0; cpu < Harts; cpu++)
        {
            Assert.True(insnCalls[cpu] > 2000, $"vCPU {cpu} ran {insnCalls[cpu]} instructions");
            Assert.Equal((ulong)blockCalls[cpu], sb!.Field(0)[cpu]);
            Assert.Equal((ulong)blockInsns[cpu], sb.Field(1)[cpu]);
            Assert.Equal(lastBlock[cpu], sb.Field(2)[cpu]);
            Assert.Equal((ulong)insnCalls[cpu], sb.Field(3)[cpu]);
            Assert.Equal(r.Retired[cpu], sb.Field(3)[cpu]); // no instruction traps here: started = retired
            if (stepped)
            {
                Assert.Equal(lastInsn[cpu], sb.Field(4)[cpu]);
                Assert.Equal((ulong)loads[cpu], sb.Field(5)[cpu]);
                Assert.True(loads[cpu] > 0 && stores[cpu] > 0);
                // The store resets field 6 on every access, so it ends at 1 after a store, 0 after a load.
                Assert.Equal(lastAccessPc[cpu] is 0x8000002c or 0x80000048 ? 1UL : 0UL, sb.Field(6)[cpu]);
            }
        }
        Assert.Equal(r.Retired.Aggregate(0UL, (a, b) => a + b), sb!.Field(3).Sum());
    }

    /// <summary>
    /// A counter on every instruction and a conditional callback that fires when it reaches 1000
    /// and resets it: the callback fires exactly once per 1000 instructions of each vCPU.
    /// </summary>
    [Fact]
    public void ConditionalCallbackFiresEveryThousandthInstructionOnEachVCpu()
    {
        const int Harts = 3;
        long[] fired = new long[Harts];
        Scoreboard? sb = null;
        var every = new Lambda(c =>
        {
            sb = c.NewScoreboard(2);
            ScoreboardField counter = sb.Field(0), total = sb.Field(1);
            c.RegisterBlockTranslated(b =>
            {
                foreach (IInstruction i in b.Instructions)
                {
                    i.RegisterExecuteInline(InlineOperation.Add, counter, 1);
                    i.RegisterExecuteInline(InlineOperation.Add, total, 1);
                    i.RegisterExecuteConditional((cpu, _) =>
                    {
                        fired[cpu]++;
                        counter[cpu] = 0;
                    }, ScoreboardCondition.Eq, counter, 1000);
                }
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/lifecycle/spin_forever.elf", Harts), host =>
        {
            host.Install(every, "every");
            host.Install(StopAfter(20_000), "stopper");
        });
        Assert.Equal(0, r.ExitCode);
        for (int cpu = 0; cpu < Harts; cpu++)
        {
            Assert.Equal(r.Retired[cpu], sb!.Field(1)[cpu]);
            Assert.True(r.Retired[cpu] >= 20_000);
            Assert.Equal((long)(r.Retired[cpu] / 1000), fired[cpu]);
            Assert.Equal(r.Retired[cpu] % 1000, sb.Field(0)[cpu]);
        }
    }

    /// <summary>
    /// Programs.Loop runs 0x80000004 1000 times. An add of 1 before it, then a conditional callback
    /// on the counter (1..1000 when tested) against 500: each comparison fires a known number of
    /// times. Unsigned: nothing is below 0 and everything below 2^64-1.
    /// </summary>
    [Theory]
    [InlineData(ScoreboardCondition.Never, 500UL, 0)]
    [InlineData(ScoreboardCondition.Always, 500UL, 1000)]
    [InlineData(ScoreboardCondition.Eq, 500UL, 1)]
    [InlineData(ScoreboardCondition.Ne, 500UL, 999)]
    [InlineData(ScoreboardCondition.Lt, 500UL, 499)]
    [InlineData(ScoreboardCondition.Le, 500UL, 500)]
    [InlineData(ScoreboardCondition.Gt, 500UL, 500)]
    [InlineData(ScoreboardCondition.Ge, 500UL, 501)]
    [InlineData(ScoreboardCondition.Lt, ulong.MaxValue, 1000)]
    [InlineData(ScoreboardCondition.Gt, 0x8000000000000000UL, 0)]
    public void InstructionConditionsFireAsOften(ScoreboardCondition condition, ulong immediate, int expected)
    {
        int fired = 0;
        ulong pcSeen = 0;
        var p = new Lambda(c =>
        {
            Scoreboard sb = c.NewScoreboard();
            c.RegisterBlockTranslated(b =>
            {
                foreach (IInstruction i in b.Instructions.Where(i => i.Pc == 0x80000004))
                {
                    i.RegisterExecuteInline(InlineOperation.Add, sb, 1);
                    i.RegisterExecuteConditional((cpu, pc) =>
                    {
                        fired++;
                        pcSeen = pc;
                    }, condition, sb, immediate);
                }
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(p, "cond"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, fired);
        if (expected > 0) Assert.Equal(0x80000004UL, pcSeen);
    }

    /// <summary>
    /// Block conditions: the loop block at 0x80000004 starts 999 times; a store of 7 to one field
    /// and an add to another are in place before the condition is tested, in registration order.
    /// </summary>
    [Theory]
    [InlineData(ScoreboardCondition.Eq, 7UL, true, 999)]
    [InlineData(ScoreboardCondition.Ne, 7UL, true, 0)]
    [InlineData(ScoreboardCondition.Ge, 999UL, false, 1)]
    [InlineData(ScoreboardCondition.Le, 10UL, false, 10)]
    public void BlockConditionsSeeTheOperationsBeforeThem(ScoreboardCondition condition, ulong immediate, bool onStored, int expected)
    {
        int fired = 0;
        var p = new Lambda(c =>
        {
            Scoreboard sb = c.NewScoreboard(2);
            c.RegisterBlockTranslated(b =>
            {
                if (b.Pc != 0x80000004) return;
                b.RegisterExecuteInline(InlineOperation.Store, sb.Field(0), 7);
                b.RegisterExecuteInline(InlineOperation.Add, sb.Field(1), 1);
                b.RegisterExecuteConditional((cpu, pc) => fired++, condition, onStored ? sb.Field(0) : sb.Field(1), immediate);
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(p, "cond"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, fired);
    }

    /// <summary>A conditional callback that throws is reported once and disabled; the plugin's inline counts and other callbacks carry on.</summary>
    [Fact]
    public void AThrowingConditionalCallbackIsContained()
    {
        int calls = 0;
        long plain = 0;
        Scoreboard? sb = null;
        var p = new Lambda(c =>
        {
            sb = c.NewScoreboard();
            c.RegisterBlockTranslated(b =>
            {
                foreach (IInstruction i in b.Instructions)
                {
                    i.RegisterExecuteInline(InlineOperation.Add, sb, 1);
                    i.RegisterExecuteConditional((cpu, pc) =>
                    {
                        if (++calls == 10) throw new InvalidOperationException("the tenth");
                    }, ScoreboardCondition.Ge, sb, 5);
                    i.RegisterExecute((cpu, pc) => plain++);
                }
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(p, "condthrower"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(10, calls);
        Assert.Equal(plain, sb![0]);
        Assert.Equal((long)r.Retired[0], plain);
        Assert.Contains("rivet: plugin 'condthrower' insn-exec-cond callback threw InvalidOperationException on vCPU 0: the tenth; plugin 'condthrower' insn-exec-cond callbacks are disabled", r.Diagnostics);
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "threw"));
    }

    /// <summary>
    /// A load faults in the middle of a block; the handler skips it. Instructions started, with the
    /// faulting load and the handler's four: 15 up to the finisher's store (the final <c>j .</c> is
    /// not counted). Without a callback in the block its adds are credited at its start, so this
    /// checks that what the unstarted instructions added is taken back at the trap, and that the
    /// store's early exit leaves the counts exact for the at-exit reader.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CountsStayExactWhenATrapLeavesABlockEarly(bool stepped)
    {
        uint[] words =
        [
            0x00000297, // 0x00 auipc t0,0
            0x04028293, // 0x04 addi t0,t0,0x40
            0x30529073, // 0x08 csrw mtvec,t0          (handler at 0x80000040)
            0x00000313, // 0x0c li t1,0
            0x00002383, // 0x10 lw t2,0(zero)          load access fault
            0x00130313, // 0x14 addi t1,t1,1
            0x00130313, // 0x18 addi t1,t1,1
        ];
        byte[] program = [.. words.SelectMany(BitConverter.GetBytes), .. TinyElf.PassProgram]; // 0x1c..0x2c (j . at 0x2c)
        program = [.. program, .. new byte[0x40 - program.Length]];
        uint[] handler = [0x34102e73, 0x004e0e13, 0x341e1073, 0x30200073]; // csrr t3,mepc; addi t3,t3,4; csrw mepc,t3; mret
        program = [.. program, .. handler.SelectMany(BitConverter.GetBytes)];
        Scoreboard? sb = null;
        var p = new Lambda(c =>
        {
            sb = c.NewScoreboard();
            c.RegisterBlockTranslated(b =>
            {
                foreach (IInstruction i in b.Instructions.Where(i => i.Pc >= 0x80000000 && i.Pc != 0x8000002c)) // not the reset ROM's
                {
                    i.RegisterExecuteInline(InlineOperation.Add, sb, 1);
                    if (stepped) i.RegisterExecuteConditional((_, _) => { }, ScoreboardCondition.Never, sb, 0);
                }
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Config(program), host => host.Install(p, "trap"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(15, sb![0]);
    }

    /// <summary>Bad arguments say what is wrong, at registration.</summary>
    [Fact]
    public void BadArgumentsAreRejected()
    {
        var errors = new List<Exception>();
        var p = new Lambda(c =>
        {
            Scoreboard sb = c.NewScoreboard(3);
            errors.Add(Assert.Throws<ArgumentOutOfRangeException>(() => c.NewScoreboard(0)));
            errors.Add(Assert.Throws<ArgumentOutOfRangeException>(() => sb.Field(3)));
            Assert.Equal(3, sb.FieldCount);
            Assert.Equal(1, c.VCpuCount);
            c.RegisterBlockTranslated(b =>
            {
                IInstruction i = b.Instructions[0];
                errors.Add(Assert.Throws<ArgumentException>(() => b.RegisterExecuteInline(InlineOperation.Add, default, 1)));
                errors.Add(Assert.Throws<ArgumentOutOfRangeException>(() => i.RegisterExecuteInline((InlineOperation)7, sb.Field(0), 1)));
                errors.Add(Assert.Throws<ArgumentOutOfRangeException>(() => i.RegisterExecuteConditional((_, _) => { }, (ScoreboardCondition)42, sb.Field(0), 1)));
                errors.Add(Assert.Throws<ArgumentOutOfRangeException>(() => i.RegisterMemoryInline(0, InlineOperation.Add, sb.Field(0), 1)));
                errors.Add(Assert.Throws<ArgumentNullException>(() => b.RegisterExecuteConditional(null!, ScoreboardCondition.Always, sb.Field(0), 1)));
            });
        });
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop), host => host.Install(p, "bad"));
        Assert.Equal(0, r.ExitCode);
        Assert.True(errors.Count >= 7);
        Assert.Contains("default(ScoreboardField)", errors[2].Message);
    }
}
