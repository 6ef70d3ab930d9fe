namespace Rivet.Cli.Chardev;

/// <summary>
/// -chardev pipe,path=P: the FIFOs P.in (input) and P.out (output) if both exist, else P for
/// both ways. Opened read-write, as QEMU does, so opening never blocks waiting for the other end.
/// </summary>
internal sealed class PipeChardev : QueuedChardev
{
    private readonly FileStream _in;
    private readonly FileStream _out;

    private PipeChardev(string id, string path, FileStream input, FileStream output) : base(id)
    {
        _in = input;
        _out = output;
        Filename = $"pipe:{path}";
    }

    public override string Filename { get; }

    public static PipeChardev Open(ChardevSpec spec)
    {
        string p = spec.Path;
        if (File.Exists(p + ".in") && File.Exists(p + ".out"))
        {
            FileStream input = OpenOne(p + ".in");
            try
            {
                return new PipeChardev(spec.Id, p, input, OpenOne(p + ".out"));
            }
            catch
            {
                input.Dispose();
                throw;
            }
        }
        FileStream both = OpenOne(p);
        return new PipeChardev(spec.Id, p, both, both);
    }

    private static FileStream OpenOne(string path) => OpenFile(path, FileMode.Open, FileAccess.ReadWrite);

    protected override void WriteOut(ReadOnlySpan<byte> data)
    {
        try
        {
            _out.Write(data);
        }
        catch (IOException)
        {
            // the reader went away: the output is lost
        }
    }

    public override void StartInput(Action<ReadOnlySpan<byte>> receive) => StartReader($"pipe-input {Id}", _in, receive);

    protected override void CloseBackend()
    {
        _in.Dispose();
        if (_out != _in) _out.Dispose();
    }
}
