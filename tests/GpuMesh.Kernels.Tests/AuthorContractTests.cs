using GpuMesh.Kernels;
using GpuMesh.Kernels.Examples;
using ILGPU;
using ILGPU.Runtime;

namespace GpuMesh.Kernels.Tests;

public sealed class Holder { public float V; }

/// <summary>A per-pixel function ILGPU must refuse: it allocates a class instance inside the kernel.</summary>
public readonly struct AllocatingFunction : IPixelFunction
{
    public Float4 Apply(Float4 p, int x, int y)
    {
        var h = new Holder { V = p.R };
        return new Float4(h.V, p.G, p.B, p.A);
    }
}

public readonly struct Invert : IPixelFunction
{
    public Float4 Apply(Float4 p, int x, int y) => new(1f - p.R, 1f - p.G, 1f - p.B, p.A);
}

public unsafe class AuthorContractTests : IClassFixture<IlgpuFixture>
{
    readonly IlgpuFixture _gpu;
    public AuthorContractTests(IlgpuFixture gpu) { _gpu = gpu; }

    [Fact]
    public void Registration_compiles_the_examples()
    {
        _gpu.Kernels.Register<LiftGammaGain>();
        _gpu.Kernels.Register<ChromaKeyer>();
        _gpu.Kernels.RegisterBlend<AddBlend>();
    }

    [Fact]
    public void A_function_ilgpu_cannot_compile_fails_at_registration_with_a_clear_error_and_the_context_stays_usable()
    {
        using var k = FrameKernels.Create("ilgpu-cpu");
        var e = Assert.Throws<KernelCompilationException>(() => k.Register<AllocatingFunction>());
        Assert.Contains("AllocatingFunction", e.Message);
        Assert.Contains("ILGPU could not compile kernel", e.Message);
        Assert.Contains("ClearCacheMode.Everything", e.Message);
        // the context was cleared: a good function still compiles and runs
        k.Register<Invert>();
        using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, 9, 3, 1);
        using var dst = new FrameBuffer(FrameLayout.Rgba8(9, 3));
        k.Apply(src.Frame, dst.Frame, new Invert());
        for (int i = 0; i < 9 * 3 * 4; i++) Assert.Equal(i % 4 == 3 ? src.Bytes[i] : 255 - src.Bytes[i], dst.Bytes[i]);
    }

    [Fact]
    public void Cpu_backends_also_check_author_functions_at_registration()
    {
        using var k = FrameKernels.Create("simd", 1);
        Assert.Throws<KernelCompilationException>(() => k.Register<AllocatingFunction>());
        k.Register<LiftGammaGain>();
    }

    [Fact]
    public void Lift_gamma_gain_does_what_it_says()
    {
        using var k = FrameKernels.Create("simd", 1);
        using var src = new FrameBuffer(FrameLayout.RgbaFloat(3, 1));
        float* p = (float*)src.Pointer;
        float[] v = { 0f, 0.25f, 1f };
        for (int x = 0; x < 3; x++) { p[4 * x] = v[x]; p[4 * x + 1] = v[x]; p[4 * x + 2] = v[x]; p[4 * x + 3] = 0.5f; }
        using var dst = new FrameBuffer(FrameLayout.RgbaFloat(3, 1));
        k.Apply(src.Frame, dst.Frame, new LiftGammaGain(0.1f, 2f, 0.8f));
        float* q = (float*)dst.Pointer;
        for (int x = 0; x < 3; x++)
        {
            double want = Math.Pow(0.8 * (v[x] + 0.1 * (1 - v[x])), 0.5);
            Assert.Equal(want, q[4 * x], 5);
            Assert.Equal(0.5f, q[4 * x + 3]);
        }
    }

    [Fact]
    public void Chroma_keyer_removes_green_and_keeps_skin()
    {
        using var k = FrameKernels.Create("simd", 1);
        using var src = new FrameBuffer(FrameLayout.Rgba8(2, 1));
        byte[] px = { 20, 200, 30, 255, 220, 170, 140, 255 }; // screen green, skin tone
        px.CopyTo(src.Bytes);
        using var dst = new FrameBuffer(FrameLayout.Rgba8(2, 1));
        k.Apply(src.Frame, dst.Frame, new ChromaKeyer(0.1f, 0.8f, 0.15f, 0.1f, 0.1f));
        Assert.Equal(0, dst.Bytes[3]);
        Assert.Equal(255, dst.Bytes[7]);
    }

    [Fact]
    public void Custom_kernel_with_shared_memory_runs_through_the_same_api()
    {
        foreach (var k in new[] { FrameKernels.Create("simd", 1), _gpu.Kernels })
        {
            var blur = k.RegisterCustomKernel<BoxBlurArgs>(CustomKernels.BoxBlur3);
            int w = 150, h = 3;
            using var src = TestFrames.RandomRgba(PixelFormat.RgbaFloat, w, h, 6);
            using var dst = new FrameBuffer(FrameLayout.RgbaFloat(w, h));
            int tile = Math.Min(64, blur.Accelerator.MaxGroupSize.X);
            var config = new KernelConfig(((w + tile - 1) / tile, h), (tile, 1));
            blur.Run(src.Frame, dst.Frame, config, new BoxBlurArgs());
            float* s = (float*)src.Pointer, d = (float*)dst.Pointer;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 4; c++)
                    {
                        float a = s[(y * w + Math.Max(x - 1, 0)) * 4 + c], b = s[(y * w + x) * 4 + c], cc = s[(y * w + Math.Min(x + 1, w - 1)) * 4 + c];
                        Assert.Equal((a + b + cc) * (1f / 3f), d[(y * w + x) * 4 + c], 6);
                    }
            if (k != _gpu.Kernels) k.Dispose();
        }
    }

    [Fact]
    public void Misuse_throws_errors_that_name_the_operation_and_frame()
    {
        using var k = FrameKernels.Create("simd", 1);
        using var a = new FrameBuffer(FrameLayout.Rgba8(8, 2));
        using var b = new FrameBuffer(FrameLayout.V210(6, 2));
        var e1 = Assert.Throws<ArgumentException>(() => k.Convert(a.Frame, b.Frame));
        Assert.Contains("Convert", e1.Message); Assert.Contains("differ in size", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => k.Scale(a.Frame, a.Frame, ScaleFilter.Bilinear, new RectI(4, 0, 8, 2)));
        Assert.Contains("not inside", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new HostFrame(a.Pointer, 10, FrameLayout.Rgba8(8, 2)));
        Assert.Contains("needs 64 bytes but the buffer holds 10", e3.Message);
        var layer = new CompositeLayer(a.Frame, new RectI(0, 0, 4, 4), 1.5f);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => k.Composite(a.Frame, new[] { layer }, a.Frame));
        Assert.Contains("layer 0", e4.Message);
        var e5 = Assert.Throws<InvalidOperationException>(() => k.Convert(new DeviceFrame(_gpu.Accelerator.Allocate1D<byte>(64).View, FrameLayout.Rgba8(8, 2)),
            new DeviceFrame(_gpu.Accelerator.Allocate1D<byte>(256).View, FrameLayout.V210(8, 2))));
        Assert.Contains("ILGPU backend", e5.Message);
    }
}
