using System.Runtime.InteropServices;

namespace Rivet.Cli.Chardev;

/// <summary>
/// glibc's struct termios (Linux): four flag words, c_line, NCCS = 32 control characters, and
/// the two speeds. Blittable, so it crosses LibraryImport with runtime marshalling disabled.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Termios
{
    public uint IFlag;
    public uint OFlag;
    public uint CFlag;
    public uint LFlag;
    public byte Line;
    public fixed byte Cc[32];
    public uint ISpeed;
    public uint OSpeed;

    // Linux's flag values (asm-generic/termbits.h).
    public const uint IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100, IXON = 0x400;
    public const uint OPOST = 0x1;
    public const uint CSIZE = 0x30, CS8 = 0x30, PARENB = 0x100;
    public const uint ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHONL = 0x40, IEXTEN = 0x8000;
    public const int VTIME = 5, VMIN = 6;
}

/// <summary>The few POSIX calls the terminal-facing backends need (stdio's raw mode, pty).</summary>
internal static unsafe partial class Posix
{
    public const int O_RDWR = 2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800;
    public const int TCSANOW = 0;
    public const short POLLIN = 1, POLLHUP = 0x10;
    public const int EINTR = 4, EAGAIN = 11, EIO = 5;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, Termios* t);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int actions, Termios* t);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(Termios* t);

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    public static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    public static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    public static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    public static partial int PtsNameR(int fd, byte* buf, nint len);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    /// <summary>read(2), retried on EINTR; 0 at end of input, -1 (errno in <paramref name="errno"/>) on error.</summary>
    public static int ReadSome(int fd, Span<byte> buffer, out int errno)
    {
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Read(fd, p, buffer.Length);
            errno = n < 0 ? Marshal.GetLastSystemError() : 0;
            if (n < 0 && errno == EINTR) continue;
            return (int)n;
        }
    }

    /// <summary>Writes all of <paramref name="data"/>; false if the fd would block or failed (the rest is dropped).</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            nint n;
            fixed (byte* p = data) n = Write(fd, p, data.Length);
            if (n < 0)
            {
                if (Marshal.GetLastSystemError() == EINTR) continue;
                return false;
            }
            data = data[(int)n..];
        }
        return true;
    }
}
