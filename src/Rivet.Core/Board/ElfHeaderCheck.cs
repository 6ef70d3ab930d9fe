using System.Buffers.Binary;

namespace Rivet.Board;

/// <summary>
/// The checks an ELF image passes before ELFSharp reads it: the identification, the file header,
/// the program and section header tables, every loadable segment and every section's contents lie
/// inside the file, with sizes and addresses that do not overflow. Each failure is one message that
/// names the problem (the user sees it as it is).
/// </summary>
internal static class ElfHeaderCheck
{
    private const int EhSize = 64, PhEntSize = 56, ShEntSize = 64, SymEntSize = 24;
    private const ushort EmRiscv = 243;
    private const uint PtLoad = 1, ShtSymtab = 2, ShtStrtab = 3, ShtNobits = 8, ShtDynsym = 11;

    /// <summary>The most program headers accepted: far beyond any real image, small enough to check pairwise.</summary>
    public const int MaxProgramHeaders = 4096;

    public static void Validate(byte[] b, string name)
    {
        string n = $"'{name}'";
        if (!ElfImage.LooksLikeElf(b)) throw new ImageException($"{n} is not an ELF file");
        if (b.Length < 16) throw Truncated(n, "its identification (16 bytes)", b.Length);
        switch (b[4])
        {
            case 1:
                if (b.Length < 20) throw new ImageException($"{n} is a 32-bit ELF; Rivet emulates RV64");
                int machine32 = b[18] | (b[19] << 8);
                throw new ImageException(machine32 == EmRiscv
                    ? $"{n} is a 32-bit (RV32) ELF; Rivet emulates RV64"
                    : $"{n} is a 32-bit ELF for another architecture ({MachineName(machine32)}), not RISC-V RV64");
            case 2:
                break;
            default:
                throw new ImageException($"{n} has an invalid ELF class ({b[4]}; 2 is 64-bit)");
        }
        if (b[5] == 2) throw new ImageException($"{n} is a big-endian ELF; RISC-V is little-endian");
        if (b[5] != 1) throw new ImageException($"{n} has an invalid ELF data encoding ({b[5]}; 1 is little-endian)");
        if (b[6] != 1) throw new ImageException($"{n} has an unsupported ELF version ({b[6]}; 1 is current)");
        if (b.Length < EhSize) throw Truncated(n, $"its file header ({EhSize} bytes)", b.Length);

        ushort type = U16(b, 16), machine = U16(b, 18);
        if (machine != EmRiscv) throw new ImageException($"{n} is an ELF for another architecture ({MachineName(machine)}), not RISC-V");
        if (U32(b, 20) != 1) throw new ImageException($"{n} has an unsupported ELF header version ({U32(b, 20)}; 1 is current)");
        if (type != 2)
        {
            string kind = type switch
            {
                0 => "has no file type (ET_NONE)",
                1 => "is a relocatable object file (ET_REL), not a linked executable",
                3 => "is a shared object or position-independent executable (ET_DYN), not a static executable",
                4 => "is a core dump (ET_CORE), not an executable",
                _ => $"has an unknown ELF file type ({type})",
            };
            throw new ImageException($"{n} {kind}");
        }
        if (U16(b, 52) < EhSize) throw new ImageException($"{n} has an invalid ELF header size ({U16(b, 52)}; at least {EhSize})");

        CheckProgramHeaders(b, n);
        CheckSectionHeaders(b, n);
    }

    /// <summary>False for an executable stripped of its section headers (e_shnum 0), which ELFSharp cannot open.</summary>
    public static bool HasSectionHeaders(byte[] b) => U16(b, 60) != 0;

    /// <summary>e_entry of a validated image.</summary>
    public static ulong Entry(byte[] b) => U64(b, 24);

    /// <summary>The loadable segments of a validated image, read straight from its program headers.</summary>
    public static List<LoadSegment> LoadSegments(byte[] b)
    {
        ulong phoff = U64(b, 32);
        int phnum = U16(b, 56);
        var segments = new List<LoadSegment>();
        for (int i = 0; i < phnum; i++)
        {
            int at = (int)phoff + i * PhEntSize;
            ulong memsz = U64(b, at + 40);
            if (U32(b, at) != PtLoad || memsz == 0) continue;
            byte[] data = b.AsSpan((int)U64(b, at + 8), (int)U64(b, at + 32)).ToArray();
            segments.Add(new LoadSegment(U64(b, at + 24), data, memsz));
        }
        return segments;
    }

    private static void CheckProgramHeaders(byte[] b, string n)
    {
        ulong phoff = U64(b, 32);
        int phentsize = U16(b, 54), phnum = U16(b, 56);
        if (phnum == 0) throw new ImageException($"{n} has no program headers (nothing to load)");
        if (phnum == 0xFFFF) throw new ImageException($"{n} uses extended program header numbering, which Rivet does not support");
        if (phnum > MaxProgramHeaders) throw new ImageException($"{n} has {phnum} program headers (at most {MaxProgramHeaders} are accepted)");
        if (phentsize != PhEntSize) throw new ImageException($"{n} has program header entries of {phentsize} bytes; ELF64 has {PhEntSize}");
        CheckRange(b, n, phoff, (ulong)phnum * PhEntSize, $"its program header table ({phnum} entries at offset 0x{phoff:x})");

        // Plain arrays and an insertion sort (a file has a few loadable segments): generic
        // collections of value types are not precompiled and would be JIT-compiled at every start.
        ulong[] starts = new ulong[phnum], ends = new ulong[phnum];
        int count = 0;
        for (int i = 0; i < phnum; i++)
        {
            int at = (int)phoff + i * PhEntSize;
            if (U32(b, at) != PtLoad) continue;
            ulong offset = U64(b, at + 8), paddr = U64(b, at + 24), filesz = U64(b, at + 32), memsz = U64(b, at + 40);
            if (filesz > memsz) throw new ImageException($"{n}: {Segment(i)} has a file size (0x{filesz:x}) larger than its memory size (0x{memsz:x})");
            if (offset > (ulong)b.Length || filesz > (ulong)b.Length - offset)
                CheckRange(b, n, offset, filesz, $"{Segment(i)}'s contents (0x{filesz:x} bytes at offset 0x{offset:x})");
            if (memsz == 0) continue;
            if (paddr > ulong.MaxValue - memsz + 1)
                throw new ImageException($"{n}: {Segment(i)} at address 0x{paddr:x} with size 0x{memsz:x} wraps past the end of the address space");
            int j = count++;
            for (; j > 0 && starts[j - 1] > paddr; j--)
            {
                starts[j] = starts[j - 1];
                ends[j] = ends[j - 1];
            }
            starts[j] = paddr;
            ends[j] = paddr + memsz - 1;
        }
        if (count == 0) throw new ImageException($"{n} has no loadable segments");
        for (int i = 1; i < count; i++)
        {
            if (starts[i] <= ends[i - 1])
            {
                throw new ImageException(
                    $"{n} has overlapping loadable segments (0x{starts[i - 1]:x}-0x{ends[i - 1]:x} and 0x{starts[i]:x}-0x{ends[i]:x})");
            }
        }
    }

    private static string Segment(int index) => $"program header {index} (a loadable segment)";

    private static void CheckSectionHeaders(byte[] b, string n)
    {
        ulong shoff = U64(b, 40);
        int shentsize = U16(b, 58), shnum = U16(b, 60), shstrndx = U16(b, 62);
        if (shnum == 0)
        {
            // Extended numbering keeps the count in section 0; a plain image without sections has shoff 0.
            if (shoff != 0) throw new ImageException($"{n} uses extended section numbering (or a section header offset without sections), which Rivet does not support");
            return;
        }
        if (shentsize != ShEntSize) throw new ImageException($"{n} has section header entries of {shentsize} bytes; ELF64 has {ShEntSize}");
        CheckRange(b, n, shoff, (ulong)shnum * ShEntSize, $"its section header table ({shnum} entries at offset 0x{shoff:x})");
        if (shstrndx == 0xFFFF) throw new ImageException($"{n} uses an extended section name table index, which Rivet does not support");
        if (shstrndx >= shnum) throw new ImageException($"{n} names section {shstrndx} as its section name table, but has only {shnum} sections");

        for (int i = 0; i < shnum; i++)
        {
            int at = (int)shoff + i * ShEntSize;
            uint type = U32(b, at + 4);
            ulong offset = U64(b, at + 24), size = U64(b, at + 32);
            if (type != ShtNobits) CheckRange(b, n, offset, size, $"section {i}'s contents (0x{size:x} bytes at offset 0x{offset:x})");
        }
        // Symbol tables once every section's contents are known to be inside the file.
        for (int i = 0; i < shnum; i++)
        {
            int at = (int)shoff + i * ShEntSize;
            uint type = U32(b, at + 4);
            ulong offset = U64(b, at + 24), size = U64(b, at + 32);
            uint link = U32(b, at + 40);
            ulong entsize = U64(b, at + 56);
            string sec = $"section {i}";
            if (type is ShtSymtab or ShtDynsym)
            {
                if (entsize != SymEntSize) throw new ImageException($"{n}: {sec} is a symbol table with entries of {entsize} bytes; ELF64 has {SymEntSize}");
                if (size % SymEntSize != 0) throw new ImageException($"{n}: {sec} is a symbol table whose size (0x{size:x}) is not a whole number of entries");
                if (link == 0 || link >= shnum || U32(b, (int)shoff + (int)link * ShEntSize + 4) != ShtStrtab)
                    throw new ImageException($"{n}: {sec} is a symbol table whose string table (section {link}) is not a string table");
                ulong strings = CheckStringTable(b, n, shoff, (int)link, $"the string table of {sec} (section {link})");
                for (ulong e = 0; e < size; e += SymEntSize)
                {
                    uint nameAt = U32(b, (int)(offset + e));
                    if (nameAt >= strings)
                        throw new ImageException($"{n}: symbol {e / SymEntSize} of {sec} has its name (at 0x{nameAt:x}) outside its string table (0x{strings:x} bytes)");
                }
            }
        }
        int names = (int)shoff + shstrndx * ShEntSize;
        if (shstrndx != 0)
        {
            if (U32(b, names + 4) != ShtStrtab) throw new ImageException($"{n}: its section name table (section {shstrndx}) is not a string table");
            ulong namesSize = CheckStringTable(b, n, shoff, shstrndx, $"its section name table (section {shstrndx})");
            for (int i = 0; i < shnum; i++)
            {
                uint nameAt = U32(b, (int)shoff + i * ShEntSize);
                if (nameAt >= namesSize && !(i == 0 && nameAt == 0))
                    throw new ImageException($"{n}: section {i}'s name (at 0x{nameAt:x}) lies outside the section name table (0x{namesSize:x} bytes)");
            }
        }
    }

    /// <summary>A string table's size; its last string must end inside it (ELFSharp reads up to a NUL).</summary>
    private static ulong CheckStringTable(byte[] b, string n, ulong shoff, int index, string what)
    {
        int at = (int)shoff + index * ShEntSize;
        ulong offset = U64(b, at + 24), size = U64(b, at + 32);
        // The contents were range-checked with the section headers before any string table is looked at.
        if (size == 0 || b[(int)(offset + size - 1)] != 0) throw new ImageException($"{n}: {what} does not end with a NUL character");
        return size;
    }

    /// <summary>[offset, offset + length) must lie inside the file, computed without overflow.</summary>
    private static void CheckRange(byte[] b, string n, ulong offset, ulong length, string what)
    {
        ulong size = (ulong)b.Length;
        if (offset > size || length > size - offset)
            throw new ImageException($"{n} is truncated or malformed: {what} extends past the end of the file ({size} bytes)");
    }

    private static ImageException Truncated(string n, string what, int length)
        => new($"{n} is a truncated ELF file: {what} is cut off (the file has {length} bytes)");

    private static string MachineName(int machine) => machine switch
    {
        3 => "x86",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "PowerPC64",
        40 => "ARM",
        62 => "x86-64",
        183 => "AArch64",
        243 => "RISC-V",
        258 => "LoongArch",
        _ => $"machine {machine}",
    };

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
}
