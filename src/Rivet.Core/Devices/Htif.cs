using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// Berkeley HTIF through the ELF's <c>tohost</c>/<c>fromhost</c> symbols, as the RISC-V ISA tests
/// use: a store to tohost with device 0 and an odd payload ends the run (1 = pass, otherwise the
/// exit code is payload >> 1); device 1, command 1 prints a character.
/// </summary>
internal sealed unsafe class Htif
{
    private readonly PhysicalMemory _memory;
    private readonly IMachineRequests _machine;
    private readonly HostConsole _console;

    public ulong ToHost { get; }
    public ulong? FromHost { get; }

    public Htif(PhysicalMemory memory, IMachineRequests machine, HostConsole console, ulong tohost, ulong? fromhost)
    {
        _memory = memory;
        _machine = machine;
        _console = console;
        ToHost = tohost;
        FromHost = fromhost;
        memory.PageFlags[(tohost - memory.RamBase) >> PhysicalMemory.PageShift] |= PhysicalMemory.FlagWatch;
        memory.StoreWatcher += OnStore;
    }

    private void OnStore(ulong address, int size)
    {
        if (address + (ulong)size <= ToHost || address >= ToHost + 8) return;
        ulong* p = (ulong*)(_memory.Ram + (ToHost - _memory.RamBase));
        ulong value = Volatile.Read(ref *p);
        if (value == 0) return;
        ulong device = value >> 56, command = (value >> 48) & 0xFF, payload = value & 0xFFFF_FFFF_FFFF;
        if (device == 0 && command == 0)
        {
            if ((payload & 1) == 0) return; // a proxy-kernel system call: not supported, ignored
            int code = (int)(payload >> 1);
            _machine.RequestShutdown(code == 0 ? ShutdownCause.GuestShutdown : ShutdownCause.GuestPanic, code);
            return;
        }
        if (device == 1 && command == 1)
        {
            _console.Write((byte)payload);
            Volatile.Write(ref *p, 0);
            if (FromHost is ulong fh && _memory.IsRam(fh, 8))
                Volatile.Write(ref *(ulong*)(_memory.Ram + (fh - _memory.RamBase)), (1UL << 56) | (1UL << 48));
        }
    }
}
