using System.Runtime.InteropServices;

namespace Rivet.Bench;

/// <summary>
/// <c>Rivet.Bench --sigterm-probe</c> (not in --help): the floor for SIGTERM-to-exit of a .NET
/// process. It does what rivet's Main does around a signal and nothing else: installs SIGTERM,
/// SIGINT and SIGHUP handlers first thing (so it is "ready" by the same SigCgt test), waits for
/// SIGTERM, and returns 0 from Main. The lifecycle section times it like the emulators.
/// </summary>
internal static class SigtermProbe
{
    public const string Option = "--sigterm-probe";

    public static int Run()
    {
        using var terminated = new ManualResetEventSlim();
        PosixSignalRegistration[] registrations =
        [
            .. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }.Select(sig => PosixSignalRegistration.Create(sig, ctx =>
            {
                ctx.Cancel = true;
                terminated.Set();
            })),
        ];
        try
        {
            terminated.Wait();
        }
        finally
        {
            foreach (PosixSignalRegistration r in registrations) r.Dispose();
        }
        return 0;
    }
}
