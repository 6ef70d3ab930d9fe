using System.Globalization;
using System.Text;

namespace Rivet.Qmp;

/// <summary>Where a QMP server listens.</summary>
public enum QmpTransport
{
    Unix,
    Tcp,
}

/// <summary>
/// One <c>-qmp</c> value, QEMU's character-device syntax restricted to listening sockets:
/// <c>unix:PATH,server[,wait=off]</c> or <c>tcp:HOST:PORT,server[,wait=off]</c>. As in QEMU,
/// <c>server</c> may be written <c>server=on</c>, <c>wait=off</c> may be written <c>nowait</c>,
/// a comma inside the path is doubled (<c>,,</c>), and a server waits for its first client
/// unless told <c>wait=off</c>.
/// </summary>
public sealed record QmpEndpoint
{
    public required QmpTransport Transport { get; init; }

    /// <summary>The socket path (unix).</summary>
    public string Path { get; init; } = "";

    /// <summary>The address to bind (tcp): a literal, a host name, or empty for every IPv4 address.</summary>
    public string Host { get; init; } = "";

    /// <summary>The port (tcp); 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>wait=on: start-up waits for the first client before the machine runs.</summary>
    public bool Wait { get; init; }

    /// <summary>-mon ...,pretty=on: its clients get indented JSON.</summary>
    public bool Pretty { get; init; }

    public override string ToString() => Transport == QmpTransport.Unix
        ? $"unix:{Path}"
        : $"tcp:{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses a <c>-qmp</c> value; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static QmpEndpoint Parse(string spec)
    {
        List<string> parts = SplitOptions(spec);
        string address = parts[0];
        QmpEndpoint ep;
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address[5..];
            if (path.Length == 0) throw new FormatException("unix: needs a socket path (unix:PATH,server,wait=off)");
            if (path.StartsWith("path=", StringComparison.Ordinal)) path = path[5..];
            ep = new QmpEndpoint { Transport = QmpTransport.Unix, Path = path };
        }
        else if (address.StartsWith("tcp:", StringComparison.Ordinal))
        {
            (string host, int port) = ParseHostPort(address[4..]);
            ep = new QmpEndpoint { Transport = QmpTransport.Tcp, Host = host, Port = port };
        }
        else
        {
            string kind = address.Split(':')[0];
            throw new FormatException($"unsupported QMP character device '{kind}' (use unix:PATH,server,wait=off or tcp:HOST:PORT,server,wait=off)");
        }

        bool? server = null;
        bool wait = true; // QEMU's default for a listening socket
        foreach (string option in parts.Skip(1))
        {
            int eq = option.IndexOf('=');
            string key = eq < 0 ? option : option[..eq];
            string? value = eq < 0 ? null : option[(eq + 1)..];
            switch (key)
            {
                case "server": server = ParseBool(key, value); break;
                case "wait": wait = ParseBool(key, value); break;
                case "nowait" when value == null: wait = false; break;
                case "nodelay" when ep.Transport == QmpTransport.Tcp: ParseBool(key, value); break; // replies are sent with TCP_NODELAY anyway
                case "":
                    throw new FormatException("empty option (a comma in a path is written ',,')");
                default:
                    throw new FormatException($"unsupported option '{key}' (supported: server, wait=on|off, nowait{(ep.Transport == QmpTransport.Tcp ? ", nodelay" : "")})");
            }
        }
        if (server != true)
            throw new FormatException("only listening sockets are supported: add ',server' (and ',wait=off' not to wait for a client)");
        return ep with { Wait = wait };
    }

    private static bool ParseBool(string key, string? value) => value switch
    {
        null or "on" or "yes" or "true" or "y" => true,
        "off" or "no" or "false" or "n" => false,
        _ => throw new FormatException($"'{key}={value}': expected on or off"),
    };

    /// <summary>Splits at single commas; ",," is a literal comma (QEMU's option escaping).</summary>
    private static List<string> SplitOptions(string spec)
    {
        List<string> parts = [];
        var current = new StringBuilder();
        for (int i = 0; i < spec.Length; i++)
        {
            if (spec[i] != ',')
            {
                current.Append(spec[i]);
            }
            else if (i + 1 < spec.Length && spec[i + 1] == ',')
            {
                current.Append(',');
                i++;
            }
            else
            {
                parts.Add(current.ToString());
                current.Clear();
            }
        }
        parts.Add(current.ToString());
        return parts;
    }

    private static (string Host, int Port) ParseHostPort(string text)
    {
        string host, port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
                throw new FormatException($"'{text}': expected [IPV6-ADDRESS]:PORT");
            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0) throw new FormatException($"'{text}': expected HOST:PORT");
            host = text[..colon];
            port = text[(colon + 1)..];
            if (host.Contains(':')) throw new FormatException($"'{text}': write an IPv6 address in brackets, [ADDRESS]:PORT");
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
            throw new FormatException($"'{port}' is not a port number (0..65535)");
        return (host, p);
    }
}
