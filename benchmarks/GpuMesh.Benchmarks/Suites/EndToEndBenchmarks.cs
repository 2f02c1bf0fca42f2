using BenchmarkDotNet.Attributes;
using GpuMesh.Benchmarks.Common;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Processing;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Benchmarks.Suites;

/// <summary>
/// Grain in to grain out through MXL: read two committed v210 input grains (zero copy), decode, scale the
/// picture-in-picture, composite, encode into an output grain in place and commit. The demo graph, 1080p.
/// </summary>
[BenchmarkCategory(Categories.EndToEnd)]
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int Width = 1920, Height = 1080;
    private static readonly Rational Rate = new(50, 1);
    private string _domainPath = "";
    private MxlDomain? _domain;
    private FlowWriter? _background, _foreground, _output;
    private FlowReader? _backgroundReader, _foregroundReader;
    private GraphProcessor? _processor;
    private ulong _inputIndex, _outputIndex;

    /// <summary>1 = one thread; 0 = all cores.</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _domainPath = Path.Combine("/dev/shm", $"gpumesh-bench-e2e-{Environment.ProcessId}");
        _domain = MxlDomain.Open(_domainPath);
        Guid bg = Guid.NewGuid(), fg = Guid.NewGuid(), output = Guid.NewGuid();
        _background = _domain.CreateFlowWriter(FlowDefinitions.Video(bg, "e2e background", Width, Height, Rate, false), null, out _);
        _foreground = _domain.CreateFlowWriter(FlowDefinitions.Video(fg, "e2e foreground", Width, Height, Rate, false), null, out _);
        _output = _domain.CreateFlowWriter(FlowDefinitions.Video(output, "e2e programme", Width, Height, Rate, false), null, out _);
        _inputIndex = MxlClock.CurrentIndex(Rate);
        _outputIndex = _inputIndex;
        int frame = 0;
        foreach (var writer in new[] { _background, _foreground })
        {
            var grain = writer.OpenGrain(_inputIndex);
            TestFrames.FillV210(grain.Payload, Width, Height, frame++);
            writer.CommitAll();
        }
        _backgroundReader = _domain.OpenFlowReader(bg);
        _foregroundReader = _domain.OpenFlowReader(fg);

        var graph = DemoGraph.Create(Width, Height, bg, fg, output);
        var geometry = new[] { new FrameGeometry(Width, Height, false), new FrameGeometry(Width, Height, false) };
        _processor = new GraphProcessor(graph, geometry, new GraphProcessorOptions { Backend = "simd", DegreeOfParallelism = Threads });
        _processor.Prepare(1, new EngineMetrics(new[] { "background", "foreground" }, _processor.NodeNames));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _processor?.Dispose();
        _backgroundReader?.Dispose();
        _foregroundReader?.Dispose();
        _background?.Dispose();
        _foreground?.Dispose();
        _output?.Dispose();
        _domain?.Dispose();
        if (Directory.Exists(_domainPath)) Directory.Delete(_domainPath, recursive: true);
    }

    private void Import(FlowReader reader, int input)
    {
        var status = reader.TryGetGrain(_inputIndex, out var grain);
        if (status != MxlStatus.Ok) throw new InvalidOperationException($"flow {reader.FlowId}: input grain {_inputIndex} read {status}, expected Ok");
        _processor!.Import(0, input, new InputGrain(grain.Index, grain.PayloadAddress, grain.Size, grain.IsInvalid, grain.ValidSlices, grain.TotalSlices));
    }

    [Benchmark(Description = "demo graph 1080p: 2 grains in, 1 grain out")]
    public void GrainInGrainOut()
    {
        Import(_backgroundReader!, 0);
        Import(_foregroundReader!, 1);
        _processor!.Process(0);
        var grain = _output!.OpenGrain(++_outputIndex);
        _processor.Export(0, 0, grain.Payload);
        _output.CommitAll();
    }
}
