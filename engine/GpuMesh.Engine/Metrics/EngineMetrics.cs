namespace GpuMesh.Engine.Metrics;

/// <summary>Counters of one input (a decode node reading a flow).</summary>
public sealed class InputMetrics
{
    internal long _in, _late, _invalid, _repeated, _flowInvalid, _reopened;

    public InputMetrics(string name) => Name = name;

    public string Name { get; }
    /// <summary>Good grains read.</summary>
    public long In => Interlocked.Read(ref _in);
    /// <summary>Grains not there by the deadline.</summary>
    public long Late => Interlocked.Read(ref _late);
    /// <summary>Grains flagged INVALID by their writer.</summary>
    public long Invalid => Interlocked.Read(ref _invalid);
    /// <summary>Times the last good grain stood in for a missing one.</summary>
    public long Repeated => Interlocked.Read(ref _repeated);
    /// <summary>Reads that found the flow deleted or recreated.</summary>
    public long FlowInvalid => Interlocked.Read(ref _flowInvalid);
    public long Reopened => Interlocked.Read(ref _reopened);
}

/// <summary>All metrics of one scheduler run: outputs, inputs, latency and per-stage times.</summary>
public sealed class EngineMetrics
{
    internal long _out, _outInvalid, _outLate, _skipped, _realigned, _droppedIndices;

    public EngineMetrics(IEnumerable<string> inputNames, IEnumerable<string> stageNames)
    {
        Inputs = inputNames.Select(n => new InputMetrics(n)).ToArray();
        Stages = stageNames.ToDictionary(n => n, _ => new LatencyRecorder());
    }

    public IReadOnlyList<InputMetrics> Inputs { get; }
    /// <summary>Time spent per stage (import/decode, process, export/encode, per graph node).</summary>
    public IReadOnlyDictionary<string, LatencyRecorder> Stages { get; }
    /// <summary>Output commit time minus the grain's media timestamp.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <summary>Output grains committed with a valid picture.</summary>
    public long Out => Interlocked.Read(ref _out);
    /// <summary>Output grains committed with the INVALID flag.</summary>
    public long OutInvalid => Interlocked.Read(ref _outInvalid);
    /// <summary>Output grains committed more than one grain period after their timestamp (a missed deadline).</summary>
    public long OutLate => Interlocked.Read(ref _outLate);
    /// <summary>Output indices deliberately not written (skip policy).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);
    /// <summary>Times the schedule jumped to the clock's current index.</summary>
    public long Realigned => Interlocked.Read(ref _realigned);
    /// <summary>Output indices passed over by realignment.</summary>
    public long DroppedIndices => Interlocked.Read(ref _droppedIndices);
    public long Late => Inputs.Sum(i => i.Late);
    public long Repeated => Inputs.Sum(i => i.Repeated);

    public LatencyRecorder Stage(string name) =>
        Stages.TryGetValue(name, out var r) ? r : throw new KeyNotFoundException($"no stage '{name}' (stages: {string.Join(", ", Stages.Keys)})");

    /// <summary>One line for live display.</summary>
    public string StatusLine()
    {
        var lat = Latency.RecentSummary();
        return $"frames {Out} invalid {OutInvalid} skipped {Skipped} late-out {OutLate} late-in {Late} repeated {Repeated} realigned {Realigned} | latency p50 {lat.P50Ms:F2} ms p99 {lat.P99Ms:F2} ms max {lat.MaxMs:F2} ms";
    }
}
