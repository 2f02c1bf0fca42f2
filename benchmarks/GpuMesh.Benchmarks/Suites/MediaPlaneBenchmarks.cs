using BenchmarkDotNet.Attributes;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Benchmarks.Suites;

/// <summary>
/// MXL media plane hot path in one process: open + commit a grain, non-blocking and blocking reads of a committed
/// grain. No payload is copied, so the figures are the plane's own overhead; the allocation column must read 0.
/// </summary>
[BenchmarkCategory(Categories.MediaPlane)]
[MemoryDiagnoser]
public class MediaPlaneBenchmarks
{
    private string _domainPath = "";
    private MxlDomain? _domain;
    private FlowWriter? _writer;
    private FlowReader? _reader;
    private ulong _index;

    [Params("video 1080p v210", "data")]
    public string Flow { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _domainPath = Path.Combine("/dev/shm", $"gpumesh-bench-mp-{Environment.ProcessId}");
        _domain = MxlDomain.Open(_domainPath);
        var id = Guid.NewGuid();
        string json = Flow == "data"
            ? FlowDefinitions.Data(id, "bench data", new Rational(50, 1))
            : FlowDefinitions.Video(id, "bench video", 1920, 1080, new Rational(50, 1), withKey: false);
        _writer = _domain.CreateFlowWriter(json, null, out _);
        _reader = _domain.OpenFlowReader(id);
        _index = MxlClock.CurrentIndex(new Rational(50, 1));
        _writer.OpenGrain(_index);
        _writer.CommitAll();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader?.Dispose();
        _writer?.Dispose();
        _domain?.Dispose();
        if (Directory.Exists(_domainPath)) Directory.Delete(_domainPath, recursive: true);
    }

    [Benchmark(Description = "OpenGrain + CommitAll")]
    public ulong OpenCommit()
    {
        ulong index = ++_index;
        _writer!.OpenGrain(index);
        _writer.CommitAll();
        return index;
    }

    [Benchmark(Description = "TryGetGrain (committed)")]
    public int TryGet()
    {
        var status = _reader!.TryGetGrain(_index, out var grain);
        if (status != MxlStatus.Ok) throw new InvalidOperationException($"flow {_reader.FlowId}: grain {_index} read {status}, expected Ok");
        return grain.Size;
    }

    [Benchmark(Description = "GetGrain 1s timeout (committed)")]
    public int GetBlocking()
    {
        var status = _reader!.GetGrain(_index, TimeSpan.FromSeconds(1), out var grain);
        if (status != MxlStatus.Ok) throw new InvalidOperationException($"flow {_reader.FlowId}: grain {_index} read {status}, expected Ok");
        return grain.Size;
    }

    [Benchmark(Description = "commit + TryGetGrain")]
    public int CommitThenRead()
    {
        ulong index = OpenCommit();
        var status = _reader!.TryGetGrain(index, out var grain);
        if (status != MxlStatus.Ok) throw new InvalidOperationException($"flow {_reader.FlowId}: grain {index} read {status}, expected Ok");
        return grain.Size;
    }
}
