using Rivet.Cpu;

namespace Rivet.Tests;

/// <summary>
/// Random, seeded instruction streams for the differential tests: RV64IMAFDC and Zicsr, forward
/// branches and jumps, bounded loops (a counter register nobody else writes inside the loop,
/// decremented at the back-edge), loads and stores to a RAM data area (aligned and misaligned)
/// and to an MMIO device, traps (illegal instructions, ecall, ebreak, unmapped and misaligned
/// accesses) into a handler that steps over the instruction and returns with mret, and
/// self-modifying stores into the stream's own code followed by fence.i. A stream runs in M-mode,
/// or in S or U under Sv39. Every stream ends in WFI with nothing pending, so the hart halts.
/// </summary>
internal sealed class StreamGenerator
{
    public const ulong CodeBase = DiffRig.RamBase;
    public const ulong CodeLimit = DiffRig.RamBase + 0x6000;
    public const ulong Handler = DiffRig.RamBase + 0x7000;
    public const ulong HandlerSave = DiffRig.RamBase + 0x7800;
    public const ulong Data = DiffRig.RamBase + 0x8000;
    public const int DataSize = 0x2000;
    public const ulong RamSize = 0x10000;
    public const ulong Unmapped = 0x20000000;
    public const ulong PageTable = DiffRig.RamBase + 0xF000;

    private readonly Random _rng;
    private readonly Asm _a;
    private readonly HashSet<int> _reserved = []; // loop counters of the enclosing loops
    private int _depth;

    private StreamGenerator(int seed)
    {
        _rng = new Random(seed);
        // Anywhere in the first page, 2-byte aligned: most streams cross a page boundary, some with
        // a 32-bit instruction split across it.
        _a = new Asm(CodeBase + (2 * (ulong)_rng.Next(0x800)));
    }

    /// <summary>A generated program: its image, the emitted instructions and the initial state.</summary>
    internal sealed record Program(int Seed, (ulong Address, byte[] Bytes)[] Image, IReadOnlyList<Asm.Emitted> Insns, Action<Hart> InitialState);

    public static Program Generate(int seed, int items)
    {
        var g = new StreamGenerator(seed);
        for (int i = 0; i < items && g._a.Pc < CodeLimit - 0x400; i++) g.Item();
        g._a.Emit(Rv.Wfi);
        g._a.Emit(Rv.J(0, -4)); // never reached: nothing wakes the hart
        Assert.True(g._a.AllBound);
        Asm handler = TrapHandler();
        var data = new byte[DataSize];
        var rng = new Random(seed ^ 0x5bd1e995);
        rng.NextBytes(data);
        ulong[] x = new ulong[32], f = new ulong[32];
        for (int i = 1; i < 32; i++) x[i] = InterestingValue(rng);
        for (int i = 0; i < 32; i++) f[i] = FpValue(rng);
        ulong mscratch = (ulong)rng.NextInt64();
        uint frm = (uint)rng.Next(5);
        // Half the streams run in M-mode; the others in S or U under Sv39, with identity gigapages
        // over the devices (0-1 GiB) and RAM (2-3 GiB) and one PMP entry over everything.
        int privilege = rng.Next(4) switch { 0 => Priv.Supervisor, 1 => Priv.User, _ => Priv.Machine };
        var tables = new byte[0x1000];
        ulong leaf = 0xCF | (privilege == Priv.User ? 0x10UL : 0); // V R W X A D (U)
        BitConverter.TryWriteBytes(tables.AsSpan(0), leaf);
        BitConverter.TryWriteBytes(tables.AsSpan(16), ((DiffRig.RamBase >> 12) << 10) | leaf);
        ulong entry = g._a.Origin;
        return new Program(seed, [(entry, g._a.Bytes), (Handler, handler.Bytes), (Data, data), (PageTable, tables)], [.. g._a.Insns, .. handler.Insns],
            h =>
            {
                for (int i = 1; i < 32; i++) h.WriteRegister(i, x[i]);
                for (int i = 0; i < 32; i++) h.WriteF(i, f[i]);
                // FP on; interrupts on, with only the supervisor software one enabled (raised by the harness).
                Assert.True(h.TryWriteCsrDebug(Csr.Mstatus, Mstatus.FsInitial | Mstatus.Mie));
                Assert.True(h.TryWriteCsrDebug(Csr.Mie, 1UL << Cause.SupervisorSoftware));
                Assert.True(h.TryWriteCsrDebug(Csr.Frm, frm));
                Assert.True(h.TryWriteCsrDebug(Csr.Mtvec, Handler));
                Assert.True(h.TryWriteCsrDebug(Csr.Sscratch, HandlerSave));
                Assert.True(h.TryWriteCsrDebug(Csr.Mscratch, mscratch));
                h.Pc = entry;
                if (privilege != Priv.Machine)
                {
                    Assert.True(h.TryWriteCsrDebug(Csr.Pmpaddr0, ulong.MaxValue));
                    Assert.True(h.TryWriteCsrDebug(Csr.Pmpcfg0, 0x1F)); // NAPOT, RWX
                    Assert.True(h.TryWriteCsrDebug(Csr.Satp, (8UL << 60) | (PageTable >> 12)));
                    Assert.True(h.TryWriteCsrDebug(Csr.Mstatus, Mstatus.FsInitial | Mstatus.Mie | ((ulong)privilege << (int)Mstatus.MppShift)));
                    h.SetPrivilege(privilege);
                }
            });
    }

    /// <summary>
    /// mtvec: an exception steps over the trapping instruction (2 or 4 bytes, from its low bits);
    /// the supervisor software interrupt the lockstep harness raises between runs is cleared in
    /// mip and returns to where it struck; the final WFI, illegal in U-mode, halts here in M-mode.
    /// t4-t6 are saved in the area sscratch points at, so every register survives a trap.
    /// </summary>
    private static Asm TrapHandler()
    {
        const int T4 = 29, T5 = 30, T6 = 31;
        var h = new Asm(Handler);
        Asm.Label exception = new(), restore = new(), halt = new();
        h.Emit(Rv.Csr(1, T6, Csr.Sscratch, T6));
        h.Emit(Rv.S(0x23, 3, T6, T5, 0));
        h.Emit(Rv.S(0x23, 3, T6, T4, 8));
        h.Emit(Rv.Csr(2, T5, Csr.Mcause, 0));
        h.BranchTo(Rv.Branch(5, T5, 0, 0), exception); // bge t5, zero
        h.Emit(Rv.Csr(7, 0, Csr.Mip, 1 << Cause.SupervisorSoftware)); // csrci mip, SSIP
        h.JalTo(0, restore);
        h.Bind(exception);
        h.Emit(Rv.Csr(2, T5, Csr.Mtval, 0));
        h.Li32(T4, unchecked((int)Rv.Wfi));
        h.BranchTo(Rv.Branch(0, T5, T4, 0), halt);
        h.Emit(Rv.Csr(2, T5, Csr.Mepc, 0));
        h.Emit(Rv.I(0x03, T4, 5, T5, 0)); // lhu: the trapping instruction's first half
        h.Emit(Rv.I(0x13, T4, 7, T4, 3));
        h.Emit(Rv.Addi(T5, T5, 2));
        h.Emit(Rv.Addi(T4, T4, -3));
        h.Emit(Rv.Branch(1, T4, 0, 8));
        h.Emit(Rv.Addi(T5, T5, 2));
        h.Emit(Rv.Csr(1, 0, Csr.Mepc, T5));
        h.Bind(restore);
        h.Emit(Rv.I(0x03, T4, 3, T6, 8));
        h.Emit(Rv.I(0x03, T5, 3, T6, 0));
        h.Emit(Rv.Csr(1, T6, Csr.Sscratch, T6));
        h.Emit(Rv.Mret);
        h.Bind(halt);
        // The harness may have raised SSIP (enabled in mie, never taken with MIE off here): it would keep
        // this wfi from halting for good (seed 20400299). Disabled, nothing pending can wake the hart.
        h.Emit(Rv.Csr(7, 0, Csr.Mie, 1 << Cause.SupervisorSoftware)); // csrci mie, SSIE
        h.Emit(Rv.Wfi);
        h.Emit(Rv.J(0, -4));
        Assert.True(h.AllBound);
        return h;
    }

    private static ulong InterestingValue(Random r) => r.Next(12) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => 1UL << 63,
        3 => (ulong)long.MaxValue,
        4 => 0xFFFFFFFF80000000,
        5 => 0x7FFFFFFF,
        6 => (ulong)r.Next(-64, 64),
        7 => Data + (ulong)r.Next(DataSize),
        _ => (ulong)r.NextInt64() ^ ((ulong)r.Next() << 32),
    };

    private static ulong FpValue(Random r) => r.Next(10) switch
    {
        0 => 0x7FF8000000000000, // canonical double NaN
        1 => 0xFFFFFFFF7FC00000, // NaN-boxed single canonical NaN
        2 => 0xFFFFFFFF00000000 | (uint)BitConverter.SingleToInt32Bits((float)(r.NextDouble() * 200 - 100)),
        3 => 0x12345678_3F800000, // a single without its NaN box
        4 => 0x8000000000000000, // -0.0
        5 => 0x0000000000000001, // smallest subnormal
        6 => (ulong)BitConverter.DoubleToInt64Bits(r.NextDouble() * 1e6 - 5e5),
        7 => 0x7FF0000000000000, // +inf
        _ => (ulong)r.NextInt64(),
    };

    private int Reg() => _rng.Next(32);

    /// <summary>A destination: any register but the enclosing loops' counters (x0 allowed: writes are dropped).</summary>
    private int Rd()
    {
        int r;
        do { r = _rng.Next(32); } while (_reserved.Contains(r));
        return r;
    }

    /// <summary>A destination other than x0 and the given ones.</summary>
    private int Scratch(params int[] not)
    {
        int r;
        do { r = _rng.Next(1, 32); } while (_reserved.Contains(r) || not.Contains(r));
        return r;
    }

    /// <summary>A compressed-form register (x8-x15) that may be written.</summary>
    private int CReg(params int[] not)
    {
        int r;
        int tries = 0;
        do { r = 8 + _rng.Next(8); } while ((_reserved.Contains(r) || not.Contains(r)) && ++tries < 100);
        return tries < 100 ? r : -1;
    }

    private void Item()
    {
        int w = _rng.Next(100);
        if (w < 26) Alu();
        else if (w < 36) CompressedAlu();
        else if (w < 47) RamAccess();
        else if (w < 50) MmioAccess();
        else if (w < 55) Atomic();
        else if (w < 66) Fp();
        else if (w < 70) FpMemory();
        else if (w < 74) CsrOp();
        else if (w < 80) Skip();
        else if (w < 86 && _depth < 2) Loop();
        else if (w < 91) Trap();
        else if (w < 94) SelfModify();
        else if (w < 97) UpperImmediate();
        else Simple();
    }

    /// <summary>Items that never jump (inside skips and before self-modified slots).</summary>
    private void Simple()
    {
        switch (_rng.Next(6))
        {
            case 0: case 1: Alu(); break;
            case 2: CompressedAlu(); break;
            case 3: Fp(); break;
            case 4: RamAccess(); break;
            default: UpperImmediate(); break;
        }
    }

    private static readonly (uint F3, uint F7)[] OpOps = [(0, 0), (0, 0x20), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (5, 0x20), (6, 0), (7, 0), (0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)];
    private static readonly (uint F3, uint F7)[] Op32Ops = [(0, 0), (0, 0x20), (1, 0), (5, 0), (5, 0x20), (0, 1), (4, 1), (5, 1), (6, 1), (7, 1)];

    private void Alu()
    {
        switch (_rng.Next(4))
        {
            case 0:
                {
                    var (f3, f7) = OpOps[_rng.Next(OpOps.Length)];
                    _a.Emit(Rv.R(0x33, Rd(), f3, Reg(), Reg(), f7));
                    break;
                }
            case 1:
                {
                    var (f3, f7) = Op32Ops[_rng.Next(Op32Ops.Length)];
                    _a.Emit(Rv.R(0x3B, Rd(), f3, Reg(), Reg(), f7));
                    break;
                }
            case 2:
                {
                    uint f3 = (uint)_rng.Next(8);
                    int imm = f3 switch
                    {
                        1 => _rng.Next(64),
                        5 => _rng.Next(64) | (_rng.Next(2) << 10),
                        _ => _rng.Next(-2048, 2048),
                    };
                    _a.Emit(Rv.I(0x13, Rd(), f3, Reg(), imm));
                    break;
                }
            default:
                {
                    uint f3 = new uint[] { 0, 1, 5 }[_rng.Next(3)];
                    int imm = f3 == 0 ? _rng.Next(-2048, 2048) : _rng.Next(32) | (f3 == 5 ? _rng.Next(2) << 10 : 0);
                    _a.Emit(Rv.I(0x1B, Rd(), f3, Reg(), imm));
                    break;
                }
        }
    }

    private void UpperImmediate()
    {
        uint op = _rng.Next(2) == 0 ? 0x37u : 0x17u;
        _a.Emit(Rv.U(op, Rd(), (uint)_rng.Next(1 << 20)));
    }

    private void CompressedAlu()
    {
        int rd = Scratch(2);
        int imm6 = _rng.Next(-32, 32);
        int c = CReg(), c2 = 8 + _rng.Next(8);
        switch (_rng.Next(11))
        {
            case 0: _a.Emit16(Rv.CI(0, rd, imm6 == 0 ? 1 : imm6, 1)); break; // c.addi
            case 1: _a.Emit16(Rv.CI(2, rd, imm6, 1)); break; // c.li
            case 2: _a.Emit16(Rv.CI(3, rd, imm6 == 0 ? 5 : imm6, 1)); break; // c.lui
            case 3: _a.Emit16(Rv.CI(1, rd, imm6, 1)); break; // c.addiw
            case 4: _a.Emit16(Rv.CI(0, rd, _rng.Next(1, 64), 2)); break; // c.slli
            case 5: _a.Emit16((ushort)(0x8002 | (rd << 7) | (_rng.Next(1, 32) << 2))); break; // c.mv
            case 6: _a.Emit16((ushort)(0x9002 | (rd << 7) | (_rng.Next(1, 32) << 2))); break; // c.add
            case 7 when c >= 0: // c.srli, c.srai, c.andi
                {
                    int kind = _rng.Next(3);
                    int imm = kind == 2 ? imm6 : _rng.Next(1, 64);
                    _a.Emit16((ushort)(0x8001 | (((imm >> 5) & 1) << 12) | (kind << 10) | ((c - 8) << 7) | ((imm & 0x1F) << 2)));
                    break;
                }
            case 8 when c >= 0: // c.sub, c.xor, c.or, c.and, c.subw, c.addw
                {
                    int k = _rng.Next(6);
                    int wide = k >= 4 ? 1 : 0;
                    _a.Emit16((ushort)(0x8C01 | (wide << 12) | ((c - 8) << 7) | ((k & 3) << 5) | ((c2 - 8) << 2)));
                    break;
                }
            case 9: _a.Emit16(0x0001); break; // c.nop
            default: _a.Emit16(Rv.CI(0, rd, imm6 == 0 ? 1 : imm6, 1)); break;
        }
    }

    /// <summary>A data address with room for an access of <paramref name="size"/> bytes; misaligned now and then.</summary>
    private ulong DataAddress(int size)
    {
        ulong a = Data + (ulong)_rng.Next(DataSize - 16);
        if (_rng.Next(5) != 0) a &= ~(ulong)(size - 1);
        return a;
    }

    private void RamAccess()
    {
        int size = 1 << _rng.Next(4);
        int imm = _rng.Next(-64, 64);
        switch (_rng.Next(6))
        {
            case 0: // c.lw/c.ld/c.sw/c.sd: base and register in x8-x15, aligned offsets
                {
                    int b = CReg();
                    int r = CReg(b);
                    if (b < 0 || r < 0) goto default;
                    bool d = _rng.Next(2) == 0;
                    int off = d ? _rng.Next(32) * 8 : _rng.Next(32) * 4;
                    _a.La(b, DataAddress(d ? 8 : 4) - (ulong)off);
                    bool store = _rng.Next(2) == 0;
                    _a.Emit16(d ? Rv.CD(store ? 7u : 3u, r, b, off) : Rv.CW(store ? 6u : 2u, r, b, off));
                    break;
                }
            case 1 when !_reserved.Contains(2): // the sp forms
                {
                    bool d = _rng.Next(2) == 0;
                    int off = d ? _rng.Next(64) * 8 : _rng.Next(64) * 4;
                    _a.La(2, DataAddress(d ? 8 : 4) - (ulong)off);
                    bool store = _rng.Next(2) == 0;
                    _a.Emit16(store ? (d ? Rv.CSdsp(Reg(), off) : Rv.CSwsp(Reg(), off)) : (d ? Rv.CLdsp(Scratch(2), off) : Rv.CLwsp(Scratch(2), off)));
                    break;
                }
            default:
                {
                    int b = Scratch();
                    _a.La(b, DataAddress(size) - (ulong)(long)imm);
                    if (_rng.Next(2) == 0)
                    {
                        // lb/lbu, lh/lhu, lw/lwu, ld
                        uint f3 = size switch { 1 => _rng.Next(2) == 0 ? 0u : 4u, 2 => _rng.Next(2) == 0 ? 1u : 5u, 4 => _rng.Next(2) == 0 ? 2u : 6u, _ => 3u };
                        _a.Emit(Rv.I(0x03, Rd(), f3, b, imm));
                    }
                    else
                    {
                        _a.Emit(Rv.S(0x23, size switch { 1 => 0u, 2 => 1u, 4 => 2u, _ => 3u }, b, Reg(), imm));
                    }
                    break;
                }
        }
    }

    private void MmioAccess()
    {
        int b = Scratch();
        int size = 1 << _rng.Next(4);
        int off = _rng.Next(0, 16 - size + 1);
        if (_rng.Next(4) != 0) off &= ~(size - 1);
        _a.Emit(Rv.U(0x37, b, (uint)(ScratchDevice.DefaultBase >> 12)));
        uint f3 = (uint)(size switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 });
        if (_rng.Next(2) == 0) _a.Emit(Rv.I(0x03, Rd(), size < 8 && _rng.Next(2) == 0 ? f3 + 4 : f3, b, off));
        else _a.Emit(Rv.S(0x23, f3, b, Reg(), off));
    }

    private static readonly uint[] AmoOps = [0x00, 0x01, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C];

    private void Atomic()
    {
        bool d = _rng.Next(2) == 0;
        uint f3 = d ? 3u : 2u;
        int b = Scratch();
        ulong a = Data + ((ulong)_rng.Next(DataSize - 16) & ~7UL);
        if (_rng.Next(12) == 0) a += 2; // misaligned: a trap
        _a.La(b, a);
        uint aqrl = (uint)_rng.Next(4) << 25;
        if (_rng.Next(3) == 0)
        {
            // lr; maybe something in between; sc (to the same or, rarely, another address).
            int rd = Scratch(b);
            _a.Emit((0x02u << 27) | aqrl | ((uint)b << 15) | (f3 << 12) | ((uint)rd << 7) | 0x2F);
            if (_rng.Next(2) == 0) _a.Emit(Rv.Addi(Scratch(b), Reg(), _rng.Next(-100, 100)));
            if (_rng.Next(4) == 0) _a.Emit(Rv.Addi(b, b, 8));
            _a.Emit((0x03u << 27) | aqrl | ((uint)Reg() << 20) | ((uint)b << 15) | (f3 << 12) | ((uint)Rd() << 7) | 0x2F);
        }
        else
        {
            uint op = AmoOps[_rng.Next(AmoOps.Length)];
            _a.Emit((op << 27) | aqrl | ((uint)Reg() << 20) | ((uint)b << 15) | (f3 << 12) | ((uint)Rd() << 7) | 0x2F);
        }
    }

    private uint Rm()
    {
        int k = _rng.Next(20);
        return k < 15 ? (uint)(k % 5) : 7u; // static modes and dynamic (frm)
    }

    private void Fp()
    {
        uint fmt = (uint)_rng.Next(2); // 0: S, 1: D
        int fd = _rng.Next(32), fs1 = _rng.Next(32), fs2 = _rng.Next(32), fs3 = _rng.Next(32);
        bool? legal = true;
        uint rm = Rm();
        if (rm == 7) legal = null; // illegal when frm holds a reserved mode
        uint raw;
        switch (_rng.Next(13))
        {
            case 0: raw = Rv.R(0x53, fd, rm, fs1, fs2, ((uint)_rng.Next(4) << 2) | fmt); break; // fadd, fsub, fmul, fdiv
            case 1: raw = Rv.R(0x53, fd, rm, fs1, 0, (0x0Bu << 2) | fmt); break; // fsqrt
            case 2: raw = Rv.R(0x53, fd, (uint)_rng.Next(3), fs1, fs2, (0x04u << 2) | fmt); legal = true; break; // fsgnj, fsgnjn, fsgnjx
            case 3: raw = Rv.R(0x53, fd, (uint)_rng.Next(2), fs1, fs2, (0x05u << 2) | fmt); legal = true; break; // fmin, fmax
            case 4: raw = Rv.R(0x53, Rd(), (uint)_rng.Next(3), fs1, fs2, (0x14u << 2) | fmt); legal = true; break; // fle, flt, feq
            case 5: raw = Rv.R(0x53, Rd(), rm, fs1, _rng.Next(4), (0x18u << 2) | fmt); break; // fcvt.w[u]/l[u].fmt
            case 6: raw = Rv.R(0x53, fd, rm, Reg(), _rng.Next(4), (0x1Au << 2) | fmt); break; // fcvt.fmt.w[u]/l[u]
            case 7: raw = Rv.R(0x53, Rd(), (uint)_rng.Next(2), fs1, 0, (0x1Cu << 2) | fmt); legal = true; break; // fmv.x.w/d, fclass
            case 8: raw = Rv.R(0x53, fd, 0, Reg(), 0, (0x1Eu << 2) | fmt); legal = true; break; // fmv.w/d.x
            case 9: raw = Rv.R(0x53, fd, rm, fs1, 1 - (int)fmt, (0x08u << 2) | fmt); break; // fcvt.s.d, fcvt.d.s
            case 10: raw = Rv.R4(0x43u + ((uint)_rng.Next(4) << 2), fd, rm, fs1, fs2, fs3, fmt); break; // fmadd, fmsub, fnmsub, fnmadd
            case 11: raw = Rv.R(0x53, fd, 5 + (uint)_rng.Next(2), fs1, fs2, fmt); legal = null; break; // fadd with a reserved rm: illegal when it runs
            default: raw = Rv.R(0x53, fd, rm, fs1, fs2, ((uint)_rng.Next(4) << 2) | fmt); break;
        }
        _a.Emit(raw, legal);
    }

    private void FpMemory()
    {
        bool d = _rng.Next(2) == 0;
        int f = _rng.Next(32);
        bool store = _rng.Next(2) == 0;
        if (_rng.Next(3) == 0)
        {
            int b = CReg();
            if (b >= 0)
            {
                int off = _rng.Next(32) * 8;
                _a.La(b, DataAddress(8) - (ulong)off);
                _a.Emit16(Rv.CD(store ? 5u : 1u, 8 + (f & 7), b, off)); // c.fsd / c.fld
                return;
            }
        }
        int rb = Scratch();
        int imm = _rng.Next(-64, 64);
        _a.La(rb, DataAddress(d ? 8 : 4) - (ulong)(long)imm);
        _a.Emit(store ? Rv.S(0x27, d ? 3u : 2u, rb, f, imm) : Rv.I(0x07, f, d ? 3u : 2u, rb, imm));
    }

    private static readonly int[] WritableCsrs = [Csr.Mscratch, Csr.Fcsr, Csr.Fflags, Csr.Frm, Csr.Stvec, Csr.Sepc, Csr.Mepc, Csr.Mtval];
    private static readonly int[] ReadOnlyUse = [Csr.Mstatus, Csr.Misa, Csr.Mhartid, Csr.Minstret, Csr.Mcycle, Csr.Instret, Csr.Cycle, Csr.Mcause, Csr.Sstatus, Csr.Mvendorid];

    private void CsrOp()
    {
        int k = _rng.Next(20);
        if (k < 12)
        {
            int csr = WritableCsrs[_rng.Next(WritableCsrs.Length)];
            uint f3 = (uint)(1 + _rng.Next(3) + (_rng.Next(2) * 4)); // csrrw/s/c and their immediate forms
            _a.Emit(Rv.Csr(f3, Rd(), csr, f3 >= 5 ? _rng.Next(32) : Reg()));
        }
        else if (k < 19)
        {
            _a.Emit(Rv.Csr(_rng.Next(2) == 0 ? 2u : 3u, Rd(), ReadOnlyUse[_rng.Next(ReadOnlyUse.Length)], 0));
        }
        else
        {
            // minstret/mcycle written: the translator's instruction count must follow.
            _a.Emit(Rv.Csr(1, Rd(), _rng.Next(2) == 0 ? Csr.Minstret : Csr.Mcycle, Reg()));
        }
    }

    /// <summary>A forward branch or jump over a few straight-line items.</summary>
    private void Skip()
    {
        var over = new Asm.Label();
        switch (_rng.Next(6))
        {
            case 0:
            case 1:
                _a.BranchTo(Rv.Branch(new uint[] { 0, 1, 4, 5, 6, 7 }[_rng.Next(6)], Reg(), Reg(), 0), over);
                break;
            case 2:
                _a.JalTo(Rd(), over);
                break;
            case 3:
                {
                    int rt = Scratch();
                    _a.AuipcTo(rt, Rv.I(0x67, Rd(), 0, rt, 0), over); // auipc + jalr
                    break;
                }
            case 4:
                {
                    int c = 8 + _rng.Next(8);
                    _a.CBranchTo((ushort)((_rng.Next(2) == 0 ? 0xC001 : 0xE001) | ((c - 8) << 7)), over);
                    break;
                }
            default:
                _a.CJumpTo(over);
                break;
        }
        int n = _rng.Next(0, 5);
        for (int i = 0; i < n; i++) Simple();
        _a.Bind(over);
    }

    /// <summary>A loop of 1..12 iterations (now and then up to 60): its counter is reserved inside, decremented at the back-edge.</summary>
    private void Loop()
    {
        int cnt = Scratch(2);
        int iterations = _rng.Next(8) == 0 ? _rng.Next(13, 61) : _rng.Next(1, 13);
        _a.Emit(Rv.Addi(cnt, 0, iterations));
        _reserved.Add(cnt);
        _depth++;
        ulong head = _a.Pc;
        int kind = _rng.Next(4);
        var exit = new Asm.Label();
        if (kind == 3) _a.BranchTo(Rv.Branch(0, cnt, 0, 0), exit); // top-tested: beqz cnt, exit ... j head
        int n = _rng.Next(1, 9);
        for (int i = 0; i < n; i++) Item();
        _a.Emit(Rv.Addi(cnt, cnt, -1));
        long back = (long)(head - _a.Pc);
        switch (kind)
        {
            case 0:
                _a.Emit(Rv.Branch(1, cnt, 0, back)); // bnez
                break;
            case 1:
                _a.Emit(Rv.Branch(4, 0, cnt, back)); // blt zero, cnt
                break;
            case 2 when cnt is >= 8 and <= 15 && back >= -256:
                _a.Emit16((ushort)(0xE001 | ((cnt - 8) << 7) | Rv.CBranchImm(back))); // c.bnez
                break;
            case 2:
                _a.Emit(Rv.Branch(1, 0, cnt, back));
                break;
            default:
                _a.Emit(Rv.J(0, back));
                break;
        }
        _a.Bind(exit);
        _depth--;
        _reserved.Remove(cnt);
    }

    private void Trap()
    {
        switch (_rng.Next(9))
        {
            case 0: _a.Emit16(0x0000, legal: false); break; // c.unimp
            case 1: _a.Emit(0x0000000B | ((uint)Reg() << 7), legal: false); break; // custom-0
            case 2: _a.Emit(Rv.Csr(2, Rd(), 0x7C0, 0), legal: null); break; // a CSR that does not exist
            case 3: _a.Emit(Rv.Ecall); break;
            case 4: _a.Emit(Rv.Ebreak); break;
            case 5: // c.ebreak
                _a.Emit16(0x9002);
                break;
            case 6:
            case 7: // a load or store where nothing is mapped
                {
                    int b = Scratch();
                    _a.Emit(Rv.U(0x37, b, (uint)(Unmapped >> 12) + (uint)_rng.Next(16)));
                    if (_rng.Next(2) == 0) _a.Emit(Rv.I(0x03, Rd(), (uint)_rng.Next(7), b, _rng.Next(-64, 64)));
                    else _a.Emit(Rv.S(0x23, (uint)_rng.Next(4), b, Reg(), _rng.Next(-64, 64)));
                    break;
                }
            default: // a write to a read-only CSR
                _a.Emit(Rv.Csr(1, Rd(), Csr.Mhartid, Reg()), legal: null);
                break;
        }
    }

    /// <summary>
    /// Rewrites a slot further on: toggles bit 20 (the immediate's low bit) of an addi there, then
    /// fence.i, then a few instructions, then the slot. In a loop, every iteration runs new code.
    /// </summary>
    private void SelfModify()
    {
        int rb = Scratch(), rv = Scratch(rb), rt = Scratch(rb, rv);
        var slot = new Asm.Label();
        _a.AuipcTo(rb, Rv.Addi(rb, rb, 0), slot);
        _a.Emit(Rv.I(0x03, rv, 2, rb, 0)); // lw
        _a.Emit(Rv.U(0x37, rt, 0x100));
        _a.Emit(Rv.R(0x33, rv, 4, rv, rt, 0)); // xor
        _a.Emit(Rv.S(0x23, 2, rb, rv, 0)); // sw
        _a.Emit(Rv.FenceI);
        int n = _rng.Next(0, 3);
        for (int i = 0; i < n; i++) Simple();
        _a.Align4();
        _a.Bind(slot);
        int rd = Rd();
        _a.Emit(Rv.Addi(rd, rd, _rng.Next(-2048, 2048)));
    }
}
