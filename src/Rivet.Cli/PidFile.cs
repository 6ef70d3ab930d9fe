using System.Runtime.InteropServices;

namespace Rivet.Cli;

/// <summary>
/// -pidfile FILE as QEMU's qemu_write_pidfile: created owner-only, locked with lockf(3) for
/// as long as rivet runs (so a second instance, rivet or QEMU, is refused), the pid written as
/// one line, and the file removed at exit.
/// </summary>
internal sealed class PidFile : IDisposable
{
    private const int F_TLOCK = 2;

    private readonly string _path;
    private readonly FileStream _file;
    private int _removed;

    private PidFile(string path, FileStream file)
    {
        _path = path;
        _file = file;
        // Environment.Exit (a second SIGINT) skips Dispose but runs this.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    [DllImport("libc", EntryPoint = "lockf")] // no SetLastError: rivet runs without runtime marshalling
    private static extern int LockF(int fd, int cmd, long len);

    /// <summary>Creates and locks the file; throws <see cref="UsageException"/> with QEMU's message.</summary>
    public static PidFile Create(string path)
    {
        string full = Path.GetFullPath(path); // removed by this name even if the working directory changes
        FileStream file;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite, // the lock is lockf's, which QEMU's instances see too
            };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            file = new FileStream(full, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"-pidfile {path}: cannot create PID file: Could not create '{path}': {HostFile.Reason(ex)}");
        }
        if (LockF((int)file.SafeFileHandle.DangerousGetHandle(), F_TLOCK, 0) != 0)
        {
            string reason = Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError());
            file.Dispose();
            throw new UsageException($"-pidfile {path}: cannot create PID file: Cannot lock pid file: {reason} (another instance is running)");
        }
        try
        {
            byte[] line = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            file.SetLength(0);
            file.Write(line);
            file.Flush();
        }
        catch (IOException ex)
        {
            file.Dispose();
            throw new UsageException($"-pidfile {path}: cannot create PID file: Failed to write pid file: {ex.Message}");
        }
        return new PidFile(full, file);
    }

    /// <summary>Removes the file (first, while still holding the lock, so no other instance's file is removed), then unlocks.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0) return;
        try
        {
            File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // already gone, or its directory is no longer ours: nothing to do at exit
        }
        _file.Dispose();
    }
}
