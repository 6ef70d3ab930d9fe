using System.Diagnostics;
using System.Text;

// The tests run shell scripts, read /proc and send signals.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Rivet.Boot.Tests;

/// <summary>
/// Debian trixie's riscv64 kernel and the test initramfs, made once per test run by
/// tests/linux/fetch.sh and tests/linux/initramfs.sh under build/linux (the fetch is cached there
/// between runs; the initramfs is rebuilt when its script is newer).
/// </summary>
internal static class LinuxImages
{
    /// <summary>Generous: a first fetch downloads ~115 MB.</summary>
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromMinutes(10);

    private static readonly Lazy<(string Kernel, string Initrd, string Release)> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string BuildDir => Path.Combine(Repo.Root, "build", "linux");

    /// <summary>Debian's kernel: /boot/vmlinux-RELEASE, a raw Image with a PE header, as QEMU's -kernel takes it.</summary>
    public static string Kernel => Built.Value.Kernel;

    /// <summary>The newc cpio: busybox, the virtio and ext4 modules, the test /init.</summary>
    public static string Initrd => Built.Value.Initrd;

    /// <summary>The kernel release, as uname -r prints it (e.g. 6.12.117+deb13-riscv64).</summary>
    public static string Release => Built.Value.Release;

    private static (string, string, string) Build()
    {
        string scripts = Path.Combine(Repo.Root, "tests", "linux");
        string root = Path.Combine(BuildDir, "root");
        RunScript(Path.Combine(scripts, "fetch.sh"), BuildDir);
        string kernel = Directory.GetFiles(Path.Combine(root, "boot"), "vmlinux-*").Single();
        string release = Path.GetFileName(kernel)["vmlinux-".Length..];
        string initrd = Path.Combine(BuildDir, "initrd.cpio");
        string script = Path.Combine(scripts, "initramfs.sh");
        if (!File.Exists(initrd) || File.GetLastWriteTimeUtc(initrd) < File.GetLastWriteTimeUtc(script))
            RunScript(script, root, initrd);
        return (kernel, initrd, release);
    }

    /// <summary>Runs a tool to completion; its output goes into the exception if it fails.</summary>
    public static string RunScript(string program, params string[] args) => RunTool(program, ScriptLimit, args);

    /// <summary>A tool on PATH, or in /usr/sbin or /sbin (e2fsprogs' tools; not on a user's PATH everywhere).</summary>
    public static string FindTool(string name)
    {
        IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} not found (the README's test command installs it with apt-get)");
    }

    public static string RunTool(string program, TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {limit.TotalMinutes} min");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {stdout.Result}{stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>
/// A scratch ext4 image for /dev/vda, made with Debian's mke2fs -d from a folder holding
/// hello.txt (a fresh token, so the guest cannot pass by reading a stale image), and read back with
/// debugfs after the guest powered off.
/// </summary>
internal sealed class Ext4Disk : IDisposable
{
    private static readonly TimeSpan ToolLimit = TimeSpan.FromSeconds(60);
    private readonly string _dir;

    public Ext4Disk()
    {
        _dir = Path.Combine(Path.GetTempPath(), "rivet-linux-" + Guid.NewGuid().ToString("N")[..10]);
        string content = Path.Combine(_dir, "content");
        Directory.CreateDirectory(content);
        Token = "token-" + Guid.NewGuid().ToString("N")[..12];
        File.WriteAllText(Path.Combine(content, "hello.txt"), Token + "\n", Encoding.ASCII);
        Image = Path.Combine(_dir, "disk.img");
        LinuxImages.RunTool(LinuxImages.FindTool("mke2fs"), ToolLimit, "-q", "-t", "ext4", "-d", content, Image, "16M");
    }

    /// <summary>The raw image (16 MiB: 32768 sectors).</summary>
    public string Image { get; }

    /// <summary>What /hello.txt holds (one line).</summary>
    public string Token { get; }

    /// <summary>A file of the image as the host reads it (debugfs cat), "" when it does not exist.</summary>
    public string ReadBack(string path) => LinuxImages.RunTool(LinuxImages.FindTool("debugfs"), ToolLimit, "-R", $"cat {path}", Image);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // left for /tmp's cleaning
        }
    }
}
