// The gdb stub's protocol layer (docs/GDB.md): packets from one gdb in, calls on IGdbTarget out.
// What it owns: the connection's reader thread and the session loop. What it may call: IGdbTarget,
// RegisterTable (names and order), HostSync. It knows nothing of harts, vCPUs or the controller.

using System.Globalization;
using System.Text;
using Rivet.Machine;
using Rivet.Plugins;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb;

/// <summary>Why a session ended.</summary>
internal enum GdbSessionEnd
{
    /// <summary>Still running.</summary>
    None,
    /// <summary>gdb sent D: the target was detached (resumed).</summary>
    Detached,
    /// <summary>The connection closed or failed: the target was detached.</summary>
    Disconnected,
    /// <summary>The machine exited (W sent), or gdb killed it (k, vKill).</summary>
    Exited,
    /// <summary><see cref="GdbSession.Close"/>: the host closed it (machine exit); the target was not touched.</summary>
    Closed,
}

/// <summary>
/// One connected gdb on a duplex byte stream (a socket, or a character device for -gdb chardev:ID).
/// <see cref="Run"/> serves it on the calling thread until it ends; a reader thread ("gdb-reader")
/// turns the stream into frames. Both feed one queue under <see cref="_gate"/>, which also takes
/// the target's <see cref="IGdbTarget.Stopped"/> events (posted without blocking, from machine
/// threads); the calling thread takes items one at a time, so packets and stops never interleave,
/// and every reply and acknowledgement is written by it alone. No lock is held while the target is
/// called or the stream is written.
/// </summary>
internal sealed class GdbSession
{
    private enum ItemKind
    {
        Frame,
        Stop,
        Eof,
    }

    private readonly record struct Item(ItemKind Kind, GdbFrame Frame = default, GdbStop Stop = default);

    /// <summary>Frames queued and not yet taken: beyond it the reader waits (bounded memory).</summary>
    private const int MaxQueued = 256;

    private readonly IGdbTarget _target;
    private readonly Stream _stream;
    private readonly Action? _abort;
    private readonly TextWriter? _log;

    /// <summary>Guards <see cref="_queue"/>, <see cref="_closing"/> and <see cref="_queuedFrames"/>; pulsed on every change.</summary>
    private readonly object _gate = new();
    private readonly Queue<Item> _queue = new();
    private int _queuedFrames; // frames (not stops) in _queue
    private bool _closing;     // Close() was called: the loop ends without touching the target

    // Session state: the Run thread only.
    private bool _noAck, _multiprocess, _hasXml, _running, _physical;
    private bool _detached; // D was answered; waiting for gdb's acknowledgement to close
    private bool _interrupted; // Interrupt was asked since the last resume
    private readonly Queue<byte[]> _deferred = new(); // packets that came while the machine ran
    private int _gHart, _cHart, _threadQuery;
    private int _sstepFlags = SstepDefault;
    private byte[]? _lastSent; // the last packet, for '-' (ack mode)
    private readonly HashSet<(char Type, ulong Address, ulong Length)> _points = [];
    private GdbSessionEnd _end;

    /// <summary>QEMU's SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER: what qqemu.sstep reports and accepts.</summary>
    private const int SstepDefault = 7;

    public GdbSession(IGdbTarget target, Stream stream, Action? abort = null, TextWriter? log = null)
    {
        _target = target;
        _stream = stream;
        _abort = abort;
        _log = log;
    }

    /// <summary>How the session ended (after <see cref="Run"/> returned).</summary>
    public GdbSessionEnd End => _end;

    /// <summary>
    /// Serves the session until gdb detaches, the connection goes, the machine exits or
    /// <see cref="Close"/>. Stops the machine first (<see cref="IGdbTarget.Attach"/>), as QEMU does
    /// when gdb connects. Closes the stream before returning.
    /// </summary>
    public GdbSessionEnd Run()
    {
        _target.Stopped += OnStopped;
        Thread reader = HostSync.StartThread("gdb-reader", ReadLoop);
        try
        {
            bool closing;
            lock (_gate)
            {
                closing = _closing;
            }
            if (closing)
            {
                _end = GdbSessionEnd.Closed;
            }
            else if (!_target.Attach())
            {
                _end = GdbSessionEnd.Exited; // nothing left to debug
            }
            else
            {
                Serve();
            }
        }
        finally
        {
            _target.Stopped -= OnStopped;
            CloseStream();
            lock (_gate)
            {
                _closing = true;
                Monitor.PulseAll(_gate);
            }
            // The stream is closed, so the reader's read fails at once.
            if (!HostSync.Join(reader, HostSync.DeadlineAfter(TimeSpan.FromSeconds(5))))
                Log("gdbstub: the connection's reader did not end after the connection closed");
        }
        return _end;
    }

    /// <summary>Ends the session from any thread without touching the target (the machine is going away).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        CloseStream(); // unblocks the reader; the Run thread sees _closing
    }

    private void CloseStream()
    {
        try
        {
            _abort?.Invoke();
            _stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // already closed
        }
    }

    private void Log(string line)
    {
        try
        {
            _log?.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // diagnostics closed at exit
        }
    }

    // ---- the queue ----

    private void OnStopped(GdbStop stop)
    {
        lock (_gate)
        {
            if (_closing) return;
            _queue.Enqueue(new Item(ItemKind.Stop, Stop: stop));
            Monitor.PulseAll(_gate);
        }
    }

    private void ReadLoop()
    {
        var decoder = new GdbPacketDecoder();
        var frames = new List<GdbFrame>();
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = _stream.Read(buffer, 0, buffer.Length);
                if (n == 0) break;
                frames.Clear();
                decoder.Feed(buffer.AsSpan(0, n), frames);
                lock (_gate)
                {
                    foreach (GdbFrame f in frames)
                    {
                        // Ctrl-C is never held back behind a full queue.
                        while (_queuedFrames >= MaxQueued && !_closing && f.Kind != GdbFrameKind.Interrupt) HostSync.Wait(_gate);
                        if (_closing) return;
                        _queue.Enqueue(new Item(ItemKind.Frame, f));
                        _queuedFrames++;
                    }
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // a reset or a closed stream ends the connection like EOF
        }
        catch (Exception ex)
        {
            // Any other stream's failure ends it too; an exception must not leave this thread.
            Log($"gdbstub: reading the connection failed: {ex.Message}");
        }
        lock (_gate)
        {
            _queue.Enqueue(new Item(ItemKind.Eof));
            Monitor.PulseAll(_gate);
        }
    }

    private bool TryTake(out Item item)
    {
        lock (_gate)
        {
            while (_queue.Count == 0 && !_closing) HostSync.Wait(_gate);
            if (_closing)
            {
                item = default;
                return false;
            }
            item = _queue.Dequeue();
            if (item.Kind == ItemKind.Frame)
            {
                _queuedFrames--;
                Monitor.PulseAll(_gate); // the reader may be waiting for room
            }
            return true;
        }
    }

    // ---- the session loop ----

    private void Serve()
    {
        try
        {
            while (_end == GdbSessionEnd.None)
            {
                if (!TryTake(out Item item))
                {
                    _end = GdbSessionEnd.Closed;
                    return;
                }
                switch (item.Kind)
                {
                    case ItemKind.Eof:
                        Disconnect();
                        break;
                    case ItemKind.Stop:
                        OnStop(item.Stop);
                        break;
                    default:
                        OnFrame(item.Frame);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // writing failed: the connection is dead
            if (_end == GdbSessionEnd.None) Disconnect();
        }
        catch (Exception ex)
        {
            // A bug behind a packet must not take the emulator down: report it and let the machine go.
            Log($"gdbstub: internal error, closing the connection: {ex}");
            if (_end == GdbSessionEnd.None)
            {
                _end = GdbSessionEnd.Disconnected;
                try
                {
                    _target.Detach();
                }
                catch (Exception inner)
                {
                    Log($"gdbstub: detaching after the error failed too: {inner.Message}");
                }
            }
        }
    }

    private void Disconnect()
    {
        if (_end != GdbSessionEnd.None) return;
        if (_detached)
        {
            _end = GdbSessionEnd.Detached;
            return;
        }
        _end = GdbSessionEnd.Disconnected;
        _target.Detach();
    }

    private void OnFrame(GdbFrame frame)
    {
        switch (frame.Kind)
        {
            case GdbFrameKind.Ack:
                _lastSent = null;
                if (_detached) _end = GdbSessionEnd.Detached; // gdb has the OK of D: close
                break;
            case GdbFrameKind.Nak:
                if (_lastSent != null) Write(_lastSent);
                break;
            case GdbFrameKind.Interrupt:
                if (_running) InterruptOnce(); // the stop comes back as a Stopped event
                break;
            case GdbFrameKind.BadChecksum:
            case GdbFrameKind.Malformed:
                if (!_noAck) Write("-"u8); // gdb sends it again
                else Log($"gdbstub: dropped a {(frame.Kind == GdbFrameKind.Malformed ? "malformed packet" : "packet with a bad checksum")}");
                break;
            case GdbFrameKind.Oversize:
                // Sending it again would not help: acknowledge, say why, and answer with an error.
                if (!_noAck) Write("+"u8);
                Log($"gdbstub: dropped a packet longer than {GdbPacketDecoder.MaxPacketLength} bytes");
                Reply("E22");
                break;
            default:
                if (_running)
                {
                    // As QEMU: a packet while the machine runs stops it (T02) and is then served.
                    if (_deferred.Count >= MaxQueued)
                    {
                        Log("gdbstub: too many packets while the machine runs; dropped one");
                        break;
                    }
                    _deferred.Enqueue(frame.Payload!);
                    InterruptOnce();
                    break;
                }
                ServePacket(frame.Payload!);
                break;
        }
    }

    private void ServePacket(byte[] payload)
    {
        if (!_noAck) Write("+"u8);
        HandlePacket(payload);
    }

    private void InterruptOnce()
    {
        if (_interrupted) return;
        _interrupted = true;
        _target.Interrupt();
    }

    /// <summary>Serves the packets that came while the machine ran, until one resumes it again.</summary>
    private void ServeDeferred()
    {
        while (_deferred.Count > 0 && _end == GdbSessionEnd.None)
        {
            if (_running)
            {
                InterruptOnce();
                return;
            }
            ServePacket(_deferred.Dequeue());
        }
    }

    private void OnStop(GdbStop stop)
    {
        if (stop.Reason == GdbStopReason.Exited)
        {
            Reply($"W{(byte)stop.ExitCode:x2}");
            _end = GdbSessionEnd.Exited;
            return;
        }
        if (!_running) return; // not a stop gdb waits for
        _running = _interrupted = false;
        if (stop.Hart >= 0 && stop.Hart < _target.HartCount) _gHart = _cHart = stop.Hart; // gdb_set_stop_cpu
        Reply(StopReply(stop));
        ServeDeferred();
    }

    /// <summary>QEMU 7.2's gdb_vm_state_change formats.</summary>
    private string StopReply(GdbStop stop)
    {
        string thread = ThreadId(_cHart);
        return stop.Reason switch
        {
            GdbStopReason.Watchpoint => $"T05thread:{thread};{stop.Watch switch { GdbWatchKind.Read => "r", GdbWatchKind.Access => "a", _ => "" }}watch:{stop.WatchAddress:x16};",
            GdbStopReason.Interrupt => $"T02thread:{thread};",
            GdbStopReason.Shutdown => $"T03thread:{thread};",
            _ => $"T05thread:{thread};",
        };
    }

    // ---- output ----

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _stream.Flush();
    }

    private void Reply(string payload) => Send(GdbPacketDecoder.Frame(payload));

    private void Send(byte[] framed)
    {
        if (!_noAck) _lastSent = framed;
        Write(framed);
    }

    private string ThreadId(int hart) => _multiprocess
        ? string.Create(CultureInfo.InvariantCulture, $"p01.{hart + 1:x2}")
        : string.Create(CultureInfo.InvariantCulture, $"{hart + 1:x2}");

    // ---- packets ----

    private void HandlePacket(byte[] payload)
    {
        string text = Encoding.Latin1.GetString(payload);
        if (_detached)
        {
            Reply("E22"); // the machine is gdb's no longer
            return;
        }
        if (text.Length == 0)
        {
            Reply("");
            return;
        }
        string args = text[1..];
        switch (text[0])
        {
            case '?': TargetHalt(); break;
            case 'c': Continue(args, step: false); break;
            case 'C': Continue(SkipSignal(args), step: false); break;
            case 's': Continue(args, step: true); break;
            case 'S': Continue(SkipSignal(args), step: true); break;
            case 'D': Detach(args); break;
            case 'k': Kill(reply: false); break;
            case 'g': ReadCoreRegisters(); break;
            case 'G': WriteCoreRegisters(args); break;
            case 'p': ReadRegister(args); break;
            case 'P': WriteRegister(args); break;
            case 'm': ReadMemory(args); break;
            case 'M': WriteMemory(args); break;
            case 'X': WriteMemoryBinary(payload); break;
            case 'Z': Breakpoint(args, insert: true); break;
            case 'z': Breakpoint(args, insert: false); break;
            case 'H': SetThread(args); break;
            case 'T': ThreadAlive(args); break;
            case 'v': VPacket(args); break;
            case 'q': Query(args); break;
            case 'Q': Set(args); break;
            default: Reply(""); break; // unsupported: gdb knows the empty reply
        }
    }

    private static string SkipSignal(string args)
    {
        int semicolon = args.IndexOf(';');
        return semicolon < 0 ? "" : args[(semicolon + 1)..];
    }

    private void TargetHalt()
    {
        // QEMU removes every breakpoint here: gdb asks '?' when it (re)connects.
        foreach ((char type, ulong address, ulong length) in _points.ToArray()) RemovePoint(type, address, length);
        _points.Clear();
        Reply($"T05thread:{ThreadId(_cHart)};");
    }

    private void Continue(string args, bool step)
    {
        if (args.Length > 0)
        {
            if (!TryHex(args, out ulong pc))
            {
                Reply("E22");
                return;
            }
            _target.TryWriteRegister(_cHart, RegisterTable.All[32], pc);
        }
        Resume(step ? [_cHart] : [], othersRun: true);
    }

    private void Resume(IReadOnlyCollection<int> step, bool othersRun)
    {
        _running = true; // the reply is the stop (or W if the machine has gone: it reports that itself)
        _threadQuery = 0;
        if (!_target.Resume(step, othersRun)) Log("gdbstub: the machine cannot run (it is exiting)");
    }

    private void Detach(string args)
    {
        if (_multiprocess && !args.StartsWith(';'))
        {
            Reply("E22"); // QEMU: with multiprocess, D names the process (gdb sends D;1)
            return;
        }
        Reply("OK");
        _target.Detach();
        // Closing at once would make gdb's acknowledgement of the OK meet a closed socket: in ack
        // mode the connection closes when it arrives (or when gdb closes first).
        if (_noAck) _end = GdbSessionEnd.Detached;
        else _detached = true;
    }

    private void Kill(bool reply)
    {
        if (reply) Reply("OK");
        Log("rivet: Terminated via GDBstub");
        _target.Kill(); // W00 follows with the exit event
    }

    // -- registers --

    private void ReadCoreRegisters()
    {
        var hex = new StringBuilder(GdbTargetDescription.CoreRegisterCount * 16);
        for (int i = 0; i < GdbTargetDescription.CoreRegisterCount; i++)
        {
            _target.TryReadRegister(_gHart, RegisterTable.All[i], out ulong v);
            AppendLittleEndian(hex, v);
        }
        Reply(hex.ToString());
    }

    private void WriteCoreRegisters(string args)
    {
        if (!TryDecodeHex(args, out byte[] bytes))
        {
            Reply("E22");
            return;
        }
        for (int i = 0; i < GdbTargetDescription.CoreRegisterCount && (i + 1) * 8 <= bytes.Length; i++)
            _target.TryWriteRegister(_gHart, RegisterTable.All[i], BitConverter.ToUInt64(bytes, i * 8));
        Reply("OK");
    }

    private void ReadRegister(string args)
    {
        if (!_hasXml || !TryHex(args, out ulong regnum))
        {
            Reply(""); // QEMU: no register numbers before the target description was read, and a bad number is not parsed
            return;
        }
        RegisterDescriptor? r = regnum <= int.MaxValue ? GdbTargetDescription.Find((int)regnum) : null;
        if (r == null || !_target.TryReadRegister(_gHart, r, out ulong value))
        {
            Reply("E14");
            return;
        }
        var hex = new StringBuilder(16);
        AppendLittleEndian(hex, value);
        Reply(hex.ToString());
    }

    private void WriteRegister(string args)
    {
        if (!_hasXml)
        {
            Reply("");
            return;
        }
        int eq = args.IndexOf('=');
        if (eq < 0 || !TryHex(args[..eq], out ulong regnum) || !TryDecodeHex(args[(eq + 1)..], out byte[] bytes))
        {
            Reply("E22");
            return;
        }
        RegisterDescriptor? r = regnum <= int.MaxValue ? GdbTargetDescription.Find((int)regnum) : null;
        if (r != null)
        {
            Span<byte> value = stackalloc byte[8];
            bytes.AsSpan(0, Math.Min(8, bytes.Length)).CopyTo(value);
            _target.TryWriteRegister(_gHart, r, BitConverter.ToUInt64(value));
        }
        Reply("OK"); // QEMU answers OK even for a register it could not write
    }

    private static void AppendLittleEndian(StringBuilder hex, ulong value)
    {
        for (int i = 0; i < 8; i++) hex.Append(CultureInfo.InvariantCulture, $"{(byte)(value >> (8 * i)):x2}");
    }

    // -- memory --

    private static bool TryAddressLength(string text, out ulong address, out ulong length)
    {
        address = length = 0;
        int comma = text.IndexOf(',');
        return comma >= 0 && TryHex(text[..comma], out address) && TryHex(text[(comma + 1)..], out length);
    }

    private void ReadMemory(string args)
    {
        if (!TryAddressLength(args, out ulong address, out ulong length))
        {
            Reply("");
            return;
        }
        if (length > GdbPacketDecoder.MaxPacketLength / 2)
        {
            Reply("E22");
            return;
        }
        byte[] data = new byte[length];
        if (!_target.ReadMemory(_gHart, address, data, _physical))
        {
            Reply("E14");
            return;
        }
        Reply(Convert.ToHexStringLower(data));
    }

    private void WriteMemory(string args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryAddressLength(args[..colon], out ulong address, out ulong length))
        {
            Reply("");
            return;
        }
        string hex = args[(colon + 1)..];
        if ((ulong)hex.Length != length * 2 || !TryDecodeHex(hex, out byte[] data))
        {
            Reply("E22");
            return;
        }
        Reply(_target.WriteMemory(_gHart, address, data, _physical) ? "OK" : "E14");
    }

    private void WriteMemoryBinary(byte[] payload)
    {
        int colon = Array.IndexOf(payload, (byte)':');
        if (colon < 0 || !TryAddressLength(Encoding.Latin1.GetString(payload, 1, colon - 1), out ulong address, out ulong length))
        {
            Reply("");
            return;
        }
        if (!GdbPacketDecoder.TryUnescape(payload.AsSpan(colon + 1), out byte[] data) || (ulong)data.Length != length)
        {
            Reply("E22");
            return;
        }
        Reply(data.Length == 0 || _target.WriteMemory(_gHart, address, data, _physical) ? "OK" : "E14");
    }

    // -- break and watch points --

    private void Breakpoint(string args, bool insert)
    {
        string[] parts = args.Split(',');
        if (parts.Length < 3 || parts[0].Length != 1 || !TryHex(parts[1], out ulong address) || !TryHex(parts[2].Split(';')[0], out ulong length))
        {
            Reply("");
            return;
        }
        char type = parts[0][0];
        if (type is not ('0' or '1' or '2' or '3' or '4'))
        {
            Reply(""); // QEMU: -ENOSYS
            return;
        }
        // Z1 is the same as Z0 (QEMU's system mode has no separate hardware breakpoints).
        char kind = type == '1' ? '0' : type;
        bool ok = insert ? InsertPoint(kind, address, length) : RemovePoint(kind, address, length);
        if (ok)
        {
            if (insert) _points.Add((kind, address, length));
            else _points.Remove((kind, address, length));
        }
        Reply(ok ? "OK" : "E22");
    }

    private static GdbWatchKind WatchKind(char type) => type switch
    {
        '2' => GdbWatchKind.Write,
        '3' => GdbWatchKind.Read,
        _ => GdbWatchKind.Access,
    };

    private bool InsertPoint(char type, ulong address, ulong length)
        => type == '0' ? _target.InsertBreakpoint(address) : _target.InsertWatchpoint(address, length, WatchKind(type));

    private bool RemovePoint(char type, ulong address, ulong length)
        => type == '0' ? _target.RemoveBreakpoint(address) : _target.RemoveWatchpoint(address, length, WatchKind(type));

    // -- threads --

    /// <summary>gdb's thread-id: [pPID.]TID, hex, -1 all, 0 any. Null when it does not parse.</summary>
    private static (bool Parsed, long Pid, long Tid) ParseThreadId(string text)
    {
        long pid = 1;
        if (text.StartsWith('p'))
        {
            int dot = text.IndexOf('.');
            string p = dot < 0 ? text[1..] : text[1..dot];
            if (!TryThreadNumber(p, out pid)) return (false, 0, 0);
            if (dot < 0) return (true, pid, -1);
            text = text[(dot + 1)..];
        }
        return TryThreadNumber(text, out long tid) ? (true, pid, tid) : (false, 0, 0);
    }

    private static bool TryThreadNumber(string text, out long value)
    {
        if (text == "-1")
        {
            value = -1;
            return true;
        }
        bool ok = TryHex(text, out ulong v) && v <= int.MaxValue;
        value = (long)v;
        return ok;
    }

    /// <summary>The hart a single thread-id names; -1 when it names none (or several).</summary>
    private int HartOf(long pid, long tid)
    {
        if (pid != 1 && pid != 0) return -1;
        return tid >= 1 && tid <= _target.HartCount ? (int)tid - 1 : -1;
    }

    private void SetThread(string args)
    {
        if (args.Length < 2 || args[0] is not ('g' or 'c'))
        {
            Reply("E22");
            return;
        }
        (bool parsed, long pid, long tid) = ParseThreadId(args[1..]);
        if (!parsed)
        {
            Reply("E22");
            return;
        }
        if (tid is -1 or 0 || pid is -1)
        {
            Reply("OK"); // "any" or "all": the selection stays
            return;
        }
        int hart = HartOf(pid, tid);
        if (hart < 0)
        {
            Reply("E22");
            return;
        }
        if (args[0] == 'g') _gHart = hart;
        else _cHart = hart;
        Reply("OK");
    }

    private void ThreadAlive(string args)
    {
        (bool parsed, long pid, long tid) = ParseThreadId(args);
        Reply(parsed && HartOf(pid, tid) >= 0 ? "OK" : "E22");
    }

    // -- v packets --

    private void VPacket(string args)
    {
        if (args == "Cont?")
        {
            Reply("vCont;c;C;s;S");
        }
        else if (args.StartsWith("Cont;", StringComparison.Ordinal))
        {
            VCont(args[5..]);
        }
        else if (args.StartsWith("Kill", StringComparison.Ordinal))
        {
            Kill(reply: true);
        }
        else
        {
            Reply(""); // vMustReplyEmpty and every other v packet
        }
    }

    /// <summary>vCont;ACTION[:THREAD];...: the first action that names a hart decides its fate (QEMU's gdb_handle_vcont).</summary>
    private void VCont(string actions)
    {
        int harts = _target.HartCount;
        char[] fate = new char[harts]; // '\0' untouched, 'c' or 's'
        foreach (string action in actions.Split(';'))
        {
            if (action.Length == 0 || action[0] is not ('c' or 'C' or 's' or 'S'))
            {
                Reply(""); // an action QEMU does not support (-ENOTSUP)
                return;
            }
            char what = char.ToLowerInvariant(action[0]);
            int colon = action.IndexOf(':');
            if (colon < 0)
            {
                for (int h = 0; h < harts; h++) if (fate[h] == '\0') fate[h] = what;
                continue;
            }
            (bool parsed, long pid, long tid) = ParseThreadId(action[(colon + 1)..]);
            if (!parsed)
            {
                Reply("E22");
                return;
            }
            if (tid is -1 or 0)
            {
                for (int h = 0; h < harts; h++) if (fate[h] == '\0') fate[h] = what;
                continue;
            }
            int hart = HartOf(pid, tid);
            if (hart < 0)
            {
                Reply("E22");
                return;
            }
            if (fate[hart] == '\0') fate[hart] = what;
        }
        var step = new List<int>();
        var run = new List<int>();
        for (int h = 0; h < harts; h++)
        {
            if (fate[h] == 's') step.Add(h);
            else if (fate[h] == 'c') run.Add(h);
        }
        if (step.Count == 0 && run.Count == 0)
        {
            Reply("E22");
            return;
        }
        // Every hart that is not stepping runs, or none does: Resume. Some only (gdb stepping over a
        // breakpoint in software, vCont;c:p1.1): ResumeHarts, the others stay stopped.
        if (run.Count == 0 || step.Count + run.Count == harts) Resume(step, othersRun: run.Count > 0);
        else ResumeSome(step, run);
    }

    private void ResumeSome(IReadOnlyCollection<int> step, IReadOnlyCollection<int> run)
    {
        _running = true;
        _threadQuery = 0;
        if (!_target.ResumeHarts(step, run)) Log("gdbstub: the machine cannot run (it is exiting)");
    }

    // -- queries --

    private void Query(string q)
    {
        if (q.StartsWith("Supported", StringComparison.Ordinal))
        {
            _multiprocess = q.Contains("multiprocess+", StringComparison.Ordinal);
            Reply($"PacketSize={GdbPacketDecoder.MaxPacketLength:x};qXfer:features:read+;vContSupported+;multiprocess+;QStartNoAckMode+");
        }
        else if (q.StartsWith("Xfer:features:read:", StringComparison.Ordinal))
        {
            XferFeatures(q["Xfer:features:read:".Length..]);
        }
        else if (q == "C")
        {
            Reply($"QC{ThreadId(0)}"); // QEMU: the first CPU of the process
        }
        else if (q == "fThreadInfo")
        {
            _threadQuery = 0;
            NextThreadInfo();
        }
        else if (q == "sThreadInfo")
        {
            NextThreadInfo();
        }
        else if (q.StartsWith("ThreadExtraInfo,", StringComparison.Ordinal))
        {
            (bool parsed, long pid, long tid) = ParseThreadId(q["ThreadExtraInfo,".Length..]);
            int hart = parsed ? HartOf(pid, tid) : -1;
            if (hart < 0) Reply("E22");
            else Reply(Convert.ToHexStringLower(Encoding.ASCII.GetBytes($"CPU#{hart} [{(_target.IsHalted(hart) ? "halted " : "running")}]")));
        }
        else if (q == "Attached" || q.StartsWith("Attached:", StringComparison.Ordinal))
        {
            Reply("1");
        }
        else if (q.StartsWith("Rcmd,", StringComparison.Ordinal))
        {
            MonitorCommand(q["Rcmd,".Length..]);
        }
        else if (q == "qemu.Supported")
        {
            Reply("sstepbits;sstep;PhyMemMode");
        }
        else if (q == "qemu.sstepbits")
        {
            Reply("ENABLE=1,NOIRQ=2,NOTIMER=4");
        }
        else if (q == "qemu.sstep")
        {
            Reply($"0x{_sstepFlags:x}");
        }
        else if (q == "qemu.PhyMemMode")
        {
            Reply(_physical ? "1" : "0");
        }
        else
        {
            Reply(""); // qOffsets (user mode only in QEMU), qSymbol, qTStatus, ...
        }
    }

    private void NextThreadInfo()
    {
        if (_threadQuery >= _target.HartCount)
        {
            Reply("l");
            return;
        }
        Reply($"m{ThreadId(_threadQuery++)}"); // one thread per reply, as QEMU
    }

    private void XferFeatures(string args)
    {
        int colon = args.LastIndexOf(':');
        if (colon < 0 || !TryAddressLength(args[(colon + 1)..], out ulong offset, out ulong length))
        {
            Reply("E22");
            return;
        }
        _hasXml = true;
        string? xml = GdbTargetDescription.Annex(args[..colon]);
        if (xml == null || offset > (ulong)xml.Length)
        {
            Reply("E00");
            return;
        }
        length = Math.Min(length, (GdbPacketDecoder.MaxPacketLength - 5) / 2);
        ulong remaining = (ulong)xml.Length - offset;
        string chunk = length < remaining ? "m" + xml.Substring((int)offset, (int)length) : "l" + xml[(int)offset..];
        Send(GdbPacketDecoder.Frame(Encoding.Latin1.GetBytes(chunk), binary: true));
    }

    private void MonitorCommand(string hex)
    {
        if (!TryDecodeHex(hex, out byte[] bytes))
        {
            Reply("E22");
            return;
        }
        if (bytes.Length > 0)
        {
            string output = _target.MonitorCommand(_gHart, Encoding.UTF8.GetString(bytes));
            // The monitor's newlines are "\r\n" (QEMU's monitor_puts); long output goes in several O packets.
            byte[] text = Encoding.UTF8.GetBytes(output.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
            const int Chunk = GdbPacketDecoder.MaxPacketLength / 2 - 1;
            for (int i = 0; i < text.Length; i += Chunk)
                Reply("O" + Convert.ToHexStringLower(text, i, Math.Min(Chunk, text.Length - i)));
        }
        Reply("OK");
    }

    private void Set(string q)
    {
        if (q == "StartNoAckMode")
        {
            Reply("OK"); // acknowledged by gdb in ack mode; nothing is acknowledged after it
            _noAck = true;
            _lastSent = null;
        }
        else if (q.StartsWith("qemu.sstep=", StringComparison.Ordinal))
        {
            if (!TryHex(q["qemu.sstep=".Length..], out ulong flags) || (flags & ~(ulong)SstepDefault) != 0)
            {
                Reply("E22");
                return;
            }
            _sstepFlags = (int)flags; // recorded and reported; the target always steps with interrupts masked
            Reply("OK");
        }
        else if (q.StartsWith("qemu.PhyMemMode:", StringComparison.Ordinal))
        {
            if (!TryHex(q["qemu.PhyMemMode:".Length..], out ulong mode))
            {
                Reply("");
                return;
            }
            _physical = mode != 0;
            Reply("OK");
        }
        else
        {
            Reply("");
        }
    }

    // -- parsing --

    private static bool TryHex(string text, out ulong value)
        => ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && text.Length > 0;

    private static bool TryDecodeHex(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 2 != 0) return false;
        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
