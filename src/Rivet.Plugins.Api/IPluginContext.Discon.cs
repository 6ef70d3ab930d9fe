namespace Rivet.Plugins;

/// <summary>
/// The kinds of discontinuity (QEMU's <c>qemu_plugin_discon_type</c>), combinable as a filter for
/// <see cref="IPluginContext.RegisterVCpuDiscon"/>.
/// </summary>
[Flags]
public enum DisconType
{
    /// <summary>An interrupt was taken (asynchronous: timer, software, external).</summary>
    Interrupt = 1 << 0,

    /// <summary>An exception was taken (synchronous, caused by the instruction at the from-pc, ecall and ebreak included).</summary>
    Exception = 1 << 1,

    /// <summary>A host call (semihosting) was handled outside the vCPU. Rivet has no semihosting, so this never fires; it is here so QEMU plugins port unchanged.</summary>
    HostCall = 1 << 2,

    /// <summary>Rivet's extension: a return from a trap handler (<c>mret</c> or <c>sret</c>). Not in QEMU.</summary>
    TrapReturn = 1 << 3,

    /// <summary>QEMU's three kinds: interrupts, exceptions and host calls (QEMU's <c>QEMU_PLUGIN_DISCON_ALL</c>).</summary>
    AllQemu = Interrupt | Exception | HostCall,

    /// <summary>Every kind, Rivet's trap returns included.</summary>
    All = AllQemu | TrapReturn,
}

/// <summary>One discontinuity: the vCPU's pc moved somewhere other than the next instruction because of a trap or a return from one.</summary>
/// <param name="Type">The kind: exactly one of <see cref="DisconType.Interrupt"/>, <see cref="DisconType.Exception"/>, <see cref="DisconType.HostCall"/> or <see cref="DisconType.TrapReturn"/>.</param>
/// <param name="Cause">
/// For traps the cause as written to <c>mcause</c>/<c>scause</c> (interrupts with bit 63 set, e.g.
/// <c>0x8000000000000007</c> for the machine timer, 2 for an illegal instruction); for trap
/// returns 0.
/// </param>
/// <param name="FromPc">
/// As QEMU: for an exception the instruction that caused it (which did not retire); for an
/// interrupt the next instruction that would have run; for a trap return the <c>mret</c> or
/// <c>sret</c> itself.
/// </param>
/// <param name="ToPc">The next instruction to run: the trap vector (vectored interrupts included) or the return address.</param>
/// <param name="Tval">What the trap wrote to <c>mtval</c>/<c>stval</c> (the faulting address or instruction bits); 0 for interrupts and trap returns.</param>
/// <param name="Privilege">The privilege level execution continues in: 3 machine, 1 supervisor, 0 user.</param>
public readonly record struct Discontinuity(DisconType Type, ulong Cause, ulong FromPc, ulong ToPc, ulong Tval, int Privilege)
{
    /// <summary>True for an interrupt's cause (bit 63).</summary>
    public bool IsInterrupt => Type == DisconType.Interrupt;

    /// <summary>The cause's exception or interrupt number, without bit 63.</summary>
    public int Code => (int)(Cause & 63);
}

/// <summary>A trap was taken or returned from (QEMU's <c>qemu_plugin_vcpu_discon_cb_t</c>).</summary>
/// <param name="vcpuIndex">The vCPU.</param>
/// <param name="discon">What happened.</param>
public delegate void DisconCallback(int vcpuIndex, Discontinuity discon);

public partial interface IPluginContext
{
    /// <summary>
    /// Calls <paramref name="callback"/> on the vCPU's thread each time it takes a trap or returns
    /// from one, after the pc has been redirected (QEMU's <c>qemu_plugin_register_vcpu_discon_cb</c>;
    /// the <see cref="DisconType.TrapReturn"/> kind is Rivet's own). No emulator lock is held;
    /// <see cref="ReadRegister(int)"/> and <see cref="ReadPc"/> see the state after the transition
    /// (<see cref="ReadPc"/> is the to-pc).
    /// </summary>
    /// <param name="types">Which kinds to report (QEMU's <c>QEMU_PLUGIN_DISCON_ALL</c> is <see cref="DisconType.AllQemu"/>).</param>
    /// <param name="callback">Receives the vCPU index and the discontinuity.</param>
    void RegisterVCpuDiscon(DisconType types, DisconCallback callback);
}
