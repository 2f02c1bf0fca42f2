namespace GpuMesh.Engine.Timing;

/// <summary>The time base of the scheduler: TAI nanoseconds in production, a virtual clock in tests.</summary>
public interface IEngineClock
{
    ulong NowNs { get; }

    /// <summary>Blocks until <see cref="NowNs"/> reaches <paramref name="timestampNs"/> (returns at once if past).</summary>
    void SleepUntil(ulong timestampNs, CancellationToken cancellationToken);
}

/// <summary>CLOCK_TAI of the host through the MXL plane (equal to CLOCK_REALTIME when no PTP daemon set the kernel's TAI offset).</summary>
public sealed class TaiClock : IEngineClock
{
    public static readonly TaiClock Instance = new();

    public ulong NowNs => GpuMesh.Interop.Mxl.MxlClock.NowTai();

    /// <summary>True when the kernel's TAI offset is zero, i.e. TAI reads the same as UTC (no PTP daemon set it).</summary>
    public static bool TaiEqualsRealtime => GpuMesh.Interop.Mxl.MxlClock.TaiOffsetNs() == 0;

    /// <summary>Cancellable coarse wait, then an absolute clock_nanosleep on CLOCK_TAI (no spinning).</summary>
    public void SleepUntil(ulong timestampNs, CancellationToken cancellationToken) =>
        GpuMesh.Interop.Mxl.MxlClock.SleepUntilTimestamp(timestampNs, cancellationToken);
}

/// <summary>
/// A deterministic clock for tests: time only moves when someone sleeps or advances it.
/// Sleeping jumps the clock forward (discrete-event style), so a whole schedule runs instantly.
/// </summary>
public sealed class VirtualClock : IEngineClock
{
    private long _now;

    public VirtualClock(ulong startNs) => _now = (long)startNs;

    public ulong NowNs => (ulong)Interlocked.Read(ref _now);

    public void SleepUntil(ulong timestampNs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        AdvanceTo(timestampNs);
    }

    /// <summary>Moves the clock to <paramref name="timestampNs"/> if that is later than now.</summary>
    public void AdvanceTo(ulong timestampNs)
    {
        long target = (long)timestampNs;
        long seen = Interlocked.Read(ref _now);
        while (seen < target)
        {
            long prior = Interlocked.CompareExchange(ref _now, target, seen);
            if (prior == seen) return;
            seen = prior;
        }
    }

    public void Advance(TimeSpan by) => AdvanceTo(NowNs + (ulong)(by.Ticks * 100));
}
