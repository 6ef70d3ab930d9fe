// The human monitor (HMP): QEMU's line-oriented monitor language, for people and for the scripts
// that send it through QMP's human-monitor-command. One table (HmpCommands, as QEMU's
// hmp-commands.hx and hmp-commands-info.hx) holds each command's name, argument grammar, help text
// and handler; help is generated from it. A monitor (Hmp) parses a line with QEMU's argument
// grammar, runs the handler and returns the output text. It does no I/O of its own, so any front
// end can feed it lines: QMP's human-monitor-command, and the readline monitor on a character
// device (src/Rivet.Cli/HumanMonitor, docs/CHARDEV.md).
//
// What it may call: the public Machine API (registers, RAM, the memory map, run control through
// its host), and the pure Isa decoder for x/i. Output uses "\n"; a front end turns it into CRLF
// as QEMU's monitor does (Hmp.ToTerminal).

using System.Globalization;
using System.Text;
using Rivet.Machine;
using RivetMachine = Rivet.Machine.Machine;

namespace Rivet.Qmp;

/// <summary>What a monitor needs from the front end that feeds it lines.</summary>
internal interface IHmpHost
{
    RivetMachine Machine { get; }

    /// <summary>The run state to report ("info status"); QMP reports the state of the last event it sent.</summary>
    RunState ReportedRunState();

    /// <summary>stop, cont, system_reset or system_powerdown: null when done, else the error text.</summary>
    string? RunControl(string what);

    /// <summary>quit: the front end asks for the shutdown once this command's output is out.</summary>
    void RequestQuit();

    /// <summary>-name (null without it).</summary>
    string? Name { get; }

    /// <summary>query-version's package string.</summary>
    string Package { get; }
}

/// <summary>
/// One HMP command as QEMU's hmp-commands.hx declares it: <paramref name="Name"/> with its
/// aliases ("stop|s"), <paramref name="ArgsType"/> in QEMU's args_type grammar
/// ("fmt:/,addr:l"), <paramref name="Params"/> and <paramref name="Help"/> for help, and the
/// handler; or a table of subcommands (info). <paramref name="ReportsRunState"/> marks a command
/// whose output must agree with the QMP events sent before it.
/// </summary>
internal sealed record HmpCommand(
    string Name, string ArgsType, string Params, string Help,
    Action<Hmp, HmpArgs, StringBuilder>? Handler,
    IReadOnlyList<HmpCommand>? SubCommands = null,
    bool ReportsRunState = false)
{
    /// <summary>True if <paramref name="typed"/> is one of the command's names (compare_cmd).</summary>
    public bool Matches(string typed) => Name.Split('|').Contains(typed, StringComparer.Ordinal);
}

/// <summary>The parsed arguments of a command line (QEMU's qdict).</summary>
internal sealed class HmpArgs
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public void Set(string key, object value) => _values[key] = value;
    public long Int(string key, long fallback = 0) => _values.TryGetValue(key, out object? v) ? (long)v : fallback;
    public bool Flag(string key) => _values.TryGetValue(key, out object? v) && (bool)v;
    public string? Str(string key) => _values.TryGetValue(key, out object? v) ? (string)v : null;
}

/// <summary>A parsed line: the command to run, or none (an empty line, or an error already in <see cref="Output"/>).</summary>
internal sealed class HmpLine
{
    public HmpCommand? Command { get; init; }
    public HmpArgs Args { get; } = new();
    public StringBuilder Output { get; } = new();
}

/// <summary>
/// One human monitor. Not thread-safe: a front end feeds it one line at a time. It keeps what
/// QEMU's monitor keeps between lines: the last x/xp/p format and size, and the current CPU.
/// </summary>
internal sealed class Hmp(IHmpHost host)
{
    /// <summary>The most x/xp dump in one command; QEMU has no limit, but an unbounded dump would hold the monitor for minutes.</summary>
    public const int MaxDumpBytes = 64 * 1024;

    /// <summary>The most x/i instructions in one command.</summary>
    public const int MaxDumpInstructions = 4096;

    private char _lastFormat = 'x'; // QEMU's default_fmt_format
    private int _lastSize = 4;      // QEMU's default_fmt_size

    public IHmpHost Host => host;
    public RivetMachine Machine => host.Machine;

    /// <summary>The CPU that info registers, x and $reg use (QMP's cpu-index; QEMU's "cpu N").</summary>
    public int CurrentCpu { get; set; }

    /// <summary>Parses and runs one line; returns its output ("\n" line ends).</summary>
    public string Execute(string line)
    {
        HmpLine parsed = Parse(line);
        return Run(parsed);
    }

    /// <summary>Runs a parsed line (a front end may need to run some commands under its own lock).</summary>
    public string Run(HmpLine parsed)
    {
        parsed.Command?.Handler?.Invoke(this, parsed.Args, parsed.Output);
        return parsed.Output.ToString();
    }

    /// <summary>The monitor's terminal convention (QEMU's monitor_puts): every newline goes out as CRLF.</summary>
    public static string ToTerminal(string s) => s.Replace("\n", "\r\n", StringComparison.Ordinal);

    // ---- parsing: QEMU's monitor_parse_command and monitor_parse_arguments ----

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static int SkipSpaces(string s, int p)
    {
        while (p < s.Length && IsSpace(s[p])) p++;
        return p;
    }

    /// <summary>Thrown by argument parsing: the message is printed, then the "Try help" line.</summary>
    private sealed class ParseError(string message) : Exception(message);

    public HmpLine Parse(string line)
    {
        int p = 0;
        HmpCommand? command = FindCommand(line, ref p, HmpCommands.All, out string? unknown);
        if (command == null)
        {
            var none = new HmpLine();
            if (unknown != null) none.Output.Append(unknown);
            return none;
        }
        var parsed = new HmpLine { Command = command };
        int argsStart = p;
        try
        {
            ParseArguments(command, line, p, parsed.Args);
        }
        catch (ParseError e)
        {
            var failed = new HmpLine();
            int end = argsStart;
            while (end > 0 && IsSpace(line[end - 1])) end--;
            failed.Output.Append(e.Message).Append('\n');
            failed.Output.Append(CultureInfo.InvariantCulture, $"Try \"help {line[..end]}\" for more information\n");
            return failed;
        }
        return parsed;
    }

    /// <summary>The command a line names (descending into info's table), with p after its name(s); null for an empty or unknown one.</summary>
    private static HmpCommand? FindCommand(string line, ref int p, IReadOnlyList<HmpCommand> table, out string? unknown)
    {
        unknown = null;
        p = SkipSpaces(line, p);
        if (p >= line.Length) return null;
        int start = p;
        while (p < line.Length && line[p] != '/' && !IsSpace(line[p])) p++;
        string name = line[start..p];
        HmpCommand? command = table.FirstOrDefault(c => c.Matches(name));
        if (command == null)
        {
            unknown = $"unknown command: '{line[..p]}'\n";
            return null;
        }
        p = SkipSpaces(line, p);
        if (command.SubCommands != null && p < line.Length) return FindCommand(line, ref p, command.SubCommands, out unknown);
        return command;
    }

    private void ParseArguments(HmpCommand command, string line, int p, HmpArgs args)
    {
        string[] specs = command.ArgsType.Length == 0 ? [] : command.ArgsType.Split(',');
        for (int i = 0; i < specs.Length; i++)
        {
            string key = specs[i][..specs[i].IndexOf(':', StringComparison.Ordinal)];
            string type = specs[i][(key.Length + 1)..];
            bool optional = type.EndsWith('?');
            char kind = type[0];
            switch (kind)
            {
                case '/':
                    p = ParseFormat(line, p, args);
                    break;
                case 'l' or 'L' or 'i':
                    {
                        p = SkipSpaces(line, p);
                        if (optional && p >= line.Length) break;
                        long value;
                        try
                        {
                            value = new HmpExpression(this, line, p).Evaluate(out p);
                        }
                        catch (HmpExpression.Error e)
                        {
                            throw new ParseError(e.Message);
                        }
                        if (kind == 'i' && ((ulong)value >> 32) != 0)
                            throw new ParseError($"'{command.Name}' has failed: integer is for 32-bit values");
                        args.Set(key, value);
                        break;
                    }
                case '-':
                    {
                        char option = type[1];
                        int before = p;
                        p = SkipSpaces(line, p);
                        if (p < line.Length && line[p] == '-')
                        {
                            p++;
                            char given = p < line.Length ? line[p] : '\0';
                            if (given != option)
                            {
                                bool later = specs.Skip(i + 1).Any(s => s.Contains(":-", StringComparison.Ordinal) && s[^1] == given);
                                if (!later) throw new ParseError($"{command.Name}: unsupported option -{(given == '\0' ? "" : given.ToString())}");
                                p = before; // a later option's: leave it for that one
                            }
                            else
                            {
                                p++;
                                args.Set(key, true);
                            }
                        }
                        break;
                    }
                case 's' or 'F':
                    {
                        p = SkipSpaces(line, p);
                        if (optional && p >= line.Length) break;
                        string? value = ReadString(line, ref p, out string? problem);
                        if (value == null)
                        {
                            string expected = kind == 'F' ? "filename" : "string";
                            throw new ParseError($"{(problem == null ? "" : problem + "\n")}{command.Name}: {expected} expected");
                        }
                        args.Set(key, value);
                        break;
                    }
                case 'S':
                    {
                        p = SkipSpaces(line, p);
                        if (optional && p >= line.Length) break;
                        if (p >= line.Length) throw new ParseError($"{command.Name}: string expected");
                        args.Set(key, line[p..]);
                        p = line.Length;
                        break;
                    }
                default:
                    throw new InvalidOperationException($"bad args_type '{type}' in HMP command {command.Name}");
            }
        }
        p = SkipSpaces(line, p);
        if (p < line.Length) throw new ParseError($"{command.Name}: extraneous characters at the end of line");
    }

    /// <summary>
    /// QEMU's get_str: a "quoted string" with \n \r \\ \' \" escapes, or a word up to the next
    /// space; null (with QEMU's message for a bad quoted one) when there is none.
    /// </summary>
    private static string? ReadString(string line, ref int p, out string? problem)
    {
        problem = null;
        if (p >= line.Length) return null;
        var sb = new StringBuilder();
        if (line[p] != '"')
        {
            while (p < line.Length && !IsSpace(line[p])) sb.Append(line[p++]);
            return sb.ToString();
        }
        p++;
        while (p < line.Length && line[p] != '"')
        {
            if (line[p] != '\\')
            {
                sb.Append(line[p++]);
                continue;
            }
            char c = ++p < line.Length ? line[p++] : '\0';
            switch (c)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case '\\' or '\'' or '"': sb.Append(c); break;
                default:
                    problem = $"unsupported escape code: '\\{c}'";
                    return null;
            }
        }
        if (p >= line.Length)
        {
            problem = "unterminated string";
            return null;
        }
        p++;
        return sb.ToString();
    }

    /// <summary>"/[count][format][size]": QEMU's '/' argument; remembers the format and size as QEMU does.</summary>
    private int ParseFormat(string line, int p, HmpArgs args)
    {
        p = SkipSpaces(line, p);
        long count = 1;
        char format;
        int size;
        if (p < line.Length && line[p] == '/')
        {
            p++;
            if (p < line.Length && char.IsAsciiDigit(line[p]))
            {
                count = 0;
                while (p < line.Length && char.IsAsciiDigit(line[p]))
                {
                    count = Math.Min(count * 10 + (line[p] - '0'), int.MaxValue); // saturates: the dump limit rejects it
                    p++;
                }
            }
            size = -1;
            int explicitFormat = -1;
            for (bool more = true; more && p < line.Length;)
            {
                switch (line[p])
                {
                    case 'o' or 'd' or 'u' or 'x' or 'i' or 'c': explicitFormat = line[p++]; break;
                    case 'b': size = 1; p++; break;
                    case 'h': size = 2; p++; break;
                    case 'w': size = 4; p++; break;
                    case 'g' or 'L': size = 8; p++; break;
                    default: more = false; break;
                }
            }
            if (p < line.Length && !IsSpace(line[p])) throw new ParseError($"invalid char in format: '{line[p]}'");
            format = explicitFormat < 0 ? _lastFormat : (char)explicitFormat;
            if (format != 'i')
            {
                if (size < 0) size = _lastSize;
                _lastSize = size;
            }
            _lastFormat = format;
        }
        else
        {
            format = _lastFormat;
            size = format != 'i' ? _lastSize : -1;
        }
        args.Set("count", count);
        args.Set("format", (long)format);
        args.Set("size", (long)size);
        return p;
    }

    // ---- help (generated from the table) ----

    /// <summary>QEMU's help_cmd: every command, or the one the words name (descending into info).</summary>
    public static void Help(StringBuilder o, string? words)
    {
        string[] args = words == null ? [] : words.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        HelpDump(o, HmpCommands.All, args, 0);
    }

    private static void HelpDump(StringBuilder o, IReadOnlyList<HmpCommand> table, string[] args, int index)
    {
        if (index >= args.Length)
        {
            foreach (HmpCommand c in table) HelpLine(o, c, args, index);
            return;
        }
        foreach (HmpCommand c in table)
        {
            if (!c.Matches(args[index])) continue;
            if (c.SubCommands != null) HelpDump(o, c.SubCommands, args, index + 1);
            else HelpLine(o, c, args, index);
            return;
        }
        o.Append("unknown command: '");
        for (int i = 0; i <= index; i++) o.Append(args[i]).Append(i == args.Length - 1 ? "" : " ");
        o.Append("'\n");
    }

    private static void HelpLine(StringBuilder o, HmpCommand c, string[] prefix, int count)
    {
        for (int i = 0; i < count; i++) o.Append(prefix[i]).Append(' ');
        o.Append(CultureInfo.InvariantCulture, $"{c.Name} {c.Params} -- {c.Help}\n");
    }

    // ---- registers by name, for $reg in expressions ----

    private static readonly string[] s_abiNames =
    [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ];

    /// <summary>x0/zero .. x31/t6: the names "info registers" prints.</summary>
    public static string IntRegisterName(int i) => $"x{i.ToString(CultureInfo.InvariantCulture)}/{s_abiNames[i]}";

    /// <summary>The CSRs "info registers" shows, in QEMU 7.2's order for a hart with M, S and U mode (no H).</summary>
    public static readonly (string Name, Func<HartState, ulong> Read)[] DumpedCsrs =
    [
        ("mhartid", s => s.Mhartid), ("mstatus", s => s.Mstatus), ("mip", s => s.Mip), ("mie", s => s.Mie),
        ("mideleg", s => s.Mideleg), ("medeleg", s => s.Medeleg), ("mtvec", s => s.Mtvec), ("stvec", s => s.Stvec),
        ("mepc", s => s.Mepc), ("sepc", s => s.Sepc), ("mcause", s => s.Mcause), ("scause", s => s.Scause),
        ("mtval", s => s.Mtval), ("stval", s => s.Stval), ("mscratch", s => s.Mscratch), ("sscratch", s => s.Sscratch),
        ("satp", s => s.Satp),
    ];

    /// <summary>
    /// $name: pc, x0..x31, the ABI names (and fp for s0), and the CSRs info registers shows, of the
    /// current CPU. QEMU 7.2 has no monitor registers for RISC-V (it says "unknown register").
    /// </summary>
    public bool TryReadRegister(string name, out long value)
    {
        value = 0;
        HartState s = Machine.CaptureHartState(CurrentCpu);
        int index = Array.IndexOf(s_abiNames, name);
        if (name == "fp") index = 8;
        if (index < 0 && name.Length > 1 && name[0] == 'x' && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int x)
            && x < 32 && name == $"x{x.ToString(CultureInfo.InvariantCulture)}")
            index = x;
        if (index >= 0)
        {
            value = (long)s.X[index];
            return true;
        }
        if (name == "pc")
        {
            value = (long)s.Pc;
            return true;
        }
        foreach ((string csr, Func<HartState, ulong> read) in DumpedCsrs)
        {
            if (csr != name) continue;
            value = (long)read(s);
            return true;
        }
        return false;
    }
}
