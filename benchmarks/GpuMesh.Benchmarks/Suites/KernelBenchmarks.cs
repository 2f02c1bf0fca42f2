using BenchmarkDotNet.Attributes;
using GpuMesh.Benchmarks.Common;
using GpuMesh.Kernels;

namespace GpuMesh.Benchmarks.Suites;

/// <summary>
/// Every built-in operation at 1080p and 2160p on each CPU implementation: SIMD (1 thread and all cores), the scalar
/// reference, and ILGPU's CPU accelerator; "cuda" joins when a CUDA device exists (GPUMESH_BENCH_CUDA=1).
/// Frames live in pinned arrays allocated once; the steady state must allocate nothing.
/// </summary>
[BenchmarkCategory(Categories.Kernels)]
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private FrameKernels? _kernels;
    private Frame? _v210, _rgba, _rgbaOut, _floatOut, _v210Out, _scaled, _foreground;
    private readonly CompositeLayer[] _layers = new CompositeLayer[1];

    /// <summary>"simd-1t" = SIMD on one thread; "simd" = all cores; "reference" = scalar oracle; "ilgpu-cpu"; "cuda".</summary>
    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "simd-1t";

    [Params(1080, 2160)]
    public int Height { get; set; }

    /// <summary>All CPU backends, plus cuda with GPUMESH_BENCH_CUDA=1; GPUMESH_BENCH_BACKENDS=a,b picks a subset.</summary>
    public static IEnumerable<string> Backends()
    {
        var all = new List<string> { "simd-1t", "simd", "reference", "ilgpu-cpu" };
        if (Environment.GetEnvironmentVariable("GPUMESH_BENCH_CUDA") == "1") all.Add("cuda");
        if (Environment.GetEnvironmentVariable("GPUMESH_BENCH_BACKENDS") is { Length: > 0 } pick)
        {
            var chosen = pick.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var name in chosen)
                if (!all.Contains(name) && name != "cuda")
                    throw new ArgumentException($"GPUMESH_BENCH_BACKENDS: unknown backend '{name}' (known: simd-1t, simd, reference, ilgpu-cpu, cuda)");
            return chosen;
        }
        return all;
    }

    private int Width => Height * 16 / 9;

    [GlobalSetup]
    public void Setup()
    {
        _kernels = Backend == "simd-1t" ? FrameKernels.Create("simd", 1) : FrameKernels.Create(Backend, 0);
        int w = Width, h = Height;
        _v210 = new Frame(FrameLayout.Create(PixelFormat.V210, w, h));
        TestFrames.FillV210(_v210.Bytes, w, h, 0);
        _rgba = new Frame(FrameLayout.Create(PixelFormat.Rgba8, w, h));
        TestFrames.FillRgba(_rgba.Bytes, w, h, 0, opaque: true);
        _foreground = new Frame(FrameLayout.Create(PixelFormat.Rgba8, w, h));
        TestFrames.FillRgba(_foreground.Bytes, w, h, 0, opaque: false, seed: 17);
        _rgbaOut = new Frame(FrameLayout.Create(PixelFormat.Rgba8, w, h));
        _v210Out = new Frame(FrameLayout.Create(PixelFormat.V210, w, h));
        _floatOut = new Frame(FrameLayout.Create(PixelFormat.RgbaFloat, w, h));
        // 1080p -> 720p, 2160p -> 1080p (the peer comparison's sizes).
        _scaled = new Frame(h == 2160 ? FrameLayout.Create(PixelFormat.Rgba8, 1920, 1080) : FrameLayout.Create(PixelFormat.Rgba8, 1280, 720));
        _layers[0] = new CompositeLayer(_foreground.Host, new RectI(0, 0, w, h));
    }

    [GlobalCleanup]
    public void Cleanup() => _kernels?.Dispose();

    [Benchmark(Description = "v210 -> RGBA8")]
    public void DecodeV210() => _kernels!.Convert(_v210!.Host, _rgbaOut!.Host, ColorSpec.Default);

    [Benchmark(Description = "v210 -> RGBA float")]
    public void DecodeV210Float() => _kernels!.Convert(_v210!.Host, _floatOut!.Host, ColorSpec.Default);

    [Benchmark(Description = "RGBA8 -> v210")]
    public void EncodeV210() => _kernels!.Convert(_rgba!.Host, _v210Out!.Host, ColorSpec.Default);

    [Benchmark(Description = "scale bilinear (to 720p / 1080p)")]
    public void ScaleBilinear() => _kernels!.Scale(_rgba!.Host, _scaled!.Host, ScaleFilter.Bilinear);

    [Benchmark(Description = "scale Lanczos-3 (to 720p / 1080p)")]
    public void ScaleLanczos() => _kernels!.Scale(_rgba!.Host, _scaled!.Host, ScaleFilter.Lanczos3);

    [Benchmark(Description = "alpha-over, 1 layer")]
    public void AlphaOver() => _kernels!.Composite(_rgba!.Host, _layers, _rgbaOut!.Host, AlphaMode.Straight);

    /// <summary>A frame in a pinned array (stable address for HostFrame).</summary>
    private sealed unsafe class Frame
    {
        public byte[] Bytes { get; }
        public HostFrame Host { get; }

        public Frame(FrameLayout layout)
        {
            Bytes = GC.AllocateArray<byte>(checked((int)layout.TotalBytes), pinned: true);
            fixed (byte* p = Bytes) Host = new HostFrame(p, Bytes.Length, layout);
        }
    }
}
