using System.Buffers.Binary;
using System.Collections.Concurrent;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// Registers by name and guest memory through the plugin API, against guests/plugins/regs_vm.S,
/// whose state at its labels is known exactly.
/// </summary>
public sealed class RegisterMemoryTests
{
    private const string Guest = "build/plugins/regs_vm.elf";
    private static readonly Dictionary<string, ulong> s_symbols = Symbols(Repo.Guest(Guest));

    private static ulong Sym(string name) => s_symbols[name];

    private static Dictionary<string, ulong> Symbols(string path)
    {
        using IELF elf = ELFReader.Load(path);
        var symtab = (ISymbolTable)elf.GetSection(".symtab");
        var symbols = new Dictionary<string, ulong>();
        foreach (SymbolEntry<ulong> e in symtab.Entries.OfType<SymbolEntry<ulong>>())
        {
            if (e.Name.Length > 0) symbols.TryAdd(e.Name, e.Value);
        }
        return symbols;
    }

    /// <summary>Runs an execute callback at each named label (once it is translated) and records every memory access.</summary>
    [RivetPlugin(PluginApi.Version)]
    private sealed class AtLabels(Dictionary<ulong, Action<IPluginContext>> actions) : IRivetPlugin
    {
        public readonly ConcurrentQueue<MemoryAccessInfo> Accesses = new();
        public readonly ConcurrentDictionary<ulong, int> Executed = new();
        public long Count;
        public IPluginContext? Context;

        public void Install(IPluginContext context, PluginArgs args)
        {
            Context = context;
            context.RegisterBlockTranslated(block =>
            {
                foreach (IInstruction insn in block.Instructions)
                {
                    insn.RegisterExecute((_, pc) =>
                    {
                        Count++;
                        Executed.AddOrUpdate(pc, 1, (_, n) => n + 1);
                    });
                    if (actions.TryGetValue(insn.Pc, out Action<IPluginContext>? action)) insn.RegisterExecute((_, _) => action(context));
                    insn.RegisterMemory((_, a) => Accesses.Enqueue(a));
                }
            });
        }
    }

    private static Exception? Catch(Action a)
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

    [Fact]
    public void RegistersAtABreakpointHaveTheGuestsKnownValues()
    {
        Dictionary<string, ulong> regs = [];
        ulong byAlias = 0, fa0ByNumber = 0, s0 = 0;
        long countAtBreakpoint = 0;
        Exception? badName = null, readOnly = null, oddPc = null, badPriv = null;
        AtLabels? plugin = null;
        plugin = new AtLabels(new()
        {
            [Sym("bp_regs")] = c =>
            {
                countAtBreakpoint = plugin!.Count;
                foreach (RegisterDescriptor r in c.GetRegisters()) regs[r.Name] = c.ReadRegister(r);
                byAlias = c.ReadRegister("X5");
                fa0ByNumber = c.ReadRegister("f10");
                s0 = c.ReadRegister(c.FindRegister("s0")!);
                badName = Catch(() => c.ReadRegister("x32"));
                readOnly = Catch(() => c.WriteRegister("mhartid", 1));
                oddPc = Catch(() => c.WriteRegister("pc", 0x80000001));
                badPriv = Catch(() => c.WriteRegister("priv", 2));
                c.WriteRegister("zero", 5); // ignored
            },
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(plugin, "regs"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);

        // gdb's names, in QEMU's gdbstub order: cpu, fpu, virtual, csr.
        IReadOnlyList<RegisterDescriptor> all = plugin.Context!.GetRegisters();
        Assert.Equal(["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0"], all.Take(11).Select(d => d.Name));
        Assert.Equal("pc", all[32].Name);
        Assert.Equal(("ft0", "org.gnu.gdb.riscv.fpu"), (all[33].Name, all[33].Feature));
        Assert.Equal(["fs0", "fs1", "fa0"], all.Skip(41).Take(3).Select(d => d.Name));
        Assert.Equal(("priv", "org.gnu.gdb.riscv.virtual"), (all[65].Name, all[65].Feature));
        Assert.Equal(["fflags", "frm", "fcsr", "sstatus"], all.Skip(66).Take(4).Select(d => d.Name));
        Assert.All(all.Skip(66), d => Assert.Equal("org.gnu.gdb.riscv.csr", d.Feature));
        Assert.All(all, d => Assert.Equal(8, d.Size));
        Assert.Equal(all.Count, all.Select(d => d.Name).Distinct().Count());
        Assert.Null(plugin.Context.FindRegister("x32"));

        Assert.Equal(0UL, regs["zero"]);
        for (int n = 1; n < 32; n++) Assert.Equal(0x1000UL + (ulong)n, regs[all[n].Name]);
        Assert.Equal(0x1005UL, byAlias);
        Assert.Equal(0x1008UL, s0);
        Assert.Equal(Sym("bp_regs"), regs["pc"]);
        Assert.Equal(0x400921FB54442D18UL, regs["fa0"]);
        Assert.Equal(0x400921FB54442D18UL, fa0ByNumber);
        Assert.Equal(0x3FF0000000000000UL, regs["ft11"]);
        Assert.Equal((0x25UL, 1UL, 5UL), (regs["fcsr"], regs["frm"], regs["fflags"]));
        Assert.Equal(0x123456789abcdef0UL, regs["mscratch"]);
        Assert.Equal(3UL << 13, regs["mstatus"] & (3UL << 13)); // FS dirty
        Assert.Equal(1UL << 63, regs["mstatus"] & (1UL << 63)); // SD
        Assert.Equal(0x800000000014112DUL, regs["misa"]);
        Assert.Equal((0UL, 3UL, 0UL), (regs["mhartid"], regs["priv"], regs["satp"]));
        Assert.Equal(Sym("trap"), regs["mtvec"]);
        // The counters: every instruction before this one, each seen once by the execute callback.
        Assert.Equal((ulong)(countAtBreakpoint - 1), regs["minstret"]);
        Assert.Equal(regs["minstret"], regs["instret"]);
        Assert.Equal(regs["minstret"], regs["mcycle"]);

        Assert.Contains("no register named 'x32'", Assert.IsType<ArgumentException>(badName).Message);
        Assert.Contains("CSR mhartid is read-only", Assert.IsType<ArgumentException>(readOnly).Message);
        Assert.Contains("is odd", Assert.IsType<ArgumentException>(oddPc).Message);
        Assert.Contains("priv 2 is not 0 (U), 1 (S) or 3 (M)", Assert.IsType<ArgumentException>(badPriv).Message);
    }

    [Fact]
    public void PcWriteInAnExecuteCallbackSkipsTheInstructionAndGoesOnThere()
    {
        ulong a0AtEnd = 0;
        var plugin = new AtLabels(new()
        {
            [Sym("rd_from")] = c => c.WriteRegister("pc", Sym("rd_to")),
            [Sym("bp_end")] = c => a0AtEnd = c.ReadRegister("a0"),
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(plugin, "redirect"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        // Standalone the guest sets a0 = 1 and jumps over rd_to; redirected, rd_from's li and j never run.
        Assert.Equal(2UL, a0AtEnd);
        Assert.Equal(1, plugin.Executed[Sym("rd_from")]); // its callback ran once, the instruction not at all
        Assert.False(plugin.Executed.ContainsKey(Sym("rd_from") + 2)); // the j after it
        Assert.Equal(1, plugin.Executed[Sym("rd_to")]);
        // Redirected code retires as usual: the hart's count is what the callbacks saw, minus the skipped one.
        Assert.Equal((ulong)(plugin.Count - 1), r.Retired[0]);
    }

    /// <summary>A pc write in a block execute callback skips the whole block, its instructions' callbacks included.</summary>
    [Fact]
    public void PcWriteInABlockCallbackSkipsTheBlock()
    {
        ulong from = Sym("rd_from"), to = Sym("rd_to"), a0 = 0;
        var executed = new ConcurrentDictionary<ulong, int>();
        int blockRuns = 0;
        ulong[] skipped = [];
        var lambda = new Lambda(c => c.RegisterBlockTranslated(block =>
        {
            if (block.Instructions.Any(i => i.Pc == from))
            {
                skipped = [.. block.Instructions.Select(i => i.Pc)];
                block.RegisterExecute((_, _) =>
                {
                    blockRuns++;
                    c.WriteRegister("pc", to);
                });
            }
            foreach (IInstruction insn in block.Instructions)
            {
                insn.RegisterExecute((_, pc) =>
                {
                    executed.AddOrUpdate(pc, 1, (_, n) => n + 1);
                    if (pc == Sym("bp_end")) a0 = c.ReadRegister("a0");
                });
            }
        }));
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(lambda, "skipper"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.Equal(1, blockRuns);
        Assert.True(skipped.Length >= 2); // rd_from and the j after it, at least
        Assert.All(skipped, pc => Assert.False(executed.ContainsKey(pc))); // not even rd_from's callback
        Assert.Equal(1, executed[to]);
        Assert.Equal(2UL, a0);
    }

    [Fact]
    public void WritesGoThroughTheWarlRulesAndReachTheGuest()
    {
        var seen = new Dictionary<string, ulong>();
        ulong stored = 0;
        var plugin = new AtLabels(new()
        {
            [Sym("bp_regs")] = c =>
            {
                c.WriteRegister("mtvec", Sym("trap") | 2); // reserved mode: the write is ignored, as a csrw's
                c.WriteRegister("mscratch", 7);
                c.WriteRegister("misa", 0); // WARL, fixed
                c.WriteRegister("ft0", 0x42);
                c.WriteRegister("frm", 0xff); // 3 bits
                c.WriteRegister("minstret", 1000);
                foreach (string r in new[] { "mtvec", "mscratch", "misa", "ft0", "frm", "fcsr", "minstret" }) seen[r] = c.ReadRegister(r);
            },
            [Sym("rd_join")] = c => c.WriteRegister("a0", 0x77), // the guest stores a0 next
            [Sym("bp_end")] = c =>
            {
                byte[] b = new byte[8];
                Assert.Equal(MemoryResult.Ok, c.ReadPhysicalMemory(Sym("redirect_result"), b));
                stored = BinaryPrimitives.ReadUInt64LittleEndian(b);
            },
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(plugin, "writer"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        Assert.Equal(Sym("trap"), seen["mtvec"]);
        Assert.Equal(7UL, seen["mscratch"]);
        Assert.Equal(0x800000000014112DUL, seen["misa"]);
        Assert.Equal(0x42UL, seen["ft0"]);
        Assert.Equal(7UL, seen["frm"]);
        Assert.Equal((7UL << 5) | 5, seen["fcsr"]);
        Assert.Equal(1000UL, seen["minstret"]);
        Assert.Equal(0x77UL, stored);
    }

    [Fact]
    public void GuestMemoryThroughSv39AndByPhysicalAddress()
    {
        var results = new Dictionary<string, object>();
        ulong s2 = 0, s3 = 0, identity = 1;
        var plugin = new AtLabels(new()
        {
            [Sym("bp_regs")] = c => results["m-translate"] = c.TryTranslate(0x80000000, out identity),
            [Sym("bp_vm")] = c =>
            {
                results["priv"] = c.ReadRegister("priv");
                byte[] b = new byte[8];
                results["read"] = c.ReadMemory(0x40000000, b);
                results["read-value"] = BinaryPrimitives.ReadUInt64LittleEndian(b);
                results["t0"] = c.TryTranslate(0x40000004, out ulong p0);
                results["p0"] = p0;
                results["t1"] = c.TryTranslate(0x40001000, out _);
                results["t2"] = c.TryTranslate(0x40002008, out ulong p2);
                results["p2"] = p2;
                byte[] untouched = [9, 9, 9, 9, 9, 9, 9, 9];
                results["unmapped"] = c.ReadMemory(0x40001000, untouched.AsSpan(0, 4));
                results["crossing"] = c.ReadMemory(0x40000ffc, untouched); // the second page is invalid
                results["untouched"] = untouched.All(x => x == 9);
                results["read-only"] = c.WriteMemory(0x40002000, new byte[8]);
                BinaryPrimitives.WriteUInt64LittleEndian(b, 0xCAFEF00DDEADBEEF);
                results["write-v"] = c.WriteMemory(0x40000008, b);
                BinaryPrimitives.WriteUInt64LittleEndian(b, 0x5555AAAA12345678);
                results["write-p"] = c.WritePhysicalMemory(Sym("data_page") + 16, b);
                results["read-p"] = c.ReadPhysicalMemory(Sym("data_page2"), b);
                results["read-p-value"] = BinaryPrimitives.ReadUInt64LittleEndian(b);
                results["device"] = c.ReadPhysicalMemory(0x10000000, new byte[1]);
                results["nothing"] = c.ReadPhysicalMemory(0x0, new byte[4]);
                results["ram-end"] = c.ReadPhysicalMemory(0x80000000UL + (16 << 20) - 4, new byte[8]);
            },
            [Sym("bp_end")] = c =>
            {
                s2 = c.ReadRegister("s2");
                s3 = c.ReadRegister("s3");
            },
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(plugin, "memory"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);

        Assert.Equal(true, results["m-translate"]);
        Assert.Equal(0x80000000UL, identity); // M-mode: no translation
        Assert.Equal(1UL, results["priv"]);
        Assert.Equal(MemoryResult.Ok, results["read"]);
        Assert.Equal(0x1122334455667788UL, results["read-value"]);
        Assert.Equal(true, results["t0"]);
        Assert.Equal(Sym("data_page") + 4, results["p0"]);
        Assert.Equal(false, results["t1"]);
        Assert.Equal(true, results["t2"]);
        Assert.Equal(Sym("data_page2") + 8, results["p2"]);
        Assert.Equal(MemoryResult.PageFault, results["unmapped"]);
        Assert.Equal(MemoryResult.PageFault, results["crossing"]);
        Assert.Equal(true, results["untouched"]);
        Assert.Equal(MemoryResult.PageFault, results["read-only"]);
        Assert.Equal(MemoryResult.Ok, results["write-v"]);
        Assert.Equal(MemoryResult.Ok, results["write-p"]);
        Assert.Equal(MemoryResult.Ok, results["read-p"]);
        Assert.Equal(0x0123456789abcdefUL, results["read-p-value"]); // the refused write left it alone
        Assert.Equal(MemoryResult.Device, results["device"]);
        Assert.Equal(MemoryResult.Unmapped, results["nothing"]);
        Assert.Equal(MemoryResult.Unmapped, results["ram-end"]);
        // The guest loads what the plugin wrote, by virtual and by physical address.
        Assert.Equal(0xCAFEF00DDEADBEEFUL, s2);
        Assert.Equal(0x5555AAAA12345678UL, s3);

        // Memory callbacks: the virtual address, and the physical one with what it hit.
        MemoryAccessInfo[] accesses = [.. plugin.Accesses];
        MemoryAccessInfo load = Assert.Single(accesses, a => a.Pc == Sym("s_code") + 4);
        Assert.Equal((0x40000000UL, Sym("data_page"), false, "RAM", 0x1122334455667788UL), (load.Address, load.PhysicalAddress, load.IsIo, load.DeviceName, load.Value));
        MemoryAccessInfo[] uart = [.. accesses.Where(a => a.Address == 0x10000000)];
        Assert.Equal(2, uart.Length);
        Assert.All(uart, a => Assert.Equal((0x10000000UL, true, "serial", 1, true), (a.PhysicalAddress, a.IsIo, a.DeviceName, a.Size, a.IsStore)));
        Assert.Equal((ulong)'K', uart[0].Value);
        MemoryAccessInfo finisher = accesses[^1];
        Assert.Equal((0x100000UL, 0x100000UL, true, "riscv.sifive.test", 0x5555UL), (finisher.Address, finisher.PhysicalAddress, finisher.IsIo, finisher.DeviceName, finisher.Value));
        // The guest's own result store in M-mode: RAM at its own address.
        MemoryAccessInfo result = Assert.Single(accesses, a => a.Address == Sym("redirect_result"));
        Assert.Equal((Sym("redirect_result"), false, "RAM"), (result.PhysicalAddress, result.IsIo, result.DeviceName));
    }

    /// <summary>Where register and memory access is not allowed, it says so; a plugin whose callback breaks the rules is contained.</summary>
    [Fact]
    public void MisuseIsRefusedClearlyAndContained()
    {
        Exception? inTranslation = null, inExit = null, atExit = null, memoryInTranslation = null;
        Exception? pcInMemory = null;
        IPluginContext? context = null;
        var lambda = new Lambda(c =>
        {
            context = c;
            c.RegisterBlockTranslated(block =>
            {
                inTranslation ??= Catch(() => c.WriteRegister("a0", 1));
                memoryInTranslation ??= Catch(() => c.WriteMemory(0x80000000, new byte[1]));
                foreach (IInstruction insn in block.Instructions)
                {
                    insn.RegisterMemory((_, a) => pcInMemory ??= Catch(() => c.WriteRegister("pc", a.Pc)));
                    // Thrown out of the callback: reported once, this plugin's insn-exec callbacks disabled.
                    if (insn.Pc == Sym("bp_regs")) insn.RegisterExecute((_, _) => c.ReadRegister("bogus"));
                }
            });
            c.RegisterVCpuExit(_ => inExit = Catch(() => c.WriteRegister("a0", 1)));
            c.RegisterAtExit(() => atExit = Catch(() => c.ReadRegister("a0")));
        });
        PluginRunResult r = PluginRun.Run(Programs.Guest(Guest, harts: 1), host => host.Install(lambda, "misuse"));
        Assert.Equal(0, r.ExitCode); // the guest is untouched: its own run passes

        Assert.Contains("WriteRegister is not allowed in a block-translated callback", Assert.IsType<InvalidOperationException>(inTranslation).Message);
        Assert.Contains("WriteMemory is not allowed in a block-translated callback", Assert.IsType<InvalidOperationException>(memoryInTranslation).Message);
        Assert.Contains("pc cannot be written in a memory callback", Assert.IsType<InvalidOperationException>(pcInMemory).Message);
        Assert.Contains("WriteRegister is not allowed in a vCPU exit callback", Assert.IsType<InvalidOperationException>(inExit).Message);
        Assert.Contains("ReadRegister is only valid inside a vCPU callback", Assert.IsType<InvalidOperationException>(atExit).Message);
        Assert.Throws<InvalidOperationException>(() => context!.ReadRegister("a0")); // the test's own thread
        Assert.Throws<InvalidOperationException>(() => context!.ReadMemory(0x80000000, new byte[1]));
        Assert.Throws<InvalidOperationException>(() => context!.ReadPhysicalMemory(0x80000000, new byte[1]));
        Assert.Equal(
            "rivet: plugin 'misuse' insn-exec callback threw ArgumentException on vCPU 0: plugin 'misuse': no register named 'bogus' (names as gdb's: a0, fp, ft0, mstatus, pc, priv; also x0-x31, f0-f31) (Parameter 'name'); plugin 'misuse' insn-exec callbacks are disabled, the machine carries on\n",
            r.Diagnostics);
    }

    [RivetPlugin(PluginApi.Version)]
    private sealed class Lambda(Action<IPluginContext> install) : IRivetPlugin
    {
        public void Install(IPluginContext context, PluginArgs args) => install(context);
    }
}
