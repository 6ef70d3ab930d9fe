namespace Rivet.Cpu.Translator;

/// <summary>One hart's translator figures (written by its vCPU thread only, but for the compile time).</summary>
internal sealed class TranslatorStatistics
{
    public long Regions;
    public long GuestInstructions;
    public long IlBytes;
    public long TranslationTicks;
    /// <summary>Time in the runtime's JIT, on the compiling thread or the vCPU's (Interlocked).</summary>
    public long CompileTicks;
    /// <summary>Entries into regions, and exits that leave an instruction to the interpreter (not a jump out).</summary>
    public long Entries;
    public long Continues;
    /// <summary>Guest instructions retired inside regions.</summary>
    public long RegionInstructions;
    /// <summary>Hot heads that took another hart's region instead of translating one.</summary>
    public long Shared;
    /// <summary>Regions translated a second time with a riper profile.</summary>
    public long Retranslated;
    /// <summary>Times the cache was full and every region was dropped (-accel tcg,tb-size=).</summary>
    public long Flushes;
    /// <summary>Regions the JIT refused (a translator bug; the interpreter ran them).</summary>
    public long Refused;
}
