using System.Buffers.Binary;
using System.Text;
using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// Generated malformed ELF images: mutations of two valid ones (TinyElf's minimal image and a real
/// guest with a symbol table), each either loading and running (and shutting down) or refused with
/// one clear line. Nothing else may come out: no other exception, no hang.
/// </summary>
internal static class BadElfCases
{
    public const string Name = "fuzz.elf";

    /// <summary>One line, no exception type, no stack trace.</summary>
    public static void AssertClearMessage(string message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.DoesNotContain("Exception", message);
        Assert.DoesNotContain("System.", message);
        Assert.True(message.Length < 400, $"message too long: {message}");
    }

    public enum Outcome { Ran, Refused }

    /// <summary>
    /// Loads <paramref name="image"/> as a kernel; if it loads, runs it and asks it to shut down
    /// (a mutated guest may do anything, so the shutdown must still come within the deadline).
    /// </summary>
    public static Outcome Check(byte[] image, out string message)
    {
        message = "";
        Machine.Machine machine;
        try
        {
            machine = new Machine.Machine(new MachineConfig { KernelImage = image, KernelName = Name, RamSize = 16 << 20 }, Stream.Null, TextWriter.Null);
        }
        catch (ImageException ex)
        {
            message = ex.Message;
            AssertClearMessage(message);
            return Outcome.Refused;
        }
        using (machine)
        {
            machine.Start();
            machine.RequestShutdown(ShutdownCause.HostUi);
            Assert.True(machine.WaitForExit(GuestRun.HangLimit) != null, "a loaded mutant did not shut down");
        }
        return Outcome.Ran;
    }

    /// <summary>Runs every case; fails with every case that broke the rule, and returns how many loaded and how many were refused.</summary>
    public static (int Ran, int Refused) CheckAll(IEnumerable<(string Label, byte[] Image)> cases, out SortedSet<string> messages)
    {
        messages = [];
        var failures = new StringBuilder();
        int ran = 0, refused = 0;
        foreach ((string label, byte[] image) in cases)
        {
            try
            {
                if (Check(image, out string m) == Outcome.Ran) ran++;
                else
                {
                    refused++;
                    messages.Add(m);
                }
            }
            catch (Exception ex)
            {
                failures.AppendLine($"{label}: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
            }
        }
        Assert.True(failures.Length == 0, "cases that broke the rule:\n" + failures);
        // The loader's catch-all for what ELFSharp might still throw: every refusal here names its problem.
        Assert.DoesNotContain(messages, m => m.Contains("could not be read"));
        return (ran, refused);
    }

    public static byte[] Tiny() => TinyElf.Build(0x80000000, TinyElf.PassProgram);

    /// <summary>A real guest: two program headers, eight sections, a symbol table with tohost.</summary>
    public static byte[] Guest() => File.ReadAllBytes(Repo.Guest("build/isa/csr_misa.elf"));

    /// <summary>Offsets where a header field or table ends: the places a truncation is most telling.</summary>
    public static SortedSet<int> HeaderBoundaries(byte[] b)
    {
        var at = new SortedSet<int> { 0, 1, 2, 3, 4, 5, 6, 7, 16, 18, 20, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62, 64 };
        ulong phoff = U64(b, 32), shoff = U64(b, 40);
        int phnum = U16(b, 56), shnum = U16(b, 60);
        for (int i = 0; i < phnum; i++)
        {
            int p = (int)phoff + i * 56;
            foreach (int f in new[] { 0, 4, 8, 16, 24, 32, 40, 48, 56 }) at.Add(p + f);
            at.Add((int)(U64(b, p + 8) + U64(b, p + 32)));     // the end of its contents
            at.Add((int)U64(b, p + 8) + 1);
        }
        for (int i = 0; i < shnum; i++)
        {
            int s = (int)shoff + i * 64;
            foreach (int f in new[] { 0, 4, 8, 24, 32, 40, 56, 64 }) at.Add(s + f);
            at.Add((int)(U64(b, s + 24) + U64(b, s + 32)));
        }
        at.RemoveWhere(x => x < 0 || x >= b.Length);
        return at;
    }

    /// <summary>
    /// <paramref name="count"/> images with 1-4 random bytes changed (a fixed seed, so a failure
    /// replays), mostly in the headers where they matter.
    /// </summary>
    public static List<(string Label, byte[] Image)> Flips(int seed, int count)
    {
        byte[][] bases = [Tiny(), Guest()];
        var random = new Random(seed);
        var cases = new List<(string, byte[])>();
        for (int i = 0; i < count; i++)
        {
            byte[] b = (byte[])bases[i % 2].Clone();
            int flips = 1 + random.Next(4);
            var where = new List<string>();
            for (int f = 0; f < flips; f++)
            {
                // Three in four land in the first 512 bytes (file, program and most section headers).
                int at = random.Next(4) == 0 ? random.Next(b.Length) : random.Next(Math.Min(512, b.Length));
                byte value = (byte)random.Next(256);
                b[at] ^= (byte)(value == 0 ? 1 : value);
                where.Add($"{at}^{value:x2}");
            }
            // The guest's section headers and symbol table are near its end: aim some flips there too.
            if (i % 2 == 1 && random.Next(2) == 0)
            {
                (int start, int length) = random.Next(2) == 0 ? ((int)U64(bases[1], 40), 8 * 64) : SymbolTable(bases[1]);
                int at = start + random.Next(length);
                b[at] ^= (byte)(1 << random.Next(8));
                where.Add($"{at}~");
            }
            cases.Add(($"seed {seed} case {i} ({string.Join(' ', where)})", b));
        }
        return cases;
    }

    /// <summary>Where the symbol table's contents are.</summary>
    public static (int Offset, int Length) SymbolTable(byte[] b)
    {
        int shoff = (int)U64(b, 40);
        for (int i = 0; i < U16(b, 60); i++)
        {
            int s = shoff + i * 64;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(s + 4)) == 2) return ((int)U64(b, s + 24), (int)U64(b, s + 32));
        }
        throw new InvalidOperationException("the base has no symbol table");
    }

    /// <summary>A header field: where it is, how wide.</summary>
    public sealed record Field(string Name, int Offset, int Size);

    public static IEnumerable<Field> Fields(byte[] b)
    {
        (string, int, int)[] eh =
        [
            ("EI_CLASS", 4, 1), ("EI_DATA", 5, 1), ("EI_VERSION", 6, 1), ("e_type", 16, 2), ("e_machine", 18, 2), ("e_version", 20, 4),
            ("e_entry", 24, 8), ("e_phoff", 32, 8), ("e_shoff", 40, 8), ("e_ehsize", 52, 2), ("e_phentsize", 54, 2), ("e_phnum", 56, 2),
            ("e_shentsize", 58, 2), ("e_shnum", 60, 2), ("e_shstrndx", 62, 2),
        ];
        foreach ((string n, int o, int s) in eh) yield return new Field(n, o, s);
        ulong phoff = U64(b, 32), shoff = U64(b, 40);
        for (int i = 0; i < U16(b, 56); i++)
        {
            int p = (int)phoff + i * 56;
            (string, int, int)[] ph = [("p_type", 0, 4), ("p_offset", 8, 8), ("p_vaddr", 16, 8), ("p_paddr", 24, 8), ("p_filesz", 32, 8), ("p_memsz", 40, 8)];
            foreach ((string n, int o, int s) in ph) yield return new Field($"phdr[{i}].{n}", p + o, s);
        }
        for (int i = 0; i < U16(b, 60); i++)
        {
            int p = (int)shoff + i * 64;
            (string, int, int)[] sh = [("sh_name", 0, 4), ("sh_type", 4, 4), ("sh_offset", 24, 8), ("sh_size", 32, 8), ("sh_link", 40, 4), ("sh_entsize", 56, 8)];
            foreach ((string n, int o, int s) in sh) yield return new Field($"shdr[{i}].{n}", p + o, s);
        }
    }

    /// <summary>The values at the edges of a field of <paramref name="size"/> bytes, and of the file.</summary>
    public static IEnumerable<ulong> LimitValues(int size, int fileLength)
    {
        ulong max = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
        ulong[] values = [0, 1, 2, max, max - 1, max >> 1, (max >> 1) + 1, (ulong)fileLength, (ulong)fileLength + 1, (ulong)fileLength - 1, 0x80000000, 0x7FFFFFFF, 56, 64];
        return values.Where(v => v <= max).Distinct();
    }

    public static byte[] With(byte[] b, Field f, ulong value)
    {
        byte[] copy = (byte[])b.Clone();
        for (int i = 0; i < f.Size; i++) copy[f.Offset + i] = (byte)(value >> (8 * i));
        return copy;
    }

    public static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    public static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
}

public sealed class BadElfTests
{
    /// <summary>The two bases load and run: the mutants start from something valid.</summary>
    [Fact]
    public void BasesLoad()
    {
        Assert.Equal(BadElfCases.Outcome.Ran, BadElfCases.Check(BadElfCases.Tiny(), out _));
        Assert.Equal(BadElfCases.Outcome.Ran, BadElfCases.Check(BadElfCases.Guest(), out _));
    }

    /// <summary>
    /// An executable with no section headers (e_shnum 0, as stripping them leaves it) runs, as on
    /// QEMU; cut short, it is refused with one line like any other.
    /// </summary>
    [Fact]
    public void NoSectionHeadersRuns()
    {
        byte[] bare = TinyElf.Build(0x80000000, TinyElf.PassProgram, sectionHeaders: false);
        Assert.Equal(0, BadElfCases.U16(bare, 60));
        Assert.True(BadElfCases.Check(bare, out string message) == BadElfCases.Outcome.Ran, message);
        (int ran, int refused) = BadElfCases.CheckAll(Enumerable.Range(0, bare.Length).Select(n => ($"bare[..{n}]", bare[..n])), out _);
        Assert.Equal((0, bare.Length), (ran, refused));
    }

    /// <summary>The tiny image cut at every length; the guest at every header boundary.</summary>
    [Fact]
    public void Truncations()
    {
        byte[] tiny = BadElfCases.Tiny(), guest = BadElfCases.Guest();
        IEnumerable<(string, byte[])> cases = Enumerable.Range(0, tiny.Length).Select(n => ($"tiny[..{n}]", tiny[..n]))
            .Concat(BadElfCases.HeaderBoundaries(guest).Select(n => ($"guest[..{n}]", guest[..n])));
        int count = cases.Count();
        (int ran, int refused) = BadElfCases.CheckAll(cases, out SortedSet<string> messages);
        Assert.True(count > 250, $"only {count} truncations");
        Assert.Equal(count, ran + refused);
        Assert.True(refused >= count - 2, $"{ran} truncated images loaded"); // only cuts in the trailing section name table's padding may load
        Assert.Contains(messages, m => m.Contains("truncated ELF file"));
        Assert.Contains(messages, m => m.Contains("extends past the end of the file"));
    }

    /// <summary>Random byte flips (fixed seeds, so a failure replays), mostly in the headers where they matter.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ByteFlips(int seed)
    {
        List<(string, byte[])> cases = BadElfCases.Flips(seed, 300);
        (int ran, int refused) = BadElfCases.CheckAll(cases, out _);
        Assert.Equal(300, ran + refused);
        Assert.True(ran > 0 && refused > 0, $"ran {ran}, refused {refused}: the flips should produce both");
    }

    /// <summary>Every header field of both bases set to the values at its limits and the file's.</summary>
    [Fact]
    public void FieldValuesAtLimits()
    {
        var cases = new List<(string, byte[])>();
        foreach ((string baseName, byte[] b) in new[] { ("tiny", BadElfCases.Tiny()), ("guest", BadElfCases.Guest()) })
        {
            foreach (BadElfCases.Field f in BadElfCases.Fields(b))
            {
                foreach (ulong v in BadElfCases.LimitValues(f.Size, b.Length))
                {
                    cases.Add(($"{baseName} {f.Name}=0x{v:x}", BadElfCases.With(b, f, v)));
                }
            }
        }
        (int ran, int refused) = BadElfCases.CheckAll(cases, out SortedSet<string> messages);
        Assert.True(cases.Count > 500, $"only {cases.Count} field cases");
        Assert.True(ran > 0 && refused > 0, $"ran {ran}, refused {refused}");
        Assert.Contains(messages, m => m.Contains("overlapping loadable segments") || m.Contains("wraps past the end of the address space") || m.Contains("lies outside RAM"));
    }

    /// <summary>Exact messages for the classes the issue names.</summary>
    [Theory]
    [InlineData("EI_CLASS", 1UL, "is a 32-bit (RV32) ELF; Rivet emulates RV64")]
    [InlineData("EI_CLASS", 3UL, "has an invalid ELF class (3; 2 is 64-bit)")]
    [InlineData("EI_DATA", 2UL, "is a big-endian ELF; RISC-V is little-endian")]
    [InlineData("e_machine", 62UL, "is an ELF for another architecture (x86-64), not RISC-V")]
    [InlineData("e_type", 1UL, "is a relocatable object file (ET_REL), not a linked executable")]
    [InlineData("e_type", 3UL, "is a shared object or position-independent executable (ET_DYN), not a static executable")]
    [InlineData("e_type", 4UL, "is a core dump (ET_CORE), not an executable")]
    [InlineData("e_phnum", 0UL, "has no program headers (nothing to load)")]
    [InlineData("e_phnum", 0xFFFEUL, "has 65534 program headers (at most 4096 are accepted)")]
    [InlineData("e_phentsize", 32UL, "has program header entries of 32 bytes; ELF64 has 56")]
    [InlineData("e_phoff", 0xFFFFFFFFFFFFFFF0UL, "is truncated or malformed: its program header table (1 entries at offset 0xfffffffffffffff0) extends past the end of the file")]
    [InlineData("phdr[0].p_offset", 0x100000UL, "is truncated or malformed: program header 0 (a loadable segment)'s contents (0x14 bytes at offset 0x100000) extends past the end of the file")]
    [InlineData("phdr[0].p_filesz", 0xFFFFFFFFFFFFFFFFUL, "program header 0 (a loadable segment) has a file size (0xffffffffffffffff) larger than its memory size (0x14)")]
    [InlineData("phdr[0].p_paddr", 0xFFFFFFFFFFFFFFF0UL, "program header 0 (a loadable segment) at address 0xfffffffffffffff0 with size 0x14 wraps past the end of the address space")]
    [InlineData("e_shstrndx", 9UL, "names section 9 as its section name table, but has only 2 sections")]
    public void NamedProblems(string field, ulong value, string expected)
    {
        byte[] b = BadElfCases.Tiny();
        BadElfCases.Field f = BadElfCases.Fields(b).Single(x => x.Name == field);
        Assert.Equal(BadElfCases.Outcome.Refused, BadElfCases.Check(BadElfCases.With(b, f, value), out string message));
        Assert.Contains(expected, message);
    }

    [Fact]
    public void OverlappingSegmentsAreRefused()
    {
        byte[] guest = BadElfCases.Guest();
        // Make the attributes segment a loadable one over the code segment.
        BadElfCases.Field type = BadElfCases.Fields(guest).Single(x => x.Name == "phdr[0].p_type");
        BadElfCases.Field addr = BadElfCases.Fields(guest).Single(x => x.Name == "phdr[0].p_paddr");
        BadElfCases.Field memsz = BadElfCases.Fields(guest).Single(x => x.Name == "phdr[0].p_memsz");
        byte[] b = BadElfCases.With(BadElfCases.With(BadElfCases.With(guest, type, 1), addr, 0x80000100), memsz, 0x100);
        Assert.Equal(BadElfCases.Outcome.Refused, BadElfCases.Check(b, out string message));
        Assert.StartsWith("'fuzz.elf' has overlapping loadable segments (0x80000000-0x800", message);
        Assert.EndsWith(" and 0x80000100-0x800001ff)", message);
    }

    /// <summary>A few mutants through the rivet command: exit code 1, one line.</summary>
    [Fact]
    public void ThroughTheCommandLine()
    {
        byte[] tiny = BadElfCases.Tiny();
        BadElfCases.Field Field(string n) => BadElfCases.Fields(tiny).Single(x => x.Name == n);
        (string, byte[], string)[] cases =
        [
            ("trunc40.elf", tiny[..40], "is a truncated ELF file: its file header (64 bytes) is cut off (the file has 40 bytes)"),
            ("bigendian.elf", BadElfCases.With(tiny, Field("EI_DATA"), 2), "big-endian"),
            ("phoff.elf", BadElfCases.With(tiny, Field("e_phoff"), ulong.MaxValue), "its program header table"),
            ("filesz.elf", BadElfCases.With(tiny, Field("phdr[0].p_filesz"), 1UL << 40), "larger than its memory size"),
            ("shoff.elf", BadElfCases.With(tiny, Field("e_shoff"), 1UL << 62), "its section header table"),
        ];
        foreach ((string file, byte[] image, string expected) in cases)
        {
            RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-kernel", TinyElf.WriteTemp(image, file)), expected);
        }
    }
}
