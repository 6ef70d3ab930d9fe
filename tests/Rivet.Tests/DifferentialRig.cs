using System.Buffers.Binary;
using System.Globalization;
using StringBuilder = System.Text.StringBuilder;
using Rivet.Cpu;
using Rivet.Devices;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Tests;

/// <summary>
/// A small RV64GC assembler for generated and hand-written test code: emits at known addresses,
/// binds forward labels by patching, and remembers every instruction it emitted (for the
/// disassembly of a failing stream and the generator's coverage check).
/// </summary>
internal sealed class Asm(ulong origin)
{
    /// <summary>One emitted instruction: where, its bits, and whether the generator meant it to be legal (null: depends on state).</summary>
    internal readonly record struct Emitted(ulong Address, uint Raw, bool Compressed, bool? Legal);

    private enum Fix { Branch, Jal, CBranch, CJump, AuipcI }

    private readonly List<byte> _bytes = [];
    private readonly List<(int Offset, Fix Kind, Label Target)> _fixups = [];

    public ulong Origin { get; } = origin;
    public ulong Pc => Origin + (ulong)_bytes.Count;
    public List<Emitted> Insns { get; } = [];
    public byte[] Bytes => [.. _bytes];

    internal sealed class Label
    {
        public ulong? Address;
    }

    public void Emit(uint raw, bool? legal = true)
    {
        Insns.Add(new Emitted(Pc, raw, false, legal));
        for (int i = 0; i < 4; i++) _bytes.Add((byte)(raw >> (8 * i)));
    }

    public void Emit16(ushort raw, bool? legal = true)
    {
        Insns.Add(new Emitted(Pc, raw, true, legal));
        _bytes.Add((byte)raw);
        _bytes.Add((byte)(raw >> 8));
    }

    /// <summary>Pads to a 4-byte boundary with c.nop.</summary>
    public void Align4()
    {
        if ((Pc & 3) != 0) Emit16(0x0001);
    }

    public void Bind(Label label)
    {
        label.Address = Pc;
        foreach (var (offset, kind, target) in _fixups.Where(f => f.Target == label).ToArray())
        {
            ulong at = Origin + (ulong)offset;
            long off = (long)(Pc - at);
            switch (kind)
            {
                case Fix.Branch: Patch32(offset, Read32(offset) | Rv.BranchImm(Checked(off, 12))); break;
                case Fix.Jal: Patch32(offset, Read32(offset) | Rv.JalImm(Checked(off, 20))); break;
                case Fix.CBranch: Patch16(offset, (ushort)(Read16(offset) | Rv.CBranchImm(Checked(off, 8)))); break;
                case Fix.CJump: Patch16(offset, (ushort)(Read16(offset) | Rv.CJumpImm(Checked(off, 11)))); break;
                case Fix.AuipcI:
                    {
                        long lo = (off << 52) >> 52;
                        long hi = (off - lo) >> 12;
                        Patch32(offset, Read32(offset) | ((uint)hi << 12));
                        Patch32(offset + 4, Read32(offset + 4) | ((uint)(lo & 0xFFF) << 20));
                        break;
                    }
            }
        }
        _fixups.RemoveAll(f => f.Target == label);
    }

    private static long Checked(long off, int bits)
    {
        if (off < -(1L << bits) || off >= (1L << bits)) throw new InvalidOperationException($"offset {off} out of range for a {bits + 1}-bit field");
        return off;
    }

    /// <summary>A 32-bit branch (its immediate zero) to a forward label.</summary>
    public void BranchTo(uint branchWithoutImm, Label target) => EmitFixed(branchWithoutImm, Fix.Branch, target);

    public void JalTo(int rd, Label target) => EmitFixed(Rv.J(rd, 0), Fix.Jal, target);

    /// <summary>auipc rt + an I-type (addi, jalr, a load) whose 32-bit sum is the label's address.</summary>
    public void AuipcTo(int rt, uint iTypeWithoutImm, Label target)
    {
        if (target.Address is { } a)
        {
            long off = (long)(a - Pc);
            long lo = (off << 52) >> 52;
            Emit(Rv.U(0x17, rt, (uint)((off - lo) >> 12)));
            Emit(iTypeWithoutImm | ((uint)(lo & 0xFFF) << 20));
            return;
        }
        _fixups.Add((_bytes.Count, Fix.AuipcI, target));
        Emit(Rv.U(0x17, rt, 0));
        Emit(iTypeWithoutImm);
    }

    public void CBranchTo(ushort cbWithoutImm, Label target)
    {
        _fixups.Add((_bytes.Count, Fix.CBranch, target));
        Emit16(cbWithoutImm);
    }

    public void CJumpTo(Label target)
    {
        _fixups.Add((_bytes.Count, Fix.CJump, target));
        Emit16(0xA001);
    }

    private void EmitFixed(uint raw, Fix kind, Label target)
    {
        _fixups.Add((_bytes.Count, kind, target));
        Emit(raw);
    }

    /// <summary>rd = a 64-bit address (pc-relative: RAM at 0x80000000 is out of lui's sign-extended reach).</summary>
    public void La(int rd, ulong address)
    {
        long off = (long)(address - Pc);
        long lo = (off << 52) >> 52;
        Emit(Rv.U(0x17, rd, (uint)((off - lo) >> 12)));
        Emit(Rv.I(0x13, rd, 0, rd, (int)lo));
    }

    /// <summary>rd = a 32-bit signed constant (lui + addiw).</summary>
    public void Li32(int rd, int value)
    {
        int lo = (value << 20) >> 20;
        int hi = (int)((uint)(value - lo) >> 12);
        if (hi != 0)
        {
            Emit(Rv.U(0x37, rd, (uint)hi));
            Emit(Rv.I(0x1B, rd, 0, rd, lo));
        }
        else
        {
            Emit(Rv.I(0x13, rd, 0, 0, lo));
        }
    }

    private uint Read32(int o) => (uint)(_bytes[o] | (_bytes[o + 1] << 8) | (_bytes[o + 2] << 16) | (_bytes[o + 3] << 24));
    private ushort Read16(int o) => (ushort)(_bytes[o] | (_bytes[o + 1] << 8));

    private void Patch32(int o, uint v)
    {
        for (int i = 0; i < 4; i++) _bytes[o + i] = (byte)(v >> (8 * i));
        int k = Insns.FindIndex(e => e.Address == Origin + (ulong)o);
        Insns[k] = Insns[k] with { Raw = v };
    }

    private void Patch16(int o, ushort v)
    {
        _bytes[o] = (byte)v;
        _bytes[o + 1] = (byte)(v >> 8);
        int k = Insns.FindIndex(e => e.Address == Origin + (ulong)o);
        Insns[k] = Insns[k] with { Raw = v };
    }

    public bool AllBound => _fixups.Count == 0;
}

/// <summary>RISC-V encodings (the unprivileged spec's formats).</summary>
internal static class Rv
{
    public static uint R(uint op, int rd, uint f3, int rs1, int rs2, uint f7) => (f7 << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)rd << 7) | op;
    public static uint I(uint op, int rd, uint f3, int rs1, int imm) => ((uint)(imm & 0xFFF) << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)rd << 7) | op;
    public static uint S(uint op, uint f3, int rs1, int rs2, int imm) => ((uint)((imm >> 5) & 0x7F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | ((uint)(imm & 0x1F) << 7) | op;
    public static uint U(uint op, int rd, uint imm20) => ((imm20 & 0xFFFFF) << 12) | ((uint)rd << 7) | op;
    public static uint R4(uint op, int rd, uint rm, int rs1, int rs2, int rs3, uint fmt) => ((uint)rs3 << 27) | (fmt << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (rm << 12) | ((uint)rd << 7) | op;

    public static uint BranchImm(long off)
        => ((uint)((off >> 12) & 1) << 31) | ((uint)((off >> 5) & 0x3F) << 25) | ((uint)((off >> 1) & 0xF) << 8) | ((uint)((off >> 11) & 1) << 7);

    public static uint Branch(uint f3, int rs1, int rs2, long off) => BranchImm(off) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (f3 << 12) | 0x63;

    public static uint JalImm(long off)
        => ((uint)((off >> 20) & 1) << 31) | ((uint)((off >> 1) & 0x3FF) << 21) | ((uint)((off >> 11) & 1) << 20) | ((uint)((off >> 12) & 0xFF) << 12);

    public static uint J(int rd, long off) => JalImm(off) | ((uint)rd << 7) | 0x6F;

    public static uint Addi(int rd, int rs1, int imm) => I(0x13, rd, 0, rs1, imm);
    public static uint Csr(uint f3, int rd, int csr, int rs1) => I(0x73, rd, f3, rs1, csr);

    public const uint Ecall = 0x00000073, Ebreak = 0x00100073, Mret = 0x30200073, Wfi = 0x10500073;
    public const uint FenceI = 0x0000100F, Fence = 0x0FF0000F, SfenceVma = 0x12000073;

    // Compressed (C extension): c.beqz/c.bnez and c.j immediates.
    public static ushort CBranchImm(long off)
        => (ushort)((((off >> 8) & 1) << 12) | (((off >> 3) & 3) << 10) | (((off >> 6) & 3) << 5) | (((off >> 1) & 3) << 3) | (((off >> 5) & 1) << 2));

    public static ushort CJumpImm(long off)
        => (ushort)((((off >> 11) & 1) << 12) | (((off >> 4) & 1) << 11) | (((off >> 8) & 3) << 9) | (((off >> 10) & 1) << 8)
            | (((off >> 6) & 1) << 7) | (((off >> 7) & 1) << 6) | (((off >> 1) & 7) << 3) | (((off >> 5) & 1) << 2));

    /// <summary>CI format: funct3, imm[5] at bit 12, rd, imm[4:0], quadrant.</summary>
    public static ushort CI(uint f3, int rd, int imm6, uint quadrant) => (ushort)((f3 << 13) | ((uint)((imm6 >> 5) & 1) << 12) | ((uint)rd << 7) | ((uint)(imm6 & 0x1F) << 2) | quadrant);

    /// <summary>CL/CS with a word offset (c.lw, c.sw): f3, offset[5:3], rs1', offset[2|6], rd'/rs2'.</summary>
    public static ushort CW(uint f3, int r, int rs1, int off)
        => (ushort)((f3 << 13) | ((uint)((off >> 3) & 7) << 10) | ((uint)(rs1 - 8) << 7) | ((uint)((off >> 2) & 1) << 6) | ((uint)((off >> 6) & 1) << 5) | ((uint)(r - 8) << 2));

    /// <summary>CL/CS with a doubleword offset (c.ld, c.sd, c.fld, c.fsd): offset[5:3], offset[7:6].</summary>
    public static ushort CD(uint f3, int r, int rs1, int off)
        => (ushort)((f3 << 13) | ((uint)((off >> 3) & 7) << 10) | ((uint)(rs1 - 8) << 7) | ((uint)((off >> 6) & 3) << 5) | ((uint)(r - 8) << 2));

    public static ushort CLwsp(int rd, int off) => (ushort)((2u << 13) | ((uint)((off >> 5) & 1) << 12) | ((uint)rd << 7) | ((uint)((off >> 2) & 7) << 4) | ((uint)((off >> 6) & 3) << 2) | 2);
    public static ushort CLdsp(int rd, int off) => (ushort)((3u << 13) | ((uint)((off >> 5) & 1) << 12) | ((uint)rd << 7) | ((uint)((off >> 3) & 3) << 5) | ((uint)((off >> 6) & 7) << 2) | 2);
    public static ushort CSwsp(int rs2, int off) => (ushort)((6u << 13) | ((uint)((off >> 2) & 0xF) << 9) | ((uint)((off >> 6) & 3) << 7) | ((uint)rs2 << 2) | 2);
    public static ushort CSdsp(int rs2, int off) => (ushort)((7u << 13) | ((uint)((off >> 3) & 7) << 10) | ((uint)((off >> 6) & 7) << 7) | ((uint)rs2 << 2) | 2);
}

/// <summary>
/// An MMIO device the streams load from and store to: 16 bytes of registers, and a running hash
/// of every access (offset, size, value, direction), so the two engines must also agree on the
/// device's view: the same accesses in the same order.
/// </summary>
internal sealed class ScratchDevice : IMmioDevice
{
    public const ulong DefaultBase = 0x10000000;
    private readonly byte[] _regs = new byte[16];

    public string Name => "scratch";
    public ulong Base => DefaultBase;
    public ulong Size => 16;
    public ulong AccessHash { get; private set; } = 0xcbf29ce484222325;
    public int Accesses { get; private set; }

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        for (int i = size - 1; i >= 0; i--) value = (value << 8) | _regs[(int)offset + i];
        Record(offset, size, value, false);
        return true;
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        for (int i = 0; i < size; i++) _regs[(int)offset + i] = (byte)(value >> (8 * i));
        Record(offset, size, value, true);
        return true;
    }

    private void Record(ulong offset, int size, ulong value, bool write)
    {
        Accesses++;
        ulong h = AccessHash;
        foreach (ulong v in (ReadOnlySpan<ulong>)[offset, (ulong)size, value, write ? 1UL : 0UL]) h = (h ^ v) * 0x100000001b3;
        AccessHash = h;
    }

    public void Reset() => Array.Clear(_regs);
}

/// <summary>One bare hart over its own RAM and a <see cref="ScratchDevice"/>, loaded with an image.</summary>
internal sealed class DiffRig : IDisposable
{
    public const ulong RamBase = 0x80000000;

    public readonly PhysicalMemory Memory;
    public readonly Hart Hart;
    public readonly ScratchDevice Device = new();
    public string EngineName { get; }

    public DiffRig(ExecutionEngine engine, ulong ramSize, IEnumerable<(ulong Address, byte[] Bytes)> image, Action<Hart> initialState)
    {
        Memory = new PhysicalMemory(RamBase, ramSize, [Device]);
        foreach (var (address, bytes) in image) Assert.True(Memory.WriteRam(address, bytes));
        Hart = new Hart(0, Memory, new VirtualClock()) { ResetVector = RamBase, Engine = engine };
        // The translator translates a block head at its first entry, so short streams run translated code.
        if (engine == ExecutionEngine.Translator) Hart.HotThreshold = 1;
        Hart.Reset();
        initialState(Hart);
        EngineName = engine == ExecutionEngine.Translator ? "translator" : "interpreter";
    }

    public Span<byte> Ram()
    {
        unsafe
        {
            return new Span<byte>(Memory.Ram, (int)Memory.RamSize);
        }
    }

    public void Dispose() => Memory.Dispose();

    /// <summary>The CSRs compared after every run (time-dependent ones excluded: time, and nothing here arms a timer).</summary>
    internal static readonly (int Csr, string Name)[] ComparedCsrs =
    [
        (Csr.Fflags, "fflags"), (Csr.Frm, "frm"), (Csr.Fcsr, "fcsr"), (Csr.Mstatus, "mstatus"), (Csr.Misa, "misa"),
        (Csr.Medeleg, "medeleg"), (Csr.Mideleg, "mideleg"), (Csr.Mie, "mie"), (Csr.Mtvec, "mtvec"), (Csr.Mcounteren, "mcounteren"),
        (Csr.Menvcfg, "menvcfg"), (Csr.Mscratch, "mscratch"), (Csr.Mepc, "mepc"), (Csr.Mcause, "mcause"), (Csr.Mtval, "mtval"),
        (Csr.Mip, "mip"), (Csr.Mcycle, "mcycle"), (Csr.Minstret, "minstret"), (Csr.Cycle, "cycle"), (Csr.Instret, "instret"),
        (Csr.Sstatus, "sstatus"), (Csr.Sie, "sie"), (Csr.Stvec, "stvec"), (Csr.Scounteren, "scounteren"), (Csr.Senvcfg, "senvcfg"),
        (Csr.Sscratch, "sscratch"), (Csr.Sepc, "sepc"), (Csr.Scause, "scause"), (Csr.Stval, "stval"), (Csr.Sip, "sip"),
        (Csr.Satp, "satp"), (Csr.Stimecmp, "stimecmp"), (Csr.Pmpcfg0, "pmpcfg0"), (Csr.Pmpaddr0, "pmpaddr0"),
    ];

    /// <summary>The first architectural difference between two rigs (null: none): pc, privilege, x, f, CSRs, counters, RAM, the device.</summary>
    public static string? Difference(DiffRig a, DiffRig b)
    {
        Hart x = a.Hart, y = b.Hart;
        static string H(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
        if (x.Pc != y.Pc) return $"pc: {a.EngineName} {H(x.Pc)}, {b.EngineName} {H(y.Pc)}";
        if (x.Privilege != y.Privilege) return $"privilege: {a.EngineName} {x.Privilege}, {b.EngineName} {y.Privilege}";
        if (x.InstructionsRetired != y.InstructionsRetired) return $"instret: {a.EngineName} {x.InstructionsRetired}, {b.EngineName} {y.InstructionsRetired}";
        if (x.RetiredCount != y.RetiredCount) return $"retired count: {a.EngineName} {x.RetiredCount}, {b.EngineName} {y.RetiredCount}";
        if (x.Halted != y.Halted) return $"halted: {a.EngineName} {x.Halted}, {b.EngineName} {y.Halted}";
        for (int i = 1; i < 32; i++)
        {
            if (x.ReadRegister(i) != y.ReadRegister(i))
                return $"x{i} ({Disassembler.RegisterName(i)}): {a.EngineName} {H(x.ReadRegister(i))}, {b.EngineName} {H(y.ReadRegister(i))}";
        }
        for (int i = 0; i < 32; i++)
        {
            if (x.ReadF(i) != y.ReadF(i)) return $"f{i} ({Disassembler.FpRegisterName(i)}): {a.EngineName} {H(x.ReadF(i))}, {b.EngineName} {H(y.ReadF(i))}";
        }
        foreach (var (csr, name) in ComparedCsrs)
        {
            bool okA = x.TryReadCsrDebug(csr, out ulong va), okB = y.TryReadCsrDebug(csr, out ulong vb);
            if (okA != okB || va != vb) return $"{name}: {a.EngineName} {(okA ? H(va) : "unreadable")}, {b.EngineName} {(okB ? H(vb) : "unreadable")}";
        }
        Span<byte> ra = a.Ram(), rb = b.Ram();
        if (!ra.SequenceEqual(rb))
        {
            int i = 0;
            while (ra[i] == rb[i]) i++;
            return $"RAM at {H(RamBase + (ulong)i)}: {a.EngineName} {H(ra[i])}, {b.EngineName} {H(rb[i])} (first differing byte)";
        }
        if (a.Device.AccessHash != b.Device.AccessHash)
            return $"MMIO accesses: {a.EngineName} {a.Device.Accesses} (hash {H(a.Device.AccessHash)}), {b.EngineName} {b.Device.Accesses} (hash {H(b.Device.AccessHash)})";
        return null;
    }

    /// <summary>A listing of the emitted code around <paramref name="pc"/> (the image as generated, before any self-modification).</summary>
    public static string Disassembly(IReadOnlyList<Asm.Emitted> insns, ulong pc, int around = 20)
    {
        var sb = new StringBuilder();
        int at = 0;
        for (int i = 0; i < insns.Count; i++)
        {
            if (insns[i].Address <= pc) at = i;
        }
        for (int i = Math.Max(0, at - around); i < Math.Min(insns.Count, at + around + 1); i++)
        {
            Asm.Emitted e = insns[i];
            DecodedInsn d = e.Compressed ? Decoder.Decode16((ushort)e.Raw) : Decoder.Decode32(e.Raw);
            string raw = e.Compressed ? e.Raw.ToString("x4", CultureInfo.InvariantCulture) + "    " : e.Raw.ToString("x8", CultureInfo.InvariantCulture);
            sb.Append(e.Address == pc ? "=> " : "   ").Append(e.Address.ToString("x", CultureInfo.InvariantCulture)).Append(": ")
                .Append(raw).Append("  ").Append(Disassembler.Format(d, e.Address)).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Runs the same program on an interpreter hart and a translator hart, with the same budgets,
/// comparing the whole architectural state and memory after every <see cref="Hart.Run"/>.
/// </summary>
internal static class Lockstep
{
    /// <summary>Test hook: applied to the translator's rig after the given run call, to show the comparison catches a wrong translator.</summary>
    internal delegate void Sabotage(int call, DiffRig translator);

    /// <summary>
    /// Runs until both harts halt (WFI with nothing pending) or <paramref name="maxInstructions"/>
    /// pass. Returns null when they agreed throughout, else what differed, where, and the budgets
    /// so far; <paramref name="describe"/> adds the program's seed and listing.
    /// </summary>
    /// <param name="events">
    /// Between some runs, the same event on both harts: a kick (RequestExit, withdrawn after the
    /// run) or a supervisor software interrupt (SSIP), which both must take at the same boundary.
    /// </param>
    public static string? Run(DiffRig interp, DiffRig trans, Random budgets, long maxInstructions, Func<ulong, ulong, string> describe, Sabotage? sabotage = null, bool events = false)
    {
        var history = new List<string>();
        ulong startCount = interp.Hart.RetiredCount; // monotonic, unlike minstret, which streams write
        for (int call = 0; ; call++)
        {
            long budget = budgets.Next(10) switch
            {
                < 6 => budgets.Next(1, 51),
                < 9 => budgets.Next(51, 2001),
                _ => 100_000,
            };
            string label = budget.ToString(CultureInfo.InvariantCulture);
            int kind = events ? budgets.Next(16) : -1;
            foreach (Hart h in (ReadOnlySpan<Hart>)[interp.Hart, trans.Hart])
            {
                if (kind == 0) h.RequestExit();
                if (kind == 1) h.SetPending(Cause.SupervisorSoftware, true);
            }
            if (kind == 0) label += "+kick";
            if (kind == 1) label += "+ssip";
            history.Add(label);
            ExecExit ea = interp.Hart.Run(budget), eb = trans.Hart.Run(budget);
            interp.Hart.ClearExitRequest();
            trans.Hart.ClearExitRequest();
            sabotage?.Invoke(call, trans);
            string? diff = ea != eb ? $"Run's exit: interpreter {ea}, translator {eb}" : DiffRig.Difference(interp, trans);
            if (diff != null)
            {
                return $"engines differ after run call {call} (budgets {string.Join(",", history)}): {diff}\n"
                    + describe(interp.Hart.Pc, trans.Hart.Pc);
            }
            if (ea == ExecExit.Halted) return null;
            if (interp.Hart.RetiredCount - startCount > (ulong)maxInstructions)
                return $"no halt within {maxInstructions} instructions (budgets {string.Join(",", history)})\n" + describe(interp.Hart.Pc, trans.Hart.Pc);
        }
    }

    /// <summary>Disassembly at both engines' pcs (one listing when they are the same).</summary>
    public static string Listing(IReadOnlyList<Asm.Emitted> insns, ulong pcA, ulong pcB)
        => pcA == pcB
            ? "disassembly around pc:\n" + DiffRig.Disassembly(insns, pcA)
            : "disassembly around the interpreter's pc:\n" + DiffRig.Disassembly(insns, pcA) + "disassembly around the translator's pc:\n" + DiffRig.Disassembly(insns, pcB);

    public static byte[] Words(params uint[] words)
    {
        var b = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), words[i]);
        return b;
    }
}
