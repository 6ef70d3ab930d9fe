using System.Globalization;
using Rivet.Qmp;

namespace Rivet.Cli.Chardev;

/// <summary>
/// One character device as the command line asked for it (-chardev, or the short forms of
/// -serial and -monitor); <see cref="Open"/> makes it real at start-up. Messages are QEMU 7.2's.
/// </summary>
internal sealed record ChardevSpec
{
    /// <summary>The backends QEMU 7.2 has and Rivet does not (named as such, not "not a valid char driver").</summary>
    private static readonly string[] NotYet =
    [
        "vc", "udp", "serial", "tty", "parallel", "parport", "ringbuf", "memory", "msmouse", "braille",
        "testdev", "spicevmc", "spiceport", "qemu-vdagent", "dbus", "wctablet", "console",
    ];

    public required string Id { get; init; }
    /// <summary>null, stdio, file, pipe, socket or pty.</summary>
    public required string Backend { get; init; }
    /// <summary>The option and value as given, for messages ("-serial file:F").</summary>
    public required string Origin { get; init; }
    public bool Mux { get; init; }
    /// <summary>file and pipe: the path; socket: the unix socket path (empty for tcp).</summary>
    public string Path { get; init; } = "";
    /// <summary>file: append instead of truncating.</summary>
    public bool Append { get; init; }
    /// <summary>socket: tcp host and port (port 0 picks a free one when listening).</summary>
    public string Host { get; init; } = "";
    public int Port { get; init; }
    public bool Server { get; init; }
    /// <summary>socket server: start-up waits for the first client (QEMU's default).</summary>
    public bool Wait { get; init; } = true;

    /// <summary>stdio: Ctrl-C on a terminal is a signal (on) or a byte for the guest (off; mon:stdio's default).</summary>
    public bool Signal { get; init; } = true;

    public bool IsUnix => Backend == "socket" && Path.Length > 0;

    /// <summary>-chardev BACKEND,id=ID[,...].</summary>
    public static ChardevSpec Parse(string value)
    {
        var kv = KeyValueOptions.Parse(value, "backend");
        string backend = kv.Get("backend") ?? throw new KeyValueException("chardev: no backend given");
        string id = kv.Get("id") ?? throw new KeyValueException("chardev: no id specified");
        if (id.Length == 0) throw new KeyValueException("chardev: no id specified");
        return FromOptions(backend, id, kv, $"-chardev {value}");
    }

    /// <summary>
    /// QEMU's short forms (qemu_chr_parse_compat), for -serial and -monitor: null, stdio,
    /// mon:DEV (mux with a monitor), pty, file:F, pipe:P, unix:PATH[,opts], tcp:HOST:PORT[,opts].
    /// </summary>
    public static ChardevSpec ParseShort(string value, string id, string origin)
    {
        bool mux = false;
        string v = value;
        if (v.StartsWith("mon:", StringComparison.Ordinal))
        {
            mux = true;
            v = v[4..];
        }
        ChardevSpec spec;
        if (v is "null" or "stdio" or "pty")
        {
            spec = FromOptions(v, id, KeyValueOptions.Parse(""), origin);
            // QEMU: a monitor muxed on stdio does not end the run on Ctrl-C; the guest gets it.
            if (mux && v == "stdio") spec = spec with { Signal = false };
        }
        else if (v.StartsWith("file:", StringComparison.Ordinal) || v.StartsWith("pipe:", StringComparison.Ordinal))
        {
            // The rest is the path, commas and all, as QEMU takes it.
            var kv = KeyValueOptions.Parse("path=" + v[5..].Replace(",", ",,", StringComparison.Ordinal));
            spec = FromOptions(v[..4], id, kv, origin);
        }
        else if (v.StartsWith("unix:", StringComparison.Ordinal))
        {
            var kv = KeyValueOptions.Parse(v[5..], "path");
            spec = FromOptions("socket", id, kv, origin);
        }
        else if (v.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var kv = KeyValueOptions.Parse(v[4..], "address");
            string address = kv.Get("address") ?? "";
            int colon = address.LastIndexOf(':');
            if (colon < 0) throw new KeyValueException($"'{value}' is not a valid char driver");
            string host = address[..colon].Trim('[', ']');
            var pairs = kv.Pairs.Where(p => p.Key != "address").Select(p => $"{p.Key}={p.Value.Replace(",", ",,", StringComparison.Ordinal)}");
            var withHost = KeyValueOptions.Parse(string.Join(',', new[] { $"host={host}", $"port={address[(colon + 1)..]}" }.Concat(pairs)));
            spec = FromOptions("socket", id, withHost, origin);
        }
        else
        {
            string kind = v.Split(':')[0];
            if (NotYet.Contains(kind)) throw new KeyValueException($"'{kind}' character devices are not supported by rivet yet");
            throw new KeyValueException($"'{v}' is not a valid char driver"); // after mon:, as QEMU names it
        }
        return spec with { Mux = spec.Mux || mux };
    }

    private static ChardevSpec FromOptions(string backend, string id, KeyValueOptions kv, string origin)
    {
        string[] common = ["backend", "id", "mux"];
        string[] own = backend switch
        {
            "null" or "pty" => [],
            "stdio" => ["signal"],
            "file" => ["path", "append"],
            "pipe" => ["path"],
            "socket" => ["path", "host", "port", "server", "wait", "nowait", "nodelay", "ipv4", "ipv6"],
            _ when NotYet.Contains(backend) => throw new KeyValueException($"'{backend}' character devices are not supported by rivet yet"),
            _ => throw new KeyValueException($"'{backend}' is not a valid char driver name"),
        };
        kv.CheckKeys([.. common, .. own], key => $"Invalid parameter '{key}'");
        var spec = new ChardevSpec { Id = id, Backend = backend, Origin = origin, Mux = kv.GetBool("mux", false) };
        switch (backend)
        {
            case "stdio":
                spec = spec with { Signal = kv.GetBool("signal", true) };
                break;
            case "file":
            case "pipe":
                string path = kv.Get("path") ?? "";
                if (path.Length == 0) throw new KeyValueException($"chardev: {backend}: no filename given");
                spec = spec with { Path = path, Append = kv.GetBool("append", false) };
                break;
            case "socket":
                spec = Socket(spec, kv);
                break;
        }
        return spec;
    }

    private static ChardevSpec Socket(ChardevSpec spec, KeyValueOptions kv)
    {
        string? path = kv.Get("path");
        string? host = kv.Get("host");
        string? port = kv.Get("port");
        kv.GetBool("nodelay", true);
        kv.GetBool("ipv4", false);
        kv.GetBool("ipv6", false);
        if (path != null && (host != null || port != null)) throw new KeyValueException("chardev: socket: give path= or host=,port=, not both");
        bool server = kv.GetBool("server", false);
        bool wait = kv.Has("nowait") ? false : kv.GetBool("wait", true);
        if (!server && kv.Has("wait")) throw new KeyValueException("'wait' option is incompatible with socket in client connect mode");
        if (path != null)
        {
            if (path.Length == 0) throw new KeyValueException("chardev: socket: the path is empty");
            if (System.Text.Encoding.UTF8.GetByteCount(path) > QmpListener.MaxUnixPathBytes)
                throw new KeyValueException($"UNIX socket path '{path}' is too long");
            return spec with { Path = path, Server = server, Wait = server && wait };
        }
        if (port == null) throw new KeyValueException("chardev: socket: give path=PATH, or host=HOST,port=PORT");
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
            throw new KeyValueException($"'{port}' is not a port number (0..65535)");
        if (!server && p == 0) throw new KeyValueException("chardev: socket: a client needs a port other than 0");
        return spec with { Host = host ?? "", Port = p, Server = server, Wait = server && wait };
    }

    /// <summary>The listening endpoint of a socket server, as the QMP listener binds it.</summary>
    public QmpEndpoint Endpoint => IsUnix
        ? new QmpEndpoint { Transport = QmpTransport.Unix, Path = Path, Wait = Wait }
        : new QmpEndpoint { Transport = QmpTransport.Tcp, Host = Host, Port = Port, Wait = Wait };

    /// <summary>Opens the backend; throws <see cref="ChardevException"/> with QEMU's reason.</summary>
    public Chardev Open() => Backend switch
    {
        "null" => new NullChardev(Id),
        "stdio" => new StdioChardev(Id, Signal),
        "pty" => PtyChardev.Open(this),
        "file" => FileChardev.Open(this),
        "pipe" => PipeChardev.Open(this),
        "socket" => Server ? SocketChardev.Listen(this) : SocketChardev.Connect(this),
        _ => throw new InvalidOperationException($"unknown backend {Backend}"),
    };
}
