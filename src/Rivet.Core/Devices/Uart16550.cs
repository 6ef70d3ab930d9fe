using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// NS16550A UART at 0x10000000 (register shift 0): transmit goes straight to the host console,
/// so the transmitter is empty (LSR.THRE and LSR.TEMT set) unless the console's output queue is
/// full (a peer that does not read): then both are clear and a guest that polls THRE waits, as on
/// QEMU; a byte written anyway is dropped by the queue. Received bytes show in LSR.DR.
/// </summary>
internal sealed class Uart16550(ulong baseAddress, HostConsole console) : IMmioDevice
{
    public const ulong DefaultBase = 0x10000000;
    private const byte LsrDataReady = 0x01, LsrThrEmpty = 0x20, LsrTransmitterEmpty = 0x40;
    private const byte IerRxAvailable = 0x01, IerThrEmpty = 0x02;
    private const byte LcrDlab = 0x80;

    private readonly object _gate = new();
    // Registers, guarded by _gate.
    private byte _ier, _lcr, _mcr, _scr, _fcr, _dll = 1, _dlm;
    private bool _thrInterruptPending;

    public string Name => "uart";
    public ulong Base => baseAddress;
    public ulong Size => 0x100;

    /// <summary>The interrupt line (to the PLIC); raised or lowered after the register lock is released.</summary>
    public Action<bool>? Irq { get; set; }

    public bool Read(ulong offset, int size, out ulong value)
    {
        bool irq;
        lock (_gate)
        {
            value = offset switch
            {
                0 when (_lcr & LcrDlab) != 0 => _dll,
                0 => console.TryRead(out byte b) ? b : 0u,
                1 when (_lcr & LcrDlab) != 0 => _dlm,
                1 => _ier,
                2 => Iir(),
                3 => _lcr,
                4 => _mcr,
                5 => (ulong)((console.CanTransmit ? LsrThrEmpty | LsrTransmitterEmpty : 0) | (console.HasInput ? LsrDataReady : 0)),
                6 => 0xB0u, // DCD, DSR, CTS asserted
                7 => _scr,
                _ => 0u,
            };
            // Reading IIR clears a THR-empty interrupt only when IIR reports it (QEMU's serial_ioport_read).
            if (offset == 2 && (value & 0x0F) == 0x02) _thrInterruptPending = false;
            irq = InterruptLine();
        }
        Irq?.Invoke(irq);
        return true;
    }

    private ulong Iir()
    {
        ulong fifo = (_fcr & 1) != 0 ? 0xC0u : 0u;
        if ((_ier & IerRxAvailable) != 0 && console.HasInput) return fifo | 0x04;
        if ((_ier & IerThrEmpty) != 0 && _thrInterruptPending) return fifo | 0x02;
        return fifo | 0x01;
    }

    private bool InterruptLine()
        => ((_ier & IerRxAvailable) != 0 && console.HasInput) || ((_ier & IerThrEmpty) != 0 && _thrInterruptPending);

    public bool Write(ulong offset, int size, ulong value)
    {
        byte v = (byte)value;
        bool irq;
        lock (_gate)
        {
            switch (offset)
            {
                case 0 when (_lcr & LcrDlab) != 0: _dll = v; break;
                case 0:
                    console.Write(v);
                    _thrInterruptPending = true;
                    break;
                case 1 when (_lcr & LcrDlab) != 0: _dlm = v; break;
                case 1:
                    {
                        // As QEMU 7.2: a change of IER.THRI samples THRE (an idle transmitter interrupts
                        // at once when enabled; Linux's THRE test relies on it); other writes keep it.
                        byte changed = (byte)((_ier ^ v) & 0x0F);
                        _ier = (byte)(v & 0x0F);
                        if ((changed & IerThrEmpty) != 0) _thrInterruptPending = (_ier & IerThrEmpty) != 0 && console.CanTransmit;
                        break;
                    }
                case 2: _fcr = v; break;
                case 3: _lcr = v; break;
                case 4: _mcr = (byte)(v & 0x1F); break;
                case 7: _scr = v; break;
                default: break;
            }
            irq = InterruptLine();
        }
        Irq?.Invoke(irq);
        return true;
    }

    /// <summary>Input arrived: re-evaluate the interrupt line.</summary>
    public void OnInput()
    {
        bool irq;
        lock (_gate)
        {
            irq = InterruptLine();
        }
        Irq?.Invoke(irq);
    }

    public void Reset()
    {
        lock (_gate)
        {
            _ier = _lcr = _mcr = _scr = _fcr = _dlm = 0;
            _dll = 1;
            _thrInterruptPending = false;
        }
    }
}
