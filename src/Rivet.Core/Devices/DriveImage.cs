using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Rivet.Devices;

/// <summary>A drive that cannot be opened: the message is QEMU's wording, without the option prefix.</summary>
internal sealed class DriveException(string message) : Exception(message);

/// <summary>
/// A raw disk image on the host (-drive file=F,format=raw): positioned reads and writes straight
/// to the file (no buffering in Rivet, so a write is in the host's page cache when the request
/// completes) and fsync on flush and on close. Locked as QEMU 7.2's file-posix locks an image,
/// with open-file-description locks on its permission bytes, so that Rivet and QEMU each see the
/// other: a writer holds shared locks on bytes 100 (read) and 101 (write) and on 201 (write not
/// shared); a read-only user on 100 and 201.
/// </summary>
internal sealed unsafe partial class DriveImage : IDisposable
{
    public const int SectorSize = 512;
    private const long PermBase = 100, SharedBase = 200;
    private const int PermRead = 0, PermWrite = 1;

    private readonly SafeFileHandle _handle;
    private readonly object _gate = new();
    private bool _closed; // guarded by _gate: after Dispose, requests fail instead of touching a closed handle

    public string Path { get; }
    public bool ReadOnly { get; }
    public long Length { get; }

    private DriveImage(string path, SafeFileHandle handle, bool readOnly, long length)
    {
        Path = path;
        _handle = handle;
        ReadOnly = readOnly;
        Length = length;
    }

    /// <summary>Opens and locks the image; throws <see cref="DriveException"/> with QEMU's message.</summary>
    public static DriveImage Open(string path, bool readOnly)
    {
        if (Directory.Exists(path)) throw new DriveException($"Could not open '{path}': Is a directory");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DriveException($"Could not open '{path}': {HostFile.Reason(ex)}");
        }
        try
        {
            if (OperatingSystem.IsLinux()) Lock(handle, path, readOnly);
            return new DriveImage(path, handle, readOnly, RandomAccess.GetLength(handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>raw_apply_lock_bytes then raw_check_lock_bytes, for a virtio-blk that does not share writes.</summary>
    private static void Lock(SafeFileHandle handle, string path, bool readOnly)
    {
        int fd = (int)handle.DangerousGetHandle();
        SetReadLock(fd, PermBase + PermRead);
        if (!readOnly) SetReadLock(fd, PermBase + PermWrite);
        SetReadLock(fd, SharedBase + PermWrite);
        string hint = $" (is another process using the image [{path}]?)";
        if (IsLockedByOthers(fd, SharedBase + PermRead)) throw new DriveException("Failed to get \"consistent read\" lock" + hint);
        if (!readOnly && IsLockedByOthers(fd, SharedBase + PermWrite)) throw new DriveException("Failed to get \"write\" lock" + hint);
        if (IsLockedByOthers(fd, PermBase + PermWrite)) throw new DriveException("Failed to get shared \"write\" lock" + hint);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
    }

    private const int F_OFD_GETLK = 36, F_OFD_SETLK = 37;
    private const short F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, Flock* lk);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    private static void SetReadLock(int fd, long offset)
    {
        var lk = new Flock { Type = F_RDLCK, Whence = 0, Start = offset, Len = 1 };
        // A lock held the other way (a QEMU writer's test never holds one) or a file system
        // without OFD locks: QEMU goes on without locking there too.
        Fcntl(fd, F_OFD_SETLK, &lk);
    }

    private static bool IsLockedByOthers(int fd, long offset)
    {
        var lk = new Flock { Type = F_WRLCK, Whence = 0, Start = offset, Len = 1 };
        return Fcntl(fd, F_OFD_GETLK, &lk) == 0 && lk.Type != F_UNLCK;
    }

    /// <summary>Reads at a byte offset; past the end of the file reads zeros. False on a host I/O error.</summary>
    public bool Read(long offset, Span<byte> destination)
    {
        lock (_gate)
        {
            if (_closed) return false;
            try
            {
                int done = 0;
                while (done < destination.Length)
                {
                    int n = RandomAccess.Read(_handle, destination[done..], offset + done);
                    if (n == 0) break;
                    done += n;
                }
                destination[done..].Clear();
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>Writes at a byte offset. False when read-only or on a host I/O error.</summary>
    public bool Write(long offset, ReadOnlySpan<byte> source)
    {
        if (ReadOnly) return false;
        lock (_gate)
        {
            if (_closed) return false;
            try
            {
                RandomAccess.Write(_handle, source, offset);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>fsync: what was written is on the disk when this returns true.</summary>
    public bool Flush()
    {
        lock (_gate)
        {
            if (_closed) return false;
            return ReadOnly || Fsync((int)_handle.DangerousGetHandle()) == 0;
        }
    }

    /// <summary>Flushes and closes (the machine's exit); the locks go with the file description.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed) return;
            if (!ReadOnly) Fsync((int)_handle.DangerousGetHandle());
            _closed = true;
            _handle.Dispose();
        }
    }
}
