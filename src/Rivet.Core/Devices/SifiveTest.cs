using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// SiFive test finisher at 0x100000: a 32-bit write whose low 16 bits are 0x5555 (pass),
/// 0x3333 (fail) or 0x7777 (reset) and whose high 16 bits are the exit code.
/// </summary>
internal sealed class SifiveTest(ulong baseAddress, IMachineRequests machine) : IMmioDevice
{
    public const ulong DefaultBase = 0x100000;
    public const uint Fail = 0x3333, Pass = 0x5555, ResetCode = 0x7777;

    /// <summary>The -d log (guest_errors), or null; set before the machine runs.</summary>
    public Cpu.GuestLog? Log { get; set; }

    public string Name => "sifive_test";
    public ulong Base => baseAddress;
    public ulong Size => 0x1000;

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        return true;
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        if (offset != 0) return true;
        uint status = (uint)value & 0xFFFF;
        int code = (int)((value >> 16) & 0xFFFF);
        switch (status)
        {
            case Pass: machine.RequestShutdown(ShutdownCause.GuestShutdown, code); break;
            case Fail: machine.RequestShutdown(ShutdownCause.GuestPanic, code); break;
            case ResetCode: machine.RequestReset(ShutdownCause.GuestReset); break;
            default: // ignored, as QEMU, which logs it
                if (Log is { } log && log.Has(Cpu.LogItems.GuestErrors))
                    log.Write(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"sifive_test_write: write: addr=0x{offset:x} val=0x{value:x16}\n"));
                break;
        }
        return true;
    }

    public void Reset()
    {
    }
}
