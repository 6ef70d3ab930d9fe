namespace Rivet.Cli.Chardev;

/// <summary>-chardev file,path=F[,append=on]: output to a file (created, or truncated unless append); no input.</summary>
internal sealed class FileChardev : Chardev
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
        if (Directory.Exists(spec.Path)) throw new ChardevException($"Could not open '{spec.Path}': Is a directory");
        try
        {
            var file = new FileStream(spec.Path, spec.Append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1);
            return new FileChardev(spec.Id, spec.Path, file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ChardevException($"Could not open '{spec.Path}': {Reason(ex)}");
        }
    }

    public override void Write(ReadOnlySpan<byte> data)
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

    public override void Dispose() => _file.Dispose();
}
