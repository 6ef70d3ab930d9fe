using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Rivet.Tests;

/// <summary>
/// The gdb stub as users drive it: Debian's gdb-multiarch against rivet and, with the same
/// commands, against qemu-system-riscv64 7.2, on a 4-hart guest (guests/gdb/gdb_smp.c, built
/// with -g). Each session's transcript must be the same on both.
/// </summary>
public sealed class GdbSessionTests
{
    private static string Elf => Repo.Guest("build/gdb/gdb_smp.elf");

    /// <summary>Starts rivet or QEMU with the gdb stub on <paramref name="port"/>, paused (-S).</summary>
    private static Process StartEmulator(bool qemu, int port, params string[] extra)
    {
        string[] args = ["-M", "virt", "-smp", "4", "-nographic", "-bios", "none", "-kernel", Elf, "-gdb", $"tcp::{port}", "-S", .. extra];
        if (!qemu) return RivetProcess.Start(args);
        var psi = new ProcessStartInfo("qemu-system-riscv64")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start qemu-system-riscv64");
    }

    private static int WaitForExit(Process p)
    {
        if (!p.WaitForExit((int)GdbDriver.HangLimit.TotalMilliseconds))
        {
            p.Kill(true);
            throw new TimeoutException("the emulator did not exit");
        }
        return p.ExitCode;
    }

    /// <summary>The session both emulators must answer alike: every step deterministic (hart 0 runs the functions; with scheduler-locking the others stay put).</summary>
    private static string Session(bool qemu)
    {
        int port = GdbDriver.FreePort();
        using Process emulator = StartEmulator(qemu, port);
        emulator.StandardInput.Close();
        Task<string> stdout = emulator.StandardOutput.ReadToEndAsync();
        Task<string> stderr = emulator.StandardError.ReadToEndAsync();
        var transcript = new StringBuilder();
        try
        {
            using var gdb = new GdbDriver(Elf);
            void Step(string title, params string[] commands)
            {
                transcript.Append("=== ").Append(title).Append('\n');
                transcript.Append(gdb.Run(commands));
            }
            Step("connect", $"target remote :{port}");
            Step("threads", "info threads");
            Step("break", "break add_square", "continue");
            Step("arguments", "p x", "p y", "p/x $pc", "info registers a0 a1", "bt");
            Step("write a register", "set var $a1 = 100", "p y", "p/x $a1");
            Step("finish", "finish");
            Step("memory", "p/x result", "set var result = 0x1122334455667788", "x/2xw &result", "p/x result");
            Step("watch", "delete", "watch watched", "continue", "continue");
            Step("rwatch", "delete", "rwatch watched", "continue");
            Step("awatch", "delete", "awatch watched", "continue");
            Step("stepi", "delete", "set scheduler-locking on", "stepi", "stepi", "x/i $pc", "p/x $pc");
            Step("thread registers", "thread 2", "p/x $mhartid", "set var $t6 = 0x1234", "p/x $t6", "thread 3", "p/x $mhartid", "p/x $t6", "thread 1", "p/x $mhartid");
            Step("monitor", "monitor info status");
            Step("detach", "set scheduler-locking off", "detach");
            gdb.Send("quit");
            gdb.WaitForExit(GdbDriver.HangLimit);
            int code = WaitForExit(emulator);
            transcript.Append("=== exit ").Append(code).Append('\n');
        }
        finally
        {
            if (!emulator.HasExited) emulator.Kill(true);
        }
        return transcript.ToString();
    }

    [Fact]
    public void A_session_gives_the_same_answers_as_on_qemu()
    {
        string rivet = Session(qemu: false);
        string qemu = Session(qemu: true);
        Assert.Equal(qemu, rivet);
        // And what the session shows is right in itself.
        Assert.Contains("Thread 1.4 (CPU#3", rivet);
        Assert.Contains("hit Breakpoint 1, add_square (x=x@entry=1, y=0)", rivet);
        Assert.Contains("Value returned is $", rivet);
        Assert.Contains("New value = 101", rivet);
        Assert.Contains("=== exit 0", rivet);
    }
}
