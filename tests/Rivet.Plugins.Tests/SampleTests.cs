using System.Runtime.Loader;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>The sample plugin, loaded by path in-process: its own load context, the host's API.</summary>
public sealed class SampleTests
{
    [Fact]
    public void SampleSeesEveryCallbackKindOnFourVCpus()
    {
        string[] contextsBefore = [.. AssemblyLoadContext.All.Select(c => c.Name ?? "")];
        PluginRunResult r = PluginRun.Run(Programs.Guest("build/smp/ipi_wfi.elf", harts: 4), host => host.Load(PluginAssemblies.Sample));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Diagnostics);

        // Loaded into a context of its own, and it found the host's IRivetPlugin (else: no entry point).
        Assert.Contains(AssemblyLoadContext.All, c => c.Name == "plugin Rivet.Plugins.Sample.dll" && !contextsBefore.Contains(c.Name));
        Assert.Single(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Rivet.Plugins.Api");

        string[] lines = PluginRun.Lines(r.Output, "sample: vcpu ");
        Assert.Equal(4, lines.Length);
        long total = 0;
        for (int cpu = 0; cpu < 4; cpu++)
        {
            // Inline counts equal the hart's own; init saw the reset ROM's first instruction with registers zero; every vCPU idled and resumed.
            var m = System.Text.RegularExpressions.Regex.Match(lines[cpu],
                $@"^sample: vcpu {cpu}: (\d+) instructions, \d+ blocks, \d+ loads, \d+ stores \(last at 0x[0-9a-f]+\), (\d+) wfi, idle (\d+), resumed (\d+), init pc 0x1000 a0 0, exit pc 0x[0-9a-f]+$");
            Assert.True(m.Success, lines[cpu]);
            Assert.Equal(r.Retired[cpu], ulong.Parse(m.Groups[1].Value));
            total += long.Parse(m.Groups[1].Value);
            long idles = long.Parse(m.Groups[3].Value);
            Assert.True(idles > 0);
            Assert.Equal(idles, long.Parse(m.Groups[4].Value));
            Assert.True(long.Parse(m.Groups[2].Value) >= idles); // each sleep follows a wfi
        }
        Assert.Contains($"sample: total {total} instructions\n", r.Output);
    }
}
