namespace Rivet.Tests;

/// <summary>The rivet command: QEMU's exit codes, and one clear line for every bad input.</summary>
public sealed class CommandLineTests
{
    private static string Pass => TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram), "pass.elf");


    [Fact]
    public void HandBuiltElfPasses()
    {
        var r = RivetProcess.Run("-machine", "virt", "-bios", "none", "-nographic", "-kernel", Pass);
        Assert.Equal(0, r.Code);
    }

    [Fact]
    public void NoArgumentsRunsTheDemo()
    {
        var r = RivetProcess.Run();
        Assert.Equal(0, r.Code);
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Guests, "demo", "demo.expected")), r.Out);
    }

    [Fact]
    public void GuestFailureCodeBecomesExitCode()
    {
        var r = RivetProcess.Run("-M", "virt", "-smp", "1", "-bios", "none", "-nographic", "-display", "none", "-serial", "mon:stdio",
            "-kernel", Repo.Guest("build/isa/csr_misa.elf"));
        Assert.Equal(0, r.Code);
        // 0x00073333: FAIL with code 7 in the high half
        byte[] program = TinyElf.FinisherProgram(0x00073333);
        var failing = RivetProcess.Run("-nographic", "-kernel", TinyElf.WriteTemp(TinyElf.Build(0x80000000, program), "fail7.elf"));
        Assert.Equal(7, failing.Code);
    }

    [Fact]
    public void VersionAndHelp()
    {
        var v = RivetProcess.Run("-version");
        Assert.Equal(0, v.Code);
        Assert.StartsWith("QEMU emulator version 7.2.0 (Rivet ", v.Out);
        var h = RivetProcess.Run("-help");
        Assert.Equal(0, h.Code);
        Assert.Contains("-kernel FILE", h.Out);
    }

    [Fact]
    public void MissingFile() => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", "/nonexistent/guest.elf"), "no such file");

    [Fact]
    public void NotAnElfIsARawImageAtTheDramBaseWithoutFirmware()
    {
        // As QEMU: a kernel that is not an ELF is a raw image, at 0x80000000 with -bios none.
        var r = RivetProcess.Run("-bios", "none", "-nographic", "-kernel", TinyElf.WriteTemp(TinyElf.PassProgram, "pass.bin"));
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public void TruncatedElf()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram)[..40], "trunc.elf")), "ELF");

    [Fact]
    public void ElfForAnotherArchitecture()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram, machine: 62), "x86.elf")), "another architecture");

    [Fact]
    public void Rv32Elf()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel", TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram, elfClass: 1), "rv32.elf")), "RV32");

    [Fact]
    public void SegmentOutsideRam()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-m", "128M", "-kernel", TinyElf.WriteTemp(TinyElf.Build(0x90000000, TinyElf.PassProgram), "high.elf")), "outside RAM");

    [Fact]
    public void SegmentStraddlingEndOfRam()
        => RivetProcess.AssertStartupError(RivetProcess.Run("-m", "1M", "-kernel", TinyElf.WriteTemp(TinyElf.Build(0x80000000, TinyElf.PassProgram, memSize: 2 << 20), "big.elf")), "outside RAM");

    [Theory]
    [InlineData("0", "at least 1")]
    [InlineData("513", "512")]
    [InlineData("four", "Parameter 'smp.cpus' expects integer")]
    public void BadSmp(string smp, string fragment) => RivetProcess.AssertStartupError(RivetProcess.Run("-smp", smp, "-kernel", Pass), fragment);

    [Theory]
    [InlineData("lots")]
    [InlineData("12Q")]
    [InlineData("100T")]
    [InlineData("-5M")]
    public void BadMemory(string m) => RivetProcess.AssertStartupError(RivetProcess.Run("-m", m, "-kernel", Pass), "-m");

    [Theory]
    [InlineData("-frobnicate")]
    [InlineData("--no-such-option")]
    [InlineData("stray")]
    public void UnknownOption(string opt) => RivetProcess.AssertStartupError(RivetProcess.Run(opt, "-kernel", Pass), "invalid option");

    [Fact]
    public void MissingOptionValue() => RivetProcess.AssertStartupError(RivetProcess.Run("-kernel"), "requires an argument");

    [Fact]
    public void OtherMachine() => RivetProcess.AssertStartupError(RivetProcess.Run("-machine", "sifive_u", "-kernel", Pass), "unsupported machine");

    [Fact]
    public void NoGuest() => RivetProcess.AssertStartupError(RivetProcess.Run("-nographic"), "no guest");
}
