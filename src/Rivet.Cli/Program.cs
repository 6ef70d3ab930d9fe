using Rivet;
using Rivet.Board;
using Rivet.Cli;
using Rivet.Cli.Chardev;
using Rivet.Gdb;
using Rivet.Cli.HumanMonitor;
using Rivet.Machine;

int exitCode = RivetProgram.Run(args);
// A plugin's foreground thread (reported and abandoned by the shutdown) would keep the runtime
// waiting after Main returns; Environment.Exit does not wait for it.
if (CliPlugins.EndWithExit) Environment.Exit(exitCode);
return exitCode;

namespace Rivet.Cli
{
    /// <summary>Options → machine; signals → shutdown requests; machine → exit code.</summary>
    internal static class RivetProgram
    {
        public static int Run(string[] args)
        {
            // ELFSharp's reader is generic (ELF<ulong>), which ReadyToRun cannot precompile, so its
            // first use JIT-compiles about 35 methods: that happens on the other core while this
            // one sets up signals, options and devices (docs/STARTUP.md).
            WarmUpElfReader();
            // Before anything is written: on a terminal, plain writes (no .NET terminal set-up).
            RawTerminal.UseFdWriters();
            // Signals first, so the window in which SIGTERM still has its default action is as
            // short as the runtime allows; until the machine exists they only set a flag.
            using var signals = new SignalHandlers();
            CliOptions options;
            try
            {
                options = CommandLine.Parse(args);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            if (options.Print != null)
            {
                Console.Out.Write(options.Print);
                return options.PrintExitCode;
            }
            if (options.Daemonize && Daemon.Detach(args) is int parentCode) return parentCode;
            PidFile? pidFile;
            try
            {
                pidFile = options.PidFile is string path ? PidFile.Create(path) : null;
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            using PidFile? pid = pidFile;

            MachineConfig config = options.Machine;
            if (options.Demo)
            {
                config = config with { KernelImage = DemoImage(), KernelName = "built-in demo" };
                Console.Error.WriteLine("rivet: no options given; running the built-in demo on 4 harts (rivet -help for options)");
            }
            config = QmpHost.Configure(options, config);

            ChardevHost chardevs;
            try
            {
                chardevs = ChardevHost.Open(options.Chardevs);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            using ChardevHost chardevsInUse = chardevs;
            // A wait=on server holds the machine in prelaunch until its client comes, as -qmp's does.
            if (chardevs.AnyWaits) config = config with { StartPaused = true };
            Chardev.Chardev? serial = chardevs.Find(options.Serial?.Id);

            Machine.Machine machine;
            try
            {
                machine = new Machine.Machine(config, serial?.AsOutputStream() ?? Stream.Null);
            }
            catch (ImageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            catch (OutOfMemoryException)
            {
                Console.Error.WriteLine($"rivet: cannot allocate {config.RamSize >> 20} MiB of guest RAM");
                return ExitCodes.StartupError;
            }
            if (config.DumpDtb is string dtbFile)
            {
                // As QEMU: the tree is written once the images are placed (its /chosen has the initrd), then exit.
                try
                {
                    machine.DumpDeviceTree(dtbFile);
                }
                catch (ImageException ex)
                {
                    Console.Error.WriteLine($"rivet: {ex.Message}");
                    return ExitCodes.StartupError;
                }
                Console.Error.WriteLine($"rivet: info: dtb dumped to {dtbFile}. Exiting.");
                return 0;
            }
            var machineDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            machine.Event += e =>
            {
                if (machine.IsFinalShutdown(e)) machineDown.TrySetResult();
            };

            // -plugin: installed before anything runs; the plugin log is flushed when Run returns.
            CliPlugins plugins;
            try
            {
                plugins = CliPlugins.Load(options.Plugins, machine);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            using CliPlugins pluginLog = plugins;

            // As QEMU, the main loop reports the signal when it takes the shutdown request.
            machine.Event += e =>
            {
                if (e.Name == "SHUTDOWN" && e.Reason == ShutdownCause.HostSignal && signals.TerminationMessage is { } message)
                {
                    Console.Error.WriteLine(message);
                }
            };
            if (!signals.Attach(machine))
            {
                // A signal arrived during start-up: nothing ran, nothing to clean up.
                Console.Error.WriteLine(signals.TerminationMessage);
                return 0;
            }
            QmpHost? qmp;
            try
            {
                qmp = QmpHost.Listen(options, machine);
            }
            catch (UsageException ex)
            {
                Console.Error.WriteLine($"rivet: {ex.Message}");
                return ExitCodes.StartupError;
            }
            Daemon.NotifyStarted();
            using (qmp)
            {
                // Monitors attach before the UART, as in QEMU, so a mux starts with the UART focused.
                var monitors = new List<HmpMonitor>();
                foreach (ChardevSpec m in options.Monitors)
                {
                    var monitor = new HmpMonitor(chardevs.Find(m.Id)!, machine, options.Name);
                    monitors.Add(monitor);
                    chardevs.Attach(m.Id, monitor);
                }
                // -gdb: the stub sits on its character device (QEMU's "gdb" chardev) before the UART, as in QEMU.
                using GdbFrontend? gdb = options.Gdb is ChardevSpec g ? new GdbFrontend(chardevs.Find(g.Id)!, new MachineGdbTarget(machine), Console.Error) : null;
                if (gdb != null) chardevs.Attach(options.Gdb!.Id, gdb);
                if (options.Serial != null) chardevs.Attach(options.Serial.Id, new SerialFrontend(machine.SendInput));
                // C-a x: QEMU's qmp_quit, the orderly shutdown.
                qmp?.Serve(options, chardevs);
                foreach (MuxChardev mux in chardevs.Muxes) mux.OnQuit(() => machine.RequestShutdown(ShutdownCause.HostQmpQuit, 0));
                chardevs.Start();
                Rivet.Qmp.HostChardevs.Register(machine, chardevs.Describe);
                machine.Start();
                bool clientsCame = chardevs.WaitForClients(machineDown.Task);
                if (clientsCame && qmp != null) clientsCame = qmp.WaitForClients();
                // With a human monitor, also when the machine started running by itself: Resume
                // returns once the first run has begun, so no command sees prelaunch.
                if (clientsCame && !options.Machine.StartPaused && (config.StartPaused || monitors.Count > 0)) machine.Resume();
                foreach (HmpMonitor monitor in monitors) monitor.StartupDone();
                qmp?.Open();
                // A run that ends at once does not wait for the warm-up (6 ms of a 90 ms run);
                // one that lives on gets its shutdown path prepared (1 ms of a SIGTERM).
                int code = machine.WaitForExit(JitWarmup.After) ?? JitWarmup.ThenWaitForExit(machine);
                Console.Out.Flush();
                return code; // disposing qmp flushes queued replies and events (quit's SHUTDOWN), then closes
            }
        }

        private static void WarmUpElfReader()
        {
            new Thread(() =>
            {
                try
                {
                    _ = ElfImage.Parse(DemoImage(), "built-in demo");
                }
                catch (ImageException)
                {
                    // The demo is checked by ./test.sh; nothing waits for this.
                }
            })
            { IsBackground = true }.Start();
        }

        private static byte[] DemoImage()
        {
            using Stream s = typeof(RivetProgram).Assembly.GetManifestResourceStream("Rivet.Cli.demo.elf")
                ?? throw new InvalidOperationException("the demo guest is missing from the build");
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
    }
}
