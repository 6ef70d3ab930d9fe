using System.Security.Cryptography;

namespace Rivet;

/// <summary>
/// The host's random bytes for the device tree's rng-seed. On Linux, RandomNumberGenerator loads
/// System.Security.Cryptography and OpenSSL (libssl, libcrypto, openssl.cnf): about 4 ms of every
/// start (docs/STARTUP.md). The kernel's own source, /dev/urandom, is what OpenSSL reads anyway.
/// </summary>
internal static class HostRandom
{
    public static void Fill(Span<byte> destination)
    {
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle urandom = File.OpenHandle("/dev/urandom");
            int done = 0;
            while (done < destination.Length)
            {
                int n = RandomAccess.Read(urandom, destination[done..], 0);
                if (n <= 0) break;
                done += n;
            }
            if (done == destination.Length) return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // No /dev/urandom (not Linux, or a sandbox without it): the library's source below.
        }
        RandomNumberGenerator.Fill(destination);
    }
}
