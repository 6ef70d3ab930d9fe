using System.Diagnostics;

namespace Rivet.Tests;

/// <summary>
/// Command lines as qemu-system-riscv64 users write them (QEMU's docs, distribution wiki pages,
/// bare-metal tutorials), with -kernel pointing at a test guest: rivet runs each one, or refuses
/// it with one line naming what it does not support. Also -pidfile, -daemonize and the serial
/// choices as processes.
/// </summary>
public sealed class QemuCommandLineTests
{
    private static string Pass => TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram), "qemu-lines-pass.elf");

    private static readonly string TempDir = Path.Combine(Path.GetTempPath(), "rivet-qemu-lines-" + Environment.ProcessId);

    /// <summary>A command line ({K}: the guest, {D}: a scratch folder) and "run" or the refusal's fragment.</summary>
    public static TheoryData<string, string> Lines => new()
    {
        { "-machine virt -nographic -bios none -kernel {K}", "run" },
        { "-M virt -smp 4 -m 256M -bios none -kernel {K} -nographic", "run" },
        { "-machine virt -cpu rv64 -smp 2 -m 128M -nographic -bios none -kernel {K}", "run" },
        { "-M virt -accel tcg,thread=multi -smp 4 -nographic -bios none -kernel {K}", "run" },
        { "-M virt,accel=tcg -m 1G -nographic -kernel {K}", "run" },
        { "-nodefaults -M virt -serial stdio -kernel {K} -bios none -display none", "run" },
        { "-M virt -display none -serial mon:stdio -kernel {K} -bios none", "run" },
        { "-M virt -nographic -monitor none -serial stdio -kernel {K}", "run" },
        { "-M virt -nographic -rtc base=utc,clock=host -kernel {K}", "run" },
        { "-machine virt,aclint=on -nographic -kernel {K}", "run" },
        { "-M virt -smp cpus=4,sockets=2,cores=2,threads=1 -nographic -kernel {K}", "run" },
        { "-M virt -smp 8,maxcpus=8 -nographic -kernel {K}", "run" },
        { "-M virt -m size=512M,slots=2,maxmem=1G -nographic -kernel {K}", "run" },
        { "-M virt -nographic -no-reboot -kernel {K}", "run" },
        { "-M virt -nographic -name guest=riscv,debug-threads=on -kernel {K}", "run" },
        { "-M virt -nographic -pidfile {D}/qemu.pid -kernel {K}", "run" },
        { "-M virt -nographic -kernel {K} -qmp unix:{D}/qmp.sock,server,nowait", "run" },
        { "-M virt -nographic -kernel {K} -no-user-config -nodefaults -serial null", "run" },
        { "-machine virt -cpu rv64,i=on,m=on,a=on,c=on -accel tcg -nographic -net none -vga none -kernel {K}", "run" },
        { "-M virt -m 0 -nographic -rtc base=2006-06-17T16:01:21 -kernel {K}", "run" },
        { "-machine virt,aia=aplic-imsic -nographic -kernel {K}", "aia=aplic-imsic is not supported" },
        { "-M virt -m 2G -smp 4 -nographic -bios fw_jump.bin -kernel {K} -append root=/dev/vda -drive file=rootfs.img,format=raw,id=hd0 -device virtio-blk-device,drive=hd0", "Could not open 'rootfs.img': No such file or directory" },
        { "-machine virt -nographic -m 2048 -smp 4 -kernel {K} -device virtio-net-device,netdev=eth0 -netdev user,id=eth0", "device 'virtio-net-device' is not supported" },
        { "-M virt -nographic -kernel {K} -d guest_errors,unimp -D {D}/qemu.log", "run" },
        { "-M virt -nographic -kernel {K} -d in_asm,int,exec,cpu,nochain -D {D}/trace.log", "run" },
        { "-M virt -nographic -kernel {K} -d mmu,guest_errors -D {D}/qemu.log", "run" },
        { "-M virt -nographic -kernel {K} -gdb tcp:127.0.0.1:0", "run" }, // the stub listens; nobody connects, the guest runs
        { "-M virt -nographic -kernel {K} -gdb unix:{D}/gdb.sock,server=on,wait=off", "run" },
        { "-M virt -nographic -semihosting-config enable=on,target=native -kernel {K}", "-semihosting-config: not supported" },
        { "-M virt -nographic -bios none -kernel {K} -device loader,file={K},addr=0x80000000", "device 'loader' is not supported" },
        { "-M virt -smp 4,sockets=3 -nographic -kernel {K}", "sockets (3) * cores (1) * threads (1) != maxcpus (4)" },
        { "-machine virt -enable-kvm -cpu host -kernel {K}", "-enable-kvm: not supported" },
        { "-M virt -accel kvm -kernel {K}", "invalid accelerator kvm" },
        { "-M virt -accel tcg,tb-size=512 -smp 2 -nographic -kernel {K}", "run" },
        { "-M virt -accel tcg,tb-size=big -nographic -kernel {K}", "-accel tcg,tb-size=big: Parameter 'tb-size' expects uint64" },
        { "-M virt -smp 2 -nographic -kernel {K} -rivet-interp", "run" },
        { "-M virt -nographic -bios default -kernel {K}", "overlaps" }, // a guest linked at 0x80000000 where OpenSBI is
        { "-M virt -nographic -kernel {K} -initrd {D}/none.img", "could not load ramdisk" },
        { "-M virt -nographic -chardev stdio,id=char0,mux=on -serial chardev:char0 -mon chardev=char0 -kernel {K}", "run" },
        { "-M virt -nographic -kernel {K} -netdev user,id=net0,hostfwd=tcp::2222-:22", "-netdev: not supported" },
        { "-M virt -nographic -object rng-random,filename=/dev/urandom,id=rng0 -device virtio-rng-device,rng=rng0 -kernel {K}", "run" },
        { "-M virt -nographic -kernel {K} -icount shift=0", "run" },
        { "-M virt -smp 2 -nographic -icount shift=auto,sleep=off -kernel {K}", "run" },
        { "-M virt -nographic -kernel {K} -icount shift=7,align=on", "align=on is not supported" },
        { "-M virt -nographic -kernel {K} -icount shift=12", "-icount shift=12: icount: Invalid shift value" },
        { "-M virt -nographic -global virtio-mmio.force-legacy=false -kernel {K}", "run" },
        { "-M virt -cpu rv64,v=true,vlen=256,elen=64 -nographic -kernel {K}", "v=true is not supported" },
        { "-M virt -nographic -cpu rv64,sv39=on -kernel {K}", "Property 'rv64-riscv-cpu.sv39' not found" },
        { "-M virt -nographic -usb -device usb-ehci -kernel {K}", "-usb: not supported" },
        { "-machine virt -m 4G -smp 4 -kernel {K} -nographic -snapshot", "-snapshot: not supported" },
        { "-M sifive_u -smp 5 -nographic -kernel {K}", "unsupported machine type 'sifive_u'" },
        { "-M virt -nographic -serial tcp:127.0.0.1:0,server,wait=off -kernel {K}", "run" },
        { "-M virt -nographic -serial pty -kernel {K}", "run" },
        { "-M virt -nographic -serial stdio -kernel {K}", "-serial stdio: cannot use stdio by multiple character devices" },
        { "-M virt -nographic -serial mon:stdio -kernel {K}", "run" },
        { "-M virt -nographic -monitor none -serial mon:stdio -kernel {K}", "run" },
        { "-M virt -display none -monitor stdio -kernel {K}", "run" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void RunsOrRefusesWithOneLine(string line, string expected)
    {
        Directory.CreateDirectory(TempDir);
        string[] args = line.Replace("{K}", Pass, StringComparison.Ordinal).Replace("{D}", TempDir, StringComparison.Ordinal).Split(' ');
        var r = RivetProcess.Run(args);
        if (expected == "run")
        {
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Err}");
            Assert.Equal("", r.Err);
        }
        else
        {
            RivetProcess.AssertStartupError(r, expected);
        }
    }

    /// <summary>Every numeric option through the real command: a sample of the generated bad values (all of them: OptionTableTests).</summary>
    public static TheoryData<string, string> BadNumbersAsProcesses
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (option, template, absurd) in OptionTableTests.NumericOptions)
            {
                foreach (string v in new[] { "NaN", "-1", "99999999999999999999999999", absurd[^1] })
                    data.Add(option, string.Format(System.Globalization.CultureInfo.InvariantCulture, template, v));
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadNumbersAsProcesses))]
    public void BadNumbersEndTheCommandWithOneLine(string option, string value)
        => RivetProcess.AssertStartupError(RivetProcess.Run(option, value, "-nographic", "-kernel", Pass), $"rivet: {option} {value}: ");

    private static string Demo => Repo.Guest("build/demo/demo.elf");
    private static string DemoOutput => File.ReadAllText(Path.Combine(Repo.Guests, "demo", "demo.expected"));

    [Theory]
    [InlineData(true)]
    [InlineData(true, "-nographic")]
    [InlineData(true, "-nodefaults", "-serial", "stdio")]
    [InlineData(false, "-nodefaults")]
    [InlineData(false, "-nodefaults", "-nographic")]
    [InlineData(false, "-serial", "null")]
    [InlineData(false, "-serial", "none", "-serial", "stdio")]
    public void SerialOutputFollowsQemusDefaults(bool shown, params string[] extra)
    {
        var r = RivetProcess.Run([.. extra, "-smp", "4", "-kernel", Demo]);
        Assert.Equal(0, r.Code);
        Assert.Equal(shown ? DemoOutput : "", r.Out);
    }

    [Fact]
    public void PidfileIsWrittenLockedAndRemoved()
    {
        Directory.CreateDirectory(TempDir);
        string pidFile = Path.Combine(TempDir, "locked.pid");
        using Process p = RivetProcess.Start("-nographic", "-pidfile", pidFile, "-kernel", Repo.Guest("build/lifecycle/idle_forever.elf"));
        p.StandardInput.Close();
        WaitUntil(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the pid file");
        Assert.Equal($"{p.Id}\n", File.ReadAllText(pidFile));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pidFile));

        var second = RivetProcess.Run("-nographic", "-pidfile", pidFile, "-kernel", Pass);
        RivetProcess.AssertStartupError(second, $"-pidfile {pidFile}: cannot create PID file: Cannot lock pid file");
        Assert.Equal($"{p.Id}\n", File.ReadAllText(pidFile)); // the refused instance left it alone

        Assert.Equal(0, RivetProcess.Kill(p.Id, 15));
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(0, p.ExitCode);
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public void PidfileInAMissingFolderIsOneLine()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-pidfile", "/nonexistent/dir/r.pid", "-kernel", Pass),
            "-pidfile /nonexistent/dir/r.pid: cannot create PID file: Could not create '/nonexistent/dir/r.pid': No such file or directory");

    [Fact]
    public void DaemonizeDetachesOnceStarted()
    {
        Directory.CreateDirectory(TempDir);
        string pidFile = Path.Combine(TempDir, "daemon.pid");
        var r = RivetProcess.Run("-daemonize", "-display", "none", "-pidfile", pidFile, "-kernel", Repo.Guest("build/lifecycle/idle_forever.elf"));
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Out);
        Assert.Equal("", r.Err);
        // The daemon wrote its pid file before it reported that it had started.
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[3]); // session id: its own session
            foreach (int fd in new[] { 0, 1, 2 }) Assert.Equal("/dev/null", new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget);
        }
        finally
        {
            Assert.Equal(0, RivetProcess.Kill(pid, 15));
        }
        WaitUntil(() => !File.Exists(pidFile), "the daemon to remove its pid file at exit");
    }

    [Fact]
    public void DaemonizeStartupErrorsReachTheCaller()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-daemonize", "-display", "none", "-kernel", "/nonexistent/guest.elf"), "no such file");

    /// <summary>Waits for a condition another process brings about (not a sleep to let things settle): fails after a generous limit.</summary>
    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            Thread.Sleep(10);
        }
    }
}
