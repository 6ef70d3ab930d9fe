namespace Rivet.Cpu;

/// <summary>CSR numbers from the RISC-V privileged specification.</summary>
internal static class Csr
{
    public const int Cycle = 0xC00, Time = 0xC01, Instret = 0xC02;
    public const int HpmCounter3 = 0xC03, HpmCounter31 = 0xC1F;
    public const int Mvendorid = 0xF11, Marchid = 0xF12, Mimpid = 0xF13, Mhartid = 0xF14, Mconfigptr = 0xF15;
    public const int Mstatus = 0x300, Misa = 0x301, Mie = 0x304, Mtvec = 0x305, Mcounteren = 0x306;
    public const int Mcountinhibit = 0x320, MhpmEvent3 = 0x323, MhpmEvent31 = 0x33F;
    public const int Mscratch = 0x340, Mepc = 0x341, Mcause = 0x342, Mtval = 0x343, Mip = 0x344;
    public const int Pmpcfg0 = 0x3A0, Pmpcfg15 = 0x3AF, Pmpaddr0 = 0x3B0, Pmpaddr63 = 0x3EF;
    // Debug triggers (Sdtrig): none implemented; tselect reads 0 and tdata1 type 0 says so.
    public const int Tselect = 0x7A0, Tdata1 = 0x7A1, Tdata2 = 0x7A2, Tdata3 = 0x7A3, Tinfo = 0x7A4;
    public const int Mcycle = 0xB00, Minstret = 0xB02, MhpmCounter3 = 0xB03, MhpmCounter31 = 0xB1F;
}

/// <summary>Exception and interrupt cause codes (mcause).</summary>
internal static class Cause
{
    public const ulong InstructionMisaligned = 0, InstructionAccessFault = 1, IllegalInstruction = 2,
        Breakpoint = 3, LoadMisaligned = 4, LoadAccessFault = 5, StoreMisaligned = 6, StoreAccessFault = 7,
        EcallFromU = 8, EcallFromM = 11;

    public const ulong InterruptFlag = 1UL << 63;
    public const int MachineSoftware = 3, MachineTimer = 7, MachineExternal = 11;
}

/// <summary>mstatus fields for a machine + user mode hart.</summary>
internal static class Mstatus
{
    public const ulong Mie = 1UL << 3, Mpie = 1UL << 7, MppShift = 11, Mpp = 3UL << 11, Mprv = 1UL << 17, Tw = 1UL << 21;
    // UXL is read-only 2 (64-bit U-mode); no S-mode, so no SXL, SUM, MXR, TVM, TSR.
    public const ulong Uxl64 = 2UL << 32;
    public const ulong Writable = Mie | Mpie | Mpp | Mprv | Tw;
}

internal static class Priv
{
    public const int User = 0, Machine = 3;
}
