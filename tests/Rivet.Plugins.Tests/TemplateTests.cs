using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>
/// The package and the <c>dotnet new</c> template, as docs/PLUGINS.md's walk-through uses them:
/// from an empty directory, pack, install the template, create a plugin, build it, load it.
/// </summary>
public sealed class TemplateTests
{
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Release";

    private static string TemplateFolder => Path.Combine(Repo.Root, "templates", "Rivet.Plugins.Templates");

    /// <summary>The package's version as the API project declares it (its informational version, before any +commit).</summary>
    private static string PackageVersion
        => typeof(PluginApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    [Fact]
    public void PackageVersionsFollowTheApiLevel()
    {
        // The package's major version is the API level; the assembly version stays 1.0.0.0 so
        // plugins built against any 1.x or 2.x package bind to the host's copy (the csproj says why).
        Assert.StartsWith($"{PluginApi.Version}.", PackageVersion);
        Assert.Equal(new Version(1, 0, 0, 0), typeof(PluginApi).Assembly.GetName().Version);

        // The template package has the same version, and its project references exactly that package.
        string templates = File.ReadAllText(Path.Combine(TemplateFolder, "Rivet.Plugins.Templates.csproj"));
        Assert.Contains($"<Version>{PackageVersion}</Version>", templates);
        string plugin = File.ReadAllText(Path.Combine(TemplateFolder, "RivetPlugin", "MyPlugin.csproj"));
        Assert.Contains($"<PackageReference Include=\"Rivet.Plugins.Api\" Version=\"{PackageVersion}\" ExcludeAssets=\"runtime\" />", plugin);
    }

    [Fact]
    public void FromAnEmptyDirectoryToThePluginsOutput()
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("rivet-template-");
        try
        {
            string feed = Path.Combine(root.FullName, "packages");
            string hive = Path.Combine(root.FullName, "hive");   // dotnet new's state: the user's is not touched
            string work = Path.Combine(root.FullName, "work");
            Directory.CreateDirectory(work);

            // The packages, as ./test.sh makes them (the API from the tests' own build of it).
            Dotnet(Repo.Root, ["pack", "src/Rivet.Plugins.Api", "-c", Configuration, "--no-build", "-o", feed]);
            Dotnet(Repo.Root, ["pack", "templates/Rivet.Plugins.Templates", "-c", Configuration, "-o", feed]);
            string templatePackage = Path.Combine(feed, $"Rivet.Plugins.Templates.{PackageVersion}.nupkg");
            Assert.True(File.Exists(Path.Combine(feed, $"Rivet.Plugins.Api.{PackageVersion}.nupkg")));
            Assert.True(File.Exists(templatePackage));

            // Package sources: none but what the generated project's NuGet.config adds (the feed),
            // so the build below needs no network, and proves that NuGet.config names the feed.
            File.WriteAllText(Path.Combine(work, "NuGet.config"),
                "<configuration><packageSources><clear /></packageSources></configuration>\n");

            // The walk-through: install, create, build.
            Assert.Contains("rivet-plugin", Dotnet(work, ["new", "install", templatePackage, "--debug:custom-hive", hive]));
            Dotnet(work, ["new", "rivet-plugin", "-n", "MyPlugin", "--feed", feed, "--debug:custom-hive", hive, "--no-update-check"]);
            string project = Path.Combine(work, "MyPlugin");
            Assert.True(File.Exists(Path.Combine(project, "MyPlugin.csproj")));
            Assert.Contains($"value=\"{feed}\"", File.ReadAllText(Path.Combine(project, "NuGet.config")));
            // Packages restore into a folder of the test's own: a package rebuilt with the same version
            // is never taken from a stale copy in the user's cache.
            Dotnet(project, ["build", "-warnaserror"], Path.Combine(root.FullName, "nuget"));
            string output = Path.Combine(project, "bin", "Debug", "net10.0");
            string dll = Path.Combine(output, "MyPlugin.dll");
            Assert.True(File.Exists(dll));
            Assert.False(File.Exists(Path.Combine(output, "Rivet.Plugins.Api.dll"))); // the host supplies it

            // Load it next to the built-in insn plugin, which counts the same instructions.
            (int code, string stdout, string stderr) = RivetProcess.Run("-smp", "4", "-kernel", Repo.Guest("build/demo/demo.elf"),
                "-plugin", dll + ",percpu=on", "-plugin", "insn", "-d", "plugin");
            Assert.True(code == 0, $"exit code {code}; standard error:\n{stderr}");
            Assert.Contains("all good, bye!", stdout);
            long total = 0;
            for (int cpu = 0; cpu < 4; cpu++)
            {
                Match mine = Regex.Match(stderr, $@"^MyPlugin: vcpu {cpu}: (\d+) instructions$", RegexOptions.Multiline);
                Match insn = Regex.Match(stderr, $@"^cpu {cpu} insns: (\d+)$", RegexOptions.Multiline);
                Assert.True(mine.Success && insn.Success, stderr);
                Assert.Equal(insn.Groups[1].Value, mine.Groups[1].Value);
                total += long.Parse(mine.Groups[1].Value);
            }
            Assert.True(total > 0);
            Assert.Contains($"\nMyPlugin: {total} instructions\n", stderr);
            Assert.Contains($"total insns: {total}\n", stderr);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Runs the dotnet command in <paramref name="directory"/> and returns its output; a failure
    /// or a hang fails the test with that output. No build server or node outlives the command.
    /// <paramref name="packages"/>: NuGet's global packages folder for this command.
    /// </summary>
    private static string Dotnet(string directory, string[] args, string? packages = null)
    {
        string command = Environment.ProcessPath is string p && Path.GetFileName(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(command)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (args[0] is "build" or "pack") psi.ArgumentList.Add("-nodeReuse:false");
        if (args[0] is "build" or "pack") psi.ArgumentList.Add("-p:UseSharedCompilation=false");
        // dotnet test's MSBuild settings would point the child at the test run's build.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (packages != null) psi.Environment["NUGET_PACKAGES"] = packages;
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 180 s");
        }
        string output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} (in {directory}) exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
