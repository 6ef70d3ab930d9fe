namespace Rivet;

/// <summary>
/// Host files opened for the user (chardev files and pipes, memsave, the pid file), with QEMU's
/// wording when that fails: error_setg_file_open's "Could not open 'PATH': why", where "why" is
/// strerror's text for the usual reasons.
/// </summary>
internal static class HostFile
{
    /// <summary>
    /// Opens <paramref name="path"/>, shared for reading and writing; null with QEMU's
    /// "Could not open 'PATH': why" in <paramref name="error"/> if it cannot be.
    /// </summary>
    public static FileStream? TryOpen(string path, FileMode mode, FileAccess access, int bufferSize, out string error)
    {
        error = "";
        if (Directory.Exists(path))
        {
            error = $"Could not open '{path}': Is a directory";
            return null;
        }
        try
        {
            return new FileStream(path, mode, access, FileShare.ReadWrite, bufferSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"Could not open '{path}': {Reason(ex)}";
            return null;
        }
    }

    /// <summary>strerror's words for the usual reasons a path cannot be opened or created.</summary>
    public static string Reason(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException when ex.Message.Contains("directory", StringComparison.OrdinalIgnoreCase) => "Is a directory",
        UnauthorizedAccessException => "Permission denied",
        _ => ex.Message,
    };
}
