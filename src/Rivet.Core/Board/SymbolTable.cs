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

    private readonly Symbol[] _symbols;

    public SymbolTable(IEnumerable<Symbol> symbols)
    {
        // A stable sort: of two symbols at one address (aliases) the first in the file wins. (Array.Sort
        // is not stable: ties go by position in the file. LINQ's OrderBy over ulong keys was JIT-compiled
        // at every start.)
        Symbol[] inFile = [.. symbols];
        var order = new Dictionary<Symbol, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inFile.Length; i++) order[inFile[i]] = i;
        Symbol[] sorted = (Symbol[])inFile.Clone();
        Array.Sort(sorted, (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : order[a].CompareTo(order[b]));
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
