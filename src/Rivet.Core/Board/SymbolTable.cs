namespace Rivet.Board;

/// <summary>
/// An ELF's function symbols for address lookup, with QEMU's rules (hw/elf_ops.h load_symbols and
/// lookup_symbol): sorted by address; a symbol of size 0 extends to the next one (the last keeps
/// size 0 and matches nothing); an address matches the symbol whose [value, value + size) holds it,
/// so any pc inside a function names it, not only its first instruction.
/// </summary>
internal sealed class SymbolTable
{
    /// <summary>One function symbol (a class: the framework's generic code over reference types is precompiled, over our structs it was JIT-compiled at every start).</summary>
    public sealed record Symbol(string Name, ulong Value, ulong Size);

    public static readonly SymbolTable Empty = new([]);

    /// <summary>A symbol and its position in the file (the tie-break that makes the sort stable).</summary>
    private sealed record InFile(Symbol Symbol, int Index);

    private readonly Symbol[] _symbols;

    public SymbolTable(IEnumerable<Symbol> symbols)
    {
        // A stable sort: of two symbols at one address (aliases) the first in the file wins. (Array.Sort
        // is not stable: ties go by position in the file. LINQ's OrderBy over ulong keys was JIT-compiled
        // at every start.)
        InFile[] entries = [.. symbols.Select((s, i) => new InFile(s, i))];
        Array.Sort(entries, (a, b) => a.Symbol.Value != b.Symbol.Value ? a.Symbol.Value.CompareTo(b.Symbol.Value) : a.Index.CompareTo(b.Index));
        Symbol[] sorted = [.. entries.Select(e => e.Symbol)];
        for (int i = 0; i + 1 < sorted.Length; i++)
        {
            if (sorted[i].Size == 0) sorted[i] = sorted[i] with { Size = sorted[i + 1].Value - sorted[i].Value };
        }
        _symbols = sorted;
    }

    public int Count => _symbols.Length;

    public IReadOnlyList<Symbol> Symbols => _symbols;

    /// <summary>The function containing <paramref name="address"/>, or null.</summary>
    public string? Lookup(ulong address)
    {
        // The symbols starting at the highest address at or below it (aliases: the first in the file wins).
        int lo = 0, hi = _symbols.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_symbols[mid].Value <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found < 0) return null;
        int first = found;
        while (first > 0 && _symbols[first - 1].Value == _symbols[found].Value) first--;
        for (int i = first; i <= found; i++)
        {
            if (address - _symbols[i].Value < _symbols[i].Size) return _symbols[i].Name;
        }
        return null;
    }
}

/// <summary>An ELF file the board loaded: its path (as given) and what was read from it.</summary>
internal sealed record LoadedElf(string Path, ElfImage Image);
