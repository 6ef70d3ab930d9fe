using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Rivet.Tests;

/// <summary>
/// A pseudo-terminal for the tests: rivet runs with its standard input, output and error on the
/// slave (as in a user's terminal) and the test types on and reads the master. Reads wait for
/// an expected amount of output with a generous deadline (a hang becomes a failure), never for
/// a fixed time.
/// </summary>
internal sealed unsafe class PseudoTerminal : IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly int _master;
    private readonly List<byte> _unread = [];
    private Process? _process;

    public PseudoTerminal()
    {
        _master = PosixOpenPt(O_RDWR | O_NOCTTY);
        if (_master < 0 || GrantPt(_master) != 0 || UnlockPt(_master) != 0) throw new InvalidOperationException("cannot open a pseudo-terminal");
        byte* name = stackalloc byte[128];
        if (PtsNameR(_master, name, 128) != 0) throw new InvalidOperationException("ptsname failed");
        SlavePath = Marshal.PtrToStringUTF8((nint)name)!;
        // Held open by the test so the terminal keeps its modes between runs (and for tcgetattr).
        SlaveFd = Open(SlavePath, O_RDWR | O_NOCTTY);
        if (SlaveFd < 0) throw new InvalidOperationException($"cannot open {SlavePath}");
    }

    public string SlavePath { get; }
    public int SlaveFd { get; }

    /// <summary>Starts rivet with fds 0, 1 and 2 on the slave (the process is rivet itself: setsid and sh exec it).</summary>
    public Process Start(params string[] args)
    {
        // setsid: a session of its own, whose first terminal (the slave) becomes its controlling
        // one, so Ctrl-C typed on the master is a SIGINT for rivet as in a user's terminal.
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec \"$0\" \"$@\" <{SlavePath} >{SlavePath} 2>&1");
        psi.ArgumentList.Add(RivetProcess.Command);
        foreach (string a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start rivet");
        return _process;
    }

    public void Type(string keys) => Type(Encoding.Latin1.GetBytes(keys));

    public void Type(byte[] bytes)
    {
        fixed (byte* p = bytes)
        {
            if (Write(_master, p, bytes.Length) != bytes.Length) throw new IOException("write to the pty master failed");
        }
    }

    /// <summary>Reads until <paramref name="count"/> bytes have come (fewer only if the deadline passes or the terminal closes).</summary>
    public string ReadBytes(int count)
    {
        var end = DateTime.UtcNow + Deadline;
        while (_unread.Count < count && DateTime.UtcNow < end && Fill(end)) { }
        int n = Math.Min(count, _unread.Count);
        string s = Encoding.Latin1.GetString(_unread.GetRange(0, n).ToArray());
        _unread.RemoveRange(0, n);
        return s;
    }

    /// <summary>Reads until <paramref name="expected"/> appears; returns everything read up to and including it.</summary>
    public string ReadUntil(string expected)
    {
        var end = DateTime.UtcNow + Deadline;
        while (true)
        {
            string now = Encoding.Latin1.GetString(_unread.ToArray());
            int at = now.IndexOf(expected, StringComparison.Ordinal);
            if (at >= 0)
            {
                _unread.RemoveRange(0, at + expected.Length);
                return now[..(at + expected.Length)];
            }
            if (DateTime.UtcNow >= end || !Fill(end))
                throw new TimeoutException($"'{Escape(expected)}' did not come; read: '{Escape(now)}'");
        }
    }

    /// <summary>Waits for more output; false when the deadline passed.</summary>
    private bool Fill(DateTime end)
    {
        var pfd = new PollFd { Fd = _master, Events = POLLIN };
        int ms = (int)Math.Max(0, (end - DateTime.UtcNow).TotalMilliseconds);
        if (Poll(&pfd, 1, Math.Min(ms, 1000)) <= 0) return DateTime.UtcNow < end;
        byte* buffer = stackalloc byte[4096];
        nint n = Read(_master, buffer, 4096);
        if (n <= 0) return false;
        for (int i = 0; i < n; i++) _unread.Add(buffer[i]);
        return true;
    }

    public static string Escape(string s) => s.Replace("\u001b", "\\e").Replace("\r", "\\r").Replace("\n", "\\n");

    /// <summary>The slave's termios flag words (iflag, oflag, cflag, lflag).</summary>
    public (uint IFlag, uint OFlag, uint CFlag, uint LFlag) Modes()
    {
        byte* t = stackalloc byte[64];
        if (TcGetAttr(SlaveFd, t) != 0) throw new InvalidOperationException("tcgetattr failed");
        uint* w = (uint*)t;
        return (w[0], w[1], w[2], w[3]);
    }

    /// <summary>The whole termios structure of the slave, to compare before and after a run.</summary>
    public byte[] RawModes()
    {
        byte[] t = new byte[60];
        fixed (byte* p = t)
        {
            if (TcGetAttr(SlaveFd, p) != 0) throw new InvalidOperationException("tcgetattr failed");
        }
        return t;
    }

    public int WaitForExit()
    {
        if (_process == null) throw new InvalidOperationException("not started");
        if (!_process.WaitForExit((int)Deadline.TotalMilliseconds)) throw new TimeoutException("rivet did not exit");
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false }) _process.Kill(true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process?.Dispose();
        Close(SlaveFd);
        Close(_master);
    }

    public const uint ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ICRNL = 0x100, IXON = 0x400, OPOST = 0x1;
    private const int O_RDWR = 2, O_NOCTTY = 0x100;
    private const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [DllImport("libc", EntryPoint = "posix_openpt")] private static extern int PosixOpenPt(int flags);
    [DllImport("libc", EntryPoint = "grantpt")] private static extern int GrantPt(int fd);
    [DllImport("libc", EntryPoint = "unlockpt")] private static extern int UnlockPt(int fd);
    [DllImport("libc", EntryPoint = "ptsname_r")] private static extern int PtsNameR(int fd, byte* buf, nint len);
    [DllImport("libc", EntryPoint = "open")] private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", EntryPoint = "close")] private static extern int Close(int fd);
    [DllImport("libc", EntryPoint = "read")] private static extern nint Read(int fd, byte* buf, nint count);
    [DllImport("libc", EntryPoint = "write")] private static extern nint Write(int fd, byte* buf, nint count);
    [DllImport("libc", EntryPoint = "poll")] private static extern int Poll(PollFd* fds, nuint count, int timeout);
    [DllImport("libc", EntryPoint = "tcgetattr")] private static extern int TcGetAttr(int fd, byte* termios);

    /// <summary>Opens a path read-write without making it the controlling terminal (a pty slave rivet made).</summary>
    public static int OpenRaw(string path) => Open(path, O_RDWR | O_NOCTTY);

    public static int CloseFd(int fd) => Close(fd);

    public static int ReadFd(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer) return (int)Read(fd, p, buffer.Length);
    }

    public static int WriteFd(int fd, byte[] data)
    {
        fixed (byte* p = data) return (int)Write(fd, p, data.Length);
    }

    public static bool PollIn(int fd, int timeoutMs)
    {
        var pfd = new PollFd { Fd = fd, Events = POLLIN };
        return Poll(&pfd, 1, timeoutMs) > 0;
    }
}
