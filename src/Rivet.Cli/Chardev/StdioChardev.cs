namespace Rivet.Cli.Chardev;

/// <summary>
/// -chardev stdio: rivet's standard output and input (one such device per process, as QEMU).
/// When standard input is a terminal it is put in QEMU's raw mode (no echo, no line editing;
/// Ctrl-C a signal only with signal=on) and restored when the device closes or rivet exits.
/// Output goes through the device's queue (its writer thread is the only caller of WriteOut).
/// </summary>
internal sealed class StdioChardev : QueuedChardev
{
    private readonly bool _raw;

    public StdioChardev(string id, bool signal) : base(id)
    {
        _raw = RawTerminal.MakeStdioRaw(0, signal);
    }

    public override string Filename => "stdio";

    protected override void WriteOut(ReadOnlySpan<byte> data)
    {
        // fd 1 written directly: .NET's console stream would first set the terminal up for
        // its own use (keypad mode escapes QEMU never sends). A closed output (a pipe whose
        // reader went away) loses the output, as in QEMU.
        Posix.WriteAll(1, data);
    }

    public override void StartInput(Action<ReadOnlySpan<byte>> receive)
    {
        // fd 0 read directly: .NET's console stream on a terminal would edit lines itself.
        var t = new Thread(() =>
        {
            byte[] buffer = new byte[256];
            int n;
            while ((n = Posix.ReadSome(0, buffer, out _)) > 0) receive(buffer.AsSpan(0, n));
        })
        { IsBackground = true, Name = "console-input" };
        t.Start();
    }

    /// <summary>After the queued output has gone out (or stalled), so the last bytes still see the raw terminal.</summary>
    protected override void CloseBackend()
    {
        if (_raw) RawTerminal.Restore(0);
    }
}
