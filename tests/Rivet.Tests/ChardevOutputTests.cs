using Rivet.Cli.Chardev;
using Rivet.Devices;

namespace Rivet.Tests;

/// <summary>A character device's output queue: writers never block on a peer that does not read.</summary>
public sealed class ChardevOutputTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>A backend write that blocks until released, as a send to a peer that does not read.</summary>
    private sealed class StuckSink
    {
        private readonly ManualResetEventSlim _release = new();
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly MemoryStream Written = new();

        public void Write(ReadOnlySpan<byte> data)
        {
            Entered.TrySetResult();
            Assert.True(_release.Wait(Limit));
            lock (Written)
            {
                Written.Write(data);
            }
        }

        public void Release() => _release.Set();
    }

    [Fact]
    public async Task AFullQueueDropsAndCountsAndShowsNoRoom()
    {
        var sink = new StuckSink();
        var output = new ChardevOutput("t", sink.Write);
        output.Write("x"u8);
        await sink.Entered.Task.WaitAsync(Limit); // the writer thread holds "x", blocked in the sink
        Assert.True(output.CanAccept);
        output.Write(new byte[ChardevOutput.Capacity]); // fills the queue exactly, without waiting
        Assert.False(output.CanAccept);
        output.Write("dropped"u8);
        Assert.Equal(7, output.Dropped);
        Assert.False(output.WriteWaiting("late"u8, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.False(output.WriteWaiting("late"u8, Limit, cancelled.Token));

        sink.Release();
        Assert.True(output.WriteWaiting("end"u8, Limit, CancellationToken.None)); // waits for room, then queues
        Assert.True(output.Close());
        byte[] all = sink.Written.ToArray();
        Assert.Equal(1 + ChardevOutput.Capacity + 3, all.Length);
        Assert.Equal((byte)'x', all[0]);
        Assert.Equal("end"u8.ToArray(), all[^3..]);
    }

    [Fact]
    public async Task CloseGivesUpOnAPeerThatMakesNoProgress()
    {
        var sink = new StuckSink();
        var output = new ChardevOutput("t", sink.Write);
        output.Write("x"u8);
        await sink.Entered.Task.WaitAsync(Limit);
        output.Write("queued"u8);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(output.Close());
        Assert.InRange(sw.Elapsed, ChardevOutput.StallLimit * 0.9, Limit);
        Assert.True(output.CanAccept); // closed: takes (and ignores) writes, the UART never waits on it
        output.Write("after"u8);
        Assert.Equal(0, output.Dropped);
        sink.Release();
    }

    [Fact]
    public async Task OutputReachesTheBackendWithoutALineEnd()
    {
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ChardevOutput("t", data => got.TrySetResult(System.Text.Encoding.ASCII.GetString(data)));
        output.Write("login: "u8);
        Assert.Equal("login: ", await got.Task.WaitAsync(Limit)); // an unterminated prompt is not held back
        Assert.True(output.Close());
    }

    private sealed class Gauge(bool canAccept) : MemoryStream, IConsoleBackPressure
    {
        public bool CanAccept { get; set; } = canAccept;
    }

    [Fact]
    public void TheUartShowsItsTransmitterBusyWhileTheQueueIsFull()
    {
        var sink = new Gauge(canAccept: true);
        var uart = new Uart16550(Uart16550.DefaultBase, new HostConsole(sink));
        Assert.True(uart.Read(5, 1, out ulong lsr));
        Assert.Equal(0x60UL, lsr & 0x60); // THRE and TEMT
        uart.Write(0, 1, 'A');
        Assert.Equal("A"u8.ToArray(), sink.ToArray()); // written through at once, no line end needed
        sink.CanAccept = false;
        Assert.True(uart.Read(5, 1, out lsr));
        Assert.Equal(0UL, lsr & 0x60);
    }
}
