using Rivet.Cpu.Translator;

namespace Rivet.Cpu;

/// <summary>
/// The hart's side of the translator (docs/TRANSLATOR.md): which engine runs, when a region is
/// hot enough to translate, and the entry into translated code from the interpreter.
/// </summary>
internal sealed unsafe partial class Hart
{
    /// <summary>Set before the hart runs: the interpreter alone, or with translated regions.</summary>
    public ExecutionEngine Engine { get; set; } = ExecutionEngine.Translator;

    /// <summary>Entries into a block head before it is translated (a region that never gets hot is never compiled).</summary>
    public int HotThreshold { get; set; } = RegionTranslator.DefaultHotThreshold;
}
