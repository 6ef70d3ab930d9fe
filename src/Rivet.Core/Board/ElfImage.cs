using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace Rivet.Board;

/// <summary>A bad guest image: the message is the one line the user sees.</summary>
public sealed class ImageException(string message) : Exception(message);

/// <summary>One loadable piece of an image: bytes to place at a physical address.</summary>
internal sealed record LoadSegment(ulong Address, byte[] Data, ulong MemorySize);

/// <summary>An RV64 ELF executable read with ELFSharp: its loadable segments and the symbols we use.</summary>
internal sealed class ElfImage
{
    private const int EmRiscv = 243;

    public IReadOnlyList<LoadSegment> Segments { get; }
    public ulong Entry { get; }
    public ulong LowestAddress { get; }
    public ulong? ToHost { get; }
    public ulong? FromHost { get; }

    /// <summary>The defined function symbols (STT_FUNC), as QEMU keeps them for <c>lookup_symbol</c>.</summary>
    public SymbolTable Functions { get; }

    private ElfImage(List<LoadSegment> segments, ulong entry, ulong? tohost, ulong? fromhost, SymbolTable? functions = null)
    {
        Functions = functions ?? SymbolTable.Empty;
        Segments = segments;
        Entry = entry;
        ulong lowest = segments.Count == 0 ? entry : ulong.MaxValue;
        foreach (LoadSegment s in segments) lowest = Math.Min(lowest, s.Address);
        LowestAddress = lowest;
        ToHost = tohost;
        FromHost = fromhost;
    }

    /// <summary>The largest ELF file read, and how a message says so.</summary>
    public static (long Limit, string Reason) ElfLimit => (ImageFile.MaxElfFileSize, $"the {ImageFile.Describe(ImageFile.MaxElfFileSize)} limit for an ELF file");

    public static bool LooksLikeElf(ReadOnlySpan<byte> header)
        => header.Length >= 4 && header[0] == 0x7F && header[1] == (byte)'E' && header[2] == (byte)'L' && header[3] == (byte)'F';

    /// <summary>Reads and parses an ELF file (<see cref="ImageFile"/> checks what the path is first).</summary>
    public static ElfImage Load(string path)
    {
        byte[] bytes = ImageFile.Read(path, $"'{path}'", isElf => isElf
            ? ElfLimit
            : throw new ImageException($"'{path}' is not an ELF file"));
        return Parse(bytes, path);
    }

    /// <summary>
    /// Parses an ELF image. The headers are checked here first, so that what ELFSharp reads is known
    /// to lie inside the file and every error names the problem rather than an exception type.
    /// </summary>
    public static ElfImage Parse(byte[] bytes, string name)
    {
        ElfHeaderCheck.Validate(bytes, name);
        // No section headers (e_shnum = 0, as `strip --strip-section-headers` leaves an
        // executable): still runnable, as on QEMU, but ELFSharp cannot open it.
        if (!ElfHeaderCheck.HasSectionHeaders(bytes)) return FromProgramHeaders(bytes, name);
        IELF elf;
        try
        {
            if (!ELFReader.TryLoad(new MemoryStream(bytes, writable: false), true, out elf))
                throw new ImageException($"'{name}' is a malformed ELF file");
        }
        catch (ImageException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ImageException($"'{name}' is a malformed ELF file: its headers could not be read");
        }
        using (elf)
        {
            try
            {
                return Read(elf, name);
            }
            catch (ImageException)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new ImageException($"'{name}' is a malformed ELF file: its segments or symbols could not be read");
            }
        }
    }

    /// <summary>The loadable segments straight from the program headers, which ElfHeaderCheck has validated.</summary>
    private static ElfImage FromProgramHeaders(byte[] b, string name)
    {
        List<LoadSegment> segments = ElfHeaderCheck.LoadSegments(b);
        if (segments.Count == 0) throw new ImageException($"'{name}' has no loadable segments");
        return new ElfImage(segments, ElfHeaderCheck.Entry(b), null, null);
    }

    private static ElfImage Read(IELF elf, string name)
    {
        if (elf.Class != Class.Bit64 || elf is not ELF<ulong> elf64)
            throw new ImageException($"'{name}' is not a 64-bit ELF file");
        if ((int)elf.Machine != EmRiscv)
            throw new ImageException($"'{name}' is an ELF for another architecture ({elf.Machine}), not RISC-V");
        if (elf.Endianess != ELFSharp.Endianess.LittleEndian)
            throw new ImageException($"'{name}' is a big-endian ELF; RISC-V is little-endian");
        if (elf.Type != FileType.Executable)
            throw new ImageException($"'{name}' is not an executable ELF (type {elf.Type})");

        var segments = new List<LoadSegment>();
        foreach (Segment<ulong> s in elf64.Segments)
        {
            if (s.Type != SegmentType.Load || s.Size == 0) continue;
            byte[] data = s.GetFileContents();
            if ((ulong)data.Length > s.Size) throw new ImageException($"'{name}' has a segment whose file size exceeds its memory size");
            segments.Add(new LoadSegment(s.PhysicalAddress, data, s.Size));
        }
        if (segments.Count == 0) throw new ImageException($"'{name}' has no loadable segments");

        ulong? tohost = null, fromhost = null;
        var functions = new List<SymbolTable.Symbol>();
        if (((IELF)elf64).TryGetSection(".symtab", out ISection? section) && section is ISymbolTable symtab)
        {
            foreach (ISymbolEntry sym in symtab.Entries)
            {
                if (sym is not SymbolEntry<ulong> e) continue;
                if (e.Name == "tohost") tohost = e.Value;
                else if (e.Name == "fromhost") fromhost = e.Value;
                // QEMU's load_symbols keeps defined function symbols only (not SHN_UNDEF, not SHN_LORESERVE and above).
                if (e.Type == SymbolType.Function && e.PointedSectionIndex != 0 && e.PointedSectionIndex < 0xFF00 && e.Name.Length > 0)
                    functions.Add(new SymbolTable.Symbol(e.Name, e.Value, e.Size));
            }
        }
        return new ElfImage(segments, elf64.EntryPoint, tohost, fromhost, new SymbolTable(functions));
    }
}
