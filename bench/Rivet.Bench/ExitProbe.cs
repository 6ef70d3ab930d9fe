namespace Rivet.Bench;

/// <summary>
/// <c>Rivet.Bench --exit-probe</c> (not in --help): returns 0 from Main at once. The startstop
/// section times it from spawn to exit as the floor of start-to-exit: what starting and
/// stopping the .NET runtime costs before rivet does anything.
/// </summary>
internal static class ExitProbe
{
    public const string Option = "--exit-probe";
}
