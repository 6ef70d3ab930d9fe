// Every P/Invoke here passes only blittable values and pointers; without runtime marshalling
// crossgen2 precompiles the calls, so no IL stub is JIT-compiled at start (docs/STARTUP.md).
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]
