using GpuMesh.Kernels;
using GpuMesh.Kernels.Examples;

namespace GpuMesh.Kernels.Tests;

/// <summary>Scaling, compositing and author functions: SIMD and ILGPU held to the reference bit for bit (the SIMD integer RGBA8 scaler within 1).</summary>
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
            (PixelFormat.Rgba8, 1920, 1080, PixelFormat.RgbaFloat, 1280, 720, null), // RGBA8 -> RGBA8 is the integer path (test below)
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

    /// <summary>The integer RGBA8 -> RGBA8 scaler (14-bit fixed-point taps) stays within 1 code value of the float reference.</summary>
    [Theory]
    [MemberData(nameof(Filters))]
    public void Simd_rgba8_scale_is_within_one_code_value_of_reference(ScaleFilter filter)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        var cases = new (int SW, int SH, int DW, int DH, RectI? Roi)[]
        {
            (1920, 1080, 1280, 720, null),
            (1918, 1077, 641, 359, null),
            (97, 31, 320, 181, null),
            (300, 200, 333, 77, new RectI(17, 9, 211, 150)),
            (2, 1, 7, 3, null),
            (1280, 720, 1920, 1080, null),
            (5, 3, 1, 1, null),
        };
        int worst = 0;
        foreach (var c in cases)
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, c.SW, c.SH, c.SW + c.DH);
            using var expected = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            reference.Scale(src.Frame, expected.Frame, filter, c.Roi);
            simd.Scale(src.Frame, actual.Frame, filter, c.Roi);
            worst = Math.Max(worst, TestFrames.AssertClose(expected, actual, 1, $"SIMD RGBA8 scale {filter} {c}"));
        }
        Assert.InRange(worst, 0, 1);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public unsafe void Simd_rgba8_scale_keeps_a_flat_colour_exactly(ScaleFilter filter)
    {
        using var simd = FrameKernels.Create("simd", 1);
        using var src = new FrameBuffer(FrameLayout.Rgba8(1918, 1077));
        using var dst = new FrameBuffer(FrameLayout.Rgba8(641, 359));
        for (int i = 0; i < src.Bytes.Length; i += 4) { src.Bytes[i] = 16; src.Bytes[i + 1] = 128; src.Bytes[i + 2] = 235; src.Bytes[i + 3] = 255; }
        simd.Scale(src.Frame, dst.Frame, filter);
        for (int i = 0; i < dst.Bytes.Length; i += 4)
            Assert.True(dst.Bytes[i] == 16 && dst.Bytes[i + 1] == 128 && dst.Bytes[i + 2] == 235 && dst.Bytes[i + 3] == 255,
                $"{filter}: pixel {i / 4} is ({dst.Bytes[i]}, {dst.Bytes[i + 1]}, {dst.Bytes[i + 2]}, {dst.Bytes[i + 3]}), expected (16, 128, 235, 255)");
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

    /// <summary>RGBA8 layers at their own size: the SIMD integer source-over path, within 1 code value of the float reference.</summary>
    [Theory]
    [InlineData(AlphaMode.Straight, false)]
    [InlineData(AlphaMode.Straight, true)]
    [InlineData(AlphaMode.Premultiplied, false)]
    public void Simd_rgba8_alpha_over_is_within_one_code_value_of_reference(AlphaMode mode, bool opaqueBackground)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        int worst = 0;
        foreach (var (w, h) in new[] { (1920, 1080), (1918, 1077), (33, 17), (7, 5) })
        {
            using var bg = TestFrames.RandomRgba(PixelFormat.Rgba8, w, h, 21, randomAlpha: !opaqueBackground);
            using var full = TestFrames.RandomRgba(PixelFormat.Rgba8, w, h, 22);
            using var part = TestFrames.RandomRgba(PixelFormat.Rgba8, w / 2 + 3, h / 2 + 1, 23);
            using var edge = TestFrames.RandomRgba(PixelFormat.Rgba8, 11, 7, 24);
            // premultiplied inputs are valid premultiplied colour (colour <= alpha), which the integer path relies on
            if (mode == AlphaMode.Premultiplied) { ClampToAlpha(bg); ClampToAlpha(full); }
            ClampToAlpha(edge);
            var layers = new[]
            {
                new CompositeLayer(full.Frame, new RectI(0, 0, w, h), 1f, mode),
                new CompositeLayer(part.Frame, new RectI(w / 3, h / 4, w / 2 - 1, h / 2 - 1), 0.8f, AlphaMode.Straight, Crop: new RectI(1, 1, w / 2 - 1, h / 2 - 1)),
                new CompositeLayer(edge.Frame, new RectI(-3, h - 4, 11, 7), 0.5f, AlphaMode.Premultiplied),
                new CompositeLayer(edge.Frame, new RectI(w - 5, -2, 11, 7), 1f),
            };
            using var expected = new FrameBuffer(FrameLayout.Rgba8(w, h));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(w, h));
            reference.Composite(bg.Frame, layers, expected.Frame, mode);
            simd.Composite(bg.Frame, layers, actual.Frame, mode);
            worst = Math.Max(worst, TestFrames.AssertClose(expected, actual, 1, $"SIMD RGBA8 alpha-over {mode} opaque={opaqueBackground} {w}x{h}"));
            // one full-frame layer: the fused single-pass loop
            reference.Composite(bg.Frame, layers.AsSpan(0, 1), expected.Frame, mode);
            simd.Composite(bg.Frame, layers.AsSpan(0, 1), actual.Frame, mode);
            worst = Math.Max(worst, TestFrames.AssertClose(expected, actual, 1, $"SIMD RGBA8 alpha-over one layer {mode} opaque={opaqueBackground} {w}x{h}"));
        }
        Assert.InRange(worst, 0, 1);
    }

    static void ClampToAlpha(FrameBuffer rgba8)
    {
        var b = rgba8.Bytes;
        for (int i = 0; i + 3 < b.Length; i += 4)
            for (int c = 0; c < 3; c++) b[i + c] = Math.Min(b[i + c], b[i + 3]);
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
