using System.Runtime.InteropServices;

namespace Rivet.Machine;

/// <summary>
/// How vCPU threads sit in the host scheduler (Linux; elsewhere nothing changes). They run a
/// touch below the control threads (main loop, signal handling, monitor), so a pause, a QMP
/// command or a SIGTERM gets a core at once while guests spin on every core:
/// <list type="bullet">
/// <item>nice +5, so the control threads get the larger share;</item>
/// <item>a time slice of 3 ms, longer than the kernel's default slice for every other thread
/// (0.7 ms times 1 + log2 of the CPUs, at most 2.8 ms). Linux's EEVDF scheduler (6.12 and later)
/// lets a woken thread with a shorter slice preempt the running one at once; with equal slices
/// the woken control thread waits for the next scheduler tick, up to 4 ms at HZ=250, at every
/// hand-over. Older kernels ignore the slice.</item>
/// </list>
/// </summary>
internal static class HostThreads
{
    public const int VCpuNice = 5;
    public const ulong VCpuSliceNanoseconds = 3_000_000;

    /// <summary>The calling thread's host thread id (TID), or the managed id where there is none.</summary>
    public static int CurrentThreadId()
    {
        if (!OperatingSystem.IsLinux()) return Environment.CurrentManagedThreadId;
        try
        {
            return GetTid();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return Environment.CurrentManagedThreadId;
        }
    }

    /// <summary>Applies the vCPU policy to thread <paramref name="tid"/>; false if the host refused all of it.</summary>
    public static unsafe bool ConfigureVCpuThread(int tid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            long nr = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => 314,
                Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 274,
                _ => -1,
            };
            var attr = new SchedAttr
            {
                Size = (uint)sizeof(SchedAttr),
                Policy = 0, // SCHED_OTHER
                Nice = VCpuNice,
                Runtime = VCpuSliceNanoseconds, // the slice, for SCHED_OTHER
            };
            if (nr > 0 && SchedSetAttr(nr, tid, &attr, 0) == 0) return true;
            // No sched_setattr (seccomp, old kernel): nice alone.
            return SetPriority(0 /* PRIO_PROCESS: a thread id on Linux */, tid, VCpuNice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>struct sched_attr, SCHED_ATTR_SIZE_VER0 (48 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
    }

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    // glibc before 2.41 has no sched_setattr wrapper; syscall(2) passes the arguments through.
    [DllImport("libc", EntryPoint = "syscall")]
    private static extern unsafe int SchedSetAttr(long number, int tid, SchedAttr* attr, uint flags);

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int prio);
}
