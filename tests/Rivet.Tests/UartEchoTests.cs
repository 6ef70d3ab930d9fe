using System.Diagnostics;

namespace Rivet.Tests;

/// <summary>
/// guests/devices/uart_echo_irq.S through the rivet command: bytes on the process's standard
/// input reach the guest as UART receive interrupts (PLIC source 10, the hart woken from WFI) and
/// come back out, as a user typing into a guest shell. The same bytes come out of QEMU 7.2.
/// </summary>
public sealed class UartEchoTests
{
    [Fact]
    public void StdinReachesTheGuestThroughReceiveInterrupts()
    {
        using Process p = RivetProcess.Start("-M", "virt", "-bios", "none", "-display", "none", "-serial", "stdio",
            "-kernel", Repo.Guest("build/devices/uart_echo_irq.elf"));
        try
        {
            p.StandardInput.Write("hello q");
            p.StandardInput.Close();
            Assert.Equal("irq echo ready\nhello q\n", p.StandardOutput.ReadToEnd()); // to the end: rivet exited
            Assert.True(p.WaitForExit(60_000), "rivet did not exit");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
    }
}
