namespace Rivet.Tests;

/// <summary>Every guest in guests/manifest.txt runs on Rivet with the expected exit code and output.</summary>
public sealed class GuestProgramTests
{
    public static TheoryData<string, int, int, string> Manifest()
    {
        var data = new TheoryData<string, int, int, string>();
        foreach (string line in File.ReadAllLines(Path.Combine(Repo.Guests, "manifest.txt")))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            string[] f = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            data.Add(f[0], int.Parse(f[1]), int.Parse(f[2]), f.Length > 3 ? f[3] : "");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Manifest))]
    public void GuestPasses(string elf, int harts, int exitCode, string expectedOutput)
    {
        GuestRun run = GuestRun.Of(Repo.Guest(elf), harts);
        Assert.True(exitCode == run.ExitCode, $"exit code {run.ExitCode}, expected {exitCode}; output: {run.Output}{run.Diagnostics}");
        if (expectedOutput.Length > 0)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(Repo.Guests, expectedOutput)), run.Output);
        }
        Assert.True(run.Instructions > 0);
    }

    [Fact]
    public void ManifestListsEveryTestGuest()
    {
        // A guest source that is not in the manifest would silently never run.
        var listed = Manifest().Select(row => (string)row[0]).ToHashSet();
        foreach (string dir in new[] { "isa", "priv", "smp", "demo", "htif", "fp" })
        {
            foreach (string src in Directory.EnumerateFiles(Path.Combine(Repo.Guests, dir)).Where(f => f.EndsWith(".S") || f.EndsWith(".c")))
            {
                string elf = $"build/{dir}/{Path.GetFileNameWithoutExtension(src)}.elf";
                Assert.Contains(elf, listed);
            }
        }
    }
}

/// <summary>Guests that need console input, fed before they start.</summary>
public sealed class GuestInputTests
{
    /// <summary>The byte reaches the hart through the PLIC; the handler checks it ("R"), and any other byte is the guest's "wrong byte" code 3.</summary>
    [Theory]
    [InlineData("R", 0)]
    [InlineData("x", 3)]
    public void UartReceiveInterruptReachesTheHartThroughThePlic(string input, int exitCode)
    {
        var config = new Board.MachineConfig { Harts = 1, Kernel = Repo.Guest("build/input/uart_rx_irq.elf") };
        using var m = new Machine.Machine(config, Stream.Null, TextWriter.Null);
        m.SendInput(System.Text.Encoding.ASCII.GetBytes(input));
        m.Start();
        Assert.Equal(exitCode, m.WaitForExit(GuestRun.HangLimit));
    }
}
