using System.Xml.Linq;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb.Tests;

/// <summary>The target description against QEMU 7.2's, captured live (Data/qemu-7.2: qXfer:features:read from qemu-system-riscv64 -M virt -s -S).</summary>
public sealed class GdbTargetDescriptionTests
{
    private static string Reference(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "qemu-7.2", name));

    /// <summary>Parses a document; target.xml's xi:include has no namespace declaration (gdb reads it as it is), so one is added.</summary>
    private static XDocument Parse(string xml)
        => XDocument.Parse(xml.Replace("<target>", "<target xmlns:xi=\"http://www.w3.org/2001/XInclude\">", StringComparison.Ordinal));

    private static List<(string Name, string Bitsize, string? Type, string? Regnum)> Registers(string xml)
        => [.. Parse(xml).Descendants("reg").Select(r => ((string)r.Attribute("name")!, (string)r.Attribute("bitsize")!, (string?)r.Attribute("type"), (string?)r.Attribute("regnum")))];

    private static string FeatureName(string xml) => (string)Parse(xml).Root!.Attribute("name")!;

    [Fact]
    public void TargetXmlIsQemus()
    {
        Assert.Equal(Reference("target.xml"), GdbTargetDescription.Annex("target.xml"));
        XDocument doc = Parse(GdbTargetDescription.Annex("target.xml")!);
        Assert.Equal("riscv:rv64", doc.Root!.Element("architecture")!.Value);
        XNamespace xi = "http://www.w3.org/2001/XInclude";
        Assert.Equal(
            [GdbTargetDescription.CpuXml, GdbTargetDescription.FpuXml, GdbTargetDescription.VirtualXml, GdbTargetDescription.CsrXml],
            doc.Root.Elements(xi + "include").Select(e => (string)e.Attribute("href")!));
    }

    [Theory]
    [InlineData("riscv-64bit-cpu.xml")]
    [InlineData("riscv-64bit-fpu.xml")]
    [InlineData("riscv-64bit-virtual.xml")]
    public void StaticFeaturesMatchQemu(string name)
    {
        string ours = GdbTargetDescription.Annex(name)!;
        Assert.Equal(FeatureName(Reference(name)), FeatureName(ours));
        Assert.Equal(Registers(Reference(name)), Registers(ours));
        // gdb's own files, as QEMU serves them: the same bytes.
        Assert.Equal(Reference(name), ours);
    }

    [Fact]
    public void CsrFeatureNumbersEveryCsrAsQemu()
    {
        string ours = GdbTargetDescription.Annex("riscv-csr.xml")!;
        Assert.Equal("org.gnu.gdb.riscv.csr", FeatureName(ours));
        var qemu = Registers(Reference("riscv-csr.xml")).ToDictionary(r => r.Name);
        var rivet = Registers(ours);
        Assert.All(rivet, r => Assert.Equal("64", r.Bitsize));
        // Every CSR QEMU 7.2 lists that Rivet implements has QEMU's regnum.
        foreach (var r in rivet.Where(r => qemu.ContainsKey(r.Name))) Assert.Equal(qemu[r.Name].Regnum, r.Regnum);
        // Rivet lists every CSR it implements (RegisterTable), at 66 + the CSR number.
        Assert.Equal(RegisterTable.All.Count(r => r.Feature == "org.gnu.gdb.riscv.csr"), rivet.Count);
        Assert.Equal("67", rivet.Single(r => r.Name == "fflags").Regnum);
        Assert.Equal("834", rivet.Single(r => r.Name == "mstatus").Regnum);
        // The differences, named so a change is noticed: QEMU's hypervisor and vs CSRs and its odd
        // pmpcfg on RV64 are not Rivet's; fflags/frm/fcsr and Sstc, the debug and the counters QEMU 7.2
        // leaves out of its list (FS off when it is built, a table that stops early) are Rivet's.
        string[] qemuOnly = [.. qemu.Keys.Except(rivet.Select(r => r.Name)).Order(StringComparer.Ordinal)];
        Assert.All(qemuOnly, n => Assert.True(n.StartsWith('h') || n.StartsWith("vs", StringComparison.Ordinal) || n is "mtinst" or "mtval2" or "pmpcfg1" or "pmpcfg3", n));
        string[] rivetOnly = [.. rivet.Select(r => r.Name).Except(qemu.Keys)];
        Assert.Contains("fflags", rivetOnly);
        Assert.DoesNotContain("mstatus", rivetOnly);
    }

    [Fact]
    public void RegnumsCoverTheCoreFpuPrivAndCsrsWithoutGaps()
    {
        for (int i = 0; i < 32; i++) Assert.Equal(RegisterTable.XNames[i], GdbTargetDescription.Find(i)!.Name);
        Assert.Equal("pc", GdbTargetDescription.Find(32)!.Name);
        for (int i = 0; i < 32; i++) Assert.Equal(RegisterTable.FNames[i], GdbTargetDescription.Find(33 + i)!.Name);
        Assert.Equal("priv", GdbTargetDescription.Find(65)!.Name);
        Assert.Null(GdbTargetDescription.Find(66)); // CSR 0 (ustatus) does not exist
        Assert.Equal("mhartid", GdbTargetDescription.Find(66 + 0xf14)!.Name);
        Assert.Equal(RegisterTable.All.Count, GdbTargetDescription.ByRegnum.Count);
    }

    [Fact]
    public void UnknownAnnexIsNull() => Assert.Null(GdbTargetDescription.Annex("nofile.xml"));
}
