using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rivet.Cli;

/// <summary>
/// -daemonize with QEMU's contract: the command returns once the emulator has started (exit 0),
/// or fails with the start-up error on standard error; the emulator then runs in its own session
/// with standard input, output and error on /dev/null. A running .NET runtime cannot fork(2), so
/// rivet starts itself again with the same arguments (marked by an environment variable) and
/// waits: the child calls setsid(2), reports start-up errors on the pipe that is its standard
/// error, and when started moves its standard error to /dev/null and sends
/// <see cref="StartedMarker"/> on the pipe. Unlike QEMU the daemon keeps the working directory (relative paths stay valid).
/// </summary>
internal static class Daemon
{
    private const string ChildVariable = "RIVET_DAEMONIZE_CHILD";
    private const string StartedMarker = "\u0001rivet-daemon-started"; // also written as bytes in NotifyStarted
    private const int O_RDWR = 2;

    // Blittable signatures only: rivet runs without runtime marshalling (AssemblyInfo.cs).
    [DllImport("libc", EntryPoint = "setsid")]
    private static extern int SetSid();

    [DllImport("libc", EntryPoint = "open")]
    private static extern unsafe int Open(byte* path, int flags);

    [DllImport("libc", EntryPoint = "dup2")]
    private static extern int Dup2(int oldFd, int newFd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "dup")]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "write")]
    private static extern unsafe nint Write(int fd, byte* buffer, nuint count);

    private static bool IsChild => Environment.GetEnvironmentVariable(ChildVariable) == "1";

    /// <summary>
    /// In the first rivet: starts the daemon and returns the exit code to end with. In the
    /// daemon: detaches (new session, standard input and output on /dev/null) and returns null.
    /// </summary>
    public static int? Detach(string[] args)
    {
        if (IsChild)
        {
            SetSid();
            Redirect(0, 1);
            return null;
        }
        // Through the launcher when there is one, so the daemon starts as rivet always does.
        string launcher = Path.Combine(AppContext.BaseDirectory, "rivet");
        var psi = new ProcessStartInfo(File.Exists(launcher) ? launcher : Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Under 'dotnet rivet.dll' the host is dotnet and the program its first argument.
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet") psi.ArgumentList.Add(typeof(Daemon).Assembly.Location);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildVariable] = "1";
        using Process child = Process.Start(psi) ?? throw new UsageException("-daemonize: cannot start the daemon process");
        child.StandardInput.Close();
        _ = child.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // nothing comes: the daemon's output is /dev/null
        while (child.StandardError.ReadLine() is string line)
        {
            if (line == StartedMarker) return 0;
            Console.Error.WriteLine(line);
        }
        child.WaitForExit();
        return child.ExitCode == 0 ? 1 : child.ExitCode; // ended before it had started: never a success
    }

    /// <summary>In the daemon, once started: drops standard error, then tells the first rivet. Nothing otherwise.</summary>
    public static unsafe void NotifyStarted()
    {
        if (!IsChild) return;
        Console.Error.Flush();
        // Standard error is /dev/null before the first rivet hears "started" and exits, so
        // nobody who sees it gone finds the daemon still writing to its pipe.
        int pipe = Dup(2);
        Redirect(2);
        if (pipe < 0) return;
        ReadOnlySpan<byte> line = "\u0001rivet-daemon-started\n"u8;
        fixed (byte* p = line) Write(pipe, p, (nuint)line.Length);
        Close(pipe);
    }

    private static unsafe void Redirect(params int[] fds)
    {
        int devNull;
        fixed (byte* path = "/dev/null\0"u8) devNull = Open(path, O_RDWR);
        if (devNull < 0) return; // no /dev/null: keep the descriptors rather than fail after start-up
        foreach (int fd in fds) Dup2(devNull, fd);
        if (devNull > 2) Close(devNull);
    }
}
