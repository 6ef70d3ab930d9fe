namespace Rivet.Cli.Chardev;

/// <summary>-chardev file,path=F[,append=on]: output to a file (created, or truncated unless append); no input.</summary>
internal sealed class FileChardev : QueuedChardev
{
    private readonly FileStream _file;

    private FileChardev(string id, string path, FileStream file) : base(id)
    {
        _file = file;
        Filename = $"file:{path}";
    }

    public override string Filename { get; }

    public static FileChardev Open(ChardevSpec spec)
    {
        FileStream file = OpenFile(spec.Path, spec.Append ? FileMode.Append : FileMode.Create, FileAccess.Write);
        return new FileChardev(spec.Id, spec.Path, file);
    }

    protected override void WriteOut(ReadOnlySpan<byte> data)
    {
        try
        {
            _file.Write(data);
        }
        catch (IOException)
        {
            // disk full: the output is lost, the guest runs on
        }
    }

    protected override void CloseBackend() => _file.Dispose();
}
