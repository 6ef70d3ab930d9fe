namespace Rivet.Cpu;

/// <summary>How a hart runs guest code (docs/TRANSLATOR.md).</summary>
public enum ExecutionEngine
{
    /// <summary>The default: the interpreter runs cold code, hot code is translated to IL regions.</summary>
    Translator,
    /// <summary>The interpreter only (the reference; for differential debugging).</summary>
    Interpreter,
}

/// <summary>The engine a machine gets when nobody chose one.</summary>
public static class ExecutionEngines
{
    /// <summary>The environment switch: RIVET_ENGINE=interp forces the interpreter (also in child processes, so the whole suite can run once per engine).</summary>
    public const string EnvironmentVariable = "RIVET_ENGINE";

    public static ExecutionEngine FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable)) ?? ExecutionEngine.Translator;

    /// <summary>"interp"/"interpreter" or "translate"/"translator"/"tcg"; null for anything else (and for null).</summary>
    public static ExecutionEngine? Parse(string? value) => value switch
    {
        "interp" or "interpreter" => ExecutionEngine.Interpreter,
        "translate" or "translator" or "tcg" => ExecutionEngine.Translator,
        _ => null,
    };
}
