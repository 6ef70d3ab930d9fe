namespace Rivet.Cli.Chardev;

/// <summary>
/// Terminal modes rivet changes, and their restoration: every terminal put in raw mode is put
/// back as it was when the device closes, and at any process exit (a normal end, Environment.Exit
/// after a second SIGINT, an unhandled exception), so a user is never left with a raw terminal.
/// </summary>
internal static unsafe class RawTerminal
{
    private static readonly object s_gate = new();
    private static readonly Dictionary<int, Termios> s_saved = []; // guarded by s_gate: fd → mode before rivet
    private static bool s_hooked;                                  // guarded by s_gate

    /// <summary>True once <see cref="UseFdWriters"/> replaced the console writers.</summary>
    public static bool FdWriters { get; private set; }

    /// <summary>
    /// On a terminal, .NET's console streams set the terminal up for their own use on the first
    /// write (the keypad-transmit escape, which also changes what the arrow keys send); QEMU
    /// writes plain bytes. So when any standard stream is a terminal, Console.Out and
    /// Console.Error write to fds 1 and 2 directly.
    /// </summary>
    public static void UseFdWriters()
    {
        if (Posix.IsATty(0) != 1 && Posix.IsATty(1) != 1 && Posix.IsATty(2) != 1) return;
        if (FdWriter(1) is not TextWriter output || FdWriter(2) is not TextWriter error) return;
        Console.SetOut(output);
        Console.SetError(error);
        FdWriters = true;
    }

    /// <summary>A writer on <paramref name="fd"/>; null if it is not open for writing (then .NET's stays).</summary>
    private static TextWriter? FdWriter(int fd)
    {
        try
        {
            var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, 0);
            return TextWriter.Synchronized(new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { AutoFlush = true });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// QEMU's char-stdio mode (qemu_chr_set_echo_stdio with echo off): no echo, no line editing,
    /// no CR/NL translation or flow control on input, output processing kept, 8 bits; ISIG only
    /// when <paramref name="signal"/> (else Ctrl-C reaches the guest as 0x03). False if not a terminal.
    /// </summary>
    public static bool MakeStdioRaw(int fd, bool signal)
    {
        if (Posix.IsATty(fd) != 1) return false;
        Termios t;
        if (Posix.TcGetAttr(fd, &t) != 0) return false;
        Save(fd, t);
        t.IFlag &= ~(Termios.IGNBRK | Termios.BRKINT | Termios.PARMRK | Termios.ISTRIP | Termios.INLCR | Termios.IGNCR | Termios.ICRNL | Termios.IXON);
        t.OFlag |= Termios.OPOST;
        t.LFlag &= ~(Termios.ECHO | Termios.ECHONL | Termios.ICANON | Termios.IEXTEN);
        t.CFlag &= ~(Termios.CSIZE | Termios.PARENB);
        t.CFlag |= Termios.CS8;
        t.Cc[Termios.VMIN] = 1;
        t.Cc[Termios.VTIME] = 0;
        if (!signal) t.LFlag &= ~Termios.ISIG;
        return Posix.TcSetAttr(fd, Posix.TCSANOW, &t) == 0;
    }

    /// <summary>cfmakeraw on a pty's slave, as QEMU's qemu_openpty_raw (nothing to restore: the pty is rivet's).</summary>
    public static void MakePtyRaw(int fd)
    {
        Termios t;
        if (Posix.TcGetAttr(fd, &t) != 0) return;
        Posix.CfMakeRaw(&t);
        Posix.TcSetAttr(fd, Posix.TCSANOW, &t);
    }

    private static void Save(int fd, Termios t)
    {
        lock (s_gate)
        {
            s_saved.TryAdd(fd, t);
            if (s_hooked) return;
            s_hooked = true;
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RestoreAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => RestoreAll();
    }

    /// <summary>Puts <paramref name="fd"/> back as it was (idempotent).</summary>
    public static void Restore(int fd)
    {
        Termios t;
        lock (s_gate)
        {
            if (!s_saved.Remove(fd, out t)) return;
        }
        Posix.TcSetAttr(fd, Posix.TCSANOW, &t);
    }

    public static void RestoreAll()
    {
        int[] fds;
        lock (s_gate)
        {
            fds = [.. s_saved.Keys];
        }
        foreach (int fd in fds) Restore(fd);
    }
}
