namespace Rivet.Tests;

/// <summary>
/// mux=on and the Ctrl-A commands through a real pseudo-terminal, as a user types them: rivet
/// runs guests/input/echo.c (echoes what the UART receives, passes after a 'q') with its
/// standard streams on the slave. Expected bytes are qemu-system-riscv64 7.2's for the same keys
/// (Data/monitor/mux-*.json, recorded by Data/monitor/record.py with -nographic); the terminal's
/// own output processing (ONLCR, kept by QEMU's raw mode) is part of what both produce.
/// </summary>
public sealed class ChardevMuxTests
{
    private static string Echo => Repo.Guest("build/input/echo.elf");

    private static void Replay(PseudoTerminal pty, string file)
    {
        foreach (HmpReadlineTests.Step step in HmpReadlineTests.Load(file))
        {
            pty.Type(step.Send);
            string got = pty.ReadBytes(step.Expect.Length);
            Assert.True(step.Expect == got, $"after '{PseudoTerminal.Escape(step.Send)}':\n expected '{PseudoTerminal.Escape(step.Expect)}'\n got      '{PseudoTerminal.Escape(got)}'");
        }
    }

    [Theory]
    [InlineData("mux-help.json")]
    [InlineData("mux-switch.json")]
    [InlineData("mux-quiet.json")]
    public void CtrlAMatchesQemuAndTheTerminalIsRestored(string file)
    {
        using var pty = new PseudoTerminal();
        byte[] before = pty.RawModes();
        pty.Start("-kernel", Echo, "-nographic");
        Replay(pty, file);
        // C-a x (help, quiet) and the guest's pass (switch) both end with exit code 0.
        Assert.Equal(0, pty.WaitForExit());
        Assert.Equal(before, pty.RawModes());
    }

    [Theory]
    [InlineData("-nographic")]
    [InlineData("-serial", "mon:stdio")]
    [InlineData("-chardev", "stdio,id=c,mux=on,signal=off", "-serial", "chardev:c", "-mon", "chardev=c,mode=readline")]
    [InlineData("-chardev", "stdio,id=c,mux=on,signal=off", "-mon", "c", "-serial", "chardev:c")]
    public void UartHasTheFocusFirstAndCtrlCIsTheGuests(params string[] args)
    {
        using var pty = new PseudoTerminal();
        pty.Start(["-kernel", Echo, .. args]);
        Assert.Equal("echo ready\r\n", pty.ReadBytes("echo ready\r\n".Length));
        // Raw as QEMU's stdio: no echo, no line editing, no signals (signal=off), CR kept.
        var (iflag, oflag, _, lflag) = pty.Modes();
        Assert.Equal(0u, lflag & (PseudoTerminal.ISIG | PseudoTerminal.ICANON | PseudoTerminal.ECHO));
        Assert.Equal(0u, iflag & (PseudoTerminal.ICRNL | PseudoTerminal.IXON));
        Assert.Equal(PseudoTerminal.OPOST, oflag & PseudoTerminal.OPOST);
        pty.Type("\u0003");
        Assert.Equal("\u0003", pty.ReadBytes(1)); // Ctrl-C reached the guest, which echoed it
        pty.Type("\u0001c");
        Assert.Equal("QEMU 7.2.0 monitor - type 'help' for more information\r\r\n(qemu) ", pty.ReadUntil("(qemu) "));
        pty.Type("info status\r");
        Assert.EndsWith("\r\r\nVM status: running\r\r\n(qemu) ", pty.ReadUntil("(qemu) "));
        pty.Type("quit\r");
        Assert.Equal(0, pty.WaitForExit());
    }

    [Fact]
    public void SignalOnKeepsCtrlCASignal()
    {
        using var pty = new PseudoTerminal();
        byte[] before = pty.RawModes();
        pty.Start("-kernel", Echo, "-chardev", "stdio,id=c,mux=on,signal=on", "-serial", "chardev:c", "-mon", "chardev=c");
        pty.ReadUntil("echo ready\r\n");
        Assert.Equal(PseudoTerminal.ISIG, pty.Modes().LFlag & PseudoTerminal.ISIG);
        pty.Type("\u0003"); // the terminal sends SIGINT to rivet: the normal shutdown path
        Assert.Contains("terminating on signal 2", pty.ReadUntil("signal 2"));
        Assert.Equal(0, pty.WaitForExit());
        Assert.Equal(before, pty.RawModes());
    }

    [Fact]
    public void PlainStdioSerialIsRawWithSignals()
    {
        using var pty = new PseudoTerminal();
        byte[] before = pty.RawModes();
        pty.Start("-kernel", Echo, "-serial", "stdio");
        pty.ReadUntil("echo ready\r\n");
        var (_, _, _, lflag) = pty.Modes();
        Assert.Equal(PseudoTerminal.ISIG, lflag & (PseudoTerminal.ISIG | PseudoTerminal.ICANON | PseudoTerminal.ECHO));
        pty.Type("\u0001c"); // no mux: C-a is the guest's
        Assert.Equal("\u0001c", pty.ReadBytes(2));
        pty.Type("q");
        Assert.Equal("q\r\n", pty.ReadBytes(3));
        Assert.Equal(0, pty.WaitForExit());
        Assert.Equal(before, pty.RawModes());
    }

    [Fact]
    public void StartupErrorAfterTheTerminalWentRawRestoresIt()
    {
        using var pty = new PseudoTerminal();
        byte[] before = pty.RawModes();
        string missing = Path.Combine(Path.GetTempPath(), $"rivet-no-such-{Guid.NewGuid():N}.elf");
        pty.Start("-kernel", missing, "-nographic");
        Assert.Equal(1, pty.WaitForExit());
        Assert.Equal(before, pty.RawModes());
    }

    [Fact]
    public void SigtermWhileInTheMonitorRestoresTheTerminal()
    {
        using var pty = new PseudoTerminal();
        byte[] before = pty.RawModes();
        using var rivet = pty.Start("-kernel", Echo, "-nographic");
        pty.ReadUntil("echo ready\r\n");
        pty.Type("\u0001c");
        pty.ReadUntil("(qemu) ");
        Assert.NotEqual(before, pty.RawModes());
        Assert.Equal(0, RivetProcess.Kill(rivet.Id, 15));
        Assert.Equal(0, pty.WaitForExit());
        Assert.Equal(before, pty.RawModes());
    }

    [Fact]
    public void TimestampsPrefixEachLineAfterCtrlAT()
    {
        using var pty = new PseudoTerminal();
        pty.Start("-kernel", Echo, "-nographic");
        pty.ReadUntil("echo ready\r\n");
        pty.Type("\u0001t");
        pty.Type("a\r");      // the guest echoes "a\r": no stamp yet (QEMU: the toggle is mid-line)
        Assert.Equal("a\r", pty.ReadBytes(2));
        pty.Type("\u0001c");  // the monitor's banner starts lines: each gets "[hh:mm:ss.mmm] "
        string banner = pty.ReadUntil("(qemu) ");
        Assert.Matches(@"^QEMU 7\.2\.0 monitor - type 'help' for more information\r\r\n\[00:00:\d\d\.\d\d\d\] \(qemu\) $", banner);
        pty.Type("quit\r");
        Assert.Equal(0, pty.WaitForExit());
    }
}
