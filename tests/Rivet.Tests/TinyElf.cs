namespace Rivet.Tests;

/// <summary>Builds minimal ELF files in memory, for loader tests that need odd or broken images.</summary>
internal static class TinyElf
{
    public static byte[] Build(ulong address, byte[] payload, ushort machine = 243, byte elfClass = 2, ushort type = 2, ulong? memSize = null, bool sectionHeaders = true)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', elfClass, 1, 1, 0 });
        w.Write(new byte[8]);
        w.Write(type);          // e_type
        w.Write(machine);       // e_machine
        w.Write(1u);            // e_version
        w.Write(address);       // e_entry
        w.Write(64UL);          // e_phoff
        ulong shstrOffset = 120 + (ulong)payload.Length;
        byte[] shstr = "\0.shstrtab\0"u8.ToArray();
        ulong shoff = (shstrOffset + (ulong)shstr.Length + 7) & ~7UL;
        w.Write(sectionHeaders ? shoff : 0UL); // e_shoff
        w.Write(0u);            // e_flags
        w.Write((ushort)64);    // e_ehsize
        w.Write((ushort)56);    // e_phentsize
        w.Write((ushort)1);     // e_phnum
        w.Write((ushort)64);    // e_shentsize
        w.Write((ushort)(sectionHeaders ? 2 : 0)); // e_shnum (0: stripped of section headers, still runnable)
        w.Write((ushort)(sectionHeaders ? 1 : 0)); // e_shstrndx
        w.Write(1u);            // p_type = PT_LOAD
        w.Write(7u);            // p_flags = RWX
        w.Write(120UL);         // p_offset
        w.Write(address);       // p_vaddr
        w.Write(address);       // p_paddr
        w.Write((ulong)payload.Length);            // p_filesz
        w.Write(memSize ?? (ulong)payload.Length); // p_memsz
        w.Write(4096UL);        // p_align
        w.Write(payload);
        if (!sectionHeaders) return ms.ToArray();
        w.Write(shstr);
        while ((ulong)ms.Length < shoff) w.Write((byte)0);
        w.Write(new byte[64]);  // section 0: null
        w.Write(1u);            // sh_name ".shstrtab"
        w.Write(3u);            // sh_type = SHT_STRTAB
        w.Write(0UL);           // sh_flags
        w.Write(0UL);           // sh_addr
        w.Write(shstrOffset);   // sh_offset
        w.Write((ulong)shstr.Length);
        w.Write(0u);            // sh_link
        w.Write(0u);            // sh_info
        w.Write(1UL);           // sh_addralign
        w.Write(0UL);           // sh_entsize
        return ms.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="value"/> to the SiFive finisher and spins: lui t0,0x100;
    /// lui t1,hi; addiw t1,t1,lo; sw t1,0(t0); j . (20 bytes).
    /// </summary>
    public static byte[] FinisherProgram(uint value)
    {
        int lo = (int)(value << 20) >> 20;   // the low 12 bits, sign-extended as addiw takes them
        uint hi = (value - (uint)lo) >> 12;  // what lui must supply so that hi + lo = value
        uint[] insns =
        [
            0x001002B7,                                // lui t0, 0x100
            (hi << 12) | (6u << 7) | 0x37,             // lui t1, hi
            ((uint)lo << 20) | (6u << 15) | (6u << 7) | 0x1B, // addiw t1, t1, lo
            0x0062A023,                                // sw t1, 0(t0)
            0x0000006F,                                // j .
        ];
        return insns.SelectMany(BitConverter.GetBytes).ToArray();
    }

    /// <summary>The finisher's pass value, 0x5555: exit code 0.</summary>
    public static readonly byte[] PassProgram = FinisherProgram(0x5555);

    public static string WriteTemp(byte[] bytes, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rivet-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
