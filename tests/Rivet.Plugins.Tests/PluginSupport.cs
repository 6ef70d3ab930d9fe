using System.Reflection;
using System.Reflection.Emit;
using Rivet.Board;
using Rivet.Machine;
using Rivet.Plugins.Hosting;
using Rivet.Tests;

namespace Rivet.Plugins.Tests;

/// <summary>Guest programs whose behaviour is known exactly, as bytes at 0x80000000.</summary>
internal static class Programs
{
    /// <summary>
    /// li t0,1000; loop: addi t0,t0,-1; bnez t0,loop; then the finisher pass sequence. Executes
    /// 0x80000000 once, 0x80000004 and 0x80000008 1000 times each, 0x8000000c..0x18 once, then
    /// spins on <c>j .</c> (0x8000001c) until the machine stops it.
    /// </summary>
    public static readonly byte[] Loop =
    [
        0x93, 0x02, 0x80, 0x3E, // 0x80000000 addi t0,zero,1000
        0x93, 0x82, 0xF2, 0xFF, // 0x80000004 addi t0,t0,-1
        0xE3, 0x9E, 0x02, 0xFE, // 0x80000008 bne t0,zero,0x80000004
        .. TinyElf.PassProgram, // 0x8000000c lui, 0x10 lui, 0x14 addiw, 0x18 sw, 0x1c j .
    ];

    /// <summary>
    /// Loads and stores at known addresses, then the finisher: one block of 11 instructions
    /// (0x80000000..0x80000028, 44 bytes) and five memory accesses.
    /// </summary>
    public static readonly byte[] Memory =
    [
        0x97, 0x12, 0x00, 0x00, // 0x80000000 auipc t0,0x1        t0 = 0x80001000
        0x13, 0x03, 0x30, 0x5A, // 0x80000004 addi t1,zero,1443   t1 = 0x5a3
        0x23, 0xB4, 0x62, 0x00, // 0x80000008 sd t1,8(t0)         store 8 bytes at 0x80001008
        0x83, 0xA3, 0x82, 0x00, // 0x8000000c lw t2,8(t0)         load 4 bytes at 0x80001008: 0x5a3
        0x03, 0xCE, 0x92, 0x00, // 0x80000010 lbu t3,9(t0)        load 1 byte at 0x80001009: 0x05
        0x23, 0x98, 0x62, 0x00, // 0x80000014 sh t1,16(t0)        store 2 bytes at 0x80001010
        .. TinyElf.PassProgram, // 0x80000018 lui t0,0x100 ... 0x80000024 sw t1,0(t0) (0x5555 to 0x100000), 0x80000028 j .
    ];

    /// <summary>
    /// Hart 0 sleeps in wfi with no interrupt enabled (idle until the host stops it); every
    /// other hart counts in a loop forever.
    /// </summary>
    public static readonly byte[] IdleAndSpin =
    [
        0x73, 0x25, 0x40, 0xF1, // 0x80000000 csrr a0,mhartid
        0x63, 0x18, 0x05, 0x00, // 0x80000004 bnez a0,0x80000014
        0x73, 0x10, 0x40, 0x30, // 0x80000008 csrw mie,zero
        0x73, 0x00, 0x50, 0x10, // 0x8000000c wfi
        0x6F, 0xF0, 0xDF, 0xFF, // 0x80000010 j 0x8000000c
        0x93, 0x82, 0x12, 0x00, // 0x80000014 addi t0,t0,1
        0x6F, 0xF0, 0xDF, 0xFF, // 0x80000018 j 0x80000014
    ];

    /// <summary>
    /// Four harts pass one IPI around a ring forever (hart h wakes h+1 mod 4), each sleeping in
    /// wfi between turns; nothing in memory, so a reset simply restarts the ring. Run with -smp 4.
    /// </summary>
    public static readonly byte[] Ring4 =
    [
        0x73, 0x25, 0x40, 0xF1, // 0x80000000 csrr a0,mhartid
        0x13, 0x03, 0x80, 0x00, // 0x80000004 li t1,8
        0x73, 0x10, 0x43, 0x30, // 0x80000008 csrw mie,t1          (MSIE)
        0x63, 0x14, 0x05, 0x00, // 0x8000000c bnez a0,wait
        0x6F, 0x00, 0x00, 0x02, // 0x80000010 j send                (hart 0 starts the ring)
        0x73, 0x00, 0x50, 0x10, // 0x80000014 wait: wfi
        0xB7, 0x02, 0x00, 0x02, // 0x80000018 lui t0,0x2000         (CLINT msip)
        0x13, 0x13, 0x25, 0x00, // 0x8000001c slli t1,a0,2
        0xB3, 0x82, 0x62, 0x00, // 0x80000020 add t0,t0,t1
        0x83, 0xA3, 0x02, 0x00, // 0x80000024 lw t2,0(t0)
        0xE3, 0x86, 0x03, 0xFE, // 0x80000028 beqz t2,wait          (not our turn yet)
        0x23, 0xA0, 0x02, 0x00, // 0x8000002c sw zero,0(t0)         (clear own msip)
        0x93, 0x03, 0x15, 0x00, // 0x80000030 send: addi t2,a0,1
        0x93, 0xF3, 0x33, 0x00, // 0x80000034 andi t2,t2,3
        0xB7, 0x02, 0x00, 0x02, // 0x80000038 lui t0,0x2000
        0x93, 0x93, 0x23, 0x00, // 0x8000003c slli t2,t2,2
        0xB3, 0x82, 0x72, 0x00, // 0x80000040 add t0,t0,t2
        0x13, 0x03, 0x10, 0x00, // 0x80000044 li t1,1
        0x23, 0xA0, 0x62, 0x00, // 0x80000048 sw t1,0(t0)          (wake the next hart)
        0x6F, 0xF0, 0x9F, 0xFC, // 0x8000004c j wait
    ];

    public static MachineConfig Config(byte[] program, int harts = 1, LifecycleOptions? lifecycle = null)
        => new()
        {
            Harts = harts,
            RamSize = 16 << 20,
            KernelImage = TinyElf.Build(0x80000000, program),
            Lifecycle = lifecycle ?? new LifecycleOptions(),
        };

    public static MachineConfig Guest(string elf, int harts, LifecycleOptions? lifecycle = null)
        => new() { Harts = harts, RamSize = 16 << 20, Kernel = Repo.Guest(elf), Lifecycle = lifecycle ?? new LifecycleOptions() };
}

/// <summary>What a machine run with plugins left behind.</summary>
/// <summary>A run's exit code, plugin output, diagnostics, instructions retired per hart and entries into translated regions (all harts).</summary>
internal sealed record PluginRunResult(int ExitCode, string Output, string Diagnostics, ulong[] Retired, long RegionEntries = 0);

/// <summary>Runs a machine in-process with plugins, collecting their output and the diagnostics.</summary>
internal static class PluginRun
{
    public static PluginRunResult Run(MachineConfig config, Action<PluginHost> install, Action<Machine.Machine>? whileRunning = null,
        Action<Machine.Machine>? beforeStart = null)
    {
        var output = new StringWriter();
        var diagnostics = new StringWriter();
        using var machine = new Machine.Machine(config, Stream.Null, TextWriter.Synchronized(diagnostics));
        var host = new PluginHost(machine, TextWriter.Synchronized(output));
        install(host);
        beforeStart?.Invoke(machine);
        machine.Start();
        whileRunning?.Invoke(machine);
        int? code = machine.WaitForExit(GuestRun.HangLimit);
        if (code == null)
        {
            string state = $"run state {machine.RunState}; " + string.Join("; ", machine.VCpus.Select(v => $"vCPU {v.Index} {v.State} pc 0x{v.ProgramCounter:x}"));
            machine.RequestShutdown(ShutdownCause.HostUi);
            machine.WaitForExit(TimeSpan.FromSeconds(10));
            throw new TimeoutException($"the machine did not exit within {GuestRun.HangLimit.TotalSeconds} s ({state}); diagnostics: {diagnostics}");
        }
        ulong[] retired = [.. machine.Board.Harts.Select(h => h.InstructionsRetired)];
        string d;
        lock (diagnostics) d = diagnostics.ToString();
        string o;
        lock (output) o = output.ToString();
        return new PluginRunResult(code.Value, o, d, retired, machine.Board.Harts.Sum(h => h.Translations.Entries));
    }

    /// <summary>The lines of <paramref name="text"/> that start with <paramref name="prefix"/>.</summary>
    public static string[] Lines(string text, string prefix)
        => [.. text.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    /// <summary>How many times <paramref name="fragment"/> occurs in <paramref name="text"/>.</summary>
    public static int Count(string text, string fragment)
    {
        int n = 0;
        for (int i = text.IndexOf(fragment, StringComparison.Ordinal); i >= 0; i = text.IndexOf(fragment, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}

/// <summary>Plugin assemblies for the loader tests.</summary>
internal static class PluginAssemblies
{
    /// <summary>The sample plugin, built with the tests in the same configuration.</summary>
    public static string Sample
    {
        get
        {
            string baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            string tfm = Path.GetFileName(baseDir);
            string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir))!;
            string path = Path.Combine(Repo.Root, "samples", "Rivet.Plugins.Sample", "bin", configuration, tfm, "Rivet.Plugins.Sample.dll");
            if (!File.Exists(path)) throw new FileNotFoundException("the sample plugin is not built (the test project builds it)", path);
            return path;
        }
    }

    /// <summary>
    /// Writes a plugin assembly with one class, Emitted.Plugin, whose Install does nothing:
    /// declaring <paramref name="apiVersion"/> (or no version at all when null), with
    /// <paramref name="classes"/> such classes.
    /// </summary>
    public static string Emit(string name, int? apiVersion, int classes = 1)
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        ModuleBuilder module = assembly.DefineDynamicModule(name);
        for (int c = 0; c < classes; c++)
        {
            TypeBuilder type = module.DefineType($"Emitted.Plugin{(c == 0 ? "" : c)}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(object));
            type.AddInterfaceImplementation(typeof(IRivetPlugin));
            if (apiVersion is int v)
                type.SetCustomAttribute(new CustomAttributeBuilder(typeof(RivetPluginAttribute).GetConstructor([typeof(int)])!, [v]));
            type.DefineDefaultConstructor(MethodAttributes.Public);
            MethodBuilder install = type.DefineMethod(nameof(IRivetPlugin.Install),
                MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
                typeof(void), [typeof(IPluginContext), typeof(PluginArgs)]);
            install.GetILGenerator().Emit(OpCodes.Ret);
            type.DefineMethodOverride(install, typeof(IRivetPlugin).GetMethod(nameof(IRivetPlugin.Install))!);
            type.CreateType();
        }
        return Save(assembly, name);
    }

    /// <summary>
    /// Writes a plugin assembly whose Install registers its own handler for signal
    /// <paramref name="signo"/> (<see cref="System.Runtime.InteropServices.PosixSignalRegistration"/>),
    /// which cancels the signal's default action and writes <paramref name="message"/> to standard error.
    /// </summary>
    public static string EmitSignalPlugin(string name, int signo, string message)
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        ModuleBuilder module = assembly.DefineDynamicModule(name);
        TypeBuilder type = module.DefineType("Emitted.SignalPlugin", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(object));
        type.AddInterfaceImplementation(typeof(IRivetPlugin));
        type.SetCustomAttribute(new CustomAttributeBuilder(typeof(RivetPluginAttribute).GetConstructor([typeof(int)])!, [PluginApi.Version]));
        type.DefineDefaultConstructor(MethodAttributes.Public);
        Type registrationType = typeof(System.Runtime.InteropServices.PosixSignalRegistration);
        Type handlerType = typeof(Action<System.Runtime.InteropServices.PosixSignalContext>);
        FieldBuilder keep = type.DefineField("s_registration", registrationType, FieldAttributes.Private | FieldAttributes.Static);

        // static void OnSignal(PosixSignalContext c) { c.Cancel = true; Console.Error.WriteLine(message); }
        // (not cancelled, the signal's default action would follow the handler)
        MethodBuilder onSignal = type.DefineMethod("OnSignal", MethodAttributes.Private | MethodAttributes.Static, typeof(void), [typeof(System.Runtime.InteropServices.PosixSignalContext)]);
        ILGenerator il = onSignal.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Callvirt, typeof(System.Runtime.InteropServices.PosixSignalContext).GetProperty(nameof(System.Runtime.InteropServices.PosixSignalContext.Cancel))!.SetMethod!);
        il.Emit(OpCodes.Call, typeof(Console).GetProperty(nameof(Console.Error))!.GetMethod!);
        il.Emit(OpCodes.Ldstr, message);
        il.Emit(OpCodes.Callvirt, typeof(TextWriter).GetMethod(nameof(TextWriter.WriteLine), [typeof(string)])!);
        il.Emit(OpCodes.Ret);

        // Install: s_registration = PosixSignalRegistration.Create((PosixSignal)signo, OnSignal);
        MethodBuilder install = type.DefineMethod(nameof(IRivetPlugin.Install),
            MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
            typeof(void), [typeof(IPluginContext), typeof(PluginArgs)]);
        il = install.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4, signo);
        il.Emit(OpCodes.Ldnull);
        il.Emit(OpCodes.Ldftn, onSignal);
        il.Emit(OpCodes.Newobj, handlerType.GetConstructor([typeof(object), typeof(IntPtr)])!);
        il.Emit(OpCodes.Call, registrationType.GetMethod(nameof(System.Runtime.InteropServices.PosixSignalRegistration.Create))!);
        il.Emit(OpCodes.Stsfld, keep);
        il.Emit(OpCodes.Ret);
        type.DefineMethodOverride(install, typeof(IRivetPlugin).GetMethod(nameof(IRivetPlugin.Install))!);
        type.CreateType();
        return Save(assembly, name);
    }

    /// <summary>What the thread an emitted plugin starts does.</summary>
    public enum ThreadBody
    {
        /// <summary>Sleeps forever.</summary>
        SleepForever,
        /// <summary>Throws InvalidOperationException("boom on a plugin thread").</summary>
        Throw,
        /// <summary>Install itself throws InvalidOperationException("boom in install"); no thread.</summary>
        ThrowInInstall,
        /// <summary>Queues a thread-pool work item that throws InvalidOperationException("boom on the pool").</summary>
        ThrowOnPool,
    }

    /// <summary>
    /// Writes a plugin assembly whose Install starts a thread named <paramref name="threadName"/>
    /// (background or not) running <paramref name="body"/>.
    /// </summary>
    public static string EmitThreadPlugin(string name, ThreadBody body, string threadName = "plugin-worker", bool background = false)
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName(name), typeof(object).Assembly);
        ModuleBuilder module = assembly.DefineDynamicModule(name);
        TypeBuilder type = module.DefineType("Emitted.ThreadPlugin", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(object));
        type.AddInterfaceImplementation(typeof(IRivetPlugin));
        type.SetCustomAttribute(new CustomAttributeBuilder(typeof(RivetPluginAttribute).GetConstructor([typeof(int)])!, [PluginApi.Version]));
        type.DefineDefaultConstructor(MethodAttributes.Public);

        static void Throw(ILGenerator il, string message)
        {
            il.Emit(OpCodes.Ldstr, message);
            il.Emit(OpCodes.Newobj, typeof(InvalidOperationException).GetConstructor([typeof(string)])!);
            il.Emit(OpCodes.Throw);
        }

        // static void Run() / static void RunOnPool(object state): the thread's or work item's body
        MethodBuilder run = type.DefineMethod("Run", MethodAttributes.Private | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
        ILGenerator r = run.GetILGenerator();
        if (body == ThreadBody.SleepForever)
        {
            r.Emit(OpCodes.Ldc_I4_M1);
            r.Emit(OpCodes.Call, typeof(Thread).GetMethod(nameof(Thread.Sleep), [typeof(int)])!);
            r.Emit(OpCodes.Ret);
        }
        else
        {
            Throw(r, "boom on a plugin thread");
        }
        MethodBuilder onPool = type.DefineMethod("RunOnPool", MethodAttributes.Private | MethodAttributes.Static, typeof(void), [typeof(object)]);
        Throw(onPool.GetILGenerator(), "boom on the pool");

        MethodBuilder install = type.DefineMethod(nameof(IRivetPlugin.Install),
            MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.HideBySig | MethodAttributes.NewSlot,
            typeof(void), [typeof(IPluginContext), typeof(PluginArgs)]);
        ILGenerator il = install.GetILGenerator();
        switch (body)
        {
            case ThreadBody.ThrowInInstall:
                Throw(il, "boom in install");
                break;
            case ThreadBody.ThrowOnPool:
                // ThreadPool.UnsafeQueueUserWorkItem(RunOnPool, null): no execution context, so only the stack names the plugin.
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Ldftn, onPool);
                il.Emit(OpCodes.Newobj, typeof(WaitCallback).GetConstructor([typeof(object), typeof(IntPtr)])!);
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Call, typeof(ThreadPool).GetMethod(nameof(ThreadPool.UnsafeQueueUserWorkItem), [typeof(WaitCallback), typeof(object)])!);
                il.Emit(OpCodes.Pop);
                il.Emit(OpCodes.Ret);
                break;
            default:
                // var t = new Thread(Run) { Name = threadName, IsBackground = background }; t.Start();
                il.Emit(OpCodes.Ldnull);
                il.Emit(OpCodes.Ldftn, run);
                il.Emit(OpCodes.Newobj, typeof(ThreadStart).GetConstructor([typeof(object), typeof(IntPtr)])!);
                il.Emit(OpCodes.Newobj, typeof(Thread).GetConstructor([typeof(ThreadStart)])!);
                il.Emit(OpCodes.Dup);
                il.Emit(OpCodes.Ldstr, threadName);
                il.Emit(OpCodes.Callvirt, typeof(Thread).GetProperty(nameof(Thread.Name))!.SetMethod!);
                il.Emit(OpCodes.Dup);
                il.Emit(background ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                il.Emit(OpCodes.Callvirt, typeof(Thread).GetProperty(nameof(Thread.IsBackground))!.SetMethod!);
                il.Emit(OpCodes.Callvirt, typeof(Thread).GetMethod(nameof(Thread.Start), Type.EmptyTypes)!);
                il.Emit(OpCodes.Ret);
                break;
        }
        type.DefineMethodOverride(install, typeof(IRivetPlugin).GetMethod(nameof(IRivetPlugin.Install))!);
        type.CreateType();
        return Save(assembly, name);
    }

    private static string Save(PersistedAssemblyBuilder assembly, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rivet-plugin-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name + ".dll");
        assembly.Save(path);
        return path;
    }
}
