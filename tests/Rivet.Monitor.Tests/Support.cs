using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Rivet.Board;
using Rivet.Qmp;
using RivetMachine = Rivet.Machine.Machine;

// The tests read /proc and use Unix sockets and file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Rivet.Monitor.Tests;

/// <summary>A short private directory for Unix sockets (sun_path is 108 bytes), removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine("/tmp", "rq-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a socket the test left behind; /tmp is cleaned eventually
        }
    }
}

/// <summary>
/// A machine running a guest in-process with a QMP server on a Unix socket (or TCP) in front of
/// it. Disposal shuts the machine down, then closes the server (as the CLI does).
/// </summary>
internal sealed class QmpRig : IDisposable
{
    public static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(30);

    private readonly TempDir _dir = new();

    private QmpRig(RivetMachine machine, QmpServer server, QmpEndpoint endpoint, StringWriter diagnostics)
    {
        Machine = machine;
        Server = server;
        Endpoint = endpoint;
        DiagnosticsText = diagnostics;
    }

    public RivetMachine Machine { get; }
    public QmpServer Server { get; }
    public QmpEndpoint Endpoint { get; private set; }
    private StringWriter DiagnosticsText { get; }
    public string Diagnostics => DiagnosticsText.ToString();

    public static QmpRig Start(string guest = "lifecycle/spin_forever.elf", int harts = 2, Func<MachineConfig, MachineConfig>? tweak = null,
        QmpServerOptions? options = null, bool tcp = false, bool start = true, Action<RivetMachine>? beforeStart = null, Stream? console = null)
    {
        var config = new MachineConfig { Harts = harts, RamSize = 16UL << 20, Kernel = Repo.Guest("build/" + guest) };
        if (tweak != null) config = tweak(config);
        var diagnostics = new StringWriter();
        var machine = new RivetMachine(config, console ?? new MemoryStream(), TextWriter.Synchronized(diagnostics));
        var server = new QmpServer(machine, options);
        var rig = new QmpRig(machine, server, null!, diagnostics);
        QmpEndpoint ep = tcp
            ? new QmpEndpoint { Transport = QmpTransport.Tcp, Host = "127.0.0.1", Port = 0 }
            : new QmpEndpoint { Transport = QmpTransport.Unix, Path = rig._dir.File("qmp.sock") };
        rig.Endpoint = server.Listen(ep);
        beforeStart?.Invoke(machine);
        if (start)
        {
            machine.Start();
            // Resume is ordered after the start's own resume and waits for it: when it returns,
            // the start-up RESUME has gone out, before any test client is connected.
            if (!config.StartPaused) Assert.True(machine.Resume());
        }
        return rig;
    }

    public Task<QmpClient> ConnectAsync(bool negotiate = true) => QmpClient.ConnectAsync(QmpClient.EndPointOf(Endpoint), negotiate);

    public void Dispose()
    {
        Machine.RequestShutdown(ShutdownCause.HostUi, 0);
        int? code = Machine.WaitForExit(ExitLimit);
        Server.Dispose();
        Machine.Dispose();
        _dir.Dispose();
        Assert.True(code != null, $"the machine did not exit within {ExitLimit.TotalSeconds} s; diagnostics: {Diagnostics}");
    }
}

/// <summary>The rivet command as a child process.</summary>
internal sealed class RivetProcess : IDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdout;
    private readonly TaskCompletionSource<string> _firstErrLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RivetProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
            _firstErrLine.TrySetResult(e.Data);
        };
        process.BeginErrorReadLine();
        _stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    }

    public static RivetProcess Start(params string[] args)
    {
        Process p = Rivet.Tests.RivetProcess.Start(args);
        p.StandardInput.Close();
        return new RivetProcess(p);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The first line rivet writes on standard error.</summary>
    public async Task<string> FirstErrorLineAsync() => await _firstErrLine.Task.WaitAsync(Limit);

    /// <summary>Connects once the socket accepts (rivet binds it during start-up).</summary>
    public async Task<QmpClient> ConnectAsync(string socketPath, bool negotiate = true)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await QmpClient.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), negotiate);
            }
            catch (SocketException) when (sw.Elapsed < Limit && !_process.HasExited)
            {
                // not bound yet: the process is still starting (the .NET runtime, then the machine)
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Waits for exit; returns the exit code (kills and fails on a hang).</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(Limit))
        {
            _process.Kill(true);
            throw new TimeoutException($"rivet did not exit within {Limit.TotalSeconds} s; stderr: {StdErr}");
        }
        _process.WaitForExit();
        _stdout.Wait(Limit);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    /// <summary>Runs rivet to completion: (exit code, standard error).</summary>
    public static (int Code, string Err) Run(params string[] args)
    {
        using RivetProcess p = Start(args);
        int code = p.WaitForExit();
        return (code, p.StdErr);
    }
}

/// <summary>A console output stream that lets a test wait until the guest has written enough.</summary>
internal sealed class ConsoleWatch : Stream
{
    private readonly object _gate = new();
    private readonly List<byte> _bytes = []; // guarded by _gate
    private readonly List<(Func<string, bool> Done, TaskCompletionSource Signal)> _waiters = []; // guarded by _gate

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return Encoding.Latin1.GetString(_bytes.ToArray());
            }
        }
    }

    /// <summary>Completes once the output so far satisfies <paramref name="done"/>.</summary>
    public Task WhenAsync(Func<string, bool> done)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (done(Encoding.Latin1.GetString(_bytes.ToArray()))) signal.SetResult();
            else _waiters.Add((done, signal));
        }
        return signal.Task.WaitAsync(QmpClient.Deadline);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_gate)
        {
            _bytes.AddRange(buffer.AsSpan(offset, count).ToArray());
            string text = Encoding.Latin1.GetString(_bytes.ToArray());
            foreach (var w in _waiters.Where(w => w.Done(text)).ToArray())
            {
                _waiters.Remove(w);
                w.Signal.SetResult(); // continuations run asynchronously, not under this lock
            }
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
