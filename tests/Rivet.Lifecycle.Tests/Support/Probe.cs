using Rivet.Machine;

namespace Rivet.Lifecycle.Tests.Support;

/// <summary>
/// A counter a test thread can wait on (a predicate loop under one lock, as LIFECYCLE.md rule 1
/// asks of the code under test). If what it waits for never happens, Coyote reports a deadlock:
/// that is how a lost request or a lost wake-up shows.
/// </summary>
internal sealed class Probe
{
    private readonly object _gate = new();
    private int _count;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public void Bump(int by = 1)
    {
        lock (_gate)
        {
            _count += by;
            Monitor.PulseAll(_gate);
        }
    }

    public void WaitFor(int count)
    {
        lock (_gate)
        {
            while (_count < count) Monitor.Wait(_gate);
        }
    }
}

/// <summary>The machine's events (STOP, RESUME, RESET, SHUTDOWN), in order, for a test thread to wait on.</summary>
internal sealed class EventLog
{
    private readonly object _gate = new();
    private readonly List<MachineEvent> _events = [];

    public void Add(MachineEvent e)
    {
        lock (_gate)
        {
            _events.Add(e);
            Monitor.PulseAll(_gate);
        }
    }

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return _events.Select(e => e.Name).ToArray();
            }
        }
    }

    public int CountOf(string name)
    {
        lock (_gate)
        {
            return _events.Count(e => e.Name == name);
        }
    }

    public void WaitFor(string name, int count = 1)
    {
        lock (_gate)
        {
            while (_events.Count(e => e.Name == name) < count) Monitor.Wait(_gate);
        }
    }

    /// <summary>The last STOP or RESUME, or null.</summary>
    public string? LastRunChange()
    {
        lock (_gate)
        {
            return _events.LastOrDefault(e => e.Name is "STOP" or "RESUME")?.Name;
        }
    }
}
