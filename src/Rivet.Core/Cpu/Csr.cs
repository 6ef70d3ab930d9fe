namespace Rivet.Cpu;

/// <summary>CSR numbers from the RISC-V privileged specification.</summary>
internal static class Csr
{
    public const int Fflags = 0x001, Frm = 0x002, Fcsr = 0x003;
    public const int Cycle = 0xC00, Time = 0xC01, Instret = 0xC02;
    public const int HpmCounter3 = 0xC03, HpmCounter31 = 0xC1F;
    public const int Sstatus = 0x100, Sie = 0x104, Stvec = 0x105, Scounteren = 0x106, Senvcfg = 0x10A;
    public const int Sscratch = 0x140, Sepc = 0x141, Scause = 0x142, Stval = 0x143, Sip = 0x144;
    public const int Stimecmp = 0x14D, Satp = 0x180;
    public const int Mvendorid = 0xF11, Marchid = 0xF12, Mimpid = 0xF13, Mhartid = 0xF14, Mconfigptr = 0xF15;
    public const int Mstatus = 0x300, Misa = 0x301, Medeleg = 0x302, Mideleg = 0x303, Mie = 0x304, Mtvec = 0x305, Mcounteren = 0x306;
    public const int Menvcfg = 0x30A;
    public const int Mcountinhibit = 0x320, MhpmEvent3 = 0x323, MhpmEvent31 = 0x33F;
    public const int Mscratch = 0x340, Mepc = 0x341, Mcause = 0x342, Mtval = 0x343, Mip = 0x344;
    public const int Pmpcfg0 = 0x3A0, Pmpcfg15 = 0x3AF, Pmpaddr0 = 0x3B0, Pmpaddr63 = 0x3EF;
    // Debug triggers (Sdtrig): none implemented; tselect reads 0 and tdata1 type 0 says so.
    public const int Tselect = 0x7A0, Tdata1 = 0x7A1, Tdata2 = 0x7A2, Tdata3 = 0x7A3, Tinfo = 0x7A4;
    public const int Mcycle = 0xB00, Minstret = 0xB02, MhpmCounter3 = 0xB03, MhpmCounter31 = 0xB1F;
}

/// <summary>Exception and interrupt cause codes (mcause/scause).</summary>
internal static class Cause
{
    public const ulong InstructionMisaligned = 0, InstructionAccessFault = 1, IllegalInstruction = 2,
        Breakpoint = 3, LoadMisaligned = 4, LoadAccessFault = 5, StoreMisaligned = 6, StoreAccessFault = 7,
        EcallFromU = 8, EcallFromS = 9, EcallFromM = 11,
        InstructionPageFault = 12, LoadPageFault = 13, StorePageFault = 15;

    public const ulong InterruptFlag = 1UL << 63;
    public const int SupervisorSoftware = 1, MachineSoftware = 3, SupervisorTimer = 5, MachineTimer = 7,
        SupervisorExternal = 9, MachineExternal = 11;
}

/// <summary>mstatus fields of an M + S + U hart with F and D, without V or H (sstatus is a view of it).</summary>
internal static class Mstatus
{
    public const ulong Sie = 1UL << 1, Mie = 1UL << 3, Spie = 1UL << 5, Mpie = 1UL << 7, Spp = 1UL << 8;
    public const ulong MppShift = 11, Mpp = 3UL << 11, Fs = 3UL << 13, Xs = 3UL << 15;
    /// <summary>FS values: Off makes every F/D instruction and FP CSR illegal; Dirty says f registers or fcsr were written.</summary>
    public const ulong FsOff = 0, FsInitial = 1UL << 13, FsClean = 2UL << 13, FsDirty = 3UL << 13;
    public const ulong Mprv = 1UL << 17, Sum = 1UL << 18, Mxr = 1UL << 19, Tvm = 1UL << 20, Tw = 1UL << 21, Tsr = 1UL << 22;
    public const ulong Sd = 1UL << 63;
    // UXL and SXL are read-only 2 (64-bit U and S); XS reads 0 (no custom state), so SD is FS == Dirty.
    public const ulong Uxl64 = 2UL << 32, Sxl64 = 2UL << 34;
    public const ulong Writable = Sie | Mie | Spie | Mpie | Spp | Mpp | Fs | Mprv | Sum | Mxr | Tvm | Tw | Tsr;
    /// <summary>The bits sstatus shows (and writes, minus UXL).</summary>
    public const ulong SstatusMask = Sie | Spie | Spp | Fs | Xs | Sum | Mxr | (3UL << 32) | Sd;
    public const ulong SstatusWritable = Sie | Spie | Spp | Fs | Sum | Mxr;
}

internal static class Priv
{
    public const int User = 0, Supervisor = 1, Machine = 3;
}
