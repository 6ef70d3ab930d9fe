namespace Rivet.Tests;

/// <summary>Builds minimal ELF files in memory, for loader tests that need odd or broken images.</summary>
internal static class TinyElf
{
    public static byte[] Build(ulong address, byte[] payload, ushort machine = 243, byte elfClass = 2, ushort type = 2, ulong? memSize = null)
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
        w.Write(shoff);         // e_shoff
        w.Write(0u);            // e_flags
        w.Write((ushort)64);    // e_ehsize
        w.Write((ushort)56);    // e_phentsize
        w.Write((ushort)1);     // e_phnum
        w.Write((ushort)64);    // e_shentsize
        w.Write((ushort)2);     // e_shnum
        w.Write((ushort)1);     // e_shstrndx
        w.Write(1u);            // p_type = PT_LOAD
        w.Write(7u);            // p_flags = RWX
        w.Write(120UL);         // p_offset
        w.Write(address);       // p_vaddr
        w.Write(address);       // p_paddr
        w.Write((ulong)payload.Length);            // p_filesz
        w.Write(memSize ?? (ulong)payload.Length); // p_memsz
        w.Write(4096UL);        // p_align
        w.Write(payload);
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

    /// <summary>sw of 0x5555 to the finisher: li t0,0x100000; lui t1,5; addi t1,t1,0x555; sw t1,0(t0); j .</summary>
    public static readonly byte[] PassProgram =
    [
        0xB7, 0x02, 0x10, 0x00, // lui t0, 0x100
        0x37, 0x53, 0x00, 0x00, // lui t1, 0x5
        0x1B, 0x03, 0x53, 0x55, // addiw t1, t1, 0x555
        0x23, 0xA0, 0x62, 0x00, // sw t1, 0(t0)
        0x6F, 0x00, 0x00, 0x00, // j .
    ];

    public static string WriteTemp(byte[] bytes, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rivet-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
