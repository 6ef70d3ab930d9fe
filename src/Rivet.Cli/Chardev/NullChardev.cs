namespace Rivet.Cli.Chardev;

/// <summary>-chardev null: output is dropped, no input ever arrives.</summary>
internal sealed class NullChardev(string id) : Chardev(id)
{
    public override string Filename => "null";

    public override void Write(ReadOnlySpan<byte> data)
    {
    }
}
