using System.Diagnostics;
using Rivet.Memory;

namespace Rivet.Devices;

/// <summary>
/// Goldfish RTC at 0x101000 (QEMU 7.2's hw/rtc/goldfish_rtc.c): nanoseconds since the epoch,
/// from the start time in whole seconds plus the time elapsed since (host time with -rtc
/// clock=host or rt, the guest's virtual time with clock=vm), one alarm and a level interrupt.
/// Reading TIME_LOW latches TIME_HIGH, so a 64-bit time is read low then high.
/// </summary>
internal sealed class GoldfishRtc : IMmioDevice, IDisposable
{
    public const ulong DefaultBase = 0x101000;
    private const ulong TimeLow = 0x00, TimeHigh = 0x04, AlarmLow = 0x08, AlarmHigh = 0x0c, IrqEnabled = 0x10,
        ClearAlarm = 0x14, AlarmStatus = 0x18, ClearInterrupt = 0x1c;
    private const ulong NanosPerMtime = 1_000_000_000 / VirtualClock.Frequency;

    private readonly VirtualClock? _virtual;
    private readonly long _hostOrigin = Stopwatch.GetTimestamp();
    private readonly ulong _startNanos;
    private readonly Timer _alarmTimer;

    private readonly object _gate = new();
    // All guarded by _gate. _tickOffset is QEMU's tick_offset: the count is it plus the clock's nanoseconds.
    private ulong _tickOffset;
    private ulong _alarmNext;
    private uint _timeHigh;
    private bool _irqEnabled, _irqPending, _alarmRunning;
    private int _alarmGeneration; // a timer callback for an older alarm does nothing

    /// <param name="start">The guest's time of day at start (QEMU's base=): whole seconds count.</param>
    /// <param name="virtualClock">clock=vm: count the guest's virtual time; null counts host time.</param>
    public GoldfishRtc(ulong baseAddress, DateTime start, VirtualClock? virtualClock)
    {
        Base = baseAddress;
        _virtual = virtualClock;
        long seconds = Math.Max(0, (long)(start - DateTime.UnixEpoch).TotalSeconds);
        _startNanos = (ulong)seconds * 1_000_000_000;
        _alarmTimer = new Timer(_ => OnAlarmTimer(), null, Timeout.Infinite, Timeout.Infinite);
        ResetOffset();
    }

    public string Name => "goldfish_rtc";
    public ulong Base { get; }
    public ulong Size => 0x24;

    /// <summary>The interrupt line (PLIC source 11); called after the register lock is released.</summary>
    public Action<bool>? Irq { get; set; }

    /// <summary>QEMU's rtc_clock in nanoseconds.</summary>
    private ulong ClockNanos()
    {
        if (_virtual != null) return _virtual.Mtime * NanosPerMtime;
        long ticks = Stopwatch.GetTimestamp() - _hostOrigin;
        return VirtualClock.ToMtime(ticks) * NanosPerMtime;
    }

    private ulong Count() => _tickOffset + ClockNanos();

    private void ResetOffset() => _tickOffset = _startNanos - ClockNanos();

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (size != 4) return false; // QEMU: valid 4-byte accesses only
        lock (_gate)
        {
            switch (offset)
            {
                case TimeLow:
                    ulong count = Count();
                    _timeHigh = (uint)(count >> 32);
                    value = (uint)count;
                    break;
                case TimeHigh: value = _timeHigh; break;
                case AlarmLow: value = (uint)_alarmNext; break;
                case AlarmHigh: value = _alarmNext >> 32; break;
                case IrqEnabled: value = _irqEnabled ? 1u : 0u; break;
                case AlarmStatus: value = _alarmRunning ? 1u : 0u; break;
                default: break;
            }
        }
        return true;
    }

    public bool Write(ulong offset, int size, ulong value)
    {
        if (size != 4) return false;
        uint v = (uint)value;
        bool level;
        lock (_gate)
        {
            switch (offset)
            {
                case TimeLow:
                    {
                        ulong current = Count();
                        _tickOffset += (current & ~0xFFFF_FFFFUL | v) - current;
                        break;
                    }
                case TimeHigh:
                    {
                        ulong current = Count();
                        _tickOffset += ((ulong)v << 32 | current & 0xFFFF_FFFFUL) - current;
                        break;
                    }
                case AlarmLow:
                    _alarmNext = _alarmNext & ~0xFFFF_FFFFUL | v;
                    SetAlarm();
                    break;
                case AlarmHigh:
                    _alarmNext = _alarmNext & 0xFFFF_FFFFUL | (ulong)v << 32; // armed by the low half, as QEMU
                    break;
                case IrqEnabled: _irqEnabled = (v & 1) != 0; break;
                case ClearAlarm: StopAlarm(); break;
                case ClearInterrupt: _irqPending = false; break;
                default: break;
            }
            level = _irqPending && _irqEnabled;
        }
        Irq?.Invoke(level);
        return true;
    }

    /// <summary>goldfish_rtc_set_alarm: due already raises at once; otherwise a timer. Under _gate.</summary>
    private void SetAlarm()
    {
        ulong now = Count();
        if (_alarmNext <= now)
        {
            StopAlarm();
            _irqPending = true;
            return;
        }
        _alarmRunning = true;
        _alarmGeneration++;
        // Host milliseconds; under clock=vm a pause makes it early, and the callback checks again.
        ulong ms = Math.Min((_alarmNext - now) / 1_000_000 + 1, (ulong)int.MaxValue - 1);
        _alarmTimer.Change((long)ms, Timeout.Infinite);
    }

    private void StopAlarm()
    {
        _alarmRunning = false;
        _alarmGeneration++;
        _alarmTimer.Change(Timeout.Infinite, Timeout.Infinite);
    }

    private void OnAlarmTimer()
    {
        bool level;
        lock (_gate)
        {
            if (!_alarmRunning) return;
            if (Count() < _alarmNext)
            {
                SetAlarm(); // early (a paused virtual clock): wait again
                return;
            }
            _alarmRunning = false;
            _irqPending = true;
            level = _irqEnabled;
        }
        Irq?.Invoke(level);
    }

    public void Reset()
    {
        // QEMU's reset keeps the time (tick_offset) and clears the alarm and interrupt state.
        lock (_gate)
        {
            StopAlarm();
            _alarmNext = 0;
            _irqEnabled = _irqPending = false;
            _timeHigh = 0;
        }
        Irq?.Invoke(false);
    }

    public void Dispose() => _alarmTimer.Dispose();
}
