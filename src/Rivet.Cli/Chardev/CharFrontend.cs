namespace Rivet.Cli.Chardev;

/// <summary>QEMU's QEMUChrEvent, as far as Rivet's front ends use them.</summary>
internal enum ChardevEvent
{
    /// <summary>The backend is connected (a socket's client came; stdio, files and pipes from the start).</summary>
    Opened,
    /// <summary>The backend lost its peer (a socket's client left).</summary>
    Closed,
    /// <summary>C-a b on a mux: a serial line break.</summary>
    Break,
    /// <summary>A mux gave this front end the input focus.</summary>
    MuxIn,
    /// <summary>A mux took the input focus away.</summary>
    MuxOut,
}

/// <summary>
/// A front end of a character device (QEMU's CharBackend user: the UART, a monitor). Input and
/// events come from the device's one reader thread, in order; output goes through the device's
/// <see cref="Chardev.Write"/> (or a mux's).
/// </summary>
internal interface ICharFrontend
{
    void Receive(ReadOnlySpan<byte> data);

    void Event(ChardevEvent e);
}

/// <summary>
/// The UART's front end: input goes to the guest. A break (C-a b) reaches the guest as QEMU's
/// serial_receive_break leaves it to be read: a 0 byte (Rivet's UART has no LSR.BI bit).
/// </summary>
internal sealed class SerialFrontend(Action<ReadOnlySpan<byte>> input) : ICharFrontend
{
    public void Receive(ReadOnlySpan<byte> data) => input(data);

    public void Event(ChardevEvent e)
    {
        if (e == ChardevEvent.Break) input([0]);
    }
}
