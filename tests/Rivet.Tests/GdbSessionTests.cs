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
    private static (string Transcript, string Monitor) Session(bool qemu)
    {
        int port = GdbDriver.FreePort();
        using Process emulator = StartEmulator(qemu, port);
        emulator.StandardInput.Close();
        Task<string> stdout = emulator.StandardOutput.ReadToEndAsync();
        Task<string> stderr = emulator.StandardError.ReadToEndAsync();
        var transcript = new StringBuilder();
        string monitor = "";
        try
        {
            using var gdb = new GdbDriver(Elf);
            void Step(string title, params string[] commands)
            {
                transcript.Append("=== ").Append(title).Append('\n');
                transcript.Append(gdb.Run(commands));
            }
            Step("connect", $"target remote :{port}");
            transcript.Replace($":{port}", ":PORT");
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
            // qRcmd's output reaches gdb's console as O packets; QEMU 7.2 sends them when its monitor
            // flushes, at times after its OK and into whatever gdb prints next, so the monitor is
            // asked on rivet only (its words are checked against QEMU's formats below).
            if (!qemu) monitor = gdb.Run("monitor info status", "monitor info registers");
            Step("detach", "set scheduler-locking off", "set var release = 1", "detach");
            gdb.Send("quit");
            gdb.WaitForExit(GdbDriver.HangLimit);
            int code = WaitForExit(emulator);
            transcript.Append("=== exit ").Append(code).Append('\n');
            // The spinning harts stop wherever they are in their loop: only which function is theirs.
            return (System.Text.RegularExpressions.Regex.Replace(transcript.ToString(),
                @"(0x[0-9a-f]+ in )?spin \(hartid=(\d+)\) at (gdb/gdb_smp\.c):\d+\n\d+\t[^\n]*\n", "spin (hartid=$2) at $3\n"), monitor);
        }
        finally
        {
            if (!emulator.HasExited) emulator.Kill(true);
        }
    }

    [Fact]
    public void A_session_gives_the_same_answers_as_on_qemu()
    {
        (string rivet, string rivetMonitor) = Session(qemu: false);
        (string qemu, string qemuMonitor) = Session(qemu: true);
        if (qemu != rivet)
        {
            // Both transcripts for a diff: the assertion below shows only the first difference.
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "rivet-gdb-session.qemu.txt"), qemu);
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "rivet-gdb-session.rivet.txt"), rivet);
        }
        Assert.Equal(qemu, rivet);
        // And what the session shows is right in itself.
        Assert.Contains("Thread 1.4 (CPU#3", rivet);
        Assert.Contains("hit Breakpoint 1, add_square (x=x@entry=1, y=0)", rivet);
        Assert.Contains("Value returned is $", rivet);
        Assert.Contains("New value = 101", rivet);
        Assert.Contains("spin (hartid=2)", rivet);
        // The human monitor through qRcmd: QEMU's words, hart 0's registers (the monitor's CPU).
        Assert.Contains("VM status: paused (debug)", rivetMonitor);
        Assert.Contains(" pc       ", rivetMonitor);
        Assert.Contains("mhartid  0000000000000000", rivetMonitor);
        Assert.Equal("", qemuMonitor);
        // The session changed add_square's argument (y = 100), so the guest's own check fails: exit 1, on both.
        Assert.Contains("=== exit 1", rivet);
    }

    /// <summary>rivet with the stub, started paused; gdb connected and stopped at add_square's first call.</summary>
    private sealed class StoppedSession : IDisposable
    {
        public readonly Process Rivet;
        public readonly GdbDriver Gdb;
        public readonly string QmpPath;
        public readonly int Port;
        private readonly Task<string> _stderr;

        public StoppedSession(params string[] extra)
        {
            int port = Port = GdbDriver.FreePort();
            QmpPath = Path.Combine(Path.GetTempPath(), $"rivet-gdb-{Guid.NewGuid():N}.sock");
            Rivet = StartEmulator(qemu: false, port, ["-qmp", $"unix:{QmpPath},server=on,wait=off", .. extra]);
            Rivet.StandardInput.Close();
            _ = Rivet.StandardOutput.ReadToEndAsync();
            _stderr = Rivet.StandardError.ReadToEndAsync();
            Gdb = new GdbDriver(Elf);
            try
            {
                string hit = Gdb.Run($"target remote :{port}", "break add_square", "continue");
                Assert.Contains("hit Breakpoint 1, add_square", hit);
            }
            catch
            {
                // No using owns the session yet: leave no emulator spinning behind a failed start.
                Dispose();
                throw;
            }
        }

        public string Stderr => Rivet.HasExited ? _stderr.Result : "";

        /// <summary>One QMP command on a fresh session; its reply line.</summary>
        public string Qmp(string command)
        {
            using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            s.Connect(new UnixDomainSocketEndPoint(QmpPath));
            using var stream = new NetworkStream(s);
            using var reader = new StreamReader(stream);
            using var writer = new StreamWriter(stream) { AutoFlush = true };
            reader.ReadLine(); // greeting
            writer.WriteLine("{\"execute\":\"qmp_capabilities\"}");
            reader.ReadLine();
            writer.WriteLine(command);
            while (true)
            {
                string line = reader.ReadLine() ?? "";
                if (!line.Contains("\"event\"", StringComparison.Ordinal)) return line;
            }
        }

        public void Dispose()
        {
            Gdb.Dispose();
            if (!Rivet.HasExited) Rivet.Kill(true);
            Rivet.Dispose();
            File.Delete(QmpPath);
        }
    }

    [Fact]
    public void QMP_sees_the_debug_stop_and_its_stop_and_cont_agree_with_gdb()
    {
        using var s = new StoppedSession();
        Assert.Contains("\"status\":\"debug\"", s.Qmp("{\"execute\":\"query-status\"}"));
        // gdb continues; QMP stops the machine: gdb is told (SIGINT, as QEMU's T02).
        s.Gdb.Run("delete");
        s.Gdb.Send("continue");
        s.Gdb.WaitFor("Continuing.");
        s.Qmp("{\"execute\":\"stop\"}");
        s.Gdb.WaitFor("received signal SIGINT"); // throws if gdb never hears of the stop
        Assert.Contains("\"status\":\"paused\"", s.Qmp("{\"execute\":\"query-status\"}"));
        // Registers are readable and the machine runs to the guest's end once gdb lets it go.
        Assert.Contains("0x", s.Gdb.Run("p/x $pc"));
        s.Gdb.Run("set var release = 1", "detach");
        Assert.Equal(0, WaitForExit(s.Rivet));
    }

    [Fact]
    public void SIGTERM_while_gdb_holds_the_machine_stopped_exits_0()
    {
        using var s = new StoppedSession();
        Assert.Equal(0, RivetProcess.Kill(s.Rivet.Id, 15));
        Assert.Equal(0, WaitForExit(s.Rivet));
        // gdb hears that the remote side went away.
        string after = s.Gdb.Run("stepi");
        Assert.Matches("(Remote connection closed|The program is not being run|Remote communication error|exited normally)", after);
    }

    [Fact]
    public void QMP_quit_while_gdb_holds_the_machine_stopped_exits_0()
    {
        using var s = new StoppedSession();
        s.Qmp("{\"execute\":\"quit\"}");
        Assert.Equal(0, WaitForExit(s.Rivet));
    }

    [Fact]
    public void A_gdb_that_dies_resumes_the_machine()
    {
        using var s = new StoppedSession();
        s.Gdb.Run("set var release = 1");
        s.Gdb.Kill();
        // The breakpoints went with it: the guest runs to its end (exit 0 through the finisher).
        Assert.Equal(0, WaitForExit(s.Rivet));
    }

    [Fact]
    public void gdb_kill_ends_rivet_with_0()
    {
        using var s = new StoppedSession();
        s.Gdb.Send("kill");
        Assert.Equal(0, WaitForExit(s.Rivet));
        Assert.Contains("terminated via GDBstub", s.Stderr);
    }

    [Fact]
    public void A_second_gdb_is_not_served_while_one_is_attached()
    {
        using var s = new StoppedSession();
        int port = s.Port;
        using var second = new GdbDriver(Elf);
        string refused = second.Run("set remotetimeout 1", $"target remote :{port}");
        Assert.DoesNotContain("add_square", refused);
        // The first still works, and after it detaches the machine runs on.
        Assert.Contains("$1 = 1", s.Gdb.Run("p x"));
        s.Gdb.Run("delete", "set var release = 1", "detach");
        Assert.Equal(0, WaitForExit(s.Rivet));
    }

    [Fact]
    public void Under_icount_breakpoints_steps_and_watchpoints_work_on_the_one_thread()
    {
        using var s = new StoppedSession("-icount", "shift=0");
        Assert.Contains("$1 = 1", s.Gdb.Run("p x"));
        // A step of hart 0 alone (the others are skipped by the round-robin executor, not run).
        string counters = s.Gdb.Run("p counters[1]");
        string stepped = s.Gdb.Run("set scheduler-locking on", "stepi", "stepi", "p counters[1]");
        Assert.Contains(counters.Split('=')[1].Trim(), stepped);
        Assert.Contains("New value = ", s.Gdb.Run("set scheduler-locking off", "delete", "watch watched", "continue"));
        s.Gdb.Run("delete", "set var release = 1", "detach");
        Assert.Equal(0, WaitForExit(s.Rivet));
    }

    [Fact]
    public void Ctrl_C_in_gdb_stops_the_running_machine()
    {
        using var s = new StoppedSession();
        s.Gdb.Run("delete");
        s.Gdb.Send("continue");
        s.Gdb.WaitFor("Continuing.");
        // Only once the machine runs is gdb waiting for it (a SIGINT earlier is gdb's own quit, not an interrupt).
        long deadline = Environment.TickCount64 + (long)GdbDriver.HangLimit.TotalMilliseconds;
        while (!s.Qmp("{\"execute\":\"query-status\"}").Contains("\"running\":true", StringComparison.Ordinal))
            Assert.True(Environment.TickCount64 < deadline, "the machine never ran after continue");
        // What a user's Ctrl-C does: SIGINT to gdb, which sends the remote its 0x03.
        Assert.Equal(0, RivetProcess.Kill(s.Gdb.ProcessId, 2));
        s.Gdb.WaitFor("received signal SIGINT");
        Assert.Contains("\"status\":\"paused\"", s.Qmp("{\"execute\":\"query-status\"}"));
        // Wherever the interrupt found them (it may come before hart 0 has moved), gdb can look at every hart.
        Assert.Contains("Thread 1.4 (CPU#3", s.Gdb.Run("info threads"));
        s.Gdb.Run("set var release = 1", "detach");
        Assert.Equal(0, WaitForExit(s.Rivet));
    }
}
