using Rivet.Isa;

namespace Rivet.Plugins.Hosting;

/// <summary>The instruction's symbol and class.</summary>
internal sealed partial class InstructionView
{
    private bool _symbolLooked;
    private string? _symbol;

    public string? Symbol
    {
        get
        {
            if (!_symbolLooked)
            {
                _symbol = MetadataBlock.Host.Machine.Board.LookupSymbol(Pc);
                _symbolLooked = true;
            }
            return _symbol;
        }
    }

    public InstructionClass Class => OpClass.Of(MetadataDecoded);
}
