using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Engine.Mxl;

public static class RateConversions
{
    public static MediaRate ToMediaRate(this Rational r, string what) =>
        r.IsValid ? new MediaRate(r.Numerator, r.Denominator) : throw new ArgumentException($"{what}: invalid rate {r}");

    public static Rational ToRational(this MediaRate r) => new(r.Numerator, r.Denominator);
}

/// <summary>An MXL discrete flow as a scheduler input: blocking reads with the deadline, reopen after FlowInvalid.</summary>
public sealed class MxlGrainSource : IGrainSource
{
    private readonly MxlDomain _domain;
    private readonly IEngineClock _clock;
    private FlowReader? _reader;

    public MxlGrainSource(MxlDomain domain, Guid flowId, string? name = null, IEngineClock? clock = null)
    {
        _domain = domain ?? throw new ArgumentNullException(nameof(domain));
        _clock = clock ?? TaiClock.Instance;
        FlowId = flowId;
        _reader = domain.OpenFlowReader(flowId);
        Definition = _reader.Definition;
        Name = name ?? $"flow {flowId}";
        Rate = _reader.GrainRate.ToMediaRate($"flow {flowId} grain_rate");
    }

    public Guid FlowId { get; }
    public string Name { get; }
    public MediaRate Rate { get; }
    public FlowDefinition Definition { get; }
    public int GrainCount => _reader?.GrainCount ?? 0;
    /// <summary>The last problem met (a corrupt header, a flow recreated with another format), for display.</summary>
    public string? LastError { get; private set; }

    public ReadStatus Read(ulong index, ulong deadlineNs, CancellationToken cancellationToken, out InputGrain grain)
    {
        grain = default;
        if (_reader is null) return ReadStatus.FlowInvalid;
        ulong now = _clock.NowNs;
        TimeSpan timeout = deadlineNs > now ? TimeSpan.FromTicks((long)((deadlineNs - now) / 100)) : TimeSpan.Zero;
        MxlStatus status;
        GrainView view;
        try
        {
            status = _reader.GetGrain(index, timeout, out view);
        }
        catch (MxlFlowCorruptException e)
        {
            LastError = $"{Name} grain {index}: {e.Message}";
            return ReadStatus.FlowInvalid;
        }
        switch (status)
        {
            case MxlStatus.Ok:
                if (!view.IsInvalid && view.Size < Definition.GrainPayloadSize)
                {
                    LastError = $"{Name} grain {index}: payload {view.Size} bytes, the flow definition needs {Definition.GrainPayloadSize}";
                    return ReadStatus.FlowInvalid;
                }
                grain = new InputGrain(view.Index, view.PayloadAddress, view.Size, view.IsInvalid, view.ValidSlices, view.TotalSlices);
                return ReadStatus.Ok;
            case MxlStatus.TooEarly: return ReadStatus.TooEarly;
            case MxlStatus.TooLate: return ReadStatus.TooLate;
            case MxlStatus.FlowInvalid: return ReadStatus.FlowInvalid;
            default:
                throw new MxlException(status, $"{Name}: reading grain {index} failed with {status}", FlowId);
        }
    }

    public bool TryReopen()
    {
        _reader?.Dispose();
        _reader = null;
        if (!_domain.FlowExists(FlowId)) return false;
        FlowReader reader;
        try
        {
            reader = _domain.OpenFlowReader(FlowId);
        }
        catch (MxlException e)
        {
            LastError = $"{Name}: reopen failed: {e.Message}";
            return false;
        }
        var d = reader.Definition;
        if (d.MediaType != Definition.MediaType || d.FrameWidth != Definition.FrameWidth || d.FrameHeight != Definition.FrameHeight
            || !reader.GrainRate.ToMediaRate("rate").Equals(Rate))
        {
            LastError = $"{Name}: the flow came back as {d.MediaType} {d.FrameWidth}x{d.FrameHeight} @ {reader.GrainRate}, " +
                        $"the graph was built for {Definition.MediaType} {Definition.FrameWidth}x{Definition.FrameHeight} @ {Rate}";
            reader.Dispose();
            return false;
        }
        _reader = reader;
        return true;
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _reader = null;
    }
}

/// <summary>An MXL flow writer as a scheduler output (owns the writer).</summary>
public sealed class MxlGrainSink : IGrainSink
{
    private readonly FlowWriter _writer;

    public MxlGrainSink(FlowWriter writer, string? name = null)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        Name = name ?? $"flow {writer.FlowId}";
        Rate = writer.GrainRate.ToMediaRate($"flow {writer.FlowId} grain_rate");
    }

    public FlowWriter Writer => _writer;
    public string Name { get; }
    public MediaRate Rate { get; }
    public int GrainCount => _writer.GrainCount;
    public int PayloadSize => _writer.GrainPayloadSize;

    public Span<byte> Open(ulong index) => _writer.OpenGrain(index).Payload;
    public void Commit() => _writer.CommitAll();
    public void CommitInvalid() => _writer.CommitInvalid();
    public void Cancel() => _writer.Cancel();
    public void Dispose() => _writer.Dispose();
}
