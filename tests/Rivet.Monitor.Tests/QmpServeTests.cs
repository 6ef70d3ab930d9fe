using System.IO.Pipes;
using Rivet.Qmp;

namespace Rivet.Monitor.Tests;

/// <summary>QmpServer.Serve: one session on a character device (pushed input, written output), in process.</summary>
public sealed class QmpServeTests
{
    /// <summary>A device whose output is a pipe the client reads and whose input is what the client writes.</summary>
    private sealed class FakeChardev : IQmpChardev, IDisposable
    {
        private readonly AnonymousPipeServerStream _out = new(PipeDirection.Out);
        private Action<ReadOnlySpan<byte>>? _receive;
        private Action? _ended;

        public FakeChardev()
        {
            FromServer = new AnonymousPipeClientStream(PipeDirection.In, _out.ClientSafePipeHandle);
            ToServer = new PushStream(this);
        }

        public Stream FromServer { get; }
        public Stream ToServer { get; }

        public void StartInput(Action<ReadOnlySpan<byte>> receive, Action ended)
        {
            _receive = receive;
            _ended = ended;
        }

        public bool Write(ReadOnlySpan<byte> data, TimeSpan timeout, CancellationToken cancel)
        {
            _out.Write(data);
            return true;
        }

        /// <summary>The device's end of input (a socket peer that left).</summary>
        public void End() => _ended!();

        public void Dispose() => _out.Dispose();

        private sealed class PushStream(FakeChardev device) : Stream
        {
            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => device._receive!(buffer.AsSpan(offset, count));
        }
    }

    [Fact]
    public async Task ASessionOnADeviceIsCountedAndEndsWithItsInput()
    {
        using QmpRig rig = QmpRig.Start();
        using var device = new FakeChardev();
        Assert.True(rig.Server.Serve(device, "fake"));
        Assert.True(rig.Server.WaitForSessions(n => n == 1, QmpClient.Deadline));
        await using QmpClient c = await QmpClient.OverStreamsAsync(device.FromServer, device.ToServer);
        Assert.Equal("running", (await c.ReturnOfAsync("query-status")).GetProperty("status").GetString());
        await c.ReturnOfAsync("stop");
        Assert.Equal("STOP", (await c.NextEventAsync()).EventName);
        device.End();
        Assert.True(rig.Server.WaitForSessions(n => n == 0, QmpClient.Deadline), "the session outlived its device's input");
        Assert.Equal(1, rig.Server.SessionsAccepted);
    }

    [Fact]
    public async Task ClosingTheServerFlushesTheSessionAndEndsIt()
    {
        QmpRig rig = QmpRig.Start();
        using var device = new FakeChardev();
        Assert.True(rig.Server.Serve(device, "fake"));
        await using QmpClient c = await QmpClient.OverStreamsAsync(device.FromServer, device.ToServer);
        await c.ReturnOfAsync("query-status");
        rig.Dispose(); // the machine shuts down (SHUTDOWN queued), then the server closes
        Assert.Equal("SHUTDOWN", (await c.NextEventAsync()).EventName);
        Assert.Equal(0, rig.Server.ActiveSessions);
        Assert.Throws<ObjectDisposedException>(() => rig.Server.Serve(device, "late"));
    }
}
