namespace GpuMesh.Benchmarks.Peers;

/// <summary>The operations the peer comparison times.</summary>
public enum PeerOp
{
    V210ToRgba8,
    V210ToRgbaFloat,
    Rgba8ToV210,
    Bilinear1080To720,
    Lanczos1080To720,
    Bilinear2160To1080,
    Lanczos2160To1080,
    AlphaOver1080,
}

/// <summary>One GpuMesh operation bound to its inputs: processes frame i of the inputs into <see cref="Output"/>.</summary>
public interface IMeasuredOp : IDisposable
{
    /// <summary>Which GpuMesh code runs (e.g. "Kernels SIMD, 1 thread").</summary>
    string Implementation { get; }

    void Run(int frame);

    ReadOnlySpan<byte> Output { get; }
}

/// <summary>One peer's way of doing an operation: the timed pipeline, its pass-through twin and a one-frame dump.</summary>
public sealed class PeerCase
{
    public required string Peer { get; init; }
    public required string Exe { get; init; }
    /// <summary>Arguments for a timed run over <c>loops</c> passes of the input files.</summary>
    public required Func<int, IReadOnlyList<string>> Timed { get; init; }
    /// <summary>The same pipeline with no conversion (read, demux/parse, hand to the sink).</summary>
    public required Func<int, IReadOnlyList<string>> PassThrough { get; init; }
    /// <summary>Arguments that write the converted input frames to the given file.</summary>
    public required Func<string, IReadOnlyList<string>> Dump { get; init; }
    /// <summary>Turns the first dumped frame into the comparison format (RGBA8 or v210), or null when it already is.</summary>
    public Func<byte[], byte[]>? Decode { get; init; }
    public required CompareKind Compare { get; init; }
    public string Note { get; init; } = "";
    public Dictionary<string, string>? Environment { get; init; }
}

public sealed class OpCase
{
    public required PeerOp Op { get; init; }
    public required string Title { get; init; }
    public required int OutWidth { get; init; }
    public required int OutHeight { get; init; }
    public required long BytesIn { get; init; }
    public required long BytesOut { get; init; }
    /// <summary>Frames per input file (all inputs of one case have the same count).</summary>
    public required int FramesPerLoop { get; init; }
    public required int Loops { get; init; }
    public int TotalFrames => FramesPerLoop * Loops;
    public required Tolerance Tolerance { get; init; }
    public required List<PeerCase> Peers { get; init; }
    public required IReadOnlyList<InputFile> Inputs { get; init; }
}
