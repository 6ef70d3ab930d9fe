using System.Text;
using Rivet.Cli.Chardev;
using Rivet.Machine;
using Rivet.Qmp;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Cli.HumanMonitor;

/// <summary>
/// The human monitor (-monitor, -mon mode=readline, mon:) as a front end of a character device,
/// following QEMU's monitor_event and monitor_puts: OPENED prints the banner and (unless a mux
/// has the focus elsewhere) the prompt; on a mux, output made while another front end has the
/// focus is kept and goes out when the monitor gets it back (MUX_IN), and MUX_OUT ends the line.
/// Lines run through the shared HMP interpreter (<see cref="Hmp"/>) on the device's reader
/// thread, with no lock held while output is written. Every "\n" goes out as "\r\n".
/// </summary>
internal sealed class HmpMonitor : ICharFrontend, IHmpHost
{
    /// <summary>Kept output while unfocused is capped; QEMU keeps it all, but a chatty guest must not grow it without bound.</summary>
    private const int MaxPending = 64 * 1024;

    private readonly Chardev.Chardev _out;
    private readonly Readline _readline;
    private readonly Hmp _hmp;
    private readonly StringBuilder _pending = new();
    private bool _muxOut;
    private bool _resetSeen;
    private int _suspendCount;
    private bool _quit;
    private volatile bool _down;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HmpMonitor(Chardev.Chardev output, RivetMachine machine, string? name)
    {
        _out = output;
        Machine = machine;
        Name = name;
        _hmp = new Hmp(this);
        _readline = new Readline(Print, RunLine, Complete);
        machine.Event += e =>
        {
            if (machine.IsFinalShutdown(e)) _down = true;
        };
    }

    /// <summary>
    /// Start-up is over (the machine runs, or stays paused for -S, or is going away): lines typed
    /// before are run after, so a client of a wait=on monitor never sees "prelaunch", as in QEMU
    /// whose monitor only reads once the main loop runs.
    /// </summary>
    public void StartupDone() => _started.TrySetResult();

    public static string Banner => $"QEMU {CommandLine.QemuVersion} monitor - type 'help' for more information\n";

    // ---- IHmpHost ----

    public RivetMachine Machine { get; }
    public string? Name { get; }
    public string Package => $" (Rivet {CommandLine.Version})";
    public RunState ReportedRunState() => Machine.RunState;
    public void RequestQuit() => _quit = true;

    private static bool NeedsReset(RunState s) => s is RunState.Shutdown or RunState.GuestPanicked or RunState.InternalError;

    /// <summary>As QMP's run-control commands (QmpServer.RunControl), with the same messages.</summary>
    public string? RunControl(string what)
    {
        if (what == "system_powerdown")
        {
            Machine.Powerdown();
            return null;
        }
        if (what == "cont" && NeedsReset(Machine.RunState)) return "Resetting the Virtual Machine is required";
        if (_down) return "The machine is shutting down";
        bool ok = what switch
        {
            "stop" => Machine.Pause(),
            "cont" => Machine.Resume(),
            _ => Machine.Reset(),
        };
        if (ok) return null;
        if (what == "cont" && NeedsReset(Machine.RunState)) return "Resetting the Virtual Machine is required";
        if (_down) return "The machine is shutting down";
        return $"{what} did not complete within its deadline (rivet printed the vCPU states on standard error)";
    }

    // ---- front end ----

    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (_quit) return; // quit: nothing more is read, as QEMU's suspended monitor
            _readline.HandleByte(b);
        }
    }

    public void Event(ChardevEvent e)
    {
        switch (e)
        {
            case ChardevEvent.Opened:
                Print(Banner);
                if (!_muxOut)
                {
                    _readline.Restart();
                    _readline.ShowPrompt();
                }
                _resetSeen = true;
                break;
            case ChardevEvent.MuxOut:
                if (_resetSeen)
                {
                    if (_suspendCount == 0) Print("\n");
                    Flush();
                }
                _suspendCount++;
                _muxOut = true;
                break;
            case ChardevEvent.MuxIn:
                _muxOut = false;
                if (_resetSeen)
                {
                    _readline.Restart();
                    Flush();
                    if (--_suspendCount == 0) _readline.ShowPrompt();
                }
                else
                {
                    _suspendCount = 0;
                }
                break;
        }
    }

    /// <summary>
    /// QEMU's monitor_find_completion, for what Rivet's table has: command names (each alias),
    /// info's subcommands, and command names after help. Arguments of other kinds complete nothing.
    /// </summary>
    internal static Completions Complete(string line)
    {
        List<string> args = [.. line.Split([' ', '\t', '\n', '\v', '\f', '\r'], StringSplitOptions.RemoveEmptyEntries)];
        if (line.Length > 0 && char.IsWhiteSpace(line[^1])) args.Add("");
        return Complete(HmpCommands.All, args);
    }

    private static Completions Complete(IReadOnlyList<HmpCommand> table, List<string> args)
    {
        if (args.Count <= 1)
        {
            string typed = args.Count == 0 ? "" : args[0];
            var names = table.SelectMany(c => c.Name.Split('|')).Where(n => n.StartsWith(typed, StringComparison.Ordinal)).ToList();
            return new Completions(typed.Length, names);
        }
        HmpCommand? command = table.FirstOrDefault(c => c.Matches(args[0]));
        if (command == null) return Completions.None;
        if (command.SubCommands != null) return Complete(command.SubCommands, args[1..]);
        if (command.Name == "help|?") return Complete(table, args[1..]);
        return Completions.None;
    }

    private void RunLine(string line)
    {
        _started.Task.Wait();
        string output = _hmp.Execute(line);
        Print(output);
        if (_quit)
        {
            // QEMU's quit: no prompt, the run ends through the orderly shutdown path.
            Machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0);
            return;
        }
        _readline.ShowPrompt();
    }

    /// <summary>monitor_puts: "\n" becomes "\r\n"; held while a mux has the focus elsewhere.</summary>
    private void Print(string s)
    {
        _pending.Append(Hmp.ToTerminal(s));
        if (_pending.Length > MaxPending) _pending.Remove(0, _pending.Length - MaxPending);
        if (!_muxOut) Flush();
    }

    private void Flush()
    {
        if (_pending.Length == 0) return;
        byte[] bytes = Encoding.Latin1.GetBytes(_pending.ToString());
        _pending.Clear();
        _out.Write(bytes);
    }
}
