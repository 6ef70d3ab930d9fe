using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Rivet.Board;

/// <summary>
/// Reads a guest image (-kernel, -bios) from a path that may be anything a user types: the file
/// type and size come from stat(2) before the file is opened, because opening a FIFO blocks until
/// a writer appears and a character device such as /dev/zero never ends. Only regular files of a
/// bounded size are read; everything else is an <see cref="ImageException"/> naming the problem.
/// </summary>
internal static partial class ImageFile
{
    /// <summary>The largest ELF file read (symbols and debug info may make it larger than RAM).</summary>
    public const long MaxElfFileSize = 1L << 30;

    private const int SIfMt = 0xF000, SIfReg = 0x8000, SIfDir = 0x4000, SIfChr = 0x2000, SIfBlk = 0x6000, SIfIfo = 0x1000, SIfSock = 0xC000;

    /// <summary>
    /// The whole file, if it is a regular, non-empty file no larger than its limit. The limit
    /// depends on what the file is (an ELF file may carry symbols, a raw image must fit in RAM), so
    /// <paramref name="limitFor"/> is asked, with whether the file starts with the ELF magic, before
    /// anything more than that is read; it may throw to refuse the file outright.
    /// </summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="what">How messages name it, e.g. <c>firmware '...'</c>.</param>
    /// <param name="limitFor">The largest size accepted and why (e.g. <c>the guest's 128 MiB of RAM</c>).</param>
    public static byte[] Read(string path, string what, Func<bool, (long Limit, string Reason)> limitFor)
    {
        string fail = $"could not load {what}";
        if (path.Length == 0) throw new ImageException($"{fail}: no file name given");
        if (path.Contains('\0')) throw new ImageException($"{fail}: the file name contains a NUL character");
        (int type, long size) = Stat(path, fail);
        string? notRegular = type switch
        {
            SIfReg => null,
            SIfDir => "is a directory",
            SIfIfo => "is a FIFO (named pipe), not a regular file",
            SIfChr => "is a character device, not a regular file",
            SIfBlk => "is a block device, not a regular file",
            SIfSock => "is a socket, not a regular file",
            _ => "is not a regular file",
        };
        if (notRegular != null) throw new ImageException($"{fail}: it {notRegular}");

        // A regular file: opening it cannot block. Its size is taken again from the open file.
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (UnauthorizedAccessException)
        {
            throw new ImageException($"{fail}: permission denied");
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or NotSupportedException)
        {
            throw new ImageException($"{fail}: {OneLine(ex.Message)}");
        }
        using (handle)
        {
            try
            {
                size = RandomAccess.GetLength(handle);
                if (size == 0) throw new ImageException($"{fail}: the file is empty");
                Span<byte> magic = stackalloc byte[4];
                int got = RandomAccess.Read(handle, magic, 0);
                (long limit, string reason) = limitFor(ElfImage.LooksLikeElf(magic[..got]));
                if (size > limit) throw new ImageException($"{fail}: the file is {Describe(size)}, larger than {reason}");
                byte[] bytes = new byte[size];
                int total = 0;
                while (total < bytes.Length)
                {
                    int n = RandomAccess.Read(handle, bytes.AsSpan(total), total);
                    if (n == 0) break;
                    total += n;
                }
                // It shrank while we read: what is there is what we load.
                return total == bytes.Length ? bytes : bytes[..total];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ImageException($"{fail}: {OneLine(ex.Message)}");
            }
        }
    }

    /// <summary>A file's type (S_IFMT bits) and size; symbolic links are followed.</summary>
    private static (int Type, long Size) Stat(string path, string fail)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                return StatLinux(path, fail);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // a libc without statx: the portable checks below
            }
        }
        if (Directory.Exists(path)) return (SIfDir, 0);
        var info = new FileInfo(path);
        if (!info.Exists) throw new ImageException($"{fail}: no such file");
        return (SIfReg, info.Length);
    }

    private static unsafe (int Type, long Size) StatLinux(string path, string fail)
    {
        const int AtFdCwd = -100, StatxType = 0x1, StatxMode = 0x2, StatxSize = 0x200;
        byte* buffer = stackalloc byte[256]; // struct statx, the same layout on every architecture
        if (Statx(AtFdCwd, path, 0, StatxType | StatxMode | StatxSize, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ImageException($"{fail}: {ErrnoReason(errno)}");
        }
        int mode = *(ushort*)(buffer + 28);
        long size = *(long*)(buffer + 40);
        return (mode & SIfMt, size);
    }

    /// <summary>What a failed stat or open of an image path means, in the user's words.</summary>
    internal static string ErrnoReason(int errno) => errno switch
    {
        2 => "no such file",
        13 => "permission denied",
        20 => "a component of the path is not a directory",
        36 => "file name too long",
        40 => "too many levels of symbolic links (a symlink loop?)",
        _ => OneLine(Marshal.GetPInvokeErrorMessage(errno)).ToLowerInvariant(),
    };

    internal static string Describe(long bytes)
        => bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB"
            : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB"
            : $"{bytes} bytes";

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    // Source-generated marshalling: the assembly disables runtime marshalling (AssemblyInfo.cs).
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, int mask, byte* buffer);
}
