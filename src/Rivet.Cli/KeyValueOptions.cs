using System.Globalization;

namespace Rivet.Cli;

/// <summary>A value that does not fit QEMU's option grammar; the message is QEMU's wording, without the option prefix.</summary>
internal sealed class KeyValueException(string message) : FormatException(message);

/// <summary>
/// QEMU's <c>key=value,key=value</c> option grammar (QemuOpts), parsed once for every option:
/// <c>,,</c> is a literal comma; a first element without <c>=</c> is the value of the option's
/// implied key (<c>-machine virt</c> is <c>type=virt</c>, <c>-smp 4</c> is <c>cpus=4</c>); a later
/// element without <c>=</c> is a short-form boolean (<c>server</c> is <c>server=on</c>). Repeated
/// keys: the last one wins, as qemu_opt_get does.
/// </summary>
internal sealed class KeyValueOptions
{
    private readonly List<KeyValuePair<string, string>> _pairs;

    private KeyValueOptions(List<KeyValuePair<string, string>> pairs) => _pairs = pairs;

    /// <summary>The pairs in the order given (an implied value under its implied key).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    /// <summary>True when the implied value is <c>help</c> or <c>?</c> (<c>-cpu help</c>).</summary>
    public bool HelpWanted { get; private init; }

    public static KeyValueOptions Parse(string text, string? impliedKey = null)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        bool help = false;
        int i = 0;
        bool first = true;
        while (i < text.Length)
        {
            string element = ReadElement(text, ref i);
            if (element.Length == 0) throw new KeyValueException("Invalid parameter ''"); // only a leading ',' makes one
            int eq = element.IndexOf('=');
            if (eq >= 0)
            {
                pairs.Add(new(element[..eq], element[(eq + 1)..]));
            }
            else if (first && impliedKey != null)
            {
                if (element is "help" or "?") help = true;
                else pairs.Add(new(impliedKey, element));
            }
            else
            {
                pairs.Add(new(element, "on"));
            }
            first = false;
        }
        return new KeyValueOptions(pairs) { HelpWanted = help };
    }

    /// <summary>One element up to the next unescaped comma (consumed); ",," becomes ",".</summary>
    private static string ReadElement(string text, ref int i)
    {
        var sb = new System.Text.StringBuilder();
        while (i < text.Length)
        {
            char c = text[i++];
            if (c != ',')
            {
                sb.Append(c);
            }
            else if (i < text.Length && text[i] == ',')
            {
                sb.Append(',');
                i++;
            }
            else
            {
                break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The last value given for <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        for (int i = _pairs.Count - 1; i >= 0; i--)
        {
            if (_pairs[i].Key == key) return _pairs[i].Value;
        }
        return null;
    }

    public bool Has(string key) => Get(key) != null;

    /// <summary>Throws QEMU's message for the first key not in <paramref name="known"/>.</summary>
    public void CheckKeys(IReadOnlyCollection<string> known, Func<string, string>? unknownMessage = null)
    {
        foreach (var (key, _) in _pairs)
        {
            if (!known.Contains(key)) throw new KeyValueException(unknownMessage?.Invoke(key) ?? $"Invalid parameter '{key}'");
        }
    }

    /// <summary>A boolean parameter, or <paramref name="fallback"/> when absent.</summary>
    public bool GetBool(string key, bool fallback) => Get(key) is string v ? ParseBool(key, v) : fallback;

    /// <summary>QEMU's qapi_bool_parse: on/yes/true/y and off/no/false/n.</summary>
    public static bool ParseBool(string name, string value) => value switch
    {
        "on" or "yes" or "true" or "y" => true,
        "off" or "no" or "false" or "n" => false,
        _ => throw new KeyValueException($"Parameter '{name}' expects 'on' or 'off'"),
    };

    /// <summary>
    /// An unsigned integer as QEMU's visitors read one (strtoull base 0: decimal, 0x hex, 0 octal),
    /// no sign, no spaces, at most <paramref name="max"/>.
    /// </summary>
    public static ulong ParseUnsigned(string name, string value, ulong max, string expects = "integer")
    {
        if (!TryParseUnsigned(value, out ulong n)) throw new KeyValueException($"Parameter '{name}' expects {expects}");
        if (n > max) throw new KeyValueException($"Parameter '{name}' expects {expects} at most {max}");
        return n;
    }

    public static bool TryParseUnsigned(string value, out ulong n)
    {
        n = 0;
        if (value.Length == 0) return false;
        if (value.Length > 2 && value[0] == '0' && (value[1] is 'x' or 'X'))
            return ulong.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out n);
        if (value.Length > 1 && value[0] == '0')
        {
            foreach (char c in value)
            {
                if (c is < '0' or > '7') return false;
                if (n > (ulong.MaxValue >> 3)) return false;
                n = (n << 3) | (uint)(c - '0');
            }
            return true;
        }
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out n);
    }

    public enum SizeError { None, Invalid, OutOfRange }

    /// <summary>
    /// QEMU 7.2's qemu_strtosz: a decimal number with an optional fraction, or 0x hex (no fraction),
    /// then an optional suffix B, K, M, G, T, P or E (either case, powers of 1024); without a
    /// suffix <paramref name="defaultSuffix"/> applies. A fraction needs a scale above bytes.
    /// </summary>
    public static SizeError TryParseSize(string text, char defaultSuffix, out ulong result)
    {
        result = 0;
        int i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i == 0) return SizeError.Invalid;
        if (!ulong.TryParse(text.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out ulong val)) return SizeError.OutOfRange;
        double fraction = 0;
        if (val == 0 && i < text.Length && text[i] is 'x' or 'X')
        {
            int start = ++i;
            while (i < text.Length && char.IsAsciiHexDigit(text[i])) i++;
            if (i == start) return SizeError.Invalid;
            if (!ulong.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out val)) return SizeError.OutOfRange;
            if (i < text.Length && text[i] == '.') return SizeError.Invalid;
        }
        else if (i < text.Length && text[i] == '.')
        {
            int start = i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i < text.Length && text[i] is 'e' or 'E' && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] is '+' or '-'))
                return SizeError.Invalid; // an exponent makes the whole input invalid, as in QEMU
            if (i - start > 1) fraction = double.Parse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        }
        ulong mul;
        if (i < text.Length && SuffixMultiplier(text[i]) is ulong m)
        {
            mul = m;
            i++;
        }
        else
        {
            mul = SuffixMultiplier(defaultSuffix) ?? 1;
        }
        if (i != text.Length) return SizeError.Invalid;
        if (mul == 1 && fraction != 0) return SizeError.Invalid;
        ulong fractional = (ulong)(fraction * mul);
        if (val > (ulong.MaxValue - fractional) / mul) return SizeError.OutOfRange;
        result = val * mul + fractional;
        return SizeError.None;
    }

    private static ulong? SuffixMultiplier(char c) => char.ToUpperInvariant(c) switch
    {
        'B' => 1,
        'K' => 1UL << 10,
        'M' => 1UL << 20,
        'G' => 1UL << 30,
        'T' => 1UL << 40,
        'P' => 1UL << 50,
        'E' => 1UL << 60,
        _ => null,
    };

    /// <summary>A size parameter, with QEMU's messages for the two ways it can be wrong.</summary>
    public static ulong ParseSize(string name, string text, char defaultSuffix = 'B')
    {
        switch (TryParseSize(text, defaultSuffix, out ulong result))
        {
            case SizeError.None:
                return result;
            case SizeError.OutOfRange:
                throw new KeyValueException($"Value '{text}' is out of range for parameter '{name}'");
            default:
                throw new KeyValueException($"Parameter '{name}' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)");
        }
    }
}
