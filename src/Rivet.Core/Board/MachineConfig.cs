namespace Rivet.Board;

/// <summary>Everything needed to build a machine, as the command line (or a test) gives it.</summary>
public sealed record MachineConfig
{
    public const int MaxHarts = 512; // QEMU virt's VIRT_CPUS_MAX
    public const ulong DefaultRamSize = 128UL << 20;

    public int Harts { get; init; } = 1;
    public ulong RamSize { get; init; } = DefaultRamSize;
    /// <summary>-kernel: an ELF file path.</summary>
    public string? Kernel { get; init; }
    /// <summary>An ELF image given as bytes (the built-in demo, tests); used when <see cref="Kernel"/> is null.</summary>
    public byte[]? KernelImage { get; init; }
    public string KernelName { get; init; } = "kernel";
    /// <summary>
    /// -bios: "none" loads no firmware, "default" Debian's OpenSBI (<see cref="DefaultFirmware"/>),
    /// anything else is a file; null (no -bios) chooses by the kernel (docs/BOOT.md).
    /// </summary>
    public string? Bios { get; init; }
    /// <summary>-initrd FILE.</summary>
    public string? Initrd { get; init; }
    /// <summary>-append: the kernel command line (/chosen/bootargs).</summary>
    public string? Append { get; init; }
    /// <summary>-dtb FILE: the user's device tree instead of the board's.</summary>
    public string? Dtb { get; init; }
    /// <summary>-machine dumpdtb=FILE: write the device tree and exit.</summary>
    public string? DumpDtb { get; init; }

    /// <summary>What -bios default loads: OpenSBI's fw_dynamic from Debian's opensbi package.</summary>
    public const string DefaultFirmware = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
    /// <summary>Where -bios default is looked for (<see cref="DefaultFirmware"/>; tests point it elsewhere).</summary>
    public string DefaultFirmwarePath { get; init; } = DefaultFirmware;
    /// <summary>-device virtio-*-device, in command-line order.</summary>
    public IReadOnlyList<VirtioDeviceSpec> VirtioDevices { get; init; } = [];
    /// <summary>-rtc base=DATE: the RTC's time at start (UTC); null: the host's time.</summary>
    public DateTime? RtcStart { get; init; }
    /// <summary>-rtc base=localtime: the host's local time of day, as the guest's UTC.</summary>
    public bool RtcLocalTime { get; init; }
    /// <summary>-rtc clock=vm: the RTC counts the guest's virtual time (stops while paused).</summary>
    public bool RtcVirtualClock { get; init; }
    public Machine.LifecycleOptions Lifecycle { get; init; } = new();
    /// <summary>-S: start in prelaunch, paused.</summary>
    public bool StartPaused { get; init; }
    /// <summary>-icount: every hart on one thread, guest time from retired instructions (null: off).</summary>
    public IcountOptions? Icount { get; init; }
    /// <summary>Instructions a vCPU runs between checks of its timer.</summary>
    public long SliceInstructions { get; init; } = Machine.HartExecutor.DefaultSlice;
    /// <summary>The execution engine of every hart (the environment's RIVET_ENGINE, else the translator).</summary>
    public Cpu.ExecutionEngine Engine { get; init; } = Cpu.ExecutionEngines.FromEnvironment();
    /// <summary>-accel tcg,tb-size= in MiB: the cap on translated code per hart (0: the default).</summary>
    public int TranslationCacheMiB { get; init; }
}

/// <summary>-icount shift=N,sleep=on|off (docs/LIFECYCLE.md, "Alternate executor: icount").</summary>
public sealed record IcountOptions
{
    /// <summary>QEMU's MAX_ICOUNT_SHIFT.</summary>
    public const int MaxShift = 10;
    /// <summary>What shift=auto runs at: QEMU's starting shift for auto, kept fixed (deterministic).</summary>
    public const int AutoShift = 3;

    /// <summary>Each instruction is 2^Shift ns of guest time.</summary>
    public int Shift { get; init; }
    /// <summary>sleep=on (QEMU's default): idle guest time runs with the host's; off: it jumps to the next deadline.</summary>
    public bool Sleep { get; init; } = true;
    /// <summary>Instructions a hart runs before the next hart's turn.</summary>
    public long Quantum { get; init; } = Machine.IcountExecutor.DefaultQuantum;
}
