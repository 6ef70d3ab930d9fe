using Rivet.Board;
using Rivet.Cli;
using Rivet.Cli.Chardev;

namespace Rivet.Tests;

/// <summary>The option table in-process: each option's parse and its effect on the options, and the errors as QEMU words them.</summary>
public sealed class OptionTableTests
{
    private const string Kernel = "/k.elf";

    private static CliOptions Parse(params string[] args) => CommandLine.Parse([.. args, "-kernel", Kernel]);

    private static string Error(params string[] args)
    {
        var ex = Assert.Throws<UsageException>(() => Parse(args));
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }

    [Fact]
    public void HelpIsGeneratedFromTheTable()
    {
        string help = CommandLine.Parse(["-help"]).Print!;
        foreach (OptionRow row in CommandLine.Table.Where(r => r.Help.Length > 0))
        {
            Assert.Contains($"-{row.Name}" + (row.Arg == null ? "" : $" {row.Arg}"), help);
            Assert.Contains(row.Help.Split('\n')[0], help);
        }
        Assert.Equal(help, CommandLine.Parse(["-h"]).Print);
        Assert.Equal(help, CommandLine.Parse(["--help"]).Print);
    }

    [Fact]
    public void TableNamesAreUniqueAndDisjointFromTheNotSupportedList()
    {
        string[] names = [.. CommandLine.Table.SelectMany(r => r.Aliases.Append(r.Name))];
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Empty(names.Intersect(CommandLine.NotSupported));
    }

    [Fact]
    public void VersionIsQemusFormat()
    {
        string[] lines = CommandLine.Parse(["-version"]).Print!.Split('\n');
        Assert.Matches(@"^QEMU emulator version 7\.2\.0 \(Rivet \d+\.\d+\.\d+\)$", lines[0]);
        Assert.StartsWith("Copyright (c) ", lines[1]);
    }

    [Theory]
    [InlineData("-cpu", "help", "rv64\n")]
    [InlineData("-cpu", "?", "rv64\n")]
    [InlineData("-machine", "help", "Supported machines are:\nvirt ")]
    [InlineData("-M", "?", "Supported machines are:\n")]
    [InlineData("-machine", "virt,help", "virt-machine options:\n")]
    [InlineData("-device", "help", "Rivet's -device adds these to the virt board's virtio-mmio bus")]
    [InlineData("-d", "help", "Log items (comma separated):\nin_asm ")]
    [InlineData("-accel", "help", "Accelerators supported in QEMU binary:\ntcg\n")]
    public void HelpListings(string option, string value, string expectedStart)
    {
        // Printed and ended at once, before a guest is needed, as QEMU's listings are.
        Assert.StartsWith(expectedStart, CommandLine.Parse([option, value]).Print);
    }

    [Fact]
    public void ScriptBoilerplateIsAccepted()
    {
        CliOptions o = Parse("-machine", "virt,accel=tcg,aclint=off,aia=none,aia-guests=0,usb=off,graphics=off,dump-guest-core=off,mem-merge=on,suppress-vmdesc=on",
            "-cpu", "rv64,i=on,m=on,a=on,c=on,u=on,Zicsr=on,Zifencei=on,f=on,d=on,s=on,sstc=on,h=off,v=off,mmu=on,pmp=on,debug=on,zmmul=true",
            "-accel", "tcg,thread=multi,tb-size=64,split-wx=off", "-nodefaults", "-no-user-config", "-net", "none", "-nic", "none",
            "-vga", "none", "-parallel", "none", "-monitor", "none", "-serial", "stdio", "-display", "none", "-nographic",
            "-rtc", "base=utc,clock=host,driftfix=none", "-no-reboot", "-no-shutdown", "-name", "guest=box,debug-threads=on");
        Assert.Equal("stdio", o.Serial?.Backend);
        Assert.True(o.NoDefaults);
        Assert.True(o.Machine.Lifecycle.NoReboot);
        Assert.True(o.Machine.Lifecycle.NoShutdown);
        Assert.Equal("box", o.Name);
        Assert.Equal("multi", o.AccelThread);
        Assert.Equal(Kernel, o.Machine.Kernel);
    }

    /// <summary>Arguments, then the expected message fragment (QEMU 7.2's wording where QEMU has one).</summary>
    public static TheoryData<string[], string> Refusals => new()
    {
        { ["-cpu", "foo"], "-cpu foo: unable to find CPU model 'foo'" },
        { ["-cpu", "rv64,foo=on"], "-cpu rv64,foo=on: Property 'rv64-riscv-cpu.foo' not found" },
        { ["-cpu", "rv64,sv39=on"], "Property 'rv64-riscv-cpu.sv39' not found" },
        { ["-cpu", "rv64,h=on"], "-cpu rv64,h=on: h=on is not supported" },
        { ["-cpu", "rv64,d=off"], "-cpu rv64,d=off: d=off is not supported" },
        { ["-cpu", "rv64,m=off"], "m=off is not supported" },
        { ["-cpu", "rv64,c=maybe"], "Parameter 'c' expects 'on' or 'off'" },
        { ["-cpu", "rv64,vlen=256"], "property 'vlen' is not supported" },
        { ["-cpu", "sifive-u54"], "unable to find CPU model 'sifive-u54'" },
        { ["-accel", "kvm"], "-accel kvm: invalid accelerator kvm" },
        { ["-accel", "foo"], "invalid accelerator foo" },
        { ["-accel", "tcg,thread=x"], "-accel tcg,thread=x: Invalid 'thread' setting x" },
        { ["-accel", "tcg,foo=1"], "Property 'tcg-accel.foo' not found" },
        { ["-accel", "tcg,split-wx=x"], "Parameter 'split-wx' expects 'on' or 'off'" },
        { ["-accel", "tcg,tb-size=x"], "-accel tcg,tb-size=x: Parameter 'tb-size' expects uint64" },
        { ["-accel", "tcg,tb-size=1M"], "Parameter 'tb-size' expects uint64" },
        { ["-accel", "tcg,tb-size=18446744073709551616"], "Parameter 'tb-size' expects uint64" },
        { ["-accel", "tcg,tb-size=4294967296"], "-accel tcg,tb-size=4294967296: Parameter 'tb-size' expects uint32_t" },
        { ["-accel", "tcg,tb-size=-1"], "Parameter 'tb-size' expects uint32_t" },
        { ["-enable-kvm"], "-enable-kvm: not supported: rivet has only the tcg accelerator" },
        { ["-machine", "virt,accel=kvm"], "invalid accelerator kvm" },
        { ["-machine", "virt,foo=1"], "-machine virt,foo=1: Property 'virt-machine.foo' not found" },
        { ["-machine", "virt,acpi=off"], "Property 'virt-machine.acpi' not found" },
        { ["-machine", "virt,aclint=maybe"], "Parameter 'aclint' expects 'on' or 'off'" },
        { ["-machine", "virt,aia=x"], "Invalid AIA interrupt controller type" },
        { ["-machine", "virt,aia=aplic"], "aia=aplic is not supported" },
        { ["-machine", "virt,aia-guests=9"], "Invalid number of AIA IMSIC guests" },
        { ["-machine", "virt,dt-compatible=x"], "property 'dt-compatible' is not supported by rivet yet" },
        { ["-machine", "virt,phandle-start=9"], "property 'phandle-start' is not supported" },
        { ["-machine", "virt,memory-backend=ram0"], "property 'memory-backend' is not supported" },
        { ["-machine", "sifive_u"], "unsupported machine type 'sifive_u'" },
        { ["-machine", "foo"], "-machine foo: unsupported machine type (use -machine help" },
        { ["-m", "512M,slots=2"], "slots specified but no max-size" },
        { ["-m", "size=512M,maxmem=256M"], "invalid value of maxmem: maximum memory size (0x10000000) must be at least the initial memory size (0x20000000)" },
        { ["-m", "512M,slots=2,maxmem=512M"], "memory slots were specified but maximum memory size (0x20000000) is equal to the initial memory size (0x20000000)" },
        { ["-m", "512M,slots=x,maxmem=1G"], "Parameter 'slots' expects a number" },
        { ["-m", "512M,maxmem=x"], "Parameter 'maxmem' expects a non-negative number below 2^64" },
        { ["-m", "foo=1"], "-m foo=1: Invalid parameter 'foo'" },
        { ["-m", "16E"], "-m 16E: Value '16E' is out of range for parameter 'size'" },
        { ["-m", "1.5"], "Parameter 'size' expects a non-negative number below 2^64" },
        { ["-m", "1k"], "RAM size must be at least 1 MiB" },
        { ["-m", "65G"], "RAM size above the supported 64 GiB" },
        { ["-rtc", "base=foo"], "-rtc base=foo: invalid datetime format" },
        { ["-rtc", "base=2020-13-01"], "invalid datetime format" },
        { ["-rtc", "base=utc,clock=foo"], "invalid option value 'foo'" },
        { ["-rtc", "base=utc,driftfix=x"], "invalid option value 'x'" },
        { ["-rtc", "foo=1"], "-rtc foo=1: Invalid parameter 'foo'" },
        { ["-rtc", "utc"], "Invalid parameter 'utc'" },
        { ["-device", "virtio-net-device"], "-device virtio-net-device: device 'virtio-net-device' is not supported" },
        { ["-device", "loader,file=x.bin,addr=0x80000000"], "device 'loader' is not supported" },
        { ["-serial", "foo"], "-serial foo: 'foo' is not a valid char driver" },
        { ["-serial", "vc"], "-serial vc: 'vc' character devices are not supported by rivet yet" },
        { ["-serial", "chardev:c0"], "-serial chardev:c0: could not connect serial device to character backend 'chardev:c0'" },
        { ["-chardev", "null"], "-chardev null: chardev: no id specified" },
        { ["-chardev", "foo,id=a"], "-chardev foo,id=a: 'foo' is not a valid char driver name" },
        { ["-chardev", "null,id=a", "-chardev", "null,id=a"], "-chardev null,id=a: Duplicate ID 'a' for chardev" },
        { ["-chardev", "file,id=f"], "-chardev file,id=f: chardev: file: no filename given" },
        { ["-chardev", "pipe,id=p"], "chardev: pipe: no filename given" },
        { ["-chardev", "stdio,id=a,bogus=1"], "-chardev stdio,id=a,bogus=1: Invalid parameter 'bogus'" },
        { ["-chardev", "socket,id=s"], "give path=PATH, or host=HOST,port=PORT" },
        { ["-chardev", "socket,id=s,host=h,port=99999"], "'99999' is not a port number" },
        { ["-chardev", "socket,id=s,path=/s,wait=off"], "'wait' option is incompatible with socket in client connect mode" },
        { ["-chardev", "socket,id=s,path=/" + new string('p', 120)], "is too long" },
        { ["-chardev", "stdio,id=a", "-serial", "stdio"], "-serial stdio: cannot use stdio by multiple character devices" },
        { ["-mon", "chardev=nope"], "-mon chardev=nope: chardev \"nope\" not found" },
        { ["-chardev", "null,id=a", "-mon", "chardev=a,mode=bogus"], "-mon chardev=a,mode=bogus: Parameter 'mode' does not accept value 'bogus'" },
        { ["-chardev", "null,id=a,mux=on", "-mon", "chardev=a,mode=control"], "QMP on a multiplexed character device (mux=on) is not supported by rivet yet" },
        { ["-serial", "tcp:nohostport"], "'tcp:nohostport' is not a valid char driver" },
        { ["-serial", "stdio", "-monitor", "stdio"], "-serial stdio: cannot use stdio by multiple character devices" },
        { ["-net", "user"], "-net user: not supported: rivet has no network devices" },
        { ["-vga", "std"], "not supported: rivet has no display devices" },
        { ["-display", "gtk"], "display 'gtk' is not supported" },
        { ["-name", "web,colour=blue"], "unsupported option 'colour=blue'" },
        { ["-name", ""], "the name is empty" },
        { ["-pidfile", ""], "-pidfile : the file name is empty" },
        { ["-daemonize", "-nographic"], "-nographic cannot be used with -daemonize" },
        { ["-daemonize", "-serial", "stdio"], "-serial stdio: cannot use stdio with -daemonize" },
        { ["-d", "mmu,out_asm"], "-d out_asm: not supported: rivet generates no host code" },
        { ["-foo"], "-foo: invalid option" },
        { ["--foo"], "--foo: invalid option" },
        { ["stray"], "stray: invalid option" },
        { ["-drive", "file=d.img,format=qcow2,if=none,id=x"], "-drive file=d.img,format=qcow2,if=none,id=x: format 'qcow2' is not supported" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x,bogus=1"], "Block format 'raw' does not support the option 'bogus'" },
        { ["-drive", "d.img"], "-drive d.img: Block format 'raw' does not support the option 'd.img'" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x,readonly=maybe"], "Parameter 'read-only' expects 'on' or 'off'" },
        { ["-drive", "file=d.img,format=raw,if=virtio"], "if=virtio is not supported: on QEMU's virt it is a virtio-blk-pci device" },
        { ["-drive", "file=d.img,format=raw,if=scsi"], "machine type does not support if=scsi,bus=0,unit=0" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x", "-drive", "file=e.img,format=raw,if=none,id=x"], "Duplicate ID 'x' for drive" },
        { ["-device", "virtio-blk-device"], "-device virtio-blk-device: drive property not set" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x", "-device", "virtio-blk-device,drive=y"], "-device virtio-blk-device,drive=y: Property 'virtio-blk-device.drive' can't find value 'y'" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x", "-device", "virtio-blk-device,drive=x", "-device", "virtio-blk-device,drive=x"], "Drive 'x' is already in use by another device" },
        { ["-drive", "file=d.img,format=raw,if=none,id=x", "-device", "virtio-blk-device,drive=x,bogus=1"], "Property 'virtio-blk-device.bogus' not found" },
        { ["-drive", "if=none,id=x", "-device", "virtio-blk-device,drive=x"], "Device needs media, but drive is empty" },
        { ["-device", "virtio-rng-device,rng=r0"], "-device virtio-rng-device,rng=r0: Device 'r0' not found" },
        { ["-object", "memory-backend-ram,id=m,size=1G"], "object type 'memory-backend-ram' is not supported" },
        { ["-object", "rng-random,filename=/dev/urandom"], "Parameter 'id' is missing" },
        { ["-global", "virtio-mmio.force-legacy=maybe"], "can't apply global virtio-mmio.force-legacy=maybe: Parameter 'force-legacy' expects 'on' or 'off'" },
        { ["-global", "virtio-mmio.bogus=1"], "can't apply global virtio-mmio.bogus=1: Property 'virtio-mmio.bogus' not found" },
        { ["-global", "virtio-mmio.force-legacy=true"], "rivet's virtio-mmio is modern (version 2) only" },
        { ["-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device", "-device", "virtio-rng-device"], "-device virtio-rng-device: No 'virtio-bus' bus found for device 'virtio-rng-device'" },
        { ["-gdb", "chardev:nope"], "-gdb chardev:nope: chardev 'nope' not found" },
        { ["-chardev", "null,id=c", "-serial", "chardev:c", "-gdb", "chardev:c"], "-gdb chardev:c: Device 'c' is in use" },
        { ["-gdb", "tcp::99999"], "-gdb tcp::99999: '99999' is not a port number (0..65535)" },
        { ["-gdb", "vc"], "-gdb vc: 'vc' character devices are not supported by rivet yet" },
        { ["-gdb", "mon:stdio"], "-gdb mon:stdio: a multiplexed device (mon:) for gdb is not supported by rivet" },
        { ["-chardev", "null,id=gdb", "-gdb", "tcp::1234"], "-gdb tcp::1234: Duplicate ID 'gdb' for chardev" },
    };

    [Fact]
    public void GdbStubDevicesAsQemuMakesThem()
    {
        // -s is -gdb tcp::1234; a tcp: device is always a server that does not wait, as QEMU's gdbserver_start makes it.
        ChardevSpec s = Parse("-s").Gdb!;
        Assert.Equal(("gdb", "socket", "", 1234, true, false), (s.Id, s.Backend, s.Host, s.Port, s.Server, s.Wait));
        Assert.Contains(s, Parse("-s").Chardevs);
        ChardevSpec t = Parse("-gdb", "tcp:127.0.0.1:4321").Gdb!;
        Assert.Equal(("127.0.0.1", 4321, true, false), (t.Host, t.Port, t.Server, t.Wait));
        Assert.Equal(4321, Parse("-gdb", "tcp::4321,server=on,wait=off").Gdb!.Port);
        ChardevSpec u = Parse("-gdb", "unix:/tmp/g.sock,server=on,wait=off").Gdb!;
        Assert.Equal(("/tmp/g.sock", true, false), (u.Path, u.Server, u.Wait));
        ChardevSpec c = Parse("-chardev", "socket,id=dbg,port=5555,server=on,wait=off", "-gdb", "chardev:dbg").Gdb!;
        Assert.Equal(("dbg", 5555), (c.Id, c.Port));
        Assert.Null(Parse("-gdb", "none").Gdb);
        Assert.Null(Parse().Gdb);
        Assert.Equal(1234, Parse("-gdb", "tcp::9", "-s").Gdb!.Port); // the last one counts
    }

    [Fact]
    public void DevicesBecomeVirtioSpecsInCommandLineOrder()
    {
        CliOptions o = Parse("-drive", "file=a.img,format=raw,if=none,id=a,readonly=on", "-drive", "file=b.img,id=b",
            "-object", "rng-random,id=r,filename=/dev/hwrng", "-object", "rng-random,id=u",
            "-device", "virtio-blk-device,drive=b,serial=SN", "-device", "virtio-rng-device,rng=r", "-device", "virtio-blk-device,drive=a",
            "-device", "virtio-rng-device,rng=u", "-global", "virtio-mmio.force-legacy=false");
        Assert.Equal(
            [
                new Board.VirtioBlkSpec("-device virtio-blk-device,drive=b,serial=SN", "-drive file=b.img,id=b", "b.img", false, "SN"),
                new Board.VirtioRngSpec("-device virtio-rng-device,rng=r", "/dev/hwrng"),
                new Board.VirtioBlkSpec("-device virtio-blk-device,drive=a", "-drive file=a.img,format=raw,if=none,id=a,readonly=on", "a.img", true, null),
                new Board.VirtioRngSpec("-device virtio-rng-device,rng=u", null), // /dev/urandom: the host's generator
            ],
            o.Machine.VirtioDevices);
    }

    [Fact]
    public void RtcOptionsReachTheMachine()
    {
        MachineConfig m = Parse("-rtc", "base=2006-06-17T16:01:21,clock=vm").Machine;
        Assert.Equal(new DateTime(2006, 6, 17, 16, 1, 21, DateTimeKind.Utc), m.RtcStart);
        Assert.True(m.RtcVirtualClock);
        Assert.False(m.RtcLocalTime);
        m = Parse("-rtc", "base=localtime").Machine;
        Assert.True(m.RtcLocalTime);
        Assert.Null(m.RtcStart);
        Assert.False(m.RtcVirtualClock);
    }

    [Fact]
    public void MissingArgument()
        => Assert.Equal("-kernel: requires an argument", Assert.Throws<UsageException>(() => CommandLine.Parse(["-nographic", "-kernel"])).Message);

    [Theory]
    [MemberData(nameof(Refusals))]
    public void RefusedWithOneLine(string[] args, string fragment) => Assert.Contains(fragment, Error(args));

    [Theory]
    [InlineData("rv64")]
    [InlineData("any")]
    [InlineData("rv64,h=false,s=yes,v=off,x-j=n")]
    public void CpuModels(string v) => Assert.Equal("rv64", Parse("-cpu", v).Cpu);

    [Theory]
    [InlineData("tcg", "multi")]
    [InlineData("tcg,thread=single", "single")]
    [InlineData("accel=tcg,thread=multi", "multi")]
    public void AccelThread(string v, string thread) => Assert.Equal(thread, Parse("-accel", v).AccelThread);

    [Theory]
    [InlineData("tcg", 0)]
    [InlineData("tcg,tb-size=0", 0)]
    [InlineData("tcg,tb-size=64", 64)]
    [InlineData("tcg,tb-size=0x100,thread=single", 256)]
    [InlineData("tcg,tb-size=2048", 2048)]
    [InlineData("tcg,tb-size=2049", 2048)] // QEMU caps its buffer; any uint32 is accepted
    [InlineData("tcg,tb-size=4294967295", 2048)]
    public void AccelTbSizeIsTheTranslationCache(string v, int mib) => Assert.Equal(mib, Parse("-accel", v).Machine.TranslationCacheMiB);

    [Fact]
    public void RivetInterpForcesTheInterpreter()
    {
        Assert.Equal(Rivet.Cpu.ExecutionEngine.Interpreter, Parse("-rivet-interp").Machine.Engine);
        Assert.Equal(Rivet.Cpu.ExecutionEngine.Interpreter, Parse("-accel", "tcg", "-rivet-interp", "-accel", "tcg,tb-size=8").Machine.Engine);
        // Without it, the environment decides (RIVET_ENGINE=interp when test.sh runs the suite the second time).
        Assert.Equal(Rivet.Cpu.ExecutionEngines.FromEnvironment(), Parse("-accel", "tcg").Machine.Engine);
    }

    [Theory]
    [InlineData("accel=tcg")]
    [InlineData("accel=kvm:tcg")]
    [InlineData("type=virt,aclint=on")]
    [InlineData("virt,aia=none,aia-guests=7")]
    public void MachineProperties(string v) => Assert.Equal(Kernel, Parse("-machine", v).Machine.Kernel);

    [Fact]
    public void MachineKernelAndFirmwareProperties()
    {
        CliOptions o = CommandLine.Parse(["-machine", "virt,kernel=/a.elf,firmware=/fw.bin"]);
        Assert.Equal("/a.elf", o.Machine.Kernel);
        Assert.Equal("/fw.bin", o.Machine.Bios);
        // Several -machine options merge, as in QEMU.
        Assert.Equal("/b.elf", CommandLine.Parse(["-M", "virt", "-M", "kernel=/b.elf"]).Machine.Kernel);
    }

    /// <summary>-m value, expected RAM bytes (QEMU: a plain number is MiB, 0 the default, rounded up to 8 KiB).</summary>
    [Theory]
    [InlineData("0", 128L << 20)]
    [InlineData("size=0", 128L << 20)]
    [InlineData("0M", 128L << 20)]
    [InlineData("512", 512L << 20)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512m", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("0.5G", 512L << 20)]
    [InlineData("1.5M", 3L << 19)]
    [InlineData("2049k", 2056L << 10)]
    [InlineData("1048577b", (1L << 20) + 8192)]
    [InlineData("0x100", 256L << 20)]
    [InlineData("size=1G,slots=2,maxmem=4G", 1L << 30)]
    [InlineData("512M,size=256M", 256L << 20)]
    [InlineData("64G", 64L << 30)]
    public void MemorySizes(string v, long bytes) => Assert.Equal((ulong)bytes, Parse("-m", v).Machine.RamSize);

    [Fact]
    public void MemoryHotplugLimitsAreKept()
    {
        CliOptions o = Parse("-m", "size=1G,slots=2,maxmem=4G");
        Assert.Equal(4UL << 30, o.MaxMem);
        Assert.Equal(2UL, o.Slots);
        Assert.Equal(MachineConfig.DefaultRamSize, Parse().Machine.RamSize);
    }

    [Fact]
    public void RtcChoicesAreStored()
    {
        Assert.Equal("utc", Parse().Rtc.Base);
        Assert.Equal("localtime", Parse("-rtc", "base=localtime").Rtc.Base);
        RtcOptions dated = Parse("-rtc", "base=2006-06-17T16:01:21,clock=vm,driftfix=slew").Rtc;
        Assert.Null(dated.Base);
        Assert.Equal(new DateTime(2006, 6, 17, 16, 1, 21, DateTimeKind.Utc), dated.StartDate);
        Assert.Equal(DateTimeKind.Utc, dated.StartDate!.Value.Kind);
        Assert.Equal("vm", dated.Clock);
        Assert.Equal("slew", dated.DriftFix);
        Assert.Equal(new DateTime(2020, 1, 1), Parse("-rtc", "base=2020-01-01").Rtc.StartDate);
        Assert.Equal("rt", Parse("-rtc", "clock=rt").Rtc.Clock);
    }

    [Theory]
    [InlineData("stdio")]
    [InlineData("stdio", "-nographic")]
    [InlineData("none", "-nodefaults")]
    [InlineData("none", "-nodefaults", "-nographic")]
    [InlineData("stdio", "-nodefaults", "-serial", "stdio")]
    [InlineData("stdio", "-nodefaults", "-serial", "mon:stdio")]
    [InlineData("null", "-serial", "null")]
    [InlineData("none", "-serial", "none")]
    [InlineData("none", "-serial", "none", "-serial", "stdio")]
    [InlineData("stdio", "-serial", "stdio", "-serial", "null")]
    [InlineData("stdio", "-daemonize")]
    [InlineData("file", "-serial", "file:out.txt")]
    [InlineData("pipe", "-serial", "pipe:/tmp/p")]
    [InlineData("socket", "-serial", "unix:/tmp/s,server,wait=off")]
    [InlineData("socket", "-serial", "tcp::4444,server=on,wait=off")]
    [InlineData("null", "-chardev", "null,id=c0", "-serial", "chardev:c0")]
    [InlineData("file", "-serial", "chardev:c0", "-chardev", "file,id=c0,path=x")]
    public void SerialBackends(string expected, params string[] args) => Assert.Equal(expected, Parse(args).Serial?.Backend ?? "none");

    [Fact]
    public void MonControlOnASocketServerIsQmpThere()
    {
        CliOptions o = Parse("-chardev", "socket,id=q,path=/tmp/q.sock,server=on,wait=off", "-mon", "chardev=q,mode=control,pretty=off");
        Assert.Equal([new Rivet.Qmp.QmpEndpoint { Transport = Rivet.Qmp.QmpTransport.Unix, Path = "/tmp/q.sock", Wait = false }], o.Qmp);
        Assert.DoesNotContain(o.Chardevs, c => c.Id == "q"); // the QMP server binds it, not the character-device layer
    }

    [Fact]
    public void ChardevOptionsAsQemuSpellsThem()
    {
        ChardevSpec unix = Parse("-serial", "unix:/tmp/a,,b.sock,server,wait=off").Serial!;
        Assert.Equal(("/tmp/a,b.sock", true, false, "serial0"), (unix.Path, unix.Server, unix.Wait, unix.Id));
        ChardevSpec tcp = Parse("-serial", "tcp:127.0.0.1:4444,server").Serial!;
        Assert.Equal(("127.0.0.1", 4444, true, true), (tcp.Host, tcp.Port, tcp.Server, tcp.Wait)); // wait=on is QEMU's default
        ChardevSpec all = Parse("-serial", "tcp::5555,server,nowait").Serial!;
        Assert.Equal(("", 5555, false), (all.Host, all.Port, all.Wait));
        ChardevSpec v6 = Parse("-serial", "tcp:[::1]:7,server=on,wait=off").Serial!;
        Assert.Equal(("::1", 7), (v6.Host, v6.Port));
        ChardevSpec client = Parse("-chardev", "socket,id=s,host=localhost,port=9", "-serial", "chardev:s").Serial!;
        Assert.Equal(("localhost", 9, false, false), (client.Host, client.Port, client.Server, client.Wait));
        ChardevSpec file = Parse("-chardev", "file,id=f,path=out,,log.txt,append=on", "-serial", "chardev:f").Serial!;
        Assert.Equal(("out,log.txt", true), (file.Path, file.Append));
        Assert.Equal("a,b", Parse("-serial", "file:a,b").Serial!.Path); // the short form takes the rest as the path
        Assert.True(Parse("-chardev", "stdio,id=c,mux=on,signal=off", "-serial", "chardev:c").Serial!.Mux);
        Assert.True(Parse("-serial", "mon:stdio").Serial!.Mux);
        // Every -chardev is opened, used or not; the -serial short form is one more.
        Assert.Equal(["serial0", "x"], Parse("-chardev", "null,id=x", "-serial", "null").Chardevs.Select(c => c.Id));
        Assert.Equal(["x"], Parse("-chardev", "null,id=x", "-serial", "none").Chardevs.Select(c => c.Id));
    }

    [Fact]
    public void PidfileAndDaemonize()
    {
        CliOptions o = Parse("-pidfile", "/run/r.pid", "-daemonize");
        Assert.Equal("/run/r.pid", o.PidFile);
        Assert.True(o.Daemonize);
        Assert.False(Parse().Daemonize);
    }

    [Fact]
    public void PrintOptionsStopReadingAsQemuDoes()
    {
        // QEMU exits at -version before looking at what follows.
        Assert.StartsWith("QEMU emulator version", CommandLine.Parse(["-version", "-frobnicate"]).Print);
        Assert.Contains("invalid option", Assert.Throws<UsageException>(() => CommandLine.Parse(["-frobnicate", "-version"])).Message);
    }

    /// <summary>-smp value, then QEMU 7.2's message for the 'virt' machine (recorded from qemu-system-riscv64 -M virt).</summary>
    public static TheoryData<string, string> BadTopologies => new()
    {
        { "4,sockets=3", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * cores (1) * threads (1) != maxcpus (4)" },
        { "cpus=4,maxcpus=2", "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * cores (2) * threads (1) == maxcpus (2) < smp_cpus (4)" },
        { "4,cores=3", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * cores (3) * threads (1) != maxcpus (4)" },
        { "sockets=2,cores=2,threads=2,cpus=4", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * cores (2) * threads (2) != maxcpus (4)" },
        { "4,sockets=2,cores=2,threads=2", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * cores (2) * threads (2) != maxcpus (4)" },
        { "cpus=4,sockets=2,cores=4", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * cores (4) * threads (0) != maxcpus (4)" },
        { "4,sockets=8", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (8) * cores (0) * threads (1) != maxcpus (4)" },
        { "010,sockets=3", "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * cores (2) * threads (1) != maxcpus (8)" },
        { "4,dies=2", "dies not supported by this machine's CPU topology" },
        { "4,clusters=2", "clusters not supported by this machine's CPU topology" },
        { "600", "Invalid SMP CPUs 600. The max CPUs supported by machine 'virt' is 512" },
        { "maxcpus=600", "Invalid SMP CPUs 600. The max CPUs supported by machine 'virt' is 512" },
        { "0x10,maxcpus=1024,sockets=4", "Invalid SMP CPUs 1024. The max CPUs supported by machine 'virt' is 512" },
        { "4,foo=1", "Parameter 'smp.foo' is unexpected" },
        { "four", "Parameter 'smp.cpus' expects integer" },
        { "0x10,sockets=x", "Parameter 'smp.sockets' expects integer" },
        { "4,cpus=x", "Parameter 'smp.cpus' expects integer" },
        { "1e3", "Parameter 'smp.cpus' expects integer" },
        { "18446744073709551615", "Parameter 'smp.cpus' expects integer below 2^32" },
        { ",", "Invalid parameter ''" },
    };

    [Theory]
    [MemberData(nameof(BadTopologies))]
    public void SmpTopologyErrorsAreQemus(string smp, string message) => Assert.Equal($"-smp {smp}: {message}", Error("-smp", smp));

    /// <summary>-smp value → cpus, sockets, cores, threads, maxcpus as QEMU 7.2 resolves them (prefer cores).</summary>
    [Theory]
    [InlineData("4", 4, 1, 4, 1, 4)]
    [InlineData("cpus=4", 4, 1, 4, 1, 4)]
    [InlineData("8,sockets=2,maxcpus=16", 8, 2, 8, 1, 16)]
    [InlineData("4,maxcpus=8", 4, 1, 8, 1, 8)]
    [InlineData("sockets=2", 2, 2, 1, 1, 2)]
    [InlineData("cores=4", 4, 1, 4, 1, 4)]
    [InlineData("threads=2", 2, 1, 1, 2, 2)]
    [InlineData("sockets=2,cores=3", 6, 2, 3, 1, 6)]
    [InlineData("4,cpus=5", 5, 1, 5, 1, 5)]
    [InlineData("0x10", 16, 1, 16, 1, 16)]
    [InlineData("maxcpus=4", 4, 1, 4, 1, 4)]
    [InlineData("4,threads=2,maxcpus=16", 4, 1, 8, 2, 16)]
    [InlineData("4,sockets=2,sockets=4", 4, 4, 1, 1, 4)]
    [InlineData("cpus=8,sockets=2,cores=2,threads=2,dies=1,clusters=1", 8, 2, 2, 2, 8)]
    [InlineData("512", 512, 1, 512, 1, 512)]
    [InlineData("", 1, 1, 1, 1, 1)]
    public void SmpTopologies(string smp, int cpus, int sockets, int cores, int threads, int maxcpus)
    {
        CliOptions o = Parse("-smp", smp);
        Assert.Equal(new SmpTopology((uint)cpus, (uint)sockets, (uint)cores, (uint)threads, (uint)maxcpus), o.Smp);
        Assert.Equal(cpus, o.Machine.Harts);
    }

    /// <summary>Values no numeric option takes: not numbers, not finite, signed, fractional where integers are due, overflowing.</summary>
    internal static readonly string[] NotNumbers =
    [
        "NaN", "nan", "Infinity", "-Infinity", "inf", "∞", "-1", "-0", "-0.5", "--1", "+1", "1e3", "1e309", "1E-3", " 1", "1 ",
        "1.5.5", "0x", "0b101", "1_000", "½", "١", "four", "99999999999999999999999999", "18446744073709551616",
        "340282366920938463463374607431768211456",
    ];

    /// <summary>Every numeric option (and numeric key), with the absurd values it must also refuse.</summary>
    internal static readonly (string Option, string Template, string[] Absurd)[] NumericOptions =
    [
        ("-smp", "{0}", ["0", "513", "2147483648", "4294967295", "4294967296"]),
        ("-smp", "cpus={0}", ["0", "513", "4294967296"]),
        ("-smp", "4,maxcpus={0}", ["0", "513", "4294967296"]),
        ("-smp", "4,sockets={0}", ["0", "3", "4294967296"]),
        ("-smp", "4,cores={0}", ["0", "5", "4294967296"]),
        ("-smp", "4,threads={0}", ["0", "3", "4294967296"]),
        ("-smp", "4,dies={0}", ["0", "2", "4294967296"]),
        ("-smp", "4,clusters={0}", ["0", "2", "4294967296"]),
        ("-m", "{0}", ["1k", "65G", "1P", "16E", "4294967296", "18446744073709551615"]),
        ("-m", "size={0}", ["65G", "16E"]),
        ("-m", "512M,maxmem={0}", ["1M", "16E"]),
        ("-m", "512M,maxmem=1G,slots={0}", ["257", "4294967296"]),
        ("-shutdown-timeout", "{0}", ["0", "0.0", "3600.5", "4294967296", "1e9"]),
        ("-accel", "tcg,tb-size={0}", ["4294967296", "18446744073709551615"]),
        ("-machine", "virt,aia-guests={0}", ["8", "4294967296"]),
    ];

    public static TheoryData<string, string> BadNumbers
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (option, template, absurd) in NumericOptions)
            {
                foreach (string v in NotNumbers.Concat(absurd))
                {
                    // A comma would start another key=value element, not a bad number.
                    data.Add(option, string.Format(System.Globalization.CultureInfo.InvariantCulture, template, v));
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadNumbers))]
    public void BadNumbersAreRefusedWithOneLine(string option, string value)
        => Assert.StartsWith($"{option} {value}: ", Error(option, value));
}
