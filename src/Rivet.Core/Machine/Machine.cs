using Rivet.Board;
using Rivet.Cpu;
using Rivet.Devices;

namespace Rivet.Machine;

/// <summary>
/// The public face of an emulated machine: build it, start it, pause, resume, reset, ask it to
/// shut down and wait for its exit code. The CLI, the monitor and the tests all use this.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly Controller _controller;
    private readonly VirtBoard _board;
    private IReadOnlyList<MemoryRegionInfo>? _memoryRegions;
    private volatile bool _disposed;
    private readonly IcountExecutor? _icount;

    private sealed class Requests : IMachineRequests
    {
        public Controller? Target;
        public void RequestShutdown(ShutdownCause cause, int exitCode) => Target!.RequestShutdown(cause, exitCode);
        public void RequestReset(ShutdownCause cause) => Target!.RequestReset(cause);
    }

    /// <summary>Builds the machine; throws <see cref="ImageException"/> for a bad image.</summary>
    public Machine(MachineConfig config, Stream? consoleOutput = null, TextWriter? diagnostics = null)
    {
        if (config.Harts < 1 || config.Harts > MachineConfig.MaxHarts)
            throw new ArgumentOutOfRangeException(nameof(config), $"harts must be 1..{MachineConfig.MaxHarts}");
        Config = config;
        Diagnostics = diagnostics ?? System.Console.Error;
        var requests = new Requests();
        Console = new HostConsole(consoleOutput ?? System.Console.OpenStandardOutput());
        _board = new VirtBoard(config, Console, requests);
        _controller = new Controller(config.Lifecycle, _board, Diagnostics);
        requests.Target = _controller;
        if (config.Icount is { } icount)
        {
            if (icount.Shift is < 0 or > IcountOptions.MaxShift) throw new ArgumentOutOfRangeException(nameof(config), $"icount shift must be 0..{IcountOptions.MaxShift}");
            if (icount.Quantum < 1) throw new ArgumentOutOfRangeException(nameof(config), "icount quantum must be at least 1");
            // One vCPU runs every hart (docs/LIFECYCLE.md, "Alternate executor: icount").
            _icount = new IcountExecutor(_board.Harts, icount.Shift, icount.Sleep, icount.Quantum);
            _board.Clock.UseIcount(_icount);
            _controller.Attach([_icount]);
        }
        else
        {
            _controller.Attach(_board.Harts.Select(h => (IVCpuExecutor)new HartExecutor(h, config.SliceInstructions)));
        }
    }

    public MachineConfig Config { get; }
    public TextWriter Diagnostics { get; }
    internal HostConsole Console { get; }
    internal VirtBoard Board => _board;
    internal Controller Controller => _controller;

    public int HartCount => _board.Harts.Length;
    public RunState RunState => _controller.RunState;

    /// <summary>Run-state changes (STOP, RESUME, RESET, SHUTDOWN, POWERDOWN), raised on the main-loop thread.</summary>
    public event Action<MachineEvent>? Event
    {
        add => _controller.Event += value;
        remove => _controller.Event -= value;
    }

    /// <summary>
    /// True for the SHUTDOWN after which the machine exits: every one but a guest shutdown under
    /// -no-shutdown, which pauses instead (the controller's own rule, as QEMU's shutdown action).
    /// </summary>
    public bool IsFinalShutdown(MachineEvent e)
        => e.Name == "SHUTDOWN" && !(Config.Lifecycle.NoShutdown && e.Reason is ShutdownCause c && c.IsGuest());

    public void Start() => _controller.Start(Config.StartPaused);
    public bool Pause() => _controller.Pause();
    public bool Resume() => _controller.Resume();
    public bool Reset() => _controller.Reset();
    public void RequestShutdown(ShutdownCause cause = ShutdownCause.HostUi, int exitCode = 0) => _controller.RequestShutdown(cause, exitCode);
    public void Powerdown() => _controller.Powerdown();
    public int WaitForExit() => _controller.WaitForExit();
    public int? WaitForExit(TimeSpan timeout) => _controller.WaitForExit(timeout);

    /// <summary>
    /// -machine dumpdtb=FILE: the device tree as the guest gets it, padded to the room QEMU
    /// reserves for it (QEMU's dump is that size too). Throws <see cref="ImageException"/> when the
    /// file cannot be written.
    /// </summary>
    public void DumpDeviceTree(string path)
    {
        try
        {
            File.WriteAllBytes(path, _board.DeviceTreeBlob);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ImageException($"Failed dumping dtb to {path}: {ex.Message.ReplaceLineEndings(" ").Trim()}");
        }
    }

    /// <summary>Sends bytes to the UART's receiver (as typed on the console).</summary>
    public void SendInput(ReadOnlySpan<byte> bytes) => Console.EnqueueInput(bytes);

    /// <summary>Instructions retired by every hart so far (deterministic for a given guest).</summary>
    public ulong InstructionsRetired => _board.Harts.Aggregate(0UL, (sum, h) => sum + h.InstructionsRetired);

    /// <summary>The translator's figures summed over the harts (the monitor's info jit); they may lag while harts run.</summary>
    public TranslatorInfo Translator
    {
        get
        {
            var harts = _board.Harts;
            long regions = 0, shared = 0, insns = 0, il = 0, ticks = 0, compile = 0, refused = 0, retranslated = 0, flushes = 0, entries = 0, continues = 0, inRegions = 0;
            foreach (var h in harts)
            {
                Cpu.Translator.TranslatorStatistics t = h.Translations;
                regions += Volatile.Read(ref t.Regions);
                shared += Volatile.Read(ref t.Shared);
                insns += Volatile.Read(ref t.GuestInstructions);
                il += Volatile.Read(ref t.IlBytes);
                ticks += Volatile.Read(ref t.TranslationTicks);
                compile += Volatile.Read(ref t.CompileTicks);
                refused += Volatile.Read(ref t.Refused);
                retranslated += Volatile.Read(ref t.Retranslated);
                flushes += Volatile.Read(ref t.Flushes);
                entries += Volatile.Read(ref t.Entries);
                continues += Volatile.Read(ref t.Continues);
                inRegions += Volatile.Read(ref t.RegionInstructions);
            }
            return new TranslatorInfo(harts[0].Engine, harts[0].HotThreshold, regions, insns, il,
                TimeSpan.FromSeconds(ticks / (double)System.Diagnostics.Stopwatch.Frequency),
                TimeSpan.FromSeconds(compile / (double)System.Diagnostics.Stopwatch.Frequency), refused, retranslated, flushes, shared, entries, continues, inRegions, InstructionsRetired);
        }
    }

    /// <summary>Every hart as a vCPU (under -icount all on the one thread, as QEMU's round-robin TCG: one thread id).</summary>
    public IReadOnlyList<VCpuInfo> VCpus
        => _icount == null
            ? _controller.VCpus.Select(v => new VCpuInfo(v.Index, v.State, v.HostThreadId, v.Executor.ProgramCounter)).ToArray()
            : _controller.VCpus.SelectMany(v => _board.Harts.Select((h, i) => new VCpuInfo(i, v.State, v.HostThreadId, Volatile.Read(ref h.Pc)))).ToArray();

    /// <summary>-icount: instructions each hart has retired (what a deterministic run repeats exactly).</summary>
    public IReadOnlyList<ulong> RetiredPerHart => _board.Harts.Select(h => h.RetiredCount).ToArray();

    /// <summary>Guest time in nanoseconds (under -icount, QEMU's icount_get()).</summary>
    public ulong GuestNanoseconds => _board.Clock.Nanoseconds;

    /// <summary>
    /// Hart <paramref name="index"/>'s registers, read without stopping it (the monitor's
    /// "info registers"). Safe while the machine runs; consistent across registers only while it is paused.
    /// </summary>
    public HartState CaptureHartState(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, HartCount);
        return _board.Harts[index].CaptureState();
    }

    /// <summary>
    /// Turns on the -d items in <paramref name="log"/> (before <see cref="Start"/>, after any
    /// plugins are installed, so per-block items wrap the plugins' instrumentation). Without a
    /// per-block item the harts keep the interpreter they had (the plain one without plugins).
    /// </summary>
    internal void AttachLog(GuestLog log)
    {
        _board.Finisher.Log = log;
        foreach (Hart h in _board.Harts)
        {
            h.Log = log;
            if ((log.Items & LogItems.PerBlock) != 0) h.Instrumentation = new LogInstrumentation(log, h, h.Instrumentation);
        }
    }

    /// <summary>True if some hart runs the instrumented interpreter (plugins or per-block -d items).</summary>
    internal bool Instrumented => _board.Harts.Any(h => h.Instrumentation != null);

    /// <summary>The physical memory map, by address (the monitor's "info mtree" and "info qtree").</summary>
    public IReadOnlyList<MemoryRegionInfo> MemoryRegions => _memoryRegions ??= _board.MemoryRegions();

    /// <summary>
    /// Copies guest RAM at <paramref name="address"/> into <paramref name="destination"/>; false,
    /// with nothing copied, unless the whole range is RAM. Device registers are never read (a read
    /// can have side effects, such as taking a byte from the UART). Safe while the machine runs.
    /// </summary>
    public bool ReadPhysicalMemory(ulong address, Span<byte> destination)
        => !_disposed && (_board.Memory.ReadRam(address, destination) || _board.Memory.ReadRom(address, destination));

    /// <summary>
    /// The physical address hart <paramref name="hart"/>'s current translation gives
    /// <paramref name="va"/> (QEMU's debug translation: a load at the hart's privilege, A and D
    /// left alone); false where that would fault. Physical when translation is off.
    /// </summary>
    public bool TranslateForDebug(int hart, ulong va, out ulong pa) => _board.Harts[hart].DebugTranslate(va, out pa);

    /// <summary>As <see cref="ReadPhysicalMemory"/>, through hart <paramref name="hart"/>'s translation, page by page.</summary>
    public bool ReadVirtualMemory(int hart, ulong va, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = (int)Math.Min((ulong)destination.Length, Memory.PhysicalMemory.PageSize - (va & (Memory.PhysicalMemory.PageSize - 1)));
            if (!TranslateForDebug(hart, va, out ulong pa) || !ReadPhysicalMemory(pa, destination[..n])) return false;
            destination = destination[n..];
            va = unchecked(va + (ulong)n);
        }
        return true;
    }

    public void Dispose()
    {
        if (!_controller.HasExited) return; // threads may still touch RAM; leak rather than crash
        _disposed = true;
        _board.Dispose();
    }
}

/// <summary>A vCPU as query-cpus-fast shows it.</summary>
public sealed record VCpuInfo(int Index, VCpuState State, int HostThreadId, ulong ProgramCounter);
