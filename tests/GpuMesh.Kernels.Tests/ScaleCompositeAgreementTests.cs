using GpuMesh.Kernels;
using GpuMesh.Kernels.Examples;

namespace GpuMesh.Kernels.Tests;

/// <summary>Scaling, compositing and author functions: SIMD and ILGPU held to the reference bit for bit.</summary>
public class ScaleCompositeAgreementTests : IClassFixture<IlgpuFixture>
{
    readonly IlgpuFixture _gpu;
    public ScaleCompositeAgreementTests(IlgpuFixture gpu) { _gpu = gpu; }

    public static IEnumerable<object[]> Filters() => Enum.GetValues<ScaleFilter>().Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(Filters))]
    public void Simd_scale_matches_reference(ScaleFilter filter)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        var cases = new (PixelFormat Src, int SW, int SH, PixelFormat Dst, int DW, int DH, RectI? Roi)[]
        {
            (PixelFormat.Rgba8, 1920, 1080, PixelFormat.Rgba8, 1280, 720, null),
            (PixelFormat.Rgba16, 1918, 1077, PixelFormat.Rgba16, 641, 359, null),
            (PixelFormat.Rgba8, 97, 31, PixelFormat.RgbaFloat, 320, 181, null),
            (PixelFormat.RgbaHalf, 300, 200, PixelFormat.Rgba8, 333, 77, new RectI(17, 9, 211, 150)),
            (PixelFormat.RgbaFloat, 2, 1, PixelFormat.Rgba16, 7, 3, null),
        };
        foreach (var c in cases)
        {
            using var src = TestFrames.RandomRgba(c.Src, c.SW, c.SH, c.SW);
            using var expected = new FrameBuffer(FrameLayout.Create(c.Dst, c.DW, c.DH));
            using var actual = new FrameBuffer(FrameLayout.Create(c.Dst, c.DW, c.DH));
            reference.Scale(src.Frame, expected.Frame, filter, c.Roi);
            simd.Scale(src.Frame, actual.Frame, filter, c.Roi);
            TestFrames.AssertSame(expected, actual, $"SIMD scale {filter} {c}");
        }
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void Ilgpu_scale_matches_reference(ScaleFilter filter)
    {
        using var reference = FrameKernels.CreateReference();
        var cases = new (PixelFormat Src, int SW, int SH, PixelFormat Dst, int DW, int DH, RectI? Roi)[]
        {
            (PixelFormat.Rgba8, 96, 8, PixelFormat.Rgba8, 50, 5, null),
            (PixelFormat.Rgba16, 2, 1, PixelFormat.RgbaFloat, 7, 3, null),
            (PixelFormat.RgbaHalf, 13, 5, PixelFormat.Rgba8, 6, 9, new RectI(2, 1, 9, 4)),
        };
        foreach (var c in cases)
        {
            using var src = TestFrames.RandomRgba(c.Src, c.SW, c.SH, c.SW);
            using var expected = new FrameBuffer(FrameLayout.Create(c.Dst, c.DW, c.DH));
            using var actual = new FrameBuffer(FrameLayout.Create(c.Dst, c.DW, c.DH));
            reference.Scale(src.Frame, expected.Frame, filter, c.Roi);
            _gpu.Kernels.Scale(src.Frame, actual.Frame, filter, c.Roi);
            TestFrames.AssertSame(expected, actual, $"ILGPU scale {filter} {c}");
        }
    }

    static void CompositeCase(FrameKernels k, int w, int h, AlphaMode mode, bool customBlend, FrameBuffer output)
    {
        using var bg = TestFrames.RandomRgba(PixelFormat.Rgba8, w, h, 1, randomAlpha: mode == AlphaMode.Premultiplied);
        using var full = TestFrames.RandomRgba(PixelFormat.Rgba8, w, h, 2);
        using var pip = TestFrames.RandomRgba(PixelFormat.Rgba16, w / 2 + 3, h / 2 + 1, 3);
        using var small = TestFrames.RandomRgba(PixelFormat.RgbaFloat, 11, 7, 4);
        var layers = new[]
        {
            new CompositeLayer(full.Frame, new RectI(0, 0, w, h), 1f),
            new CompositeLayer(pip.Frame, new RectI(w / 2, h / 3, w / 3 + 1, h / 3 + 2), 0.8f, AlphaMode.Premultiplied, ScaleFilter.Bicubic,
                new RectI(1, 1, w / 2, h / 2 - 1)),
            new CompositeLayer(small.Frame, new RectI(-3, h - 4, 11, 7), 0.5f, AlphaMode.Straight, ScaleFilter.Lanczos3),
            new CompositeLayer(small.Frame, new RectI(w - 5, -2, w / 4 + 1, h / 4 + 1), 1f, AlphaMode.Straight, ScaleFilter.Area),
        };
        if (customBlend) k.Composite(bg.Frame, layers, output.Frame, mode, new AddBlend());
        else k.Composite(bg.Frame, layers, output.Frame, mode);
    }

    [Theory]
    [InlineData(AlphaMode.Straight, false)]
    [InlineData(AlphaMode.Premultiplied, false)]
    [InlineData(AlphaMode.Straight, true)]
    public void Simd_composite_matches_reference(AlphaMode mode, bool customBlend)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (1920, 1080), (1918, 1077), (33, 17) })
        {
            if (w == 1920 && (mode != AlphaMode.Straight || customBlend)) continue;
            using var expected = new FrameBuffer(FrameLayout.Rgba8(w, h));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(w, h));
            CompositeCase(reference, w, h, mode, customBlend, expected);
            CompositeCase(simd, w, h, mode, customBlend, actual);
            TestFrames.AssertSame(expected, actual, $"SIMD composite {mode} custom={customBlend} {w}x{h}");
        }
    }

    [Theory]
    [InlineData(AlphaMode.Straight, false)]
    [InlineData(AlphaMode.Premultiplied, true)]
    public void Ilgpu_composite_matches_reference(AlphaMode mode, bool customBlend)
    {
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (40, 24), (13, 9) })
        {
            using var expected = new FrameBuffer(FrameLayout.Rgba8(w, h));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(w, h));
            CompositeCase(reference, w, h, mode, customBlend, expected);
            CompositeCase(_gpu.Kernels, w, h, mode, customBlend, actual);
            TestFrames.AssertSame(expected, actual, $"ILGPU composite {mode} custom={customBlend} {w}x{h}");
        }
    }

    [Fact]
    public void Author_functions_agree_on_every_backend()
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        var grade = new LiftGammaGain(0.05f, 1.2f, 0.9f);
        var keyer = new ChromaKeyer(0.1f, 0.8f, 0.15f, 0.1f, 0.15f);
        foreach (var (w, h, onGpu) in new[] { (1918, 1077, false), (31, 6, true) })
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba16, w, h, 8);
            using var e1 = new FrameBuffer(FrameLayout.Rgba16(w, h)); using var a1 = new FrameBuffer(FrameLayout.Rgba16(w, h));
            using var e2 = new FrameBuffer(FrameLayout.Rgba8(w, h)); using var a2 = new FrameBuffer(FrameLayout.Rgba8(w, h));
            var k = onGpu ? _gpu.Kernels : simd;
            reference.Apply(src.Frame, e1.Frame, grade); k.Apply(src.Frame, a1.Frame, grade);
            reference.Apply(src.Frame, e2.Frame, keyer); k.Apply(src.Frame, a2.Frame, keyer);
            TestFrames.AssertSame(e1, a1, $"lift-gamma-gain {k.Backend} {w}x{h}");
            TestFrames.AssertSame(e2, a2, $"chroma keyer {k.Backend} {w}x{h}");
        }
    }
}
