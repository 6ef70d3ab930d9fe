namespace Rivet.Plugins.Hosting;

/// <summary>Which kind of plugin callback the calling vCPU thread is inside: what register and memory writes may do there.</summary>
internal enum CallbackKind
{
    /// <summary>None, or a vCPU lifecycle callback (init, idle, resume, exit).</summary>
    Lifecycle,
    /// <summary>A block or instruction execute callback: a pc write skips the instrumented code.</summary>
    Execute,
    /// <summary>A memory callback: the instruction is half done, pc cannot be written.</summary>
    Memory,
    /// <summary>A block-translated callback: nothing runs yet, nothing may be written.</summary>
    Translation,
}

/// <summary>The <see cref="CallbackKind"/> of the calling thread, set around execute, memory and translation callbacks.</summary>
internal static class PluginCallback
{
    [ThreadStatic] private static CallbackKind t_kind;

    public static CallbackKind Current => t_kind;

    /// <summary>Marks the thread as inside a callback of <paramref name="kind"/>; returns what to restore.</summary>
    public static CallbackKind Enter(CallbackKind kind)
    {
        CallbackKind previous = t_kind;
        t_kind = kind;
        return previous;
    }

    public static void Leave(CallbackKind previous) => t_kind = previous;
}
