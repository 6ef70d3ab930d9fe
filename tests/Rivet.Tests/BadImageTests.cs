using System.Runtime.InteropServices;
using Rivet.Board;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// -kernel and -bios paths that are not ordinary image files: each is one clear message (exit code
/// 1 through the CLI), never a hang on a FIFO, an endless read of a device or a .NET exception.
/// </summary>
public sealed class BadImageFileTests
{
    /// <summary>Turns a hang (a FIFO opened for reading, /dev/zero read to the end) into a failure.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    private static string Dir()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rivet-badimage-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The loader's message for <paramref name="path"/>, run with a deadline.</summary>
    private static string KernelError(string path) => LoadError(new MachineConfig { Kernel = path });

    private static string BiosError(string path) => LoadError(new MachineConfig { Bios = path });

    private static string LoadError(MachineConfig config)
    {
        Task<string> load = Task.Run(() =>
        {
            try
            {
                using var m = new Machine.Machine(config with { RamSize = 16 << 20 }, Stream.Null, TextWriter.Null);
                return "(loaded)";
            }
            catch (ImageException ex)
            {
                return ex.Message;
            }
        });
        Assert.True(load.Wait(HangLimit), $"loading {config.Kernel ?? config.Bios} did not finish within {HangLimit.TotalSeconds} s");
        string message = load.Result;
        BadElfCases.AssertClearMessage(message);
        return message;
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    private static string Fifo()
    {
        string path = Path.Combine(Dir(), "image.fifo");
        Assert.Equal(0, MkFifo(path, 0x1B6)); // 0666
        return path;
    }

    [Fact]
    public void FifoIsRefusedWithoutWaitingForAWriter()
    {
        string fifo = Fifo();
        Assert.Contains("is a FIFO", KernelError(fifo));
        Assert.Contains("is a FIFO", BiosError(fifo));
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/dev/null")]
    public void CharacterDevicesAreRefusedWithoutReading(string device)
    {
        Assert.Equal($"could not load kernel '{device}': it is a character device, not a regular file", KernelError(device));
        Assert.Equal($"could not load firmware '{device}': it is a character device, not a regular file", BiosError(device));
    }

    [Fact]
    public void DirectoryIsNamedAsOne()
    {
        string dir = Dir();
        Assert.Equal($"could not load kernel '{dir}': it is a directory", KernelError(dir));
        Assert.Contains("is a directory", BiosError(dir));
    }

    [Fact]
    public void SymlinkLoopIsNamedAsOne()
    {
        string dir = Dir();
        string a = Path.Combine(dir, "a.elf"), b = Path.Combine(dir, "b.elf");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        Assert.Contains("too many levels of symbolic links", KernelError(a));
        Assert.Contains("too many levels of symbolic links", BiosError(b));
    }

    [Fact]
    public void SymlinkToAGoodImageLoads()
    {
        string dir = Dir();
        string target = Path.Combine(dir, "pass.elf"), link = Path.Combine(dir, "link.elf");
        File.WriteAllBytes(target, TinyElf.Build(0x80000000, TinyElf.PassProgram));
        File.CreateSymbolicLink(link, target);
        Assert.Equal("(loaded)", KernelError(link));
    }

    [Fact]
    public void MissingFilesAndBrokenPaths()
    {
        string dir = Dir();
        Assert.Equal($"could not load kernel '{dir}/none.elf': no such file", KernelError($"{dir}/none.elf"));
        Assert.Equal($"could not load firmware '{dir}/none.bin': no such file", BiosError($"{dir}/none.bin"));
        string file = Path.Combine(dir, "file");
        File.WriteAllText(file, "x");
        Assert.Contains("a component of the path is not a directory", KernelError(file + "/guest.elf"));
        File.CreateSymbolicLink(Path.Combine(dir, "dangling.elf"), Path.Combine(dir, "gone.elf"));
        Assert.Contains("no such file", KernelError(Path.Combine(dir, "dangling.elf")));
        Assert.Contains("file name too long", KernelError(Path.Combine(dir, new string('x', 256))));
        Assert.Contains("NUL character", KernelError("guest\0.elf"));
        Assert.Contains("no file name given", KernelError(""));
    }

    /// <summary>
    /// Tests run as root, which reads any file whatever its mode; a write-only sysctl (mode 0200)
    /// still refuses root a read, so it is a real "permission denied".
    /// </summary>
    [Fact]
    public void UnreadableFileIsPermissionDenied()
    {
        string? writeOnly = Directory.EnumerateFiles("/proc/sys/vm")
            .FirstOrDefault(f => !OperatingSystem.IsWindows() && File.GetUnixFileMode(f) == UnixFileMode.UserWrite);
        Assert.True(writeOnly != null, "no write-only file in /proc/sys/vm to test with");
        Assert.Equal($"could not load kernel '{writeOnly}': permission denied", KernelError(writeOnly));
        Assert.Equal($"could not load firmware '{writeOnly}': permission denied", BiosError(writeOnly));
        Assert.Equal("permission denied", ImageFile.ErrnoReason(13));
    }

    [Fact]
    public void EmptyFileIsNamedEmpty()
    {
        string path = Path.Combine(Dir(), "empty.elf");
        File.WriteAllBytes(path, []);
        Assert.Equal($"could not load kernel '{path}': the file is empty", KernelError(path));
        Assert.Contains("the file is empty", BiosError(path));
    }

    /// <summary>Sparse files: gigabytes on paper, nothing on disk; the size is refused before any of it is read.</summary>
    [Fact]
    public void OversizedImagesAreRefusedBeforeReading()
    {
        string dir = Dir();
        try
        {
            string elf = Path.Combine(dir, "huge.elf");
            using (FileStream f = File.Create(elf))
            {
                f.Write(TinyElf.Build(0x80000000, TinyElf.PassProgram));
                f.SetLength(3L << 30);
            }
            Assert.Equal($"could not load kernel '{elf}': the file is 3 GiB, larger than the 1 GiB limit for an ELF file", KernelError(elf));
            // On this thread (other tests run in parallel): refused without allocating the image.
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<ImageException>(() => ElfImage.Load(elf));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the oversized image was read");

            string raw = Path.Combine(dir, "huge.bin");
            using (FileStream f = File.Create(raw)) f.SetLength(17 << 20);
            Assert.Equal($"could not load firmware '{raw}': the file is 17 MiB, larger than the guest's 16 MiB of RAM", BiosError(raw));

            string notElf = Path.Combine(dir, "text.elf");
            using (FileStream f = File.Create(notElf)) f.SetLength(3L << 30);
            Assert.Equal($"could not load kernel '{notElf}': the file is 3 GiB, larger than the guest's 16 MiB of RAM", KernelError(notElf));
        }
        finally
        {
            Directory.Delete(dir, true); // sparse, but gigabytes on paper
        }
    }

    [Fact]
    public void RawFirmwareThatFitsLoads()
    {
        string raw = Path.Combine(Dir(), "fw.bin");
        File.WriteAllBytes(raw, TinyElf.PassProgram);
        Assert.Equal("(loaded)", BiosError(raw));
    }

    /// <summary>The same classes through the rivet command: one line, exit code 1, no hang.</summary>
    [Fact]
    public void ThroughTheCommandLine()
    {
        string fifo = Fifo();
        RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-kernel", fifo), "is a FIFO");
        RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-bios", "/dev/zero"), "firmware '/dev/zero': it is a character device");
        RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-kernel", "/dev/urandom"), "is a character device");
        RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-kernel", Path.GetTempPath()), "is a directory");
        string dir = Dir();
        File.CreateSymbolicLink(Path.Combine(dir, "a"), Path.Combine(dir, "b"));
        File.CreateSymbolicLink(Path.Combine(dir, "b"), Path.Combine(dir, "a"));
        RivetProcess.AssertStartupError(RivetProcess.Run("-nographic", "-kernel", Path.Combine(dir, "a")), "symbolic links");
    }
}
