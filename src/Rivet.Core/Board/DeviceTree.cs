using System.Buffers.Binary;
using System.Text;

namespace Rivet.Board;

/// <summary>
/// One node of a device tree: properties and children in the order a flattened blob lists them
/// (the order <c>dtc -I dtb</c> prints).
/// </summary>
internal sealed class FdtNode(string name)
{
    public string Name { get; } = name;
    public List<(string Name, byte[] Value)> Properties { get; } = [];
    public List<FdtNode> Children { get; } = [];

    /// <summary>Appends a child node and returns it.</summary>
    public FdtNode Add(string name)
    {
        var child = new FdtNode(name);
        Children.Add(child);
        return child;
    }

    /// <summary>Appends a property (building a node in print order); returns this node.</summary>
    public FdtNode Prop(string name, byte[] value)
    {
        Properties.Add((name, value));
        return this;
    }

    public FdtNode Prop(string name, string value) => Prop(name, Fdt.String(value));

    public FdtNode Prop(string name, params uint[] cells) => Prop(name, Fdt.Cells(cells));

    /// <summary>
    /// libfdt's fdt_setprop, as QEMU patches a tree: an existing property's value is replaced in
    /// place, a new one goes before the node's other properties.
    /// </summary>
    public void Set(string name, byte[] value)
    {
        int i = Properties.FindIndex(p => p.Name == name);
        if (i >= 0) Properties[i] = (name, value);
        else Properties.Insert(0, (name, value));
    }

    public byte[]? Get(string name) => Properties.FirstOrDefault(p => p.Name == name).Value;

    /// <summary>The node at an absolute path such as <c>/chosen</c>, or null.</summary>
    public FdtNode? Find(string path)
    {
        FdtNode? node = this;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node.Children.FirstOrDefault(c => c.Name == part);
            if (node == null) return null;
        }
        return node;
    }
}

/// <summary>
/// The flattened device tree format (Devicetree Specification v0.4, chapter 5): writes a tree as
/// version 17 (header, an empty reservation map, the structure block, the strings block, as
/// libfdt packs it) and reads one back for -dtb.
/// </summary>
internal static class Fdt
{
    public const uint Magic = 0xD00DFEED;
    private const uint BeginNode = 1, EndNode = 2, PropToken = 3, Nop = 4, End = 9;
    private const int HeaderSize = 40;

    public static byte[] String(string s) => Encoding.UTF8.GetBytes(s + "\0");

    /// <summary>A string list ("a\0b\0").</summary>
    public static byte[] Strings(params string[] list) => Encoding.UTF8.GetBytes(string.Concat(list.Select(s => s + "\0")));

    public static byte[] Cells(params uint[] cells)
    {
        byte[] b = new byte[cells.Length * 4];
        for (int i = 0; i < cells.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(i * 4), cells[i]);
        return b;
    }

    public static readonly byte[] Empty = [];

    /// <summary>The blob: header, reservation map (its terminating entry), structure, strings.</summary>
    public static byte[] Write(FdtNode root)
    {
        var structure = new MemoryStream();
        var strings = new MemoryStream();
        var offsets = new Dictionary<string, int>(StringComparer.Ordinal);
        WriteNode(root, true, structure, strings, offsets);
        Token(structure, End);

        int rsvmap = HeaderSize, structOffset = rsvmap + 16;
        int stringsOffset = structOffset + (int)structure.Length;
        int total = stringsOffset + (int)strings.Length;
        byte[] blob = new byte[total];
        Span<byte> h = blob;
        BinaryPrimitives.WriteUInt32BigEndian(h[0..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(h[8..], (uint)structOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], (uint)stringsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(h[16..], (uint)rsvmap);
        BinaryPrimitives.WriteUInt32BigEndian(h[20..], 17);
        BinaryPrimitives.WriteUInt32BigEndian(h[24..], 16);
        BinaryPrimitives.WriteUInt32BigEndian(h[28..], 0); // boot_cpuid_phys
        BinaryPrimitives.WriteUInt32BigEndian(h[32..], (uint)strings.Length);
        BinaryPrimitives.WriteUInt32BigEndian(h[36..], (uint)structure.Length);
        structure.ToArray().CopyTo(blob, structOffset);
        strings.ToArray().CopyTo(blob, stringsOffset);
        return blob;
    }

    private static void WriteNode(FdtNode node, bool root, MemoryStream s, MemoryStream strings, Dictionary<string, int> offsets)
    {
        Token(s, BeginNode);
        Padded(s, root ? [0] : Encoding.UTF8.GetBytes(node.Name + "\0"));
        foreach ((string name, byte[] value) in node.Properties)
        {
            if (!offsets.TryGetValue(name, out int at))
            {
                at = (int)strings.Length;
                offsets[name] = at;
                strings.Write(Encoding.UTF8.GetBytes(name + "\0"));
            }
            Token(s, PropToken);
            Token(s, (uint)value.Length);
            Token(s, (uint)at);
            Padded(s, value);
        }
        foreach (FdtNode child in node.Children) WriteNode(child, false, s, strings, offsets);
        Token(s, EndNode);
    }

    private static void Token(MemoryStream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        s.Write(b);
    }

    private static void Padded(MemoryStream s, ReadOnlySpan<byte> bytes)
    {
        s.Write(bytes);
        while (s.Length % 4 != 0) s.WriteByte(0);
    }

    /// <summary>Parses a blob (a -dtb file); <paramref name="what"/> names it in the error.</summary>
    public static FdtNode Read(ReadOnlySpan<byte> blob, string what)
    {
        string bad = $"{what} is not a valid device tree blob";
        if (blob.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(blob) != Magic) throw new ImageException($"{bad} (no FDT magic)");
        uint total = BinaryPrimitives.ReadUInt32BigEndian(blob[4..]);
        uint structOffset = BinaryPrimitives.ReadUInt32BigEndian(blob[8..]);
        uint stringsOffset = BinaryPrimitives.ReadUInt32BigEndian(blob[12..]);
        uint version = BinaryPrimitives.ReadUInt32BigEndian(blob[20..]);
        uint stringsSize = BinaryPrimitives.ReadUInt32BigEndian(blob[32..]);
        uint structSize = version >= 17 ? BinaryPrimitives.ReadUInt32BigEndian(blob[36..]) : total - structOffset;
        if (version < 16 || total > blob.Length || structOffset > total || structSize > total - structOffset
            || stringsOffset > total || stringsSize > total - stringsOffset)
        {
            throw new ImageException($"{bad} (its header is inconsistent)");
        }
        ReadOnlySpan<byte> structure = blob.Slice((int)structOffset, (int)structSize);
        ReadOnlySpan<byte> stringBlock = blob.Slice((int)stringsOffset, (int)stringsSize);
        int pos = 0;
        var stack = new Stack<FdtNode>();
        FdtNode? root = null;
        while (true)
        {
            uint token = Next(structure, ref pos, bad);
            switch (token)
            {
                case BeginNode:
                    {
                        string name = CString(structure, pos, bad);
                        pos = Align(pos + Encoding.UTF8.GetByteCount(name) + 1);
                        if (stack.Count == 0)
                        {
                            if (root != null) throw new ImageException($"{bad} (more than one root node)");
                            root = new FdtNode("");
                            stack.Push(root);
                        }
                        else
                        {
                            stack.Push(stack.Peek().Add(name));
                        }
                        break;
                    }
                case EndNode:
                    if (stack.Count == 0) throw new ImageException($"{bad} (unbalanced nodes)");
                    stack.Pop();
                    break;
                case PropToken:
                    {
                        if (stack.Count == 0) throw new ImageException($"{bad} (a property outside any node)");
                        uint length = Next(structure, ref pos, bad), nameOffset = Next(structure, ref pos, bad);
                        if (length > structure.Length - pos || nameOffset >= stringBlock.Length) throw new ImageException($"{bad} (a property runs past its block)");
                        stack.Peek().Prop(CString(stringBlock, (int)nameOffset, bad), structure.Slice(pos, (int)length).ToArray());
                        pos = Align(pos + (int)length);
                        break;
                    }
                case Nop:
                    break;
                case End:
                    if (stack.Count != 0 || root == null) throw new ImageException($"{bad} (unbalanced nodes)");
                    return root;
                default:
                    throw new ImageException($"{bad} (unknown token 0x{token:x})");
            }
        }
    }

    private static uint Next(ReadOnlySpan<byte> s, ref int pos, string bad)
    {
        if (pos > s.Length - 4) throw new ImageException($"{bad} (its structure block ends early)");
        uint v = BinaryPrimitives.ReadUInt32BigEndian(s[pos..]);
        pos += 4;
        return v;
    }

    private static string CString(ReadOnlySpan<byte> s, int at, string bad)
    {
        int end = at < s.Length ? s[at..].IndexOf((byte)0) : -1;
        if (end < 0) throw new ImageException($"{bad} (an unterminated name)");
        return Encoding.UTF8.GetString(s.Slice(at, end));
    }

    private static int Align(int pos) => (pos + 3) & ~3;
}
