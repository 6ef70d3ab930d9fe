using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using Rivet.Machine;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Discontinuity callbacks (docs/PLUGINS.md): guests/plugins/traps_all.S takes every exception and
/// interrupt kind once, in a fixed order; qemu-system-riscv64 7.2's <c>-d int</c> shows the same
/// traps (causes, epc, tval) as Rivet's. The callbacks see them with exact causes and pcs, plus
/// Rivet's trap returns.
/// </summary>
public sealed class DisconTests
{
    private const string Guest = "build/plugins/traps_all.elf";

    /// <summary>The guest's symbols (labels are where the traps are).</summary>
    private static Dictionary<string, ulong> Symbols()
    {
        using IELF elf = ELFReader.Load(Repo.Guest(Guest));
        var table = (ISymbolTable)elf.GetSection(".symtab");
        var symbols = new Dictionary<string, ulong>();
        foreach (ISymbolEntry s in table.Entries)
        {
            if (s.Name.Length > 0) symbols[s.Name] = ((SymbolEntry<ulong>)s).Value;
        }
        return symbols;
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Recorder(DisconType types) : IRivetPlugin
    {
        public readonly List<Discontinuity> Seen = [];
        public readonly List<(ulong Pc, ulong A7)> Read = [];

        public void Install(IPluginContext context, PluginArgs args)
        {
            context.RegisterVCpuDiscon(types, (cpu, d) =>
            {
                Assert.Equal(0, cpu);
                Seen.Add(d);
                Read.Add((context.ReadPc(), context.ReadRegister(17)));
            });
        }
    }

    [Fact]
    public void EveryTrapAndTrapReturnIsReportedWithItsCauseAndPcs()
    {
        Dictionary<string, ulong> s = Symbols();
        var recorder = new Recorder(DisconType.All);
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(recorder, "rec"));
        Assert.Equal(0, r.ExitCode);

        const ulong Irq = 1UL << 63;
        const DisconType E = DisconType.Exception, I = DisconType.Interrupt, R = DisconType.TrapReturn;
        ulong mtrap = s["mtrap"], strap = s["strap"], skip = s["t_mret_skip"], fetch = s["t_mret_fetch"], irq = s["t_mret_irq"];
        (DisconType Type, ulong Cause, ulong From, ulong To, ulong Tval, int Priv)[] expected =
        [
            (E, 2, s["t_illegal"], mtrap, 0xffffffff, 3), (R, 0, skip, s["t_ebreak"], 0, 3),
            (E, 3, s["t_ebreak"], mtrap, 0, 3), (R, 0, skip, s["t_ecall_m"], 0, 3),
            (E, 11, s["t_ecall_m"], mtrap, 0, 3), (R, 0, skip, s["t_ecall_m"] + 4, 0, 3),
            (E, 4, s["t_lr"], mtrap, s["scratch"] + 1, 3), (R, 0, skip, s["t_amo"], 0, 3),
            (E, 4, s["t_amo"], mtrap, s["scratch"] + 1, 3), (R, 0, skip, s["t_amo"] + 4, 0, 3), // QEMU 7.2: an AMO's misalignment is a load's (cause 4)
            (E, 5, s["t_load_fault"], mtrap, 0xf0000000, 3), (R, 0, skip, s["t_store_fault"], 0, 3),
            (E, 7, s["t_store_fault"], mtrap, 0xf0000000, 3), (R, 0, skip, s["t_fetch_fault"], 0, 3),
            (E, 1, 0xf0000000, mtrap, 0xf0000000, 3), (R, 0, fetch, s["t_after_fetch"], 0, 3),
            (R, 0, s["t_mret_to_s"], s["s_code"], 0, 1),
            (E, 13, s["t_load_pf"], mtrap, 0x40000000, 3), (R, 0, skip, s["t_store_pf"], 0, 1),
            (E, 15, s["t_store_pf"], mtrap, 0x40000000, 3), (R, 0, skip, s["t_fetch_pf"], 0, 1),
            (E, 12, 0x40000000, mtrap, 0x40000000, 3), (R, 0, fetch, s["t_ecall_s"], 0, 1),
            (E, 9, s["t_ecall_s"], mtrap, 0, 3), (R, 0, skip, s["t_ecall_s"] + 4, 0, 1),
            (I, Irq | 1, s["t_after_ssip"], strap, 0, 1), (R, 0, s["t_sret_irq"], s["t_after_ssip"], 0, 1),
            (R, 0, s["t_sret_to_u"], s["u_code"], 0, 0),
            (E, 8, s["t_ecall_u"], mtrap, 0, 3), (R, 0, skip, s["t_ecall_u"] + 4, 0, 0),
            (E, 8, s["t_ecall_u_back"], mtrap, 0, 3), (R, 0, s["t_mret_to_m"], s["m_again"], 0, 3),
            (I, Irq | 3, s["t_after_msi"], mtrap, 0, 3), (R, 0, irq, s["t_after_msi"], 0, 3),
            (I, Irq | 7, s["t_after_mti"], mtrap, 0, 3), (R, 0, irq, s["t_after_mti"], 0, 3),
            (I, Irq | 11, s["t_after_mei"], mtrap, 0, 3), (R, 0, irq, s["t_after_mei"], 0, 3),
        ];
        string Show(Discontinuity d) => $"{d.Type} cause 0x{d.Cause:x} 0x{d.FromPc:x} -> 0x{d.ToPc:x} tval 0x{d.Tval:x} priv {d.Privilege}";
        Assert.Equal(
            [.. expected.Select(e => Show(new Discontinuity(e.Type, e.Cause, e.From, e.To, e.Tval, e.Priv)))],
            [.. recorder.Seen.Select(Show)]);
        // Inside the callback the vCPU is already at the to-pc; registers are readable (a7 = 1 at the ecall back to M).
        Assert.Equal([.. recorder.Seen.Select(d => d.ToPc)], [.. recorder.Read.Select(x => x.Pc)]);
        Assert.Equal(1UL, recorder.Read[30].A7);
        Assert.Equal(0UL, recorder.Read[0].A7);
    }

    [Fact]
    public void TheFilterSelectsKinds()
    {
        var interrupts = new Recorder(DisconType.Interrupt);
        var qemuKinds = new Recorder(DisconType.AllQemu);
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host =>
        {
            host.Install(interrupts, "irq");
            host.Install(qemuKinds, "qemu");
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal([1, 3, 7, 11], interrupts.Seen.Select(d => d.Code));
        Assert.Equal(18, qemuKinds.Seen.Count); // 14 exceptions and 4 interrupts: no trap returns
        Assert.DoesNotContain(qemuKinds.Seen, d => d.Type == DisconType.TrapReturn);
    }

    [Fact]
    public void TheTrapsPluginCountsAsQemus()
    {
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 2), host => host.Load("traps"));
        Assert.Equal(0, r.ExitCode);
        // Hart 1 parks in wfi with nothing enabled: no traps. printf's "% 4d, % 10d, ..." fields.
        Assert.Equal("VCPU, interrupts, exceptions, hostcalls\n   0,          4,         14,          0\n   1,          0,          0,          0\n", r.Output);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class ThrowingDiscon : IRivetPlugin
    {
        public int Calls;

        public void Install(IPluginContext context, PluginArgs args)
            => context.RegisterVCpuDiscon(DisconType.All, (_, d) =>
            {
                Calls++;
                if (d.Code == 3) throw new InvalidOperationException("no breakpoints please");
            });
    }

    [Fact]
    public void AThrowingDisconCallbackIsReportedAndDisabled()
    {
        var thrower = new ThrowingDiscon();
        var witness = new Recorder(DisconType.All);
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host =>
        {
            host.Install(thrower, "thrower");
            host.Install(witness, "witness");
        });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(3, thrower.Calls); // illegal, its return, the breakpoint (which threw)
        Assert.Equal(38, witness.Seen.Count);
        Assert.Equal(1, PluginRun.Count(r.Diagnostics,
            "rivet: plugin 'thrower' vcpu-discon callback threw InvalidOperationException on vCPU 0: no breakpoints please; plugin 'thrower' vcpu-discon callbacks are disabled, the machine carries on"));
        Assert.Equal(1, PluginRun.Count(r.Diagnostics, "rivet: "));
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class StuckDiscon : IRivetPlugin, IDisposable
    {
        public readonly ManualResetEventSlim Entered = new();
        private readonly ManualResetEventSlim _release = new();

        public void Install(IPluginContext context, PluginArgs args)
            => context.RegisterVCpuDiscon(DisconType.Exception, (_, _) =>
            {
                Entered.Set();
                _release.Wait();
            });

        public void Dispose() => _release.Set();
    }

    [Fact]
    public void ADisconCallbackThatNeverReturnsCannotHangShutdown()
    {
        using var stuck = new StuckDiscon();
        var options = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) };
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 2, options), host => host.Install(stuck, "stuck"), machine =>
        {
            Assert.True(stuck.Entered.Wait(GuestRun.HangLimit));
            machine.RequestShutdown(ShutdownCause.HostSignal);
        });
        Assert.Equal(ExitCodes.AbandonedThread, r.ExitCode);
        Assert.Contains("rivet: shutdown did not complete within its deadline; vCPU states:", r.Diagnostics);
        Assert.Matches(@"vCPU 0: Running for [0-9.]+ s, last pc 0x[0-9a-f]+, inside callback 'plugin 'stuck' vcpu-discon' for [0-9.]+ s", r.Diagnostics);
        Assert.Contains("vCPU 1: Stopped", r.Diagnostics);
    }
}
