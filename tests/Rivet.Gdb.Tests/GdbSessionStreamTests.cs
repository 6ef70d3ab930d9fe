using System.IO.Pipes;
using System.Text;

namespace Rivet.Gdb.Tests;

/// <summary>A session over any duplex stream (what -gdb chardev:ID uses), not a socket.</summary>
public sealed class GdbSessionStreamTests
{
    private sealed class Duplex(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override void Flush() => output.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static string ReadUntil(Stream s, string end)
    {
        var text = new StringBuilder();
        byte[] one = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            Assert.True(text.Length < 100, $"no '{end}' in '{text}'");
            Assert.Equal(1, s.Read(one, 0, 1));
            text.Append((char)one[0]);
        }
        return text.ToString();
    }

    [Fact]
    public void ServesOverPipesAndEndsWhenTheInputEnds()
    {
        using var toStub = new AnonymousPipeServerStream(PipeDirection.Out);
        using var fromStub = new AnonymousPipeServerStream(PipeDirection.In);
        var stubIn = new AnonymousPipeClientStream(PipeDirection.In, toStub.ClientSafePipeHandle);
        var stubOut = new AnonymousPipeClientStream(PipeDirection.Out, fromStub.ClientSafePipeHandle);
        var target = new FakeTarget();
        var session = new GdbSession(target, new Duplex(stubIn, stubOut));
        GdbSessionEnd end = GdbSessionEnd.None;
        var thread = new Thread(() => end = session.Run());
        thread.Start();
        toStub.Write(GdbClient.Frame("qC"));
        Assert.Equal("+$QC01#f5", ReadUntil(fromStub, "#f5"));
        toStub.Write("+"u8);
        toStub.Dispose(); // the device reports the end of its input
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(GdbSessionEnd.Disconnected, end);
        Assert.Equal(["Attach", "Detach"], target.Calls);
    }

    [Fact]
    public void CloseUnblocksAReadThroughAbort()
    {
        var toStub = new AnonymousPipeServerStream(PipeDirection.Out);
        using var fromStub = new AnonymousPipeServerStream(PipeDirection.In);
        var stubIn = new AnonymousPipeClientStream(PipeDirection.In, toStub.ClientSafePipeHandle);
        var stubOut = new AnonymousPipeClientStream(PipeDirection.Out, fromStub.ClientSafePipeHandle);
        var target = new FakeTarget();
        // For a pipe, closing the writing end is what ends a read in progress.
        var session = new GdbSession(target, new Duplex(stubIn, stubOut), abort: toStub.Dispose);
        GdbSessionEnd end = GdbSessionEnd.None;
        var thread = new Thread(() => end = session.Run());
        thread.Start();
        target.WaitForCall(c => c == "Attach");
        session.Close();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(GdbSessionEnd.Closed, end);
        Assert.Equal(["Attach"], target.Calls);
    }
}
