using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// The built-ins after QEMU's contrib plugins (cache, howvec, bbv, drcov) on guests/plugins/contrib.S,
/// whose counts are known, and against QEMU 7.2's recorded outputs (Data/qemu-7.2/README.md says how
/// they were made and which differences are expected).
/// </summary>
public sealed partial class ContribPluginTests
{
    private const string Contrib = "build/plugins/contrib.elf";

    // The guest: 7225 instructions up to the finisher store; 1024 sd + 2 x 128 ld + 2 x 512 ld + one amoadd.d.
    private const long Instructions = 7231; // the guest's 7225 after the reset ROM's 6

    private static string Qemu(string file) => Path.Combine(Repo.Root, "tests", "Rivet.Plugins.Tests", "Data", "qemu-7.2", file);

    private static PluginRunResult RunContrib(string spec)
    {
        PluginRunResult r = PluginRun.Run(Programs.Guest(Contrib, 1), host => host.Load(spec));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);
        return r;
    }

    private static long[] Numbers(string statsLine)
        => [.. statsLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => !f.EndsWith('%')).Select(f => f == "sum" ? -1 : long.Parse(f))];

    [GeneratedRegex(@"^0x[0-9a-f]+ \((\w+)\), (\d+), ")]
    private static partial Regex TopLine();

    /// <summary>The (symbol, misses) of the first <paramref name="n"/> rows of a miss table.</summary>
    private static (string, long)[] Top(string output, string header, int n)
    {
        string[] lines = output.Split('\n');
        int at = Array.IndexOf(lines, header);
        Assert.True(at >= 0, output);
        return [.. lines.Skip(at + 1).Take(n).Select(l => TopLine().Match(l)).Select(m => (m.Groups[1].Value, long.Parse(m.Groups[2].Value)))];
    }

    [Fact]
    public void CacheCountsKnownMissesAndMatchesQemu()
    {
        PluginRunResult r = RunContrib("cache");
        string[] lines = r.Output.Split('\n');
        Assert.Equal("core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, imiss rate", lines[0]);
        // fill: one miss per 64-byte line of 8 KiB (128); sum: hits; stream: 32 KiB through a 16 KiB
        // 8-way LRU cache misses every time (2 x 512); amoadd.d: its line was evicted by stream.
        // Code: 0x80000000..0x800000fc, four lines, and the reset ROM's line.
        Assert.Equal("0       2305           1153           50.0217%  7231           5               0.0691%", lines[1]);
        Assert.Equal("", lines[2]);
        Assert.Equal([("stream", 1024L), ("fill", 128L), ("misc", 1L)], Top(r.Output, "address, data misses, instruction", 3));
        Assert.Contains("0x800000d0 (misc), 1, amoadd.d t5,t4,(t2)", lines);

        // QEMU: 2 more loads (the ROM's, which Rivet's cache model leaves out) and one more miss, and
        // the amoadd.d counted as a load and a store.
        string qemu = File.ReadAllText(Qemu("cache.txt"));
        long[] q = Numbers(qemu.Split('\n')[1]), ours = Numbers(lines[1]);
        Assert.Equal([0, 2305 + 2 + 1, 1153 + 1, Instructions, 5], q);
        Assert.Equal([0, 2305, 1153, Instructions, 5], ours);
        Assert.Equal(Top(qemu, "address, data misses, instruction", 2), Top(r.Output, "address, data misses, instruction", 2));
    }

    [Fact]
    public void CacheFifoAndL2MatchQemu()
    {
        // 8 KiB 4-way FIFO: the same misses (every line of the stream still conflicts).
        PluginRunResult fifo = RunContrib("cache,evict=fifo,dcachesize=8192,dassoc=4");
        long[] q = Numbers(File.ReadAllText(Qemu("cache-fifo.txt")).Split('\n')[1]);
        Assert.Equal([0, 2305, 1153, Instructions, 5], Numbers(fifo.Output.Split('\n')[1]));
        Assert.Equal([0, 2305 + 3, 1153 + 1, Instructions, 5], q);

        // L2 (2 MiB): misses are the first touch of each line: 128 + 512 data lines, 5 code lines.
        PluginRunResult l2 = RunContrib("cache,l2=on");
        string[] lines = l2.Output.Split('\n');
        Assert.EndsWith(", l2 accesses, l2 misses, l2 miss rate", lines[0]);
        Assert.Equal([0, 2305, 1153, Instructions, 5, 1153 + 5, 128 + 512 + 5], Numbers(lines[1]));
        string qemu = File.ReadAllText(Qemu("cache-l2.txt"));
        // QEMU: the ROM's missing D-line and I-line reach its L2 too.
        Assert.Equal([0, 2308, 1154, Instructions, 5, 1158 + 1, 645 + 1], Numbers(qemu.Split('\n')[1]));
        Assert.Equal(Top(qemu, "address, L2 misses, instruction", 2), Top(l2.Output, "address, L2 misses, instruction", 2));
    }

    [Fact]
    public void CacheHasOneRowPerCoreAndASum()
    {
        PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop, harts: 2), host => host.Load("cache,limit=2"));
        string[] lines = r.Output.Split('\n');
        Assert.StartsWith("0       ", lines[1]);
        Assert.StartsWith("1       ", lines[2]);
        Assert.StartsWith("sum     ", lines[3]);
        long[] a = Numbers(lines[1]), b = Numbers(lines[2]), sum = Numbers(lines[3]);
        for (int i = 1; i < a.Length; i++) Assert.Equal(a[i] + b[i], sum[i]);
        // Both harts run the loop program: every fetch is counted, no data accesses but the finisher's (a device).
        Assert.Equal(0, sum[1]);
        Assert.Equal((long)(r.Retired[0] + r.Retired[1]), sum[3]);
    }

    [GeneratedRegex(@"^Instr: (.*?)\s*\t\((\d+) hits\)\t\(op=0x([0-9a-f]{8})/")]
    private static partial Regex InstrLine();

    private static Dictionary<uint, long> Individual(string output)
        => output.Split('\n').Select(l => InstrLine().Match(l)).Where(m => m.Success)
            .ToDictionary(m => Convert.ToUInt32(m.Groups[3].Value, 16), m => long.Parse(m.Groups[2].Value));

    [Theory]
    [InlineData("howvec")]
    [InlineData("howvec,inline=on")]
    public void HowvecCountsClasses(string spec)
    {
        PluginRunResult r = RunContrib(spec);
        Assert.Equal(
            "Instruction Classes:\n" +
            "Class: Integer ALU             \t(2600 hits)\n" +
            "Class: Multiply/Divide         \t(1 hits)\n" +
            "Class: Loads                   \t(1282 hits)\n" +
            "Class: Stores                  \t(1025 hits)\n" +
            "Class: Cond Branch             \t(2304 hits)\n" +
            "Class: Call                    \t(7 hits)\n" +
            "Class: Return                  \t(8 hits)\n" +
            "Class: Atomic                  \t(1 hits)\n" +
            "Class: CSR                     \t(2 hits)\n" +
            "Class: Fence                   \t(1 hits)\n", r.Output);
        // The reset ROM adds auipc and addi (ALU), csrr (CSR), two ld (Loads) and jr t0 (a return by the
        // link-register convention: t0 is an alternate link register).
        Assert.Equal(Instructions, 2600 + 1 + 1282 + 1025 + 2304 + 7 + 8 + 1 + 2 + 1);
    }

    [Fact]
    public void HowvecIndividualCountsMatchQemu()
    {
        // Every class counted per opcode, which is what QEMU does for RISC-V (it has no class table).
        string all = string.Join(",", Builtin.HowvecPlugin.Classes.Select(c => "count=" + c.Opt));
        PluginRunResult r = RunContrib("howvec,verbose=on," + all + ",count=!illegal");
        Assert.Contains("Class: Integer ALU             \tcounted individually\n", r.Output);
        Assert.Contains("Class: Illegal                 \tnot counted\n", r.Output);
        Assert.Contains("Instr: wfi                     \t(0 hits)\t(op=0x10500073/System)\n", r.Output); // translated, never run
        Assert.Contains("Instr: ld a4,0(a0)             \t(1280 hits)\t(op=0x00053703/Loads)\n", r.Output);
        Dictionary<uint, long> ours = Individual(r.Output);
        // Every instruction executed: the run stops at the finisher store, before the wfi (as QEMU's).
        Assert.Equal(Instructions, ours.Values.Sum());

        // QEMU's list: the guest's opcodes with the same counts, plus its reset ROM's six.
        Dictionary<uint, long> qemu = Individual(File.ReadAllText(Qemu("howvec.txt")));
        uint[] rom = [0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067];
        int compared = 0;
        foreach ((uint op, long hits) in qemu)
        {
            if (rom.Contains(op)) continue;
            Assert.True(ours.TryGetValue(op, out long mine), $"op 0x{op:x8} not counted by rivet");
            Assert.Equal(hits, mine);
            compared++;
        }
        Assert.True(compared >= 35, $"only {compared} opcodes compared");
    }

    [Fact]
    public void BbvIntervalsSumToTheInstructionsExecuted()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-bbv-").FullName;
        try
        {
            string outfile = Path.Combine(dir, "contrib");
            RunContrib($"bbv,interval=1000,outfile={outfile}");
            string[] lines = File.ReadAllLines(outfile + ".0.bb");
            Assert.Equal(7, lines.Length); // 7225 instructions: seven full intervals, the rest unwritten
            long total = 0;
            var ids = new HashSet<int>();
            foreach (string line in lines)
            {
                Assert.StartsWith("T:", line);
                long sum = 0;
                foreach (string entry in line[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] f = entry.Split(':');
                    Assert.Equal(3, f.Length);
                    ids.Add(int.Parse(f[1]));
                    long n = long.Parse(f[2]);
                    Assert.True(n > 0);
                    sum += n;
                }
                // An interval closes at the first block boundary at or past 1000; the excess carries over.
                Assert.InRange(sum, 1000 - 64, 1000 + 64);
                total += sum;
            }
            Assert.InRange(total, 7 * 1000, Instructions);
            Assert.True(Instructions - total < 1000);
            Assert.Equal(0, ids.Min());
            Assert.Equal(ids.Count - 1, ids.Max()); // ids are dense, in order of first translation

            // An interval longer than the run writes nothing (QEMU does not flush at exit).
            RunContrib($"bbv,outfile={outfile}");
            Assert.Equal("", File.ReadAllText(outfile + ".0.bb"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BbvWritesOneFilePerVCpuCountingItsInstructions()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-bbv-").FullName;
        try
        {
            string outfile = Path.Combine(dir, "loop");
            // interval=1: every block closes an interval, so each file holds every block its vCPU ran.
            PluginRunResult r = PluginRun.Run(Programs.Config(Programs.Loop, harts: 2), host => host.Load($"bbv,interval=1,outfile={outfile}"));
            Assert.Equal(0, r.ExitCode);
            for (int cpu = 0; cpu < 2; cpu++)
            {
                long sum = File.ReadAllLines($"{outfile}.{cpu}.bb")
                    .SelectMany(l => l[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .Sum(e => long.Parse(e.Split(':')[2]));
                // A block counts whole when it starts; the last one (lui, lui, addiw, sw, j) may stop after its store.
                Assert.InRange(sum, (long)r.Retired[cpu], (long)r.Retired[cpu] + 1);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A drcov file read as its format specifies (DynamoRIO's drcov, version 2).</summary>
    private sealed record Drcov(string[] Modules, (uint Start, ushort Size, ushort Module)[] Blocks);

    private static Drcov ReadDrcov(byte[] data)
    {
        int pos = 0;
        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            Assert.True(end >= 0, "truncated header");
            string s = Encoding.UTF8.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }
        Assert.Equal("DRCOV VERSION: 2", Line());
        Assert.Equal("DRCOV FLAVOR: drcov-64", Line());
        Match table = Regex.Match(Line(), @"^Module Table: version 2, count (\d+)$");
        Assert.True(table.Success);
        Assert.Equal("Columns: id, base, end, entry, path", Line());
        string[] modules = [.. Enumerable.Range(0, int.Parse(table.Groups[1].Value)).Select(_ => Line())];
        Match bbs = Regex.Match(Line(), @"^BB Table: (\d+) bbs$");
        Assert.True(bbs.Success);
        int n = int.Parse(bbs.Groups[1].Value);
        Assert.Equal(n * 8, data.Length - pos);
        var blocks = new (uint, ushort, ushort)[n];
        for (int i = 0; i < n; i++, pos += 8)
        {
            blocks[i] = (BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos)), BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos + 4)),
                BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos + 6)));
        }
        return new Drcov(modules, blocks);
    }

    private static SortedSet<ulong> Covered(IEnumerable<(ulong Start, int Size)> blocks)
    {
        var bytes = new SortedSet<ulong>();
        foreach ((ulong start, int size) in blocks)
        {
            for (ulong a = start; a < start + (ulong)size; a++) bytes.Add(a);
        }
        return bytes;
    }

    [Fact]
    public void DrcovWritesTheCoverageOfTheElfModule()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-drcov-").FullName;
        try
        {
            string file = Path.Combine(dir, "contrib.drcov");
            RunContrib($"drcov,filename={file}");
            Drcov ours = ReadDrcov(File.ReadAllBytes(file));
            Assert.Equal($"0, 0x80000000, 0x8000b000, 0x80000000, {Repo.Guest(Contrib)}", Assert.Single(ours.Modules));
            Assert.All(ours.Blocks, b => Assert.Equal(0, b.Module));
            Assert.Contains(((uint)0x90, (ushort)12, (ushort)0), ours.Blocks); // fill's loop: offset from the module base

            // QEMU 7.2: one module at 0 ("(null)": no binary in system mode), absolute addresses, and
            // its reset ROM. The guest's covered bytes agree but for the j after wfi that QEMU's last
            // block includes (never executed by either).
            Drcov qemu = ReadDrcov(File.ReadAllBytes(Qemu("contrib.drcov.trace")));
            Assert.Equal("0, 0x0, 0x0, 0x0, (null)", Assert.Single(qemu.Modules));
            SortedSet<ulong> q = Covered(qemu.Blocks.Where(b => b.Start >= 0x80000000).Select(b => ((ulong)b.Start, (int)b.Size)));
            SortedSet<ulong> r = Covered(ours.Blocks.Select(b => (0x80000000UL + b.Start, (int)b.Size)));
            Assert.Subset(q, r);
            Assert.Equal([0x80000088UL, 0x80000089, 0x8000008A, 0x8000008B], q.Except(r));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DrcovWithoutAnElfWritesQemusSystemModeTable()
    {
        string dir = Directory.CreateTempSubdirectory("rivet-drcov-").FullName;
        try
        {
            string file = Path.Combine(dir, "raw.drcov");
            var config = Programs.Config(Programs.Loop);
            config = config with { KernelImage = null, Kernel = WriteRaw(dir, Programs.Loop), Bios = "none" };
            PluginRun.Run(config, host => host.Load($"drcov,filename={file}"));
            Drcov d = ReadDrcov(File.ReadAllBytes(file));
            Assert.Equal("0, 0x0, 0x0, 0x0, (null)", Assert.Single(d.Modules));
            Assert.Contains(((uint)0x80000004, (ushort)8, (ushort)0), d.Blocks);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string WriteRaw(string dir, byte[] program)
    {
        string path = Path.Combine(dir, "loop.bin");
        File.WriteAllBytes(path, program);
        return path;
    }

    [Theory]
    [InlineData("cache,evict=mru", "plugin 'cache': evict=mru: invalid eviction policy (expected lru, fifo or rand)")]
    [InlineData("cache,dblksize=48", "plugin 'cache': dcache cannot be constructed from given parameters (dblksize=48, dassoc=8, dcachesize=16384): cache size must be divisible by block size")]
    [InlineData("cache,icachesize=12288", "plugin 'cache': icache cannot be constructed from given parameters (iblksize=64, iassoc=8, icachesize=12288): the number of sets (cache size / (assoc * block size)) must be a power of two")]
    [InlineData("cache,l2assoc=3", "plugin 'cache': L2 cache cannot be constructed from given parameters (l2blksize=64, l2assoc=3, l2cachesize=2097152): cache size must be divisible by set size (assoc * block size)")]
    [InlineData("cache,size=1", "plugin 'cache': unknown argument 'size' (known: iblksize, iassoc, icachesize, dblksize, dassoc, dcachesize, l2blksize, l2assoc, l2cachesize, l2, evict, limit, cores)")]
    [InlineData("howvec,count=vector", "plugin 'howvec': count=vector: no instruction class 'vector' (classes: alu, muldiv, load, store, branch, jump, call, ret, atomic, csr, fp, fence, system, illegal)")]
    [InlineData("howvec,inline=maybe", "plugin 'howvec': inline=maybe: expected on/off (or true/false)")]
    [InlineData("bbv,interval=1000", "plugin 'bbv': outfile unspecified (give outfile=PATH: each vCPU writes PATH.N.bb)")]
    [InlineData("bbv,outfile=x,interval=0", "plugin 'bbv': interval=0: expected a number from 1 to 9223372036854775807")]
    [InlineData("bbv,outfile=/nonexistent-dir/x", "plugin 'bbv': outfile=/nonexistent-dir/x: cannot create /nonexistent-dir/x.0.bb: ")]
    [InlineData("drcov,filename=/nonexistent-dir/x", "plugin 'drcov': filename=/nonexistent-dir/x: cannot create it: ")]
    public void BadArgumentsGiveOneLine(string spec, string message)
    {
        var ex = Assert.Throws<PluginLoadException>(() => PluginRun.Run(Programs.Config(Programs.Loop), host => host.Load(spec)));
        Assert.StartsWith(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
