namespace Rivet.Qmp;

/// <summary>
/// QEMU's monitor expressions (monitor/hmp.c, expr_sum): 64-bit integers with + - (lowest),
/// &amp; | ^, then * / %, unary + - ~, parentheses, 'c' character constants, numbers as strtoull
/// reads them (0x hex, leading-0 octal, decimal) and $reg. As in QEMU, &amp; | ^ bind tighter than
/// + and -. Arithmetic wraps; unlike QEMU, INT64_MIN / -1 does not crash, and nesting deeper than
/// <see cref="MaxDepth"/> is an error rather than a deep recursion.
/// </summary>
internal sealed class HmpExpression(Hmp monitor, string text, int start)
{
    /// <summary>Deeper nesting is refused: each level is a stack frame of the client's thread.</summary>
    public const int MaxDepth = 200;

    private int _p = start;
    private int _depth;

    /// <summary>Thrown with QEMU's message for a bad expression.</summary>
    public sealed class Error(string message) : Exception(message);

    private char Current => _p < text.Length ? text[_p] : '\0';

    /// <summary>Reads one expression from the start position; <paramref name="end"/> is where it stopped.</summary>
    public long Evaluate(out int end)
    {
        SkipSpaces();
        long value = Sum();
        end = _p;
        return value;
    }

    private void SkipSpaces()
    {
        while (_p < text.Length && text[_p] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') _p++;
    }

    private void Next()
    {
        if (_p < text.Length)
        {
            _p++;
            SkipSpaces();
        }
    }

    private long Sum()
    {
        long value = Logic();
        while (Current is '+' or '-')
        {
            char op = Current;
            Next();
            long rhs = Logic();
            value = unchecked(op == '+' ? value + rhs : value - rhs);
        }
        return value;
    }

    private long Logic()
    {
        long value = Product();
        while (Current is '&' or '|' or '^')
        {
            char op = Current;
            Next();
            long rhs = Product();
            value = op switch { '&' => value & rhs, '|' => value | rhs, _ => value ^ rhs };
        }
        return value;
    }

    private long Product()
    {
        long value = Unary();
        while (Current is '*' or '/' or '%')
        {
            char op = Current;
            Next();
            long rhs = Unary();
            if (op == '*')
            {
                value = unchecked(value * rhs);
                continue;
            }
            if (rhs == 0) throw new Error("division by zero");
            if (rhs == -1) value = op == '/' ? unchecked(-value) : 0; // long.MinValue / -1 would throw
            else value = op == '/' ? value / rhs : value % rhs;
        }
        return value;
    }

    private long Unary()
    {
        if (++_depth > MaxDepth) throw new Error("expression too deeply nested");
        try
        {
            return UnaryAtDepth();
        }
        finally
        {
            _depth--;
        }
    }

    private long UnaryAtDepth()
    {
        switch (Current)
        {
            case '+':
                Next();
                return Unary();
            case '-':
                Next();
                return unchecked(-Unary());
            case '~':
                Next();
                return ~Unary();
            case '(':
                {
                    Next();
                    long value = Sum();
                    if (Current != ')') throw new Error("')' expected");
                    Next();
                    return value;
                }
            case '\'':
                {
                    _p++;
                    if (_p >= text.Length) throw new Error("character constant expected");
                    long value = text[_p];
                    _p++;
                    if (Current != '\'') throw new Error("missing terminating ' character");
                    Next();
                    return value;
                }
            case '$':
                {
                    _p++;
                    int nameStart = _p;
                    while (_p < text.Length && (char.IsAsciiLetterOrDigit(text[_p]) || text[_p] is '_' or '.')) _p++;
                    string name = text[nameStart.._p];
                    SkipSpaces();
                    if (!monitor.TryReadRegister(name, out long value)) throw new Error("unknown register");
                    return value;
                }
            case '\0':
                throw new Error("unexpected end of expression");
            default:
                return Number();
        }
    }

    /// <summary>strtoull(p, &amp;end, 0): the longest number at p; an empty one is an invalid char.</summary>
    private long Number()
    {
        int p = _p;
        int radix = 10;
        if (Current == '0')
        {
            radix = 8;
            if (p + 2 < text.Length && text[p + 1] is 'x' or 'X' && char.IsAsciiHexDigit(text[p + 2]))
            {
                radix = 16;
                p += 2;
            }
        }
        int digitsStart = p;
        ulong value = 0;
        bool overflow = false;
        while (p < text.Length && DigitValue(text[p]) is int d && d < radix)
        {
            ulong next = unchecked(value * (ulong)radix + (ulong)d);
            if (value > (ulong.MaxValue - (ulong)d) / (ulong)radix) overflow = true;
            value = next;
            p++;
        }
        if (p == digitsStart) throw new Error($"invalid char '{Current}' in expression");
        if (overflow) throw new Error("number too large");
        _p = p;
        SkipSpaces();
        return unchecked((long)value);
    }

    private static int? DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };
}
