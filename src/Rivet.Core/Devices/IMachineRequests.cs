namespace Rivet.Devices;

/// <summary>
/// What a device may ask of the machine. Requests are posted: the caller (usually a vCPU
/// thread inside an MMIO write) never waits for them to be carried out.
/// </summary>
internal interface IMachineRequests
{
    void RequestShutdown(ShutdownCause cause, int exitCode);
    void RequestReset(ShutdownCause cause);
}
