using System.Diagnostics;

namespace Rivet.Bench;

/// <summary>One run of a guest on QEMU (the whole process, start-up included).</summary>
internal sealed record QemuRun(int? ExitCode, TimeSpan Elapsed, string? Error)
{
    public bool Ok => Error == null;
}

/// <summary>qemu-system-riscv64, found on PATH, run as a child process.</summary>
internal sealed class Qemu
{
    public const string ProgramName = "qemu-system-riscv64";
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private Qemu(string path) => Path = path;

    public string Path { get; }

    /// <summary>The QEMU on PATH, or null if there is none.</summary>
    public static Qemu? Find()
    {
        string? path = ChildProcess.FindOnPath(ProgramName);
        return path == null ? null : new Qemu(path);
    }

    /// <summary>The first line of --version, e.g. "QEMU emulator version 7.2.22 (...)".</summary>
    public string Version()
    {
        try
        {
            var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            psi.ArgumentList.Add("--version");
            using Process p = Process.Start(psi)!;
            p.StandardInput.Close();
            string first = p.StandardOutput.ReadLine() ?? "";
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return first.Trim();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException)
        {
            return $"(version unknown: {ex.Message})";
        }
    }

    /// <summary>
    /// Runs <c>qemu-system-riscv64 -machine virt -bios none -nographic -smp N -kernel ELF</c> with
    /// standard input from /dev/null and the guest's output discarded, and times the whole process.
    /// On Unix it goes through <c>sh -c 'exec ...'</c> for the redirections (the shell's start-up is
    /// in every run, so it cancels out with the start-up baseline).
    /// </summary>
    public QemuRun Run(string elfPath, int harts = 1)
    {
        string[] qemuArgs = ["-machine", "virt", "-bios", "none", "-nographic", "-smp", harts.ToString(System.Globalization.CultureInfo.InvariantCulture), "-kernel", elfPath];
        bool viaShell = !OperatingSystem.IsWindows() && File.Exists("/bin/sh");
        ProcessStartInfo psi;
        if (viaShell)
        {
            psi = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >/dev/null");
            psi.ArgumentList.Add(Path);
        }
        else
        {
            psi = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardInput = true, RedirectStandardOutput = true };
        }
        foreach (string a in qemuArgs) psi.ArgumentList.Add(a);

        var sw = Stopwatch.StartNew();
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new QemuRun(null, TimeSpan.Zero, $"cannot start {Path}: {ex.Message}");
        }
        using (p)
        {
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            Task? stdout = null;
            if (!viaShell)
            {
                p.StandardInput.Close();
                stdout = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            }
            bool exited = p.WaitForExit(Timeout);
            sw.Stop();
            if (!exited)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // it exited after all
                }
                p.WaitForExit();
                return new QemuRun(null, sw.Elapsed, $"did not finish within {Timeout.TotalSeconds:F0} s");
            }
            p.WaitForExit(); // drains the redirected streams
            stdout?.Wait();
            string errors = stderr.Result.Trim();
            string? error = p.ExitCode == 0 ? null
                : $"exit code {p.ExitCode}{(errors.Length > 0 ? ": " + errors.ReplaceLineEndings(" | ") : "")}";
            return new QemuRun(p.ExitCode, sw.Elapsed, error);
        }
    }

    /// <summary>
    /// The smallest guest there is: at 0x80000000 it writes 0x5555 (pass) to the SiFive test
    /// finisher at 0x100000 and spins. QEMU's time for it is its start-up and tear-down cost.
    /// </summary>
    public static byte[] ExitAtOnceElf()
    {
        const ulong Base = 0x8000_0000;
        uint[] code =
        [
            0x001002B7, // lui  t0, 0x100        t0 = 0x100000 (test finisher)
            0x00005337, // lui  t1, 0x5
            0x55530313, // addi t1, t1, 0x555    t1 = 0x5555 (pass, exit code 0)
            0x0062A023, // sw   t1, 0(t0)
            0x0000006F, // j    .
        ];
        // Section headers (a null one and .shstrtab) are not needed to run it, but rivet's loader
        // rejects an ELF without them, and both emulators must run the same file.
        const int EhSize = 64, PhSize = 56, ShSize = 64, CodeOffset = EhSize + PhSize;
        byte[] shstr = "\0.shstrtab\0"u8.ToArray();
        int shstrOffset = CodeOffset + (code.Length * 4);
        int shOffset = (shstrOffset + shstr.Length + 7) & ~7;
        byte[] elf = new byte[shOffset + (2 * ShSize)];
        Span<byte> s = elf;
        // e_ident: ELF, 64-bit, little-endian, version 1, System V ABI
        s[0] = 0x7F; s[1] = (byte)'E'; s[2] = (byte)'L'; s[3] = (byte)'F';
        s[4] = 2; s[5] = 1; s[6] = 1;
        W16(s, 16, 2);            // e_type: EXEC
        W16(s, 18, 243);          // e_machine: RISC-V
        W32(s, 20, 1);            // e_version
        W64(s, 24, Base);         // e_entry
        W64(s, 32, EhSize);       // e_phoff
        W64(s, 40, (ulong)shOffset); // e_shoff
        W32(s, 48, 0);            // e_flags: soft-float ABI, no RVC
        W16(s, 52, EhSize);       // e_ehsize
        W16(s, 54, PhSize);       // e_phentsize
        W16(s, 56, 1);            // e_phnum
        W16(s, 58, ShSize);       // e_shentsize
        W16(s, 60, 2);            // e_shnum: null, .shstrtab
        W16(s, 62, 1);            // e_shstrndx
        Span<byte> ph = s[EhSize..];
        W32(ph, 0, 1);            // p_type: LOAD
        W32(ph, 4, 5);            // p_flags: R+X
        W64(ph, 8, CodeOffset);   // p_offset
        W64(ph, 16, Base);        // p_vaddr
        W64(ph, 24, Base);        // p_paddr
        W64(ph, 32, (ulong)code.Length * 4); // p_filesz
        W64(ph, 40, (ulong)code.Length * 4); // p_memsz
        W64(ph, 48, 8);           // p_align (offset and address agree modulo 8)
        for (int i = 0; i < code.Length; i++) W32(s, CodeOffset + (i * 4), code[i]);
        shstr.CopyTo(s[shstrOffset..]);
        Span<byte> sh = s[(shOffset + ShSize)..]; // section 0 stays all zeros
        W32(sh, 0, 1);            // sh_name: ".shstrtab"
        W32(sh, 4, 3);            // sh_type: STRTAB
        W64(sh, 24, (ulong)shstrOffset); // sh_offset
        W64(sh, 32, (ulong)shstr.Length); // sh_size
        W64(sh, 48, 1);           // sh_addralign
        return elf;

        static void W16(Span<byte> b, int at, ushort v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(b[at..], v);
        static void W32(Span<byte> b, int at, uint v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b[at..], v);
        static void W64(Span<byte> b, int at, ulong v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);
    }
}
