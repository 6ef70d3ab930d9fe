using System.Globalization;
using System.Text;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb;

/// <summary>
/// gdb's register numbers and the target description (qXfer:features:read), built from
/// <see cref="RegisterTable"/> by QEMU 7.2's rules for riscv64: the core feature x0-x31 and pc
/// (0-32, the registers of g/G), the fpu feature f0-f31 (33-64), the virtual feature priv (65),
/// then every CSR at 66 + its number (riscv_gen_dynamic_csr_xml's base + csrno).
/// </summary>
internal static class GdbTargetDescription
{
    /// <summary>The registers g and G carry: x0-x31 and pc (QEMU's gdb_num_core_regs).</summary>
    public const int CoreRegisterCount = 33;
    public const int FpuBase = 33;
    public const int PrivRegnum = 65;
    public const int CsrBase = 66;

    public const string TargetXml = "target.xml";
    public const string CpuXml = "riscv-64bit-cpu.xml";
    public const string FpuXml = "riscv-64bit-fpu.xml";
    public const string VirtualXml = "riscv-64bit-virtual.xml";
    public const string CsrXml = "riscv-csr.xml";

    private static readonly Dictionary<int, RegisterDescriptor> s_byRegnum = BuildMap();
    private static readonly Dictionary<string, string> s_annexes = new(StringComparer.Ordinal)
    {
        [TargetXml] = BuildTarget(),
        [CpuXml] = BuildCpu(),
        [FpuXml] = BuildFpu(),
        [VirtualXml] = BuildVirtual(),
        [CsrXml] = BuildCsr(),
    };

    /// <summary>Every register gdb can name, by its number.</summary>
    public static IReadOnlyDictionary<int, RegisterDescriptor> ByRegnum => s_byRegnum;

    public static RegisterDescriptor? Find(int regnum) => s_byRegnum.GetValueOrDefault(regnum);

    public static int Regnum(RegisterDescriptor register) => register.Kind switch
    {
        RegisterKind.X => register.Number,
        RegisterKind.Pc => 32,
        RegisterKind.F => FpuBase + register.Number,
        RegisterKind.Priv => PrivRegnum,
        _ => CsrBase + register.Number,
    };

    /// <summary>The XML document named <paramref name="annex"/> (target.xml or one it includes); null if there is none.</summary>
    public static string? Annex(string annex) => s_annexes.GetValueOrDefault(annex);

    public static IEnumerable<string> AnnexNames => s_annexes.Keys;

    private static Dictionary<int, RegisterDescriptor> BuildMap()
    {
        var map = new Dictionary<int, RegisterDescriptor>();
        foreach (RegisterDescriptor r in RegisterTable.All) map.Add(Regnum(r), r);
        return map;
    }

    private static string BuildTarget()
        => "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target><architecture>riscv:rv64</architecture>"
         + $"<xi:include href=\"{CpuXml}\"/><xi:include href=\"{FpuXml}\"/><xi:include href=\"{VirtualXml}\"/><xi:include href=\"{CsrXml}\"/></target>";

    // The three static features are gdb's own files (gdb/features/riscv), as QEMU serves them.
    private const string Header = "<?xml version=\"1.0\"?>\n<!-- Copyright (C) 2018-2019 Free Software Foundation, Inc.\n\n"
        + "     Copying and distribution of this file, with or without modification,\n"
        + "     are permitted in any medium without royalty provided the copyright\n"
        + "     notice and this notice are preserved.  -->\n\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n";

    private static IEnumerable<RegisterDescriptor> InFeature(string feature) => RegisterTable.All.Where(r => r.Feature == feature);

    private static string BuildCpu()
    {
        var xml = new StringBuilder(Header).Append("<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
        foreach (RegisterDescriptor r in InFeature("org.gnu.gdb.riscv.cpu"))
        {
            string type = r.Name switch
            {
                "ra" or "pc" => "code_ptr",
                "sp" or "gp" or "tp" or "fp" => "data_ptr",
                _ => "int",
            };
            xml.Append(CultureInfo.InvariantCulture, $"  <reg name=\"{r.Name}\" bitsize=\"64\" type=\"{type}\"/>\n");
        }
        return xml.Append("</feature>\n").ToString();
    }

    private static string BuildFpu()
    {
        var xml = new StringBuilder(Header).Append("<feature name=\"org.gnu.gdb.riscv.fpu\">\n\n")
            .Append("  <union id=\"riscv_double\">\n    <field name=\"float\" type=\"ieee_single\"/>\n    <field name=\"double\" type=\"ieee_double\"/>\n  </union>\n\n");
        foreach (RegisterDescriptor r in InFeature("org.gnu.gdb.riscv.fpu"))
            xml.Append(CultureInfo.InvariantCulture, $"  <reg name=\"{r.Name}\" bitsize=\"64\" type=\"riscv_double\"/>\n");
        return xml.Append("</feature>\n").ToString();
    }

    private static string BuildVirtual()
        => Header + "<feature name=\"org.gnu.gdb.riscv.virtual\">\n  <reg name=\"priv\" bitsize=\"64\"/>\n</feature>\n";

    /// <summary>As riscv_gen_dynamic_csr_xml: one line, every CSR with its regnum, in CSR number order.</summary>
    private static string BuildCsr()
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE feature SYSTEM \"gdb-target.dtd\"><feature name=\"org.gnu.gdb.riscv.csr\">");
        foreach (RegisterDescriptor r in InFeature("org.gnu.gdb.riscv.csr").OrderBy(r => r.Number))
            xml.Append(CultureInfo.InvariantCulture, $"<reg name=\"{r.Name}\" bitsize=\"64\" regnum=\"{Regnum(r)}\"/>");
        return xml.Append("</feature>").ToString();
    }
}
