using System.Buffers;
using System.Text.Json;

namespace Rivet.Qmp;

/// <summary>
/// -mon ...,pretty=on: QEMU's pretty JSON (qobject_to_json_pretty) for every message a session
/// sends: one member or element per line, four spaces per level, "key": value, CRLF line ends,
/// and an empty object or array still opened and closed on lines of their own.
/// </summary>
internal static class QmpPretty
{
    private const int Indent = 4;

    /// <summary>Reformats one compact message (one JSON value, then CRLF); strings keep their escapes.</summary>
    public static byte[] Format(byte[] compact)
    {
        var output = new ArrayBufferWriter<byte>(compact.Length * 2);
        var reader = new Utf8JsonReader(compact, new JsonReaderOptions { MaxDepth = 128 });
        int depth = 0;
        bool first = true;      // the next member or element is the first of its container
        bool afterName = false; // a member's value follows its name on the same line
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    Separate(output, ref first, ref afterName, depth);
                    output.Write(reader.TokenType == JsonTokenType.StartObject ? "{"u8 : "["u8);
                    depth++;
                    first = true;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    depth--;
                    NewLine(output, depth);
                    output.Write(reader.TokenType == JsonTokenType.EndObject ? "}"u8 : "]"u8);
                    first = false;
                    break;
                case JsonTokenType.PropertyName:
                    if (!first) output.Write(","u8);
                    NewLine(output, depth);
                    output.Write("\""u8);
                    output.Write(reader.ValueSpan);
                    output.Write("\": "u8);
                    afterName = true;
                    break;
                default:
                    Separate(output, ref first, ref afterName, depth);
                    bool quoted = reader.TokenType == JsonTokenType.String;
                    if (quoted) output.Write("\""u8);
                    output.Write(reader.ValueSpan);
                    if (quoted) output.Write("\""u8);
                    first = false;
                    break;
            }
            if (depth == 0) break;
        }
        output.Write("\r\n"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Before a value: inside an array, a comma after the previous element and a new line.</summary>
    private static void Separate(ArrayBufferWriter<byte> output, ref bool first, ref bool afterName, int depth)
    {
        if (afterName || depth == 0)
        {
            afterName = false;
            return;
        }
        if (!first) output.Write(","u8);
        NewLine(output, depth);
    }

    private static void NewLine(ArrayBufferWriter<byte> output, int depth)
    {
        output.Write("\r\n"u8);
        Span<byte> spaces = output.GetSpan(depth * Indent)[..(depth * Indent)];
        spaces.Fill((byte)' ');
        output.Advance(depth * Indent);
    }
}
