using System.Diagnostics;
using System.Globalization;

namespace Rivet.Bench;

/// <summary>
/// Debian trixie's Linux 6.12 booted to the test initramfs's /init and powered off (tests/linux:
/// fetch.sh and initramfs.sh, as the boot tests use them, cached under build/linux), on rivet and
/// on qemu-system-riscv64 with the same QEMU command line (virt, 512 MiB, virtio-blk with an ext4
/// image, virtio-rng), at 1 and 4 harts: wall time from the process start to the RIVET-INIT line
/// /init prints, and to the exit after its poweroff.
/// </summary>
internal sealed class BootSection : IBenchSection
{
    private static readonly int[] Harts = [1, 4];
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private const string Marker = "RIVET-INIT ";

    /// <summary>One boot: times to the marker and to the exit, or why it failed.</summary>
    private sealed record Boot(TimeSpan ToInit, TimeSpan ToExit, string? Error);

    public string Name => "boot";
    public string Title => "Linux boot: Debian's 6.12 to /init and power-off, rivet beside QEMU";

    public int Run(BenchContext context)
    {
        BenchOptions o = context.Options;
        TextWriter w = context.Out, progress = context.Progress;
        if (context.RepoRoot is not string root)
        {
            progress.WriteLine("error: the repository (Rivet.slnx) was not found; the boot section needs tests/linux");
            return 2;
        }
        List<string> notes = [];
        if (RivetCli.Find(context, notes, out int cliError) is not RivetCli cli) return cliError;
        Qemu? qemu = o.NoQemu ? null : Qemu.Find();

        string dir = Path.Combine(root, "build", "linux");
        string scripts = Path.Combine(root, "tests", "linux");
        if (!RunScript(progress, Path.Combine(scripts, "fetch.sh"), dir)) return 2;
        string kernel = Directory.GetFiles(Path.Combine(dir, "root", "boot"), "vmlinux-*").Single();
        string initrd = Path.Combine(dir, "initrd.cpio");
        if (!RunScript(progress, Path.Combine(scripts, "initramfs.sh"), Path.Combine(dir, "root"), initrd)) return 2;
        string content = Path.Combine(dir, "bench-disk");
        Directory.CreateDirectory(content);
        File.WriteAllText(Path.Combine(content, "hello.txt"), "bench\n");
        string disk = Path.Combine(dir, "bench-disk.img");

        w.WriteLine($"kernel: {Path.GetFileName(kernel)}; wall time from process start, best of {o.Runs} run(s), no warm-up (each boot is a new process)");
        w.WriteLine($"command line: -M virt -smp N -m 512M -nographic -kernel {Path.GetFileName(kernel)} -initrd initrd.cpio -append \"console=ttyS0 earlycon=sbi rivet.test=1\" -drive ... -device virtio-blk-device,drive=hd0 -device virtio-rng-device");
        if (qemu == null) w.WriteLine(o.NoQemu ? "QEMU: not run (--no-qemu)" : $"QEMU: {Qemu.ProgramName} not found on PATH");
        else w.WriteLine($"QEMU: {qemu.Version()}");
        w.WriteLine();
        w.Flush();

        var table = new TextTable("harts", "rivet /init (s)", "rivet exit (s)", "QEMU /init (s)", "QEMU exit (s)", "/init rivet/QEMU");
        bool ok = true;
        foreach (int harts in Harts)
        {
            Boot? r = Best(cli.Launcher, "rivet", harts, kernel, initrd, content, disk, o.Runs, progress, notes);
            Boot? q = qemu == null ? null : Best(qemu.Path, "QEMU", harts, kernel, initrd, content, disk, o.Runs, progress, notes);
            ok &= r != null;
            table.Add(harts.ToString(CultureInfo.InvariantCulture), S(r?.ToInit), S(r?.ToExit), S(q?.ToInit), S(q?.ToExit),
                r != null && q != null ? (r.ToInit / q.ToInit).ToString("F2", CultureInfo.InvariantCulture) : "-");
        }
        table.Write(w);
        w.WriteLine();
        foreach (string n in notes) w.WriteLine($"note: {n}");
        w.Flush();
        return ok ? 0 : 1;
    }

    private static string S(TimeSpan? t) => t is TimeSpan v ? v.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) : "FAIL";

    private static Boot? Best(string program, string label, int harts, string kernel, string initrd, string content, string disk, int runs,
        TextWriter progress, List<string> notes)
    {
        Boot? best = null;
        for (int i = 0; i < runs; i++)
        {
            if (!MakeDisk(progress, content, disk)) return null;
            Boot b = BootOnce(program, harts, kernel, initrd, disk);
            progress.WriteLine($"[boot] {label}, {harts} hart(s): " + (b.Error ?? $"/init {b.ToInit.TotalSeconds:F2} s, exit {b.ToExit.TotalSeconds:F2} s"));
            if (b.Error != null)
            {
                notes.Add($"{label}, {harts} hart(s): {b.Error}");
                return null;
            }
            if (best == null || b.ToInit < best.ToInit) best = b;
        }
        return best;
    }

    /// <summary>A fresh ext4 image each boot (the guest writes to it).</summary>
    private static bool MakeDisk(TextWriter progress, string content, string disk)
    {
        File.Delete(disk);
        string mke2fs = new[] { "/usr/sbin/mke2fs", "/sbin/mke2fs" }.FirstOrDefault(File.Exists) ?? ChildProcess.FindOnPath("mke2fs") ?? "mke2fs";
        return RunScript(progress, mke2fs, "-q", "-t", "ext4", "-d", content, disk, "16M");
    }

    private static Boot BootOnce(string program, int harts, string kernel, string initrd, string disk)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["-M", "virt", "-smp", harts.ToString(CultureInfo.InvariantCulture), "-m", "512M", "-nographic",
            "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 earlycon=sbi rivet.test=1",
            "-drive", $"file={disk},format=raw,if=none,id=hd0", "-device", "virtio-blk-device,drive=hd0", "-device", "virtio-rng-device"])
            psi.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        p.StandardInput.Close();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        var tail = new Queue<string>();
        // The console, line by line: the time of the marker, and the last lines for failure reports.
        Task<TimeSpan?> reader = Task.Run(() =>
        {
            TimeSpan? toInit = null;
            string? line;
            while ((line = p.StandardOutput.ReadLine()) != null)
            {
                if (line.StartsWith(Marker, StringComparison.Ordinal) && toInit == null) toInit = clock.Elapsed;
                tail.Enqueue(line);
                if (tail.Count > 5) tail.Dequeue();
            }
            return toInit;
        });
        if (!p.WaitForExit(Limit))
        {
            p.Kill(true);
            p.WaitForExit();
            return new Boot(TimeSpan.Zero, TimeSpan.Zero, $"no exit within {Limit.TotalMinutes} min; console ends: {string.Join(" | ", tail)}");
        }
        TimeSpan toExit = clock.Elapsed;
        reader.Wait();
        if (p.ExitCode != 0) return new Boot(TimeSpan.Zero, toExit, $"exit code {p.ExitCode}: {stderr.Result.Trim().ReplaceLineEndings(" | ")}");
        if (reader.Result is not TimeSpan init) return new Boot(TimeSpan.Zero, toExit, $"no {Marker.Trim()} line; console ends: {string.Join(" | ", tail)}");
        return new Boot(init, toExit, null);
    }

    /// <summary>Runs a script or tool with its output on the progress stream; false (with the reason printed) if it failed.</summary>
    private static bool RunScript(TextWriter progress, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> err = p.StandardError.ReadToEndAsync();
        progress.Write(p.StandardOutput.ReadToEnd());
        p.WaitForExit();
        progress.Write(err.Result);
        if (p.ExitCode == 0) return true;
        progress.WriteLine($"error: {Path.GetFileName(program)} {string.Join(' ', args)} failed (exit code {p.ExitCode})");
        return false;
    }
}
