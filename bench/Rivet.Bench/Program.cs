using Rivet.Bench;

return BenchProgram.Run(args);

namespace Rivet.Bench
{
    /// <summary>
    /// The benchmark program: parses the options, prints the host, then runs each selected
    /// section in order. A section is one kind of measurement (interpreter MIPS, and later
    /// lifecycle latencies and so on); add new ones to <see cref="Sections"/>.
    /// </summary>
    internal static class BenchProgram
    {
        /// <summary>Every section, in the order they run when none is named.</summary>
        public static readonly IReadOnlyList<IBenchSection> Sections =
        [
            new MipsSection(),
            new LifecycleSection(),
            new StartStopSection(),
            new QmpSection(),
            new PluginsSection(),
            new BootSection(),
            new FpDiffSection(),
        ];

        public static int Run(string[] args)
        {
            if (args is [SigtermProbe.Option]) return SigtermProbe.Run();
            if (args is [ExitProbe.Option]) return 0;
            BenchOptions options;
            try
            {
                options = BenchOptions.Parse(args);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"Rivet.Bench: {ex.Message} (--help for usage)");
                return 2;
            }
            if (options.ShowHelp)
            {
                Console.Out.WriteLine(BenchOptions.HelpText(Sections));
                return 0;
            }
            if (options.ListSections)
            {
                foreach (IBenchSection s in Sections) Console.Out.WriteLine($"{s.Name,-10} {s.Title}");
                return 0;
            }

            List<IBenchSection> selected;
            if (options.Sections.Count == 0)
            {
                selected = [.. Sections];
            }
            else
            {
                selected = [];
                foreach (string name in options.Sections)
                {
                    IBenchSection? s = Sections.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (s == null)
                    {
                        Console.Error.WriteLine($"Rivet.Bench: unknown section '{name}' (known: {string.Join(", ", Sections.Select(x => x.Name))})");
                        return 2;
                    }
                    if (!selected.Contains(s)) selected.Add(s);
                }
            }

            var context = new BenchContext(options, RepoLocator.Find(), Console.Out, Console.Error);
            HostInfo.Print(context.Out);

            int exitCode = 0;
            foreach (IBenchSection section in selected)
            {
                context.Out.WriteLine();
                context.Out.WriteLine($"== {section.Title} (--section {section.Name}) ==");
                context.Out.Flush();
                int code = section.Run(context);
                if (code != 0 && exitCode == 0) exitCode = code;
            }
            context.Out.Flush();
            return exitCode;
        }
    }
}
