using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rivet.Plugins.Builtin;

/// <summary>
/// <c>execlog</c>: one line per executed instruction, with its memory accesses and register
/// changes (QEMU 10's contrib/plugins/execlog.c, same lines:
/// <c>0, 0x80000000, 0x297, "auipc t0,0x0"</c>, then <c>, load, 0x80001000, RAM</c> per access
/// and <c>, a0 -> 0x0000000000000005</c> per tracked register that changed). A line is printed
/// when the vCPU's next logged instruction starts (so its accesses and register changes are
/// known); the last line of each vCPU at exit. Options, repeatable: <c>ifilter=PREFIX</c>
/// (instructions whose disassembly starts with it), <c>afilter=ADDR</c> (hex address), either
/// of which restricts the log to the matches; <c>reg=PATTERN</c> (glob over register names:
/// <c>a0</c>, <c>s*</c>, <c>mstatus</c>); <c>rdisas=on</c> (check registers only after
/// instructions whose operands name one, and log those instructions).
/// </summary>
[RivetPlugin(PluginApi.Version)]
internal sealed class ExeclogPlugin : IRivetPlugin
{
    private sealed class Tracked(RegisterDescriptor register, ulong last)
    {
        public readonly RegisterDescriptor Register = register;
        public readonly string Name = register.Name.ToLowerInvariant();
        public ulong Last = last;
    }

    /// <summary>One vCPU's state, touched only by its own thread (and at exit, with every vCPU paused).</summary>
    private sealed class VCpuLog
    {
        public readonly StringBuilder LastExec = new();
        public List<Tracked>? Registers;
    }

    public void Install(IPluginContext context, PluginArgs args)
    {
        args.RejectUnknown("ifilter", "afilter", "reg", "rdisas");
        IReadOnlyList<string> imatches = args.GetAll("ifilter");
        ulong[] amatches = [.. args.GetAll("afilter").Select(ParseAddress)];
        Regex[] rmatches = [.. args.GetAll("reg").Select(Glob)];
        bool disasAssist = args.GetBool("rdisas", false);
        bool filtering = imatches.Count > 0 || amatches.Length > 0;
        bool tracking = rmatches.Length > 0;
        var allRegNames = new List<string>(); // names of tracked registers, for rdisas; guarded by itself

        var cpus = new VCpuLog[context.VCpuCount];
        for (int i = 0; i < cpus.Length; i++) cpus[i] = new VCpuLog();

        context.RegisterVCpuInit(cpu =>
        {
            if (!tracking) return;
            var registers = new List<Tracked>();
            foreach (RegisterDescriptor rd in context.GetRegisters())
            {
                // As QEMU: a register matched by two patterns is tracked (and printed) twice.
                foreach (Regex pattern in rmatches)
                {
                    if (!pattern.IsMatch(rd.Name) && !pattern.IsMatch(rd.Name.ToLowerInvariant())) continue;
                    var reg = new Tracked(rd, context.ReadRegister(rd));
                    registers.Add(reg);
                    if (disasAssist)
                    {
                        lock (allRegNames)
                        {
                            if (!allRegNames.Contains(reg.Name)) allRegNames.Add(reg.Name);
                        }
                    }
                }
            }
            cpus[cpu].Registers = registers.Count > 0 ? registers : null;
        });

        void CheckRegisters(VCpuLog c)
        {
            foreach (Tracked reg in c.Registers!)
            {
                ulong now = context.ReadRegister(reg.Register);
                if (now == reg.Last) continue;
                c.LastExec.Append(CultureInfo.InvariantCulture, $", {reg.Name} -> 0x{now:x16}");
                reg.Last = now;
            }
        }

        void Flush(VCpuLog c)
        {
            if (c.LastExec.Length == 0) return;
            if (c.Registers != null) CheckRegisters(c);
            c.LastExec.Append('\n');
            context.Output(c.LastExec.ToString());
        }

        MemoryCallback memory = (cpu, access) =>
        {
            StringBuilder s = cpus[cpu].LastExec;
            s.Append(access.IsStore ? ", store" : ", load");
            s.Append(CultureInfo.InvariantCulture, $", 0x{access.PhysicalAddress:x8}, {access.DeviceName}");
        };

        // Log the previous instruction (checking registers when asked), then start this one's line.
        ExecuteCallback Logger(string output, bool checkRegisters) => (cpu, _) =>
        {
            VCpuLog c = cpus[cpu];
            if (checkRegisters) Flush(c);
            else if (c.LastExec.Length > 0) context.Output(c.LastExec.Append('\n').ToString());
            c.LastExec.Clear();
            c.LastExec.Append(CultureInfo.InvariantCulture, $"{cpu}, ").Append(output);
        };

        // Not logged, but the previous instruction's register changes still are.
        ExecuteCallback onlyRegisters = (cpu, _) =>
        {
            VCpuLog c = cpus[cpu];
            Flush(c);
            c.LastExec.Clear();
        };

        context.RegisterBlockTranslated(block =>
        {
            bool skip = filtering;
            bool checkRegsThis = tracking, checkRegsNext = false;
            foreach (IInstruction insn in block.Instructions)
            {
                string disas = insn.Disassembly;
                // A filter match latches: memory accesses after the instruction are still logged.
                if (skip && imatches.Count > 0 && imatches.Any(m => disas.StartsWith(m, StringComparison.Ordinal)))
                {
                    skip = false;
                    checkRegsNext = tracking;
                }
                if (skip && amatches.Contains(insn.Pc)) skip = false;
                if (disasAssist && tracking)
                {
                    // Only instructions whose operands name a tracked register can change it.
                    checkRegsNext = false;
                    int space = disas.IndexOfAny([' ', '\t']);
                    if (space >= 0)
                    {
                        string operands = disas[(space + 1)..];
                        lock (allRegNames)
                        {
                            if (allRegNames.Any(r => operands.Contains(r, StringComparison.Ordinal)))
                            {
                                checkRegsNext = true;
                                skip = false;
                            }
                        }
                    }
                }

                if (skip)
                {
                    if (checkRegsThis) insn.RegisterExecute(onlyRegisters);
                }
                else
                {
                    string output = string.Create(CultureInfo.InvariantCulture, $"0x{insn.Pc:x}, 0x{insn.Opcode:x}, \"{disas}\"");
                    insn.RegisterMemory(memory);
                    insn.RegisterExecute(Logger(output, checkRegsThis));
                    skip = filtering;
                }
                if (disasAssist && tracking) checkRegsThis = checkRegsNext;
            }
        });

        context.RegisterAtExit(() =>
        {
            // As QEMU: every vCPU's last line, even an empty one.
            var sb = new StringBuilder();
            foreach (VCpuLog c in cpus) sb.Append(c.LastExec).Append('\n');
            context.Output(sb.ToString());
        });
    }

    private static ulong ParseAddress(string text)
    {
        string digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (!ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v))
            throw new PluginArgumentException($"afilter={text}: expected a hexadecimal address");
        return v;
    }

    /// <summary>A glob (<c>*</c> any run, <c>?</c> one character) as GLib's g_pattern_spec matches it: the whole name.</summary>
    private static Regex Glob(string pattern)
        => new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
}
