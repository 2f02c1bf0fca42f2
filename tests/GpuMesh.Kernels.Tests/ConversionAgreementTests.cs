using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>
/// SIMD and ILGPU held to the scalar reference, bit for bit, for every conversion, except the SIMD integer RGBA8 paths:
/// encode from RGBA8 and decode v210 / v210a to RGBA8 are within 1 code value (see DecodeRgba8SweepTests for the sweep).
/// </summary>
public class ConversionAgreementTests : IClassFixture<IlgpuFixture>
{
    readonly IlgpuFixture _gpu;
    public ConversionAgreementTests(IlgpuFixture gpu) { _gpu = gpu; }

    public static readonly PixelFormat[] YuvFormats = { PixelFormat.V210, PixelFormat.V210a, PixelFormat.Yuv422p10 };
    public static readonly PixelFormat[] RgbaFormats = { PixelFormat.Rgba8, PixelFormat.Rgba16, PixelFormat.RgbaHalf, PixelFormat.RgbaFloat };
    static readonly ColorSpec[] Specs =
    {
        new(),
        new(ColorMatrix.Bt2020Ncl, ColorRange.Full, ChromaFilter.Nearest),
        new(ColorMatrix.Bt601, ColorRange.Narrow, ChromaFilter.Linear, KeyRange.Narrow),
    };

    public static IEnumerable<object[]> DecodeCases()
    {
        foreach (var s in YuvFormats) foreach (var d in RgbaFormats) yield return new object[] { s, d };
    }

    void Decode(FrameKernels k, FrameBuffer src, FrameBuffer dst, ColorSpec spec) => k.Convert(src.Frame, dst.Frame, spec);

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Simd_decode_matches_reference_on_full_and_odd_frames_rgba8_from_v210_within_one_code_value(PixelFormat src, PixelFormat dst)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (1920, 1080), (1918, 1077), (2, 1), (7, 3), (50, 2) })
        {
            for (int si = 0; si < Specs.Length; si++)
            {
                if (w == 1920 && si > 0) continue; // keep the run short: all specs on the odd sizes
                using var input = TestFrames.RandomYuv(src, w, h, 11 + w);
                using var expected = new FrameBuffer(FrameLayout.Create(dst, w, h));
                using var actual = new FrameBuffer(FrameLayout.Create(dst, w, h));
                Decode(reference, input, expected, Specs[si]);
                Decode(simd, input, actual, Specs[si]);
                // v210 / v210a -> RGBA8 takes the integer path (16-bit fixed point): within 1 code value; the rest is bit-exact
                if (dst == PixelFormat.Rgba8 && src != PixelFormat.Yuv422p10) TestFrames.AssertClose(expected, actual, 1, $"SIMD decode {src}->{dst} {w}x{h} spec {si}");
                else TestFrames.AssertSame(expected, actual, $"SIMD decode {src}->{dst} {w}x{h} spec {si}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Ilgpu_decode_matches_reference_on_small_frames(PixelFormat src, PixelFormat dst)
    {
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (96, 8), (2, 1), (13, 5) })
        {
            foreach (var spec in Specs)
            {
                using var input = TestFrames.RandomYuv(src, w, h, 5 + h);
                using var expected = new FrameBuffer(FrameLayout.Create(dst, w, h));
                using var actual = new FrameBuffer(FrameLayout.Create(dst, w, h));
                Decode(reference, input, expected, spec);
                Decode(_gpu.Kernels, input, actual, spec);
                TestFrames.AssertSame(expected, actual, $"ILGPU decode {src}->{dst} {w}x{h} {spec}");
            }
        }
    }

    public static IEnumerable<object[]> EncodeCases()
    {
        foreach (var s in RgbaFormats) foreach (var d in YuvFormats) yield return new object[] { s, d };
    }

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void Simd_encode_matches_reference_on_full_and_odd_frames(PixelFormat src, PixelFormat dst)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (1920, 1080), (1918, 1077), (2, 1), (7, 3), (49, 2) })
        {
            for (int si = 0; si < Specs.Length; si++)
            {
                if (w == 1920 && si > 0) continue;
                using var input = TestFrames.RandomRgba(src, w, h, 3 + w);
                using var expected = new FrameBuffer(FrameLayout.Create(dst, w, h));
                using var actual = new FrameBuffer(FrameLayout.Create(dst, w, h));
                reference.Convert(input.Frame, expected.Frame, Specs[si]);
                simd.Convert(input.Frame, actual.Frame, Specs[si]);
                // RGBA8 input takes the integer path (13-bit fixed-point matrix): within 1 code value; the rest is bit-exact
                if (src == PixelFormat.Rgba8) TestFrames.AssertClose10(expected, actual, 1, $"SIMD encode {src}->{dst} {w}x{h} spec {si}");
                else TestFrames.AssertSame(expected, actual, $"SIMD encode {src}->{dst} {w}x{h} spec {si}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void Ilgpu_encode_matches_reference_on_small_frames(PixelFormat src, PixelFormat dst)
    {
        using var reference = FrameKernels.CreateReference();
        foreach (var (w, h) in new[] { (96, 8), (2, 1), (13, 5) })
        {
            foreach (var spec in Specs)
            {
                using var input = TestFrames.RandomRgba(src, w, h, 9 + w);
                using var expected = new FrameBuffer(FrameLayout.Create(dst, w, h));
                using var actual = new FrameBuffer(FrameLayout.Create(dst, w, h));
                reference.Convert(input.Frame, expected.Frame, spec);
                _gpu.Kernels.Convert(input.Frame, actual.Frame, spec);
                TestFrames.AssertSame(expected, actual, $"ILGPU encode {src}->{dst} {w}x{h} {spec}");
            }
        }
    }
}
