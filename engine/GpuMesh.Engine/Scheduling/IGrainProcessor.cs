namespace GpuMesh.Engine.Scheduling;

/// <summary>
/// The per-grain work the scheduler drives, split in stages so consecutive grains can overlap:
/// import (decode inputs) of N+1, process of N, export (encode into the output payload) of N-1.
/// A "set" is one of the pipeline's buffer sets; the scheduler never uses one set in two stages at once.
/// </summary>
public interface IGrainProcessor
{
    int InputCount { get; }
    int OutputCount { get; }

    /// <summary>Names of per-node timings the processor reports (added to the metrics' stages).</summary>
    IReadOnlyList<string> NodeNames { get; }

    /// <summary>Allocates <paramref name="bufferSets"/> independent sets of working buffers.</summary>
    void Prepare(int bufferSets, Metrics.EngineMetrics metrics);

    /// <summary>Decodes input <paramref name="input"/>'s grain into buffer set <paramref name="set"/>.</summary>
    void Import(int set, int input, in InputGrain grain);

    /// <summary>Makes input <paramref name="input"/> of set <paramref name="toSet"/> equal to that of <paramref name="fromSet"/>.</summary>
    void RepeatInput(int fromSet, int toSet, int input);

    void Process(int set);

    /// <summary>Writes output <paramref name="output"/> of set <paramref name="set"/> into the grain payload.</summary>
    void Export(int set, int output, Span<byte> payload);
}
