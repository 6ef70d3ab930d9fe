namespace Rivet.Cli.Chardev;

/// <summary>-chardev stdio: rivet's standard output and input (one such device per process, as QEMU).</summary>
internal sealed class StdioChardev(string id) : QueuedChardev(id)
{
    private readonly Stream _out = Console.OpenStandardOutput();

    public override string Filename => "stdio";

    protected override void WriteOut(ReadOnlySpan<byte> data)
    {
        try
        {
            _out.Write(data);
        }
        catch (IOException)
        {
            // standard output closed (a pipe whose reader went away): the guest's output is lost, as in QEMU
        }
    }

    public override void StartInput(Action<ReadOnlySpan<byte>> receive)
        => StartReader("console-input", Console.OpenStandardInput(), receive);
}
