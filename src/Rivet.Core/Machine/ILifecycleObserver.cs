namespace Rivet.Machine;

/// <summary>
/// Watches the lifecycle from inside (the timeline plugin): vCPU state changes, kicks and
/// wake-ups, and requests with their source. Internal only, never plugin code: some calls come
/// from under a vCPU's lifecycle lock, so an implementation must only record (into a buffer
/// guarded by a lock of its own that it never holds while taking any other), must not block
/// and must not call back into the machine (LIFECYCLE.md rule 2).
/// </summary>
internal interface ILifecycleObserver
{
    /// <summary>A vCPU changed state. Called on that vCPU's thread, under its lifecycle lock.</summary>
    void StateChanged(int vcpu, VCpuState state);

    /// <summary>
    /// A vCPU was kicked out of guest code or woken (<paramref name="why"/>: <c>stop</c>,
    /// <c>terminate</c>, <c>work</c>, or <c>wake</c> for an interrupt or timer change). Any thread,
    /// no lifecycle lock held.
    /// </summary>
    void Kicked(int vcpu, string why);

    /// <summary>
    /// A request reached the controller (<paramref name="kind"/>: pause, resume, reset, shutdown,
    /// powerdown, exclusive). <paramref name="source"/> names the requester; <paramref name="vcpu"/>
    /// is the vCPU whose thread asked, if any. Any thread, no lifecycle lock held.
    /// </summary>
    void Requested(string kind, ShutdownCause cause, string source, int? vcpu);
}
