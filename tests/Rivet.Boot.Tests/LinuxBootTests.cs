using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rivet.Boot.Tests;

/// <summary>
/// Debian trixie's Linux 6.12 with a busybox initramfs (tests/linux), booted with QEMU's command
/// line on rivet and on qemu-system-riscv64: /init prints what it found (harts online, kernel
/// release, RTC time, virtio-rng bytes, the virtio disk), reads and writes a file on an ext4 image
/// and powers off; the host reads the written file back. Then the lifecycle promises under an OS:
/// typing into the shell, -no-reboot with the guest's reboot, SIGTERM at a random moment, QMP
/// stop/cont and system_reset during the boot.
/// </summary>
public sealed partial class LinuxBootTests
{
    private const string Console = "console=ttyS0 earlycon=sbi";

    /// <summary>Each boot is several seconds on rivet: the sizes that matter (one, a few, the most a test board has).</summary>
    public static TheoryData<string, int> Boots => new()
    {
        { "rivet", 1 },
        { "rivet", 4 },
        { "rivet", 8 },
        { "qemu", 1 },
        { "qemu", 4 },
        { "qemu", 8 },
    };

    public static TheoryData<string> Emulators => new() { "rivet", "qemu" };

    private static bool IsQemu(string emulator) => emulator == "qemu";

    [Theory]
    [MemberData(nameof(Boots))]
    public void Boots_to_init_checks_the_devices_and_powers_off(string emulator, int harts)
    {
        using var disk = new Ext4Disk();
        using var guest = Emulator.Start(IsQemu(emulator), Emulator.LinuxArgs(harts, $"{Console} rivet.test=1", disk.Image));
        guest.WaitForLine(InitMarker.Prefix);
        var marker = InitMarker.Parse(guest.Output, DateTimeOffset.UtcNow);
        Assert.Equal(0, guest.WaitForExit());

        Assert.Contains($"Linux version {LinuxImages.Release}", guest.Output);
        Assert.Equal(harts == 1 ? "0" : $"0-{harts - 1}", marker["online"]);
        Assert.Equal(harts.ToString(System.Globalization.CultureInfo.InvariantCulture), marker["ncpu"]);
        Assert.Equal(LinuxImages.Release, marker["release"]);
        // The goldfish RTC gives the host's time of day.
        Assert.True(long.TryParse(marker["rtc"], out long rtc), $"rtc={marker["rtc"]}");
        Assert.InRange(rtc, marker.SeenAt.ToUnixTimeSeconds() - 60, marker.SeenAt.ToUnixTimeSeconds() + 60);
        // virtio-rng is the current hwrng and /dev/hwrng gives 16 bytes.
        Assert.Matches(HwrngRegex(), marker["hwrng"]);
        Assert.NotEqual("virtio_rng.0:00000000000000000000000000000000", marker["hwrng"]);
        // virtio-blk: 16 MiB, the host's file read, the guest's file written and flushed by power-off.
        Assert.Equal("32768s", marker["vda"]);
        Assert.Equal(disk.Token, marker["disk-in"]);
        Assert.Equal("yes", marker["disk-out"]);
        Assert.Equal($"written by {LinuxImages.Release} on {harts} harts\n", disk.ReadBack("/guest.txt"));
    }

    /// <summary>Debian's opensbi package: fw_jump runs the kernel at 0x80200000 with its own device tree address, where QEMU's loader put them.</summary>
    public const string FwJump = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf";

    [Theory]
    [MemberData(nameof(Emulators))]
    public void Boots_with_opensbi_fw_jump_as_bios(string emulator)
    {
        Assert.True(File.Exists(FwJump), $"{FwJump} is missing (apt-get install opensbi)");
        List<string> args = Emulator.LinuxArgs(2, $"{Console} rivet.test=1", rng: false);
        args.AddRange(["-bios", FwJump]);
        using var guest = Emulator.Start(IsQemu(emulator), args);
        guest.WaitForLine(InitMarker.Prefix);
        Assert.Equal(0, guest.WaitForExit());
        Assert.Contains("Domain0 Next Address      : 0x0000000080200000", guest.Output);
        Assert.Equal("0-1", InitMarker.Parse(guest.Output, DateTimeOffset.UtcNow)["online"]);
    }

    [Theory]
    [MemberData(nameof(Emulators))]
    public void The_shell_on_the_console_takes_typed_input(string emulator)
    {
        using var guest = Emulator.Start(IsQemu(emulator), Emulator.LinuxArgs(1, Console, rng: false));
        guest.WaitFor("RIVET-SHELL");
        // The echo shows the command as typed; only the shell computes 42.
        guest.Type("echo hello $((6*7))\n");
        guest.WaitFor("hello 42");
        guest.Type("poweroff -f\n");
        Assert.Equal(0, guest.WaitForExit());
    }

    [Theory]
    [MemberData(nameof(Emulators))]
    public void No_reboot_turns_the_guests_reboot_into_an_exit(string emulator)
    {
        List<string> args = Emulator.LinuxArgs(1, $"{Console} rivet.test=reboot", rng: false);
        args.Add("-no-reboot");
        using var guest = Emulator.Start(IsQemu(emulator), args);
        Assert.Equal(0, guest.WaitForExit());
        Assert.Contains("reboot: Restarting system", guest.Output);
        Assert.Single(Regex.Matches(guest.Output, "Linux version "));
    }

    [Theory]
    [MemberData(nameof(Emulators))]
    public void Sigterm_at_a_random_moment_of_the_boot_exits_0_promptly(string emulator)
    {
        // A random console line of the boot (a 1-hart boot prints ~150 before /init).
        int line = Random.Shared.Next(1, 120);
        using var guest = Emulator.Start(IsQemu(emulator), Emulator.LinuxArgs(1, $"{Console} rivet.test=1", rng: false));
        guest.WaitFor("\n", line);
        string before = guest.Output;
        Assert.DoesNotContain("reboot: Power down", before);
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, RivetProcess.Kill(guest.Id, 15));
        // rivet's shutdown deadline is 3 s (docs/LIFECYCLE.md); QEMU's is immediate.
        Assert.Equal(0, guest.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"SIGTERM at console line {line} took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Theory]
    [MemberData(nameof(Emulators))]
    public void Qmp_stop_and_cont_during_the_boot_and_the_boot_completes(string emulator)
    {
        using var dir = new ScratchDir();
        string socket = dir.File("qmp.sock");
        List<string> args = Emulator.LinuxArgs(2, $"{Console} rivet.test=1", rng: false);
        args.AddRange(["-qmp", $"unix:{socket},server=on,wait=off"]);
        using var guest = Emulator.Start(IsQemu(emulator), args);
        using var qmp = Qmp.Connect(socket, guest);
        guest.WaitFor("smp: Bringing up secondary CPUs");
        qmp.Execute("stop");
        Assert.Equal("paused", qmp.Status());
        qmp.Execute("cont");
        Assert.Equal("running", qmp.Status());
        guest.WaitForLine(InitMarker.Prefix);
        Assert.Equal("0-1", InitMarker.Parse(guest.Output, DateTimeOffset.UtcNow)["online"]);
        Assert.Equal(0, guest.WaitForExit());
        Assert.Contains("STOP", qmp.Events);
    }

    [Theory]
    [MemberData(nameof(Emulators))]
    public void Qmp_system_reset_during_the_boot_boots_again(string emulator)
    {
        using var dir = new ScratchDir();
        string socket = dir.File("qmp.sock");
        List<string> args = Emulator.LinuxArgs(2, $"{Console} rivet.test=1", rng: false);
        args.AddRange(["-qmp", $"unix:{socket},server=on,wait=off"]);
        using var guest = Emulator.Start(IsQemu(emulator), args);
        using var qmp = Qmp.Connect(socket, guest);
        guest.WaitFor("smp: Bringing up secondary CPUs");
        qmp.Execute("system_reset");
        guest.WaitFor("Linux version ", 2);
        guest.WaitForLine(InitMarker.Prefix);
        Assert.Equal("0-1", InitMarker.Parse(guest.Output, DateTimeOffset.UtcNow)["online"]);
        Assert.Equal(0, guest.WaitForExit());
        Assert.Single(Regex.Matches(guest.Output, InitMarker.Prefix));
    }

    [Fact]
    public void The_timeline_plugin_records_a_boot()
    {
        using var dir = new ScratchDir();
        string trace = dir.File("trace.json");
        List<string> args = Emulator.LinuxArgs(2, $"{Console} rivet.test=1", rng: false);
        args.AddRange(["-plugin", $"timeline,file={trace}"]);
        using var guest = Emulator.Start(qemu: false, args);
        guest.WaitForLine(InitMarker.Prefix);
        Assert.Equal(0, guest.WaitForExit());

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(trace));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        string Name(System.Text.Json.JsonElement e) => e.GetProperty("name").GetString() ?? "";
        var threads = events.Where(e => Name(e) == "thread_name").Select(e => e.GetProperty("args").GetProperty("name").GetString()).ToList();
        Assert.Contains("vcpu-0", threads);
        Assert.Contains("vcpu-1", threads);
        // Linux idles its harts with wfi, and its poweroff (SBI SRST through sifive_test) is a vCPU's shutdown request.
        Assert.Contains(events, e => Name(e) == "idle" && e.GetProperty("tid").GetInt32() == 2);
        Assert.Contains(events, e => Name(e) == "shutdown request"
            && e.GetProperty("args").GetProperty("source").GetString()!.StartsWith("vcpu-", StringComparison.Ordinal));
    }

    [GeneratedRegex("^virtio_rng\\.0:[0-9a-f]{32}$")]
    private static partial Regex HwrngRegex();
}

/// <summary>A short private folder (Unix socket paths are at most 108 bytes), removed on dispose.</summary>
internal sealed class ScratchDir : IDisposable
{
    public ScratchDir()
    {
        Path = System.IO.Path.Combine("/tmp", "rb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // left for /tmp's cleaning
        }
    }
}
