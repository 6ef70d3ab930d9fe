using System.Reflection;
using System.Runtime.CompilerServices;
using Rivet.Isa;

namespace Rivet.Cpu;

/// <summary>
/// The meaning of every integer register-register, register-immediate and branch instruction,
/// defined once: the interpreter calls these (the JIT inlines them) and the translator emits calls
/// to the same methods into its regions (<see cref="Translator.RegionTranslator"/>), so the two
/// engines cannot disagree on an instruction. Register-immediate forms take the decoded immediate
/// as a long (shift amounts included).
/// </summary>
internal static class IntegerOps
{
    private const MethodImplOptions Inline = MethodImplOptions.AggressiveInlining;

    [MethodImpl(Inline)] public static ulong Lui(long imm) => (ulong)imm;
    [MethodImpl(Inline)] public static ulong Addi(ulong a, long imm) => a + (ulong)imm;
    [MethodImpl(Inline)] public static ulong Slti(ulong a, long imm) => (long)a < imm ? 1UL : 0UL;
    [MethodImpl(Inline)] public static ulong Sltiu(ulong a, long imm) => a < (ulong)imm ? 1UL : 0UL;
    [MethodImpl(Inline)] public static ulong Xori(ulong a, long imm) => a ^ (ulong)imm;
    [MethodImpl(Inline)] public static ulong Ori(ulong a, long imm) => a | (ulong)imm;
    [MethodImpl(Inline)] public static ulong Andi(ulong a, long imm) => a & (ulong)imm;
    [MethodImpl(Inline)] public static ulong Slli(ulong a, long imm) => a << (int)imm;
    [MethodImpl(Inline)] public static ulong Srli(ulong a, long imm) => a >> (int)imm;
    [MethodImpl(Inline)] public static ulong Srai(ulong a, long imm) => (ulong)((long)a >> (int)imm);
    [MethodImpl(Inline)] public static ulong Addiw(ulong a, long imm) => (ulong)(long)(int)((uint)a + (uint)imm);
    [MethodImpl(Inline)] public static ulong Slliw(ulong a, long imm) => (ulong)(long)(int)((uint)a << (int)imm);
    [MethodImpl(Inline)] public static ulong Srliw(ulong a, long imm) => (ulong)(long)(int)((uint)a >> (int)imm);
    [MethodImpl(Inline)] public static ulong Sraiw(ulong a, long imm) => (ulong)(long)((int)a >> (int)imm);

    [MethodImpl(Inline)] public static ulong Add(ulong a, ulong b) => a + b;
    [MethodImpl(Inline)] public static ulong Sub(ulong a, ulong b) => a - b;
    [MethodImpl(Inline)] public static ulong Sll(ulong a, ulong b) => a << (int)(b & 63);
    [MethodImpl(Inline)] public static ulong Slt(ulong a, ulong b) => (long)a < (long)b ? 1UL : 0UL;
    [MethodImpl(Inline)] public static ulong Sltu(ulong a, ulong b) => a < b ? 1UL : 0UL;
    [MethodImpl(Inline)] public static ulong Xor(ulong a, ulong b) => a ^ b;
    [MethodImpl(Inline)] public static ulong Srl(ulong a, ulong b) => a >> (int)(b & 63);
    [MethodImpl(Inline)] public static ulong Sra(ulong a, ulong b) => (ulong)((long)a >> (int)(b & 63));
    [MethodImpl(Inline)] public static ulong Or(ulong a, ulong b) => a | b;
    [MethodImpl(Inline)] public static ulong And(ulong a, ulong b) => a & b;
    [MethodImpl(Inline)] public static ulong Addw(ulong a, ulong b) => (ulong)(long)(int)((uint)a + (uint)b);
    [MethodImpl(Inline)] public static ulong Subw(ulong a, ulong b) => (ulong)(long)(int)((uint)a - (uint)b);
    [MethodImpl(Inline)] public static ulong Sllw(ulong a, ulong b) => (ulong)(long)(int)((uint)a << (int)(b & 31));
    [MethodImpl(Inline)] public static ulong Srlw(ulong a, ulong b) => (ulong)(long)(int)((uint)a >> (int)(b & 31));
    [MethodImpl(Inline)] public static ulong Sraw(ulong a, ulong b) => (ulong)(long)((int)a >> (int)(b & 31));

    [MethodImpl(Inline)] public static ulong Mul(ulong a, ulong b) => a * b;
    [MethodImpl(Inline)] public static ulong Mulh(ulong a, ulong b) => (ulong)Math.BigMul((long)a, (long)b, out _);
    [MethodImpl(Inline)] public static ulong Mulhu(ulong a, ulong b) => Math.BigMul(a, b, out _);

    [MethodImpl(Inline)]
    public static ulong Mulhsu(ulong a, ulong b)
    {
        ulong hi = Math.BigMul(a, b, out _);
        return (long)a < 0 ? hi - b : hi;
    }

    // Division by zero and overflow give the spec's results, never a host exception.
    [MethodImpl(Inline)] public static ulong Div(ulong a, ulong b) => b == 0 ? ulong.MaxValue : ((long)a == long.MinValue && (long)b == -1) ? a : (ulong)((long)a / (long)b);
    [MethodImpl(Inline)] public static ulong Divu(ulong a, ulong b) => b == 0 ? ulong.MaxValue : a / b;
    [MethodImpl(Inline)] public static ulong Rem(ulong a, ulong b) => b == 0 ? a : ((long)a == long.MinValue && (long)b == -1) ? 0 : (ulong)((long)a % (long)b);
    [MethodImpl(Inline)] public static ulong Remu(ulong a, ulong b) => b == 0 ? a : a % b;
    [MethodImpl(Inline)] public static ulong Mulw(ulong a, ulong b) => (ulong)(long)(int)((uint)a * (uint)b);
    [MethodImpl(Inline)] public static ulong Divw(ulong a, ulong b) => (ulong)(long)((int)b == 0 ? -1 : ((int)a == int.MinValue && (int)b == -1) ? (int)a : (int)a / (int)b);
    [MethodImpl(Inline)] public static ulong Divuw(ulong a, ulong b) => (ulong)(long)(int)((uint)b == 0 ? uint.MaxValue : (uint)a / (uint)b);
    [MethodImpl(Inline)] public static ulong Remw(ulong a, ulong b) => (ulong)(long)((int)b == 0 ? (int)a : ((int)a == int.MinValue && (int)b == -1) ? 0 : (int)a % (int)b);
    [MethodImpl(Inline)] public static ulong Remuw(ulong a, ulong b) => (ulong)(long)(int)((uint)b == 0 ? (uint)a : (uint)a % (uint)b);

    [MethodImpl(Inline)] public static bool Beq(ulong a, ulong b) => a == b;
    [MethodImpl(Inline)] public static bool Bne(ulong a, ulong b) => a != b;
    [MethodImpl(Inline)] public static bool Blt(ulong a, ulong b) => (long)a < (long)b;
    [MethodImpl(Inline)] public static bool Bge(ulong a, ulong b) => (long)a >= (long)b;
    [MethodImpl(Inline)] public static bool Bltu(ulong a, ulong b) => a < b;
    [MethodImpl(Inline)] public static bool Bgeu(ulong a, ulong b) => a >= b;

    /// <summary>How the translator calls an operation's method: its operands.</summary>
    internal enum Form : byte
    {
        None,
        /// <summary>rd = f(imm).</summary>
        Imm,
        /// <summary>rd = f(x[rs1], imm).</summary>
        RegImm,
        /// <summary>rd = f(x[rs1], x[rs2]).</summary>
        RegReg,
        /// <summary>taken = f(x[rs1], x[rs2]); target pc + imm.</summary>
        Branch,
    }

    /// <summary>The method that defines <paramref name="op"/> and how it is called (Form.None: not an integer operation).</summary>
    public static (Form Form, MethodInfo? Method) Lookup(Op op) => Table.Entries[(int)op];

    // Its own class, so the reflection runs when the translator first asks, not when the interpreter starts.
    private static class Table
    {
        public static readonly (Form Form, MethodInfo? Method)[] Entries = BuildTable();
    }

    private static (Form, MethodInfo?)[] BuildTable()
    {
        var table = new (Form, MethodInfo?)[256];
        foreach (MethodInfo m in typeof(IntegerOps).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            // The non-generic Enum API: Enum.TryParse<Op> was JIT-compiled at every process's first translation.
            if (!Enum.TryParse(typeof(Op), m.Name, out object? parsed)) continue;
            var op = (Op)parsed!;
            ParameterInfo[] p = m.GetParameters();
            Form form = m.ReturnType == typeof(bool) ? Form.Branch
                : p.Length == 1 ? Form.Imm
                : p[1].ParameterType == typeof(long) ? Form.RegImm
                : Form.RegReg;
            table[(int)op] = (form, m);
        }
        foreach (MethodInfo m in typeof(RegionDivision).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            table[(int)(Op)Enum.Parse(typeof(Op), m.Name)] = (Form.RegReg, m);
        }
        return table;
    }

    /// <summary>
    /// The divisions as the translator's regions call them: never inlined. .NET 10's JIT, inlining
    /// divuw or remw into a region whose guest registers are long locals, moved the divisor's local
    /// out of rdx (which div overwrites) with a 32-bit mov and then used that copy as the whole
    /// register: its upper half was lost (differential seeds 20261260 and 20261662; MinOpts and the
    /// interpreter, whose registers are in memory, were right). Behind a call the locals are only
    /// arguments. A division costs more than the call.
    /// </summary>
    private static class RegionDivision
    {
        private const MethodImplOptions Outlined = MethodImplOptions.NoInlining;

        [MethodImpl(Outlined)] public static ulong Div(ulong a, ulong b) => IntegerOps.Div(a, b);
        [MethodImpl(Outlined)] public static ulong Divu(ulong a, ulong b) => IntegerOps.Divu(a, b);
        [MethodImpl(Outlined)] public static ulong Rem(ulong a, ulong b) => IntegerOps.Rem(a, b);
        [MethodImpl(Outlined)] public static ulong Remu(ulong a, ulong b) => IntegerOps.Remu(a, b);
        [MethodImpl(Outlined)] public static ulong Divw(ulong a, ulong b) => IntegerOps.Divw(a, b);
        [MethodImpl(Outlined)] public static ulong Divuw(ulong a, ulong b) => IntegerOps.Divuw(a, b);
        [MethodImpl(Outlined)] public static ulong Remw(ulong a, ulong b) => IntegerOps.Remw(a, b);
        [MethodImpl(Outlined)] public static ulong Remuw(ulong a, ulong b) => IntegerOps.Remuw(a, b);
    }
}
