using System.Collections.Concurrent;
using Rivet.Board;
using Rivet.Cpu;
using Rivet.Machine;

namespace Rivet.Tests;

/// <summary>
/// Real threads, real harts: randomised sequences of pause, resume, reset, kick, interrupt and
/// shutdown against 1 to 64 vCPUs that run, idle and stop, with adversarial idle callbacks.
/// No hang (every wait has a generous deadline that fails the test), no lost request.
/// </summary>
public sealed class LifecycleStressTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Idle/resume hooks that sleep, throw, or call back into the machine.</summary>
    private sealed class AdversarialHooks(int seed, int vcpus, bool mayResume) : IVCpuHooks
    {
        public Machine.Machine? Machine;
        public readonly int[] Idle = new int[vcpus];
        public readonly int[] Resume = new int[vcpus];
        private readonly ThreadLocal<Random> _rng = new(() => new Random(seed ^ Environment.CurrentManagedThreadId));

        public void OnIdle(int cpu)
        {
            Interlocked.Increment(ref Idle[cpu]);
            Misbehave();
        }

        public void OnResume(int cpu)
        {
            Interlocked.Increment(ref Resume[cpu]);
            Misbehave();
        }

        private void Misbehave()
        {
            Random r = _rng.Value!;
            switch (r.Next(0, 12))
            {
                case 0: Thread.Sleep(r.Next(0, 3)); break;
                case 1: throw new InvalidOperationException("adversarial callback");
                case 2: Machine?.Pause(); break;   // posted from a vCPU thread: never waits
                case 3 when mayResume: Machine?.Resume(); break;
                case 4 when mayResume: Machine?.Reset(); break;
                default: break;
            }
        }
    }

    private static void RunSequence(int seed, int harts, string guest, int opThreads, int ops, IcountOptions? icount = null)
    {
        var rng = new Random(seed);
        var config = new MachineConfig
        {
            Harts = harts,
            RamSize = 16 << 20,
            Kernel = Repo.Guest($"build/lifecycle/{guest}.elf"),
            Lifecycle = new LifecycleOptions { ShutdownTimeout = TimeSpan.FromSeconds(20), PauseTimeout = TimeSpan.FromSeconds(20) },
            Icount = icount,
        };
        var diagnostics = new StringWriter();
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Synchronized(diagnostics));
        // With one operation thread the test checks states right after a pause, so callbacks
        // may pause but not resume behind its back.
        var hooks = new AdversarialHooks(seed, harts, mayResume: opThreads > 1) { Machine = m };
        m.Controller.Hooks = hooks;
        m.Start();
        var failures = new ConcurrentQueue<string>();
        string[] doing = new string[opThreads];
        var threads = Enumerable.Range(0, opThreads).Select(t => new Thread(() =>
        {
            var r = new Random(seed * 31 + t);
            for (int i = 0; i < ops; i++)
            {
                int op = r.Next(0, 6);
                doing[t] = $"op {i}: {op}";
                switch (op)
                {
                    case 0:
                        if (!m.Pause()) failures.Enqueue("pause failed");
                        else if (opThreads == 1 && m.VCpus.Any(v => v.State is not (VCpuState.Stopped or VCpuState.Exited)))
                            failures.Enqueue("pause returned with a vCPU not stopped: " + string.Join(",", m.VCpus.Select(v => v.State)));
                        break;
                    case 1:
                        if (!m.Resume()) failures.Enqueue("resume failed");
                        break;
                    case 2:
                        if (!m.Reset()) failures.Enqueue("reset failed");
                        break;
                    case 3: // kick: run-on-vCPU work that must arrive
                        {
                            int cpu = r.Next(0, harts);
                            if (!m.Controller.RunOnVCpu(cpu, _ => { }, TimeSpan.FromSeconds(20)))
                                failures.Enqueue($"run-on-vCPU {cpu} never ran");
                            break;
                        }
                    case 4: // interrupt
                        m.Board.Harts[r.Next(0, harts)].SetPending(Cause.MachineSoftware, r.Next(0, 2) == 0);
                        break;
                    default:
                        Thread.Yield();
                        break;
                }
            }
        })).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads)
        {
            if (!t.Join(Limit)) Assert.Fail($"seed {seed} ({harts} x {guest}, {opThreads} threads): an operation hung ({string.Join(", ", doing)}); {Dump(m, diagnostics)}");
        }
        if (Environment.GetEnvironmentVariable("RIVET_STRESS_TRACE") != null)
            Console.Error.WriteLine($"seed {seed}: {harts} x {guest}, {opThreads} threads x {ops} ops: {clock.ElapsedMilliseconds} ms, {m.Controller.RequestsProcessed} requests");
        m.RequestShutdown(ShutdownCause.HostSignal);
        int? code = m.WaitForExit(Limit);
        if (code != 0) Assert.Fail($"seed {seed}: exit {code?.ToString() ?? "hung"}; {Dump(m, diagnostics)}");
        Assert.True(failures.IsEmpty, $"seed {seed}: {string.Join("; ", failures)}");
        Assert.All(m.VCpus, v => Assert.Equal(VCpuState.Exited, v.State));
        for (int i = 0; i < harts; i++)
        {
            Assert.True(hooks.Idle[i] == hooks.Resume[i], $"seed {seed}: vCPU {i} idle {hooks.Idle[i]} vs resume {hooks.Resume[i]}");
        }
    }

    private static string Dump(Machine.Machine m, StringWriter diagnostics)
    {
        string vcpus = string.Join("; ", m.Controller.VCpus.Select(v => v.Describe()));
        string diag;
        lock (diagnostics) diag = diagnostics.ToString();
        return $"run state {m.RunState}; {m.Controller.RequestsProcessed} requests processed, main loop: {m.Controller.MainLoopActivity} (now {System.Diagnostics.Stopwatch.GetTimestamp()}); {vcpus}; diagnostics: {diag}";
    }

    [Theory]
    [InlineData(7056)]
    [InlineData(1126)]
    [InlineData(2039)]
    [InlineData(5069)]
    public void KnownSeeds(int seed)
    {
        string[] guests = ["idle_forever", "spin_forever", "ipi_forever"];
        int[] sizes = [1, 1, 2, 2, 3, 4, 4, 8, 16, 64];
        var r = new Random(seed);
        int harts = sizes[r.Next(sizes.Length)];
        if (harts == 64 && r.Next(0, 4) != 0) harts = 4;
        RunSequence(seed, harts, guests[r.Next(guests.Length)], opThreads: r.Next(1, 4), ops: r.Next(1, 12));
    }

    public static TheoryData<int> Batches() => [0, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>Eight batches of 250 sequences: 2000 in all.</summary>
    [Theory]
    [MemberData(nameof(Batches))]
    public void RandomSequencesNeverHangOrLoseRequests(int batch)
    {
        string[] guests = ["idle_forever", "spin_forever", "ipi_forever"];
        int[] sizes = [1, 1, 2, 2, 3, 4, 4, 8, 16, 64];
        for (int i = 0; i < 250; i++)
        {
            int seed = batch * 1000 + i;
            var r = new Random(seed);
            int harts = sizes[r.Next(sizes.Length)];
            if (harts == 64 && r.Next(0, 4) != 0) harts = 4; // keep the 64-vCPU runs to a share
            RunSequence(seed, harts, guests[r.Next(guests.Length)], opThreads: r.Next(1, 4), ops: r.Next(1, 12));
        }
    }

    /// <summary>
    /// The same sequences under -icount (docs/LIFECYCLE.md, "Alternate executor: icount"): one vCPU
    /// runs every hart, idle and resume hooks run per hart, run-on-vCPU work reaches each hart.
    /// </summary>
    [Theory]
    [MemberData(nameof(Batches))]
    public void IcountSequencesNeverHangOrLoseRequests(int batch)
    {
        string[] guests = ["idle_forever", "spin_forever", "ipi_forever"];
        int[] sizes = [1, 2, 3, 4, 8, 16];
        for (int i = 0; i < 40; i++)
        {
            int seed = 100_000 + batch * 1000 + i;
            var r = new Random(seed);
            int harts = sizes[r.Next(sizes.Length)];
            var icount = new IcountOptions { Shift = r.Next(0, 11), Sleep = r.Next(0, 2) == 0 };
            RunSequence(seed, harts, guests[r.Next(guests.Length)], opThreads: r.Next(1, 4), ops: r.Next(1, 12), icount);
        }
    }
}
