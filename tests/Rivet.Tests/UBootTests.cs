using System.Diagnostics;

namespace Rivet.Tests;

/// <summary>
/// Debian's U-Boot (u-boot-qemu) on rivet as on QEMU: the S-mode build as -kernel under the
/// default OpenSBI, and the M-mode build as -bios; commands typed on standard input (the UART's
/// receiver) answer from the board's device tree, and poweroff ends rivet with exit code 0.
/// </summary>
public sealed class UBootTests
{
    private const string SMode = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf";
    private const string MMode = "/usr/lib/u-boot/qemu-riscv64/u-boot.bin";

    /// <summary>Types a command at the prompt; returns what it printed before the next prompt.</summary>
    private static string Command(Process p, ConsoleReader console, ref int at, string command)
    {
        p.StandardInput.Write(command + "\r");
        p.StandardInput.Flush();
        int start = console.WaitFor(command, at);
        at = console.WaitFor("=> ", start);
        return console.Text[start..(at - 3)];
    }

    [Theory]
    [InlineData(1, "-kernel", SMode)]
    [InlineData(4, "-kernel", SMode)]
    [InlineData(2, "-bios", MMode)]
    public void ReachesThePromptAndAnswersTypedCommands(int harts, string option, string image)
    {
        // -append needs -kernel (as QEMU); the M-mode build has none, so its /chosen has no bootargs.
        bool kernel = option == "-kernel";
        using Process p = RivetProcess.Start(["-M", "virt", "-nographic", "-smp", harts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-m", "256M", option, image, .. kernel ? new[] { "-append", "typed at rivet" } : []]);
        var console = new ConsoleReader(p);
        try
        {
            int at = console.WaitFor("Hit any key to stop autoboot", 0);
            p.StandardInput.Write(" "); // stops the countdown, as a user's key press does
            p.StandardInput.Flush();
            at = console.WaitFor("=> ", at);

            string version = Command(p, console, ref at, "version");
            Assert.Contains("U-Boot 2023.01", version, StringComparison.Ordinal);

            string bdinfo = Command(p, console, ref at, "bdinfo");
            Assert.Contains("-> start    = 0x0000000080000000", bdinfo, StringComparison.Ordinal);
            Assert.Contains("-> size     = 0x0000000010000000", bdinfo, StringComparison.Ordinal);

            string cpus = Command(p, console, ref at, "cpu list");
            for (int h = 0; h < harts; h++) Assert.Contains($"{h}: cpu@{h:x}      rv64i", cpus, StringComparison.Ordinal);
            Assert.DoesNotContain($"cpu@{harts:x}", cpus, StringComparison.Ordinal);

            string chosen = Command(p, console, ref at, "fdt addr $fdtcontroladdr; fdt print /chosen");
            if (kernel) Assert.Contains("bootargs = \"typed at rivet\";", chosen, StringComparison.Ordinal);
            else Assert.DoesNotContain("bootargs", chosen, StringComparison.Ordinal);
            Assert.Contains("stdout-path = \"/soc/serial@10000000\";", chosen, StringComparison.Ordinal);

            p.StandardInput.Write("poweroff\r");
            p.StandardInput.Flush();
            Assert.True(p.WaitForExit(60_000), "rivet did not exit after poweroff");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
            p.WaitForExit();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResetBootsAgainOrWithNoRebootExits(bool noReboot)
    {
        // U-Boot's reset is SBI SRST's warm reboot: OpenSBI writes the test device's 0x7777.
        using Process p = RivetProcess.Start(["-M", "virt", "-nographic", "-smp", "2", "-kernel", SMode, .. noReboot ? new[] { "-no-reboot" } : []]);
        var console = new ConsoleReader(p);
        try
        {
            int at = console.WaitFor("Hit any key to stop autoboot", 0);
            p.StandardInput.Write(" ");
            p.StandardInput.Flush();
            at = console.WaitFor("=> ", at);
            p.StandardInput.Write("reset\r");
            p.StandardInput.Flush();
            at = console.WaitFor("resetting ...", at);
            if (noReboot)
            {
                Assert.True(p.WaitForExit(60_000), "rivet -no-reboot did not exit at the guest's reset");
                Assert.Equal(0, p.ExitCode);
                Assert.DoesNotContain("OpenSBI v", console.Text[at..], StringComparison.Ordinal);
                return;
            }
            // The machine starts over: OpenSBI's banner, U-Boot, its prompt (the tree was written again).
            at = console.WaitFor("OpenSBI v", at);
            at = console.WaitFor("Platform HART Count       : 2", at);
            at = console.WaitFor("Hit any key to stop autoboot", at);
            p.StandardInput.Write(" ");
            p.StandardInput.Flush();
            console.WaitFor("=> ", at);
            p.StandardInput.Write("poweroff\r");
            p.StandardInput.Flush();
            Assert.True(p.WaitForExit(60_000), "rivet did not exit after poweroff");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
            p.WaitForExit();
        }
    }
}
