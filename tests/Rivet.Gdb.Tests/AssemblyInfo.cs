// The stub tests use Unix sockets and run gdb-multiarch: Linux only, as the rest of the suite.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
