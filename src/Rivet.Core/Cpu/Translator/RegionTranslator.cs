namespace Rivet.Cpu.Translator;

/// <summary>Translates hot guest code into IL regions (docs/TRANSLATOR.md).</summary>
internal static class RegionTranslator
{
    public const int DefaultHotThreshold = 64;
}
