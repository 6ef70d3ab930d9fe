namespace Rivet.Cpu.Translator;

/// <summary>One hart's translator figures (written by its vCPU thread only).</summary>
internal sealed class TranslatorStatistics
{
    public long Regions;
    public long GuestInstructions;
    public long IlBytes;
    public long TranslationTicks;
    /// <summary>Regions the JIT refused (a translator bug; the interpreter ran them).</summary>
    public long Refused;
}
