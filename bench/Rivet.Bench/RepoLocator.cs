namespace Rivet.Bench;

/// <summary>Finds the repository root (the folder holding Rivet.slnx).</summary>
internal static class RepoLocator
{
    public const string SolutionFile = "Rivet.slnx";

    /// <summary>Looks upwards from the current directory, then from the program's own folder.</summary>
    public static string? Find()
        => FindFrom(Environment.CurrentDirectory) ?? FindFrom(AppContext.BaseDirectory);

    private static string? FindFrom(string start)
    {
        for (DirectoryInfo? d = new(start); d != null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, SolutionFile))) return d.FullName;
        }
        return null;
    }
}
