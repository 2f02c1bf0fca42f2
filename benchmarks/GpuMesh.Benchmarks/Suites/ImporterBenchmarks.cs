using BenchmarkDotNet.Attributes;
using GpuMesh.Interop.Gpu.Benchmarking;

namespace GpuMesh.Benchmarks.Suites;

/// <summary>
/// Getting a 1080p / 2160p v210 grain to an accelerator: zero copy vs staged, against a plain memcpy of the payload.
/// Only the paths this machine supports are listed (Vulkan needs a driver such as lavapipe, CUDA a GPU).
/// </summary>
[BenchmarkCategory(Categories.Importers)]
[MemoryDiagnoser]
public class ImporterBenchmarks
{
    private GrainTransferProbe? _probe;

    [ParamsSource(nameof(Kinds))]
    public GrainTransferKind Kind { get; set; }

    [Params(1080, 2160)]
    public int Height { get; set; }

    public static IEnumerable<GrainTransferKind> Kinds() =>
        Enum.GetValues<GrainTransferKind>().Where(k => GrainTransferProbe.IsSupported(k, out _));

    [GlobalSetup]
    public void Setup() => _probe = GrainTransferProbe.Create(Kind, Height * 16 / 9, Height);

    [GlobalCleanup]
    public void Cleanup() => _probe?.Dispose();

    [Benchmark(Description = "per-grain upload")]
    public void Upload() => _probe!.Upload();

    [Benchmark(Description = "upload + download")]
    public void RoundTrip() => _probe!.RoundTrip();

    [Benchmark(Description = "cold import of a slot")]
    public void Import() => _probe!.Import();
}
