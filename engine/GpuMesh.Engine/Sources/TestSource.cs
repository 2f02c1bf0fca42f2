using GpuMesh.Engine.Mxl;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Engine.Sources;

/// <summary>
/// Writes the test pattern into an MXL flow in real time: grain N at its timestamp on the TAI clock, one per period.
/// A source that falls behind jumps to the current index (and counts the skipped grains).
/// </summary>
public sealed class TestSource : IDisposable
{
    private readonly FlowWriter _writer;
    private readonly IEngineClock _clock;
    private readonly MediaRate _rate;

    public TestSource(MxlDomain domain, Guid flowId, int width, int height, MediaRate rate, bool withKey, char variant, string? label = null,
        IEngineClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        Variant = variant;
        Width = width;
        Height = height;
        WithKey = withKey;
        _rate = rate;
        _clock = clock ?? TaiClock.Instance;
        string json = FlowDefinitions.Video(flowId, label ?? $"gpumesh test source {variant}", width, height, rate.ToRational(), withKey);
        _writer = domain.CreateFlowWriter(json, null, out _);
        FlowId = flowId;
    }

    public Guid FlowId { get; }
    public char Variant { get; }
    public int Width { get; }
    public int Height { get; }
    public bool WithKey { get; }
    public FlowWriter Writer => _writer;
    public long Written;
    public long Skipped;

    /// <summary>Writes grain <paramref name="index"/> now (no waiting).</summary>
    public void WriteGrain(ulong index)
    {
        GrainWriteAccess g = _writer.OpenGrain(index);
        try
        {
            TestPattern.Write(Variant, index, Width, Height, WithKey, g.Payload);
        }
        catch
        {
            _writer.Cancel();
            throw;
        }
        _writer.CommitAll();
        Interlocked.Increment(ref Written);
    }

    /// <summary>Writes grains at their timestamps until <paramref name="stopIndex"/> (exclusive) or cancellation.</summary>
    public void Run(CancellationToken cancellationToken, ulong? stopIndex = null)
    {
        ulong n = _rate.IndexAt(_clock.NowNs) + 1;
        try
        {
            while (!cancellationToken.IsCancellationRequested && (stopIndex is not { } stop || n < stop))
            {
                _clock.SleepUntil(_rate.TimestampOf(n), cancellationToken);
                WriteGrain(n);
                ulong now = _rate.IndexAt(_clock.NowNs);
                if (now > n + 1)
                {
                    Interlocked.Add(ref Skipped, (long)(now - n - 1));
                    n = now;
                }
                else n++;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _writer.Dispose();
}
