namespace Rivet.Bench;

/// <summary>A plain-text table: the first column left-aligned, the others right-aligned.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException("wrong number of cells", nameof(cells));
        _rows.Add(cells);
    }

    public void Write(TextWriter w)
    {
        int[] widths = new int[headers.Length];
        foreach (string[] row in _rows.Prepend(headers))
        {
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        }
        WriteRow(w, headers, widths);
        w.WriteLine(string.Join("  ", widths.Select(n => new string('-', n))));
        foreach (string[] row in _rows) WriteRow(w, row, widths);
    }

    private static void WriteRow(TextWriter w, string[] row, int[] widths)
    {
        var cells = row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
        w.WriteLine(string.Join("  ", cells).TrimEnd());
    }
}
