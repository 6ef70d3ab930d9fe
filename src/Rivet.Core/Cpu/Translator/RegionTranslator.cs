using System.Reflection;
using System.Runtime.CompilerServices;
using System.Reflection.Emit;
using Rivet.Isa;
using Rivet.Memory;

namespace Rivet.Cpu.Translator;

/// <summary>
/// One instruction of a region: its slot in the code page and, when <see cref="Stop"/>, an instruction the region leaves to
/// the interpreter.
/// </summary>
// Classes, not structs: the framework's generic code (List, Sort, LINQ) over reference types is
// precompiled (ReadyToRun); over our value types it was JIT-compiled at every process's first
// translation (12 ms the vCPU waited for, seen with DOTNET_JitDisasmSummary=1).
internal sealed record RegionInsn(int Slot, DecodedInsn D, bool Stop);

/// <summary>Where guest RAM is, baked into a region's code as constants.</summary>
internal readonly record struct RamLayout(nint Ram, ulong Base, ulong Size, nint PageFlags);

/// <summary>
/// Translates a hot region of one decoded code page into a <see cref="DynamicMethod"/> (docs/TRANSLATOR.md).
/// Guest registers live in IL locals and go back to the register file at every exit; the
/// instruction count is added once per guest block; kicks and the budget are checked at every
/// taken branch inside the region, exactly where the interpreter checks them, so both engines stop
/// at the same instruction. Anything the region does not translate (CSRs, traps, FP, AMOs, MMIO,
/// a store to a page holding code, a TLB miss) is an exit before that instruction, which the
/// interpreter then runs: the interpreter is the slow path, so faults are precise by construction.
/// </summary>
internal static unsafe class RegionTranslator
{
    /// <summary>
    /// Entries before a head is translated. A region costs the JIT about 6 ms, what the interpreter
    /// runs 2 M instructions in: code must run far more than a few thousand times to repay it. A Linux
    /// boot (1 hart, 3.2 G instructions) took 13.3 s at 1024 (1897 regions, 12 s of JIT), 9.0 s at 4096,
    /// 7.7 s at 16384 and 8.2 s at 60000; hot loops do not notice.
    /// </summary>
    public const int DefaultHotThreshold = 16384;
    /// <summary>The cache per hart without tb-size (QEMU's default buffer is 1 GiB on a 64-bit host); counted in IL bytes.</summary>
    public const long DefaultCacheBytes = 1L << 30;
    /// <summary>At most this many guest instructions per region (the JIT's cost grows with method size).</summary>
    public const int MaxInstructions = 256;
    /// <summary>Indirect jumps compare their target with at most this many of the page's hot block heads.</summary>
    public const int MaxIndirectTargets = 8;
    /// <summary>Instructions taken into a region from each such head.</summary>
    public const int IndirectTargetInstructions = 48;
    /// <summary>
    /// Entries after which a region is translated once more: its indirect jumps now know their hot
    /// targets (a region made early, before the code it calls got hot, would leave at every call).
    /// </summary>
    public const long RetranslateAfter = 20_000;

    private static readonly FieldInfo s_pc = typeof(Hart).GetField(nameof(Hart.Pc))!;
    private static readonly FieldInfo s_signal = typeof(Hart).GetField("_signal", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo s_exit = typeof(Hart).GetField("_regionExit", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly MethodInfo s_loadOffset = typeof(Hart).GetMethod("RegionLoadOffset", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_storeOffset = typeof(Hart).GetMethod("RegionStoreOffset", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_fp = typeof(Hart).GetMethod("RegionFp", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_fpLoad = typeof(Hart).GetMethod("RegionFpLoad", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_fpStore = typeof(Hart).GetMethod("RegionFpStore", BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo s_barrier = typeof(Interlocked).GetMethod(nameof(Interlocked.MemoryBarrier))!;
    private static readonly Type[] s_parameters = [typeof(Hart), typeof(ulong*), typeof(long), typeof(long), typeof(int)];

    /// <summary>Whether a region can hold <paramref name="op"/> (anything else ends it, for the interpreter).</summary>
    public static bool Supports(Op op) => op switch
    {
        Op.Auipc or Op.Jal or Op.Jalr or Op.Fence => true,
        >= Op.Lb and <= Op.Sd => true,
        >= Op.Flw => true, // F and D through the interpreter's own helpers (Hart.Translation.cs)
        _ => IntegerOps.Lookup(op).Form != IntegerOps.Form.None,
    };

    /// <summary>
    /// Emits the region whose instructions are <paramref name="insns"/> (in address order; the
    /// one at <paramref name="headSlot"/> is the entry).
    /// </summary>
    public static Region Translate(IReadOnlyList<RegionInsn> insns, int headSlot, ulong pageBase, bool paged, RamLayout ram, IReadOnlyList<int> indirectTargets,
        bool retranslation, TranslatorStatistics statistics)
    {
        var e = new Emitter(insns, headSlot, pageBase, paged, ram, indirectTargets);
        return e.Emit(retranslation, statistics);
    }

    private sealed class Emitter
    {
        private readonly IReadOnlyList<RegionInsn> _insns;
        private readonly int _head;
        private readonly ulong _pageBase;
        private readonly bool _paged;
        private readonly RamLayout _ram;
        private readonly Dictionary<int, int> _index = []; // slot -> position in _insns
        private readonly DynamicMethod _method;
        private readonly ILGenerator _il;
        private readonly Label[] _labels;
        private readonly bool[] _leader;
        private readonly int[] _blockLength; // at a leader: the instructions of its block
        private readonly int[] _remaining; // instructions from this one to its block's end
        private readonly LocalBuilder?[] _reg = new LocalBuilder?[32];
        private readonly bool[] _written = new bool[32];
        private readonly LocalBuilder _n, _pcOut, _kindOut, _address, _offset, _target;
        private readonly Label _exit;
        private sealed record StubExit(Label Label, ulong Pc, RegionExit Kind, int Adjust);
        private sealed record DeferredJump(Label Label, ulong Target);
        private readonly List<StubExit> _stubs = [];
        private readonly List<DeferredJump> _deferredJumps = [];
        /// <summary>
        /// Where an indirect jump may stay inside: the return points of the region's calls (at most
        /// <see cref="MaxReturnPoints"/>) and the page's hot block heads that are in the region.
        /// </summary>
        private readonly List<ulong> _returnPoints = [];
        private const int MaxReturnPoints = 8;
        /// <summary>
        /// The F/D instructions, which the interpreter's helpers take by address: the region's own pinned
        /// copies (not the hart's decoded page, which another hart sharing the region does not own).
        /// </summary>
        private readonly DecodedInsn[]? _decodes;
        private int _decodeCount;

        private nint Pin(DecodedInsn d)
        {
            int i = _decodeCount++;
            _decodes![i] = d;
            return (nint)Unsafe.AsPointer(ref _decodes[i]);
        }

        public Emitter(IReadOnlyList<RegionInsn> insns, int headSlot, ulong pageBase, bool paged, RamLayout ram, IReadOnlyList<int> indirectTargets)
        {
            _insns = insns;
            _head = headSlot;
            _pageBase = pageBase;
            _paged = paged;
            _ram = ram;
            for (int i = 0; i < insns.Count; i++) _index[insns[i].Slot] = i;
            _method = new DynamicMethod($"region_{pageBase + 2 * (ulong)headSlot:x}", typeof(long), s_parameters, typeof(Hart), skipVisibility: true)
            {
                InitLocals = false, // every local is written before it is read
            };
            _il = _method.GetILGenerator(256 + insns.Count * 48);
            int fp = insns.Count(r => !r.Stop && r.D.Op >= Op.Flw);
            if (fp > 0) _decodes = GC.AllocateArray<DecodedInsn>(fp, pinned: true);
            _labels = new Label[insns.Count];
            for (int i = 0; i < insns.Count; i++) _labels[i] = _il.DefineLabel();
            _exit = _il.DefineLabel();
            _n = _il.DeclareLocal(typeof(long));
            _pcOut = _il.DeclareLocal(typeof(ulong));
            _kindOut = _il.DeclareLocal(typeof(int));
            _address = _il.DeclareLocal(typeof(ulong));
            _offset = _il.DeclareLocal(typeof(ulong));
            _target = _il.DeclareLocal(typeof(ulong));
            _leader = new bool[insns.Count];
            _blockLength = new int[insns.Count];
            _remaining = new int[insns.Count];
            foreach (RegionInsn r in insns)
            {
                if (r.Stop || r.D.Op is not (Op.Jal or Op.Jalr) || r.D.Rd is not (1 or 5)) continue;
                int back = Position(r.Slot + (r.D.Length >> 1));
                if (back >= 0 && !insns[back].Stop && _returnPoints.Count < MaxReturnPoints) _returnPoints.Add(PcOf(insns[back].Slot));
            }
            foreach (int t in indirectTargets)
            {
                int p = Position(t);
                if (p >= 0 && !insns[p].Stop && !_returnPoints.Contains(PcOf(t))) _returnPoints.Add(PcOf(t));
            }
            FindBlocks();
        }

        private ulong PcOf(int slot) => _pageBase + 2 * (ulong)slot;

        /// <summary>The slot a pc in this page falls on, or -1 when it is elsewhere.</summary>
        private int SlotOf(ulong pc) => pc - _pageBase < PhysicalMemory.PageSize ? (int)((pc - _pageBase) >> 1) : -1;

        private int Position(int slot) => slot >= 0 && _index.TryGetValue(slot, out int i) ? i : -1;

        private static bool IsBranch(Op op) => op is >= Op.Beq and <= Op.Bgeu;

        /// <summary>Leaders (the entry, branch targets, fall-throughs of branches) and each block's length.</summary>
        private void FindBlocks()
        {
            _leader[Position(_head)] = true;
            foreach (ulong back in _returnPoints) _leader[Position(SlotOf(back))] = true; // entered by indirect jumps
            for (int i = 0; i < _insns.Count; i++)
            {
                RegionInsn r = _insns[i];
                if (r.Stop) continue;
                Op op = r.D.Op;
                if (IsBranch(op) || op == Op.Jal)
                {
                    int t = Position(SlotOf(PcOf(r.Slot) + (ulong)(long)r.D.Imm));
                    if (t >= 0) _leader[t] = true;
                }
                if (IsBranch(op))
                {
                    int f = Position(r.Slot + (r.D.Length >> 1));
                    if (f >= 0) _leader[f] = true;
                }
            }
            // A normal instruction not fallen into by its predecessor is reached only by a jump: it leads.
            for (int i = 0; i < _insns.Count; i++)
            {
                if (_insns[i].Stop || _leader[i]) continue;
                int p = i - 1;
                bool fallenInto = p >= 0 && !_insns[p].Stop && _insns[p].Slot + (_insns[p].D.Length >> 1) == _insns[i].Slot
                    && _insns[p].D.Op is not (Op.Jal or Op.Jalr);
                if (!fallenInto) _leader[i] = true;
            }
            // Walk each block: from a leader through instructions that fall into the next, up to a leader or a stop.
            for (int i = 0; i < _insns.Count; i++)
            {
                if (!_leader[i] || _insns[i].Stop) continue;
                int end = i;
                while (true)
                {
                    RegionInsn r = _insns[end];
                    if (IsBranch(r.D.Op) || r.D.Op is Op.Jal or Op.Jalr) break;
                    int next = Position(r.Slot + (r.D.Length >> 1));
                    if (next < 0 || _insns[next].Stop || _leader[next]) break;
                    end = next;
                }
                _blockLength[i] = end - i + 1;
                for (int k = i; k <= end; k++) _remaining[k] = end - k + 1;
            }
        }

        public Region Emit(bool retranslation, TranslatorStatistics statistics)
        {
            ILGenerator il = _il;
            // Entry -1 returns at once, before it reads anything: a call that only makes the JIT compile the method (RegionCompiler).
            Label enter = il.DefineLabel();
            il.Emit(OpCodes.Ldarg_S, (byte)4);
            il.Emit(OpCodes.Ldc_I4_0);
            il.Emit(OpCodes.Bge, enter);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Ret);
            il.MarkLabel(enter);
            // Registers the region touches live in locals.
            foreach (RegionInsn r in _insns)
            {
                if (r.Stop) continue;
                if (r.D.Op >= Op.Flw)
                {
                    if (r.D.Op is Op.Flw or Op.Fld or Op.Fsw or Op.Fsd || FpReadsX(r.D.Op)) Use(r.D.Rs1);
                    if (FpWritesX(r.D.Op)) Use(r.D.Rd);
                    continue;
                }
                Use(r.D.Rs1);
                Use(r.D.Rs2);
                Use(r.D.Rd);
            }
            for (int k = 1; k < 32; k++)
            {
                if (_reg[k] == null) continue;
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, k * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldind_I8);
                il.Emit(OpCodes.Stloc, _reg[k]!);
            }
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Stloc, _n);
            EmitPageCaches();
            // Every block start is an entry point (index = the entry argument); 0 is the head.
            var entries = new List<int> { Position(_head) };
            for (int i = 0; i < _insns.Count; i++)
            {
                if (_leader[i] && !_insns[i].Stop && i != entries[0]) entries.Add(i);
            }
            il.Emit(OpCodes.Ldarg_S, (byte)4);
            var entryLabels = new Label[entries.Count];
            for (int k = 0; k < entries.Count; k++) entryLabels[k] = _labels[entries[k]];
            il.Emit(OpCodes.Switch, entryLabels);
            il.Emit(OpCodes.Br, _labels[entries[0]]);

            for (int i = 0; i < _insns.Count; i++)
            {
                il.MarkLabel(_labels[i]);
                RegionInsn r = _insns[i];
                ulong pc = PcOf(r.Slot);
                if (r.Stop)
                {
                    // The interpreter runs this one; the count is exact here (blocks end before a stop).
                    ExitNow(pc, RegionExit.Continue, 0);
                    continue;
                }
                if (_leader[i]) AddToCount(_blockLength[i]);
                EmitInstruction(i, r, pc);
            }

            if (_indirect is { } indirect) EmitIndirectJump(indirect);
            foreach ((Label label, ulong target) in _deferredJumps)
            {
                il.MarkLabel(label);
                TakenTo(target);
            }
            foreach ((Label label, ulong pc, RegionExit kind, int adjust) in _stubs)
            {
                il.MarkLabel(label);
                ExitNow(pc, kind, adjust);
            }

            il.MarkLabel(_exit);
            for (int k = 1; k < 32; k++)
            {
                if (!_written[k]) continue;
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, k * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldloc, _reg[k]!);
                il.Emit(OpCodes.Stind_I8);
            }
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldloc, _pcOut);
            il.Emit(OpCodes.Stfld, s_pc);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldloc, _kindOut);
            il.Emit(OpCodes.Stfld, s_exit);
            il.Emit(OpCodes.Ldloc, _n);
            il.Emit(OpCodes.Ret);

            var entrySlots = new int[entries.Count];
            for (int k = 0; k < entries.Count; k++) entrySlots[k] = _insns[entries[k]].Slot;
            var code = (RegionCode)_method.CreateDelegate(typeof(RegionCode));
            return new Region
            {
                Code = code,
                PageBase = _pageBase,
                Paged = _paged,
                Instructions = _insns.Count(r => !r.Stop),
                IlBytes = il.ILOffset,
                EntrySlots = entrySlots,
                Retranslated = retranslation,
                Statistics = statistics,
                Decodes = _decodes,
            };
        }

        /// <summary>F/D operations whose rs1 is an x register (the rest read f registers only, loads and stores aside).</summary>
        private static bool FpReadsX(Op op) => op is Op.FcvtSW or Op.FcvtSWu or Op.FcvtSL or Op.FcvtSLu or Op.FmvWX
            or Op.FcvtDW or Op.FcvtDWu or Op.FcvtDL or Op.FcvtDLu or Op.FmvDX;

        /// <summary>F/D operations whose rd is an x register.</summary>
        private static bool FpWritesX(Op op) => op is Op.FeqS or Op.FltS or Op.FleS or Op.FclassS or Op.FcvtWS or Op.FcvtWuS
            or Op.FcvtLS or Op.FcvtLuS or Op.FmvXW or Op.FeqD or Op.FltD or Op.FleD or Op.FclassD or Op.FcvtWD or Op.FcvtWuD
            or Op.FcvtLD or Op.FcvtLuD or Op.FmvXD;

        private void Use(int k)
        {
            if (k is 0 or >= 32 || _reg[k] != null) return;
            _reg[k] = _il.DeclareLocal(typeof(ulong));
        }

        private void LoadReg(int k)
        {
            if (k == 0) _il.Emit(OpCodes.Ldc_I8, 0L);
            else _il.Emit(OpCodes.Ldloc, _reg[k]!);
        }

        /// <summary>Stores the value on the stack into rd (x0 and the x0 sink drop it).</summary>
        private void StoreReg(int k)
        {
            if (k is 0 or >= 32)
            {
                _il.Emit(OpCodes.Pop);
                return;
            }
            _il.Emit(OpCodes.Stloc, _reg[k]!);
            _written[k] = true;
        }

        private void AddToCount(int count)
        {
            _il.Emit(OpCodes.Ldloc, _n);
            _il.Emit(OpCodes.Ldc_I8, (long)count);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _n);
        }

        /// <summary>Leaves the region here: pc, how, and the count corrected by the instructions of the block not run.</summary>
        private void ExitNow(ulong pc, RegionExit kind, int adjust)
        {
            if (adjust != 0) AddToCount(-adjust);
            _il.Emit(OpCodes.Ldc_I8, (long)pc);
            _il.Emit(OpCodes.Stloc, _pcOut);
            _il.Emit(OpCodes.Ldc_I4, (int)kind);
            _il.Emit(OpCodes.Stloc, _kindOut);
            _il.Emit(OpCodes.Br, _exit);
        }

        /// <summary>A branch to an exit placed after the region's code (keeps the hot path straight).</summary>
        private Label Stub(ulong pc, RegionExit kind, int adjust)
        {
            Label l = _il.DefineLabel();
            _stubs.Add(new StubExit(l, pc, kind, adjust));
            return l;
        }

        /// <summary>A taken branch or jump to <paramref name="target"/>: inside the region after the interpreter's checks, else out.</summary>
        private void TakenTo(ulong target)
        {
            int t = Position(SlotOf(target));
            Label leave = Stub(target, RegionExit.Taken, 0);
            if (t < 0)
            {
                _il.Emit(OpCodes.Br, leave);
                return;
            }
            _il.Emit(OpCodes.Ldloc, _n);
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Bge, leave);
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Volatile);
            _il.Emit(OpCodes.Ldfld, s_signal);
            _il.Emit(OpCodes.Brtrue, leave);
            _il.Emit(OpCodes.Br, _labels[t]);
        }

        private Label? _indirect;

        /// <summary>
        /// Where every indirect jump of the region goes with its target in <see cref="_target"/>: one
        /// compare chain for all of them (a chain per jalr multiplied the method's blocks, and the
        /// JIT's time with them). A return to a call inside the region, or a jump to one of the
        /// page's hot heads in it, stays inside (after the checks of any taken jump); anything else leaves.
        /// </summary>
        private Label IndirectJump()
        {
            _indirect ??= _il.DefineLabel();
            return _indirect.Value;
        }

        private void EmitIndirectJump(Label l)
        {
            ILGenerator il = _il;
            il.MarkLabel(l);
            foreach (ulong back in _returnPoints)
            {
                Label hit = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, _target);
                il.Emit(OpCodes.Ldc_I8, (long)back);
                il.Emit(OpCodes.Beq, hit);
                _deferredJumps.Add(new DeferredJump(hit, back));
            }
            il.Emit(OpCodes.Ldloc, _target);
            il.Emit(OpCodes.Stloc, _pcOut);
            il.Emit(OpCodes.Ldc_I4, (int)RegionExit.Indirect);
            il.Emit(OpCodes.Stloc, _kindOut);
            il.Emit(OpCodes.Br, _exit);
        }

        /// <summary>After instruction <paramref name="i"/>: go on with the next one, inside the region or out.</summary>
        private void FallThrough(int i, RegionInsn r)
        {
            int nextSlot = r.Slot + (r.D.Length >> 1);
            int next = Position(nextSlot);
            if (next == i + 1) return;
            if (next >= 0) _il.Emit(OpCodes.Br, _labels[next]);
            else ExitNow(PcOf(nextSlot), RegionExit.Resume, 0);
        }

        private void EmitInstruction(int i, RegionInsn r, ulong pc)
        {
            ILGenerator il = _il;
            DecodedInsn d = r.D;
            switch (d.Op)
            {
                case Op.Auipc:
                    il.Emit(OpCodes.Ldc_I8, (long)(pc + (ulong)(long)d.Imm));
                    StoreReg(d.Rd);
                    FallThrough(i, r);
                    return;
                case Op.Jal:
                    il.Emit(OpCodes.Ldc_I8, (long)(pc + d.Length));
                    StoreReg(d.Rd);
                    TakenTo(pc + (ulong)(long)d.Imm);
                    return;
                case Op.Jalr:
                    {
                        LoadReg(d.Rs1);
                        il.Emit(OpCodes.Ldc_I8, (long)d.Imm);
                        il.Emit(OpCodes.Add);
                        il.Emit(OpCodes.Ldc_I8, ~1L);
                        il.Emit(OpCodes.And);
                        il.Emit(OpCodes.Stloc, _target);
                        il.Emit(OpCodes.Ldc_I8, (long)(pc + d.Length));
                        StoreReg(d.Rd);
                        il.Emit(OpCodes.Br, IndirectJump());
                        return;
                    }
                case Op.Fence:
                    il.Emit(OpCodes.Call, s_barrier);
                    FallThrough(i, r);
                    return;
                case >= Op.Lb and <= Op.Lwu:
                    EmitLoad(i, d, pc);
                    FallThrough(i, r);
                    return;
                case >= Op.Sb and <= Op.Sd:
                    EmitStore(i, d, pc);
                    FallThrough(i, r);
                    return;
                case >= Op.Flw:
                    EmitFp(i, r, pc);
                    FallThrough(i, r);
                    return;
            }
            (IntegerOps.Form form, MethodInfo? m) = IntegerOps.Lookup(d.Op);
            switch (form)
            {
                case IntegerOps.Form.Imm or IntegerOps.Form.RegImm or IntegerOps.Form.RegReg:
                    // The operands the method takes, then rd = its result.
                    if (form != IntegerOps.Form.Imm) LoadReg(d.Rs1);
                    if (form == IntegerOps.Form.RegReg) LoadReg(d.Rs2);
                    else il.Emit(OpCodes.Ldc_I8, (long)d.Imm);
                    il.Emit(OpCodes.Call, m!);
                    StoreReg(d.Rd);
                    FallThrough(i, r);
                    return;
                case IntegerOps.Form.Branch:
                    {
                        Label notTaken = il.DefineLabel();
                        LoadReg(d.Rs1);
                        LoadReg(d.Rs2);
                        il.Emit(OpCodes.Call, m!);
                        il.Emit(OpCodes.Brfalse, notTaken);
                        TakenTo(pc + (ulong)(long)d.Imm);
                        il.MarkLabel(notTaken);
                        FallThrough(i, r);
                        return;
                    }
                default:
                    throw new InvalidOperationException($"no translation for {d.Op}");
            }
        }

        private static int SizeOf(Op op) => op switch
        {
            Op.Lb or Op.Lbu or Op.Sb => 1,
            Op.Lh or Op.Lhu or Op.Sh => 2,
            Op.Lw or Op.Lwu or Op.Sw or Op.Flw or Op.Fsw => 4,
            _ => 8,
        };

        /// <summary>
        /// F and D: the interpreter's code through small helpers. A helper that says no (FS off, a reserved
        /// rounding mode) has changed nothing, so the region leaves before the instruction and the
        /// interpreter raises the trap. Loads and stores take the region's RAM path first.
        /// </summary>
        private void EmitFp(int i, RegionInsn r, ulong pc)
        {
            ILGenerator il = _il;
            DecodedInsn d = r.D;
            Label no = Stub(pc, RegionExit.Continue, _remaining[i]);
            if (d.Op is Op.Flw or Op.Fld or Op.Fsw or Op.Fsd)
            {
                bool store = d.Op is Op.Fsw or Op.Fsd;
                EmitOffset(i, d, pc, SizeOf(d.Op), store);
                if (store) EmitFlagCheck(i, pc);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldc_I8, (long)Pin(d));
                il.Emit(OpCodes.Conv_U);
                il.Emit(OpCodes.Ldloc, _offset);
                il.Emit(OpCodes.Call, store ? s_fpStore : s_fpLoad);
                il.Emit(OpCodes.Brfalse, no);
                return;
            }
            if (FpReadsX(d.Op) && d.Rs1 != 0)
            {
                // The helper reads the register file.
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, d.Rs1 * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldloc, _reg[d.Rs1]!);
                il.Emit(OpCodes.Stind_I8);
            }
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I8, (long)Pin(d));
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Call, s_fp);
            il.Emit(OpCodes.Brfalse, no);
            if (FpWritesX(d.Op) && d.Rd is > 0 and < 32)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, d.Rd * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldind_I8);
                StoreReg(d.Rd);
            }
        }

        /// <summary>A store into a page holding code (or watched) leaves for the interpreter's store path, which invalidates what it must.</summary>
        private void EmitFlagCheck(int i, ulong pc)
        {
            ILGenerator il = _il;
            // The offset is in RAM here, so its page is in the (pinned) flags array.
            il.Emit(OpCodes.Ldc_I8, (long)_ram.PageFlags);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Ldloc, _offset);
            il.Emit(OpCodes.Ldc_I4, PhysicalMemory.PageShift);
            il.Emit(OpCodes.Shr_Un);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ldind_U1);
            il.Emit(OpCodes.Brtrue, Stub(pc, RegionExit.Continue, _remaining[i]));
        }

        /// <summary>
        /// The RAM offset of rs1 + imm into <see cref="_offset"/>, or a branch to an exit before
        /// this instruction when it is not a RAM access the region can make (a device, a fault, a TLB miss).
        /// </summary>
        private void EmitOffset(int i, DecodedInsn d, ulong pc, int size, bool store)
        {
            ILGenerator il = _il;
            LoadReg(d.Rs1);
            il.Emit(OpCodes.Ldc_I8, (long)d.Imm);
            il.Emit(OpCodes.Add);
            if (_paged)
            {
                EmitPagedOffset(i, d, pc, size, store);
                return;
            }
            il.Emit(OpCodes.Ldc_I8, (long)_ram.Base);
            il.Emit(OpCodes.Sub);
            EmitRamOffset(i, pc, size);
        }

        /// <summary>The RAM offset on the stack into <see cref="_offset"/>; an exit before instruction <paramref name="i"/> unless the whole access is in RAM.</summary>
        private void EmitRamOffset(int i, ulong pc, int size)
        {
            _il.Emit(OpCodes.Stloc, _offset);
            _il.Emit(OpCodes.Ldloc, _offset);
            _il.Emit(OpCodes.Ldc_I8, (long)(_ram.Size - (ulong)size));
            _il.Emit(OpCodes.Bgt_Un, Stub(pc, RegionExit.Continue, _remaining[i]));
        }

        /// <summary>
        /// Paged: the address on the stack through the page this base register's loads (or stores) last
        /// reached in this call, else the TLB. The TLBs change only in the interpreter (fills,
        /// sfence.vma, satp, privilege), never while a region runs, so a page found once in a call is
        /// what the TLB would answer for the rest of it: the cache starts empty at every entry.
        /// </summary>
        private void EmitPagedOffset(int i, DecodedInsn d, ulong pc, int size, bool store)
        {
            ILGenerator il = _il;
            const long inPage = (long)PhysicalMemory.PageSize - 1;
            (LocalBuilder vpn, LocalBuilder delta) = _pageCache[PageCacheIndex(d.Rs1, store)]!;
            Label miss = il.DefineLabel(), done = il.DefineLabel();
            il.Emit(OpCodes.Stloc, _address);
            il.Emit(OpCodes.Ldloc, _address);
            il.Emit(OpCodes.Ldc_I4, PhysicalMemory.PageShift);
            il.Emit(OpCodes.Shr_Un);
            il.Emit(OpCodes.Ldloc, vpn);
            il.Emit(OpCodes.Bne_Un, miss);
            if (size > 1)
            {
                // The whole access in the page (else the TLB path, which leaves for the interpreter).
                il.Emit(OpCodes.Ldloc, _address);
                il.Emit(OpCodes.Ldc_I8, inPage);
                il.Emit(OpCodes.And);
                il.Emit(OpCodes.Ldc_I8, (long)PhysicalMemory.PageSize - size);
                il.Emit(OpCodes.Bgt_Un, miss);
            }
            il.Emit(OpCodes.Ldloc, _address);
            il.Emit(OpCodes.Ldloc, delta);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, _offset);
            il.Emit(OpCodes.Br, done);
            il.MarkLabel(miss);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldloc, _address);
            il.Emit(OpCodes.Ldc_I4, size);
            il.Emit(OpCodes.Call, store ? s_storeOffset : s_loadOffset);
            EmitRamOffset(i, pc, size);
            il.Emit(OpCodes.Ldloc, _address);
            il.Emit(OpCodes.Ldc_I4, PhysicalMemory.PageShift);
            il.Emit(OpCodes.Shr_Un);
            il.Emit(OpCodes.Stloc, vpn);
            // The page's RAM offset less its virtual address (wrapping): offset = address + delta.
            il.Emit(OpCodes.Ldloc, _offset);
            il.Emit(OpCodes.Ldloc, _address);
            il.Emit(OpCodes.Sub);
            il.Emit(OpCodes.Stloc, delta);
            il.MarkLabel(done);
        }

        /// <summary>Paged regions: per base register and loads or stores, the last page reached (its number, none at entry) and its RAM offset less its virtual address.</summary>
        private sealed record PageCacheLocals(LocalBuilder Vpn, LocalBuilder Delta);
        private readonly PageCacheLocals?[] _pageCache = new PageCacheLocals?[64];

        private static int PageCacheIndex(int rs1, bool store) => 2 * rs1 + (store ? 1 : 0);

        /// <summary>Declares the page caches the region's loads and stores use, empty (at every entry).</summary>
        private void EmitPageCaches()
        {
            if (!_paged) return;
            foreach (RegionInsn r in _insns)
            {
                if (r.Stop) continue;
                bool load = r.D.Op is (>= Op.Lb and <= Op.Lwu) or Op.Flw or Op.Fld;
                bool store = r.D.Op is (>= Op.Sb and <= Op.Sd) or Op.Fsw or Op.Fsd;
                if ((!load && !store) || _pageCache[PageCacheIndex(r.D.Rs1, store)] != null) continue;
                var cache = new PageCacheLocals(_il.DeclareLocal(typeof(ulong)), _il.DeclareLocal(typeof(ulong)));
                _pageCache[PageCacheIndex(r.D.Rs1, store)] = cache;
                _il.Emit(OpCodes.Ldc_I8, -1L); // no virtual page number is all ones
                _il.Emit(OpCodes.Stloc, cache.Vpn);
            }
        }

        private void EmitRamAddress()
        {
            _il.Emit(OpCodes.Ldc_I8, (long)_ram.Ram);
            _il.Emit(OpCodes.Ldloc, _offset);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_U);
        }

        private void EmitLoad(int i, DecodedInsn d, ulong pc)
        {
            ILGenerator il = _il;
            EmitOffset(i, d, pc, SizeOf(d.Op), store: false);
            EmitRamAddress();
            switch (d.Op)
            {
                case Op.Lb: il.Emit(OpCodes.Ldind_I1); il.Emit(OpCodes.Conv_I8); break;
                case Op.Lbu: il.Emit(OpCodes.Ldind_U1); il.Emit(OpCodes.Conv_U8); break;
                case Op.Lh: il.Emit(OpCodes.Ldind_I2); il.Emit(OpCodes.Conv_I8); break;
                case Op.Lhu: il.Emit(OpCodes.Ldind_U2); il.Emit(OpCodes.Conv_U8); break;
                case Op.Lw: il.Emit(OpCodes.Ldind_I4); il.Emit(OpCodes.Conv_I8); break;
                case Op.Lwu: il.Emit(OpCodes.Ldind_U4); il.Emit(OpCodes.Conv_U8); break;
                default: il.Emit(OpCodes.Ldind_I8); break;
            }
            StoreReg(d.Rd);
        }

        private void EmitStore(int i, DecodedInsn d, ulong pc)
        {
            ILGenerator il = _il;
            EmitOffset(i, d, pc, SizeOf(d.Op), store: true);
            EmitFlagCheck(i, pc);
            EmitRamAddress();
            LoadReg(d.Rs2);
            switch (d.Op)
            {
                case Op.Sb: il.Emit(OpCodes.Conv_U1); il.Emit(OpCodes.Stind_I1); break;
                case Op.Sh: il.Emit(OpCodes.Conv_U2); il.Emit(OpCodes.Stind_I2); break;
                case Op.Sw: il.Emit(OpCodes.Conv_U4); il.Emit(OpCodes.Stind_I4); break;
                default: il.Emit(OpCodes.Stind_I8); break;
            }
        }
    }
}
