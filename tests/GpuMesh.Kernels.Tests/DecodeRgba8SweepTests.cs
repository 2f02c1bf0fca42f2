using GpuMesh.Kernels;
using Xunit.Abstractions;

namespace GpuMesh.Kernels.Tests;

/// <summary>
/// The SIMD v210 / v210a -> RGBA8 path (16-bit fixed point) against the float reference over swept code values: every
/// Y 0..1023 against a set of Cb/Cr codes (legal, edge and illegal), per matrix, range and chroma filter, with and
/// without a key, plus odd sizes. Every byte must be within 1 code value.
/// </summary>
public class DecodeRgba8SweepTests
{
    readonly ITestOutputHelper _out;
    public DecodeRgba8SweepTests(ITestOutputHelper output) { _out = output; }

    static readonly int[] ChromaCodes = BuildChromaCodes();

    static int[] BuildChromaCodes()
    {
        var fixedCodes = new[] { 0, 4, 64, 100, 448, 511, 512, 513, 600, 940, 960, 1019, 1023 };
        var r = new Random(7);
        return fixedCodes.Concat(Enumerable.Range(0, 5).Select(_ => r.Next(0, 1024))).ToArray();
    }

    public static IEnumerable<object[]> Specs()
    {
        foreach (var m in new[] { ColorMatrix.Bt709, ColorMatrix.Bt2020Ncl, ColorMatrix.Bt601 })
            foreach (var range in new[] { ColorRange.Narrow, ColorRange.Full })
                foreach (var chroma in new[] { ChromaFilter.Linear, ChromaFilter.Nearest })
                    yield return new object[] { m, range, chroma };
    }

    /// <summary>
    /// Rows: every (Cb, Cr) pair from <see cref="ChromaCodes"/> held constant along the row, luma x or x + 1 (so every Y
    /// lands on even and odd pixels), then rows of random codes 0..1023 (chroma varies pair to pair: interpolation).
    /// </summary>
    static FrameBuffer SweepFrame(PixelFormat format, out int height)
    {
        int n = ChromaCodes.Length, constRows = 2 * n * n, randomRows = 64;
        height = constRows + randomRows;
        var r = new Random(1234);
        const int w = 1024;
        var ys = new int[w * randomRows]; var cs = new (int, int)[w / 2 * randomRows];
        for (int i = 0; i < ys.Length; i++) ys[i] = r.Next(0, 1024);
        for (int i = 0; i < cs.Length; i++) cs[i] = (r.Next(0, 1024), r.Next(0, 1024));
        return TestFrames.Yuv(format, w, height,
            (x, y) => y < constRows ? (x + (y & 1)) & 1023 : ys[(y - constRows) * w + x],
            (k, y) => y < constRows ? (ChromaCodes[(y >> 1) % n], ChromaCodes[(y >> 1) / n]) : cs[(y - constRows) * (w / 2) + k],
            (x, y) => (x * 7 + y * 3) & 1023);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Simd_rgba8_decode_sweep_is_within_one_code_value_of_reference(ColorMatrix matrix, ColorRange range, ChromaFilter chroma)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        foreach (var format in new[] { PixelFormat.V210, PixelFormat.V210a })
        {
            foreach (var keyRange in format == PixelFormat.V210a ? new[] { KeyRange.Full, KeyRange.Narrow } : new[] { KeyRange.Full })
            {
                var spec = new ColorSpec(matrix, range, chroma, keyRange);
                using var input = SweepFrame(format, out int h);
                using var expected = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, 1024, h));
                using var actual = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, 1024, h));
                reference.Convert(input.Frame, expected.Frame, spec);
                simd.Convert(input.Frame, actual.Frame, spec);
                int max = TestFrames.AssertClose(expected, actual, 1, $"SIMD decode sweep {format} {spec}");
                double off = OffByOneFraction(expected, actual);
                _out.WriteLine($"{format} {spec}: max difference {max}, {off:P3} of bytes off by one");
                // 16-bit fixed point: off-by-one only right at rounding ties; a systematic error would show here first.
                Assert.True(off < 0.02, $"{format} {spec}: {off:P3} of bytes differ from the reference");
            }
        }
    }

    [Theory]
    [InlineData(PixelFormat.V210)]
    [InlineData(PixelFormat.V210a)]
    public void Simd_rgba8_decode_odd_sizes_are_within_one_code_value_of_reference(PixelFormat format)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        var sizes = new[] { (1, 1), (2, 1), (3, 2), (5, 1), (6, 2), (7, 3), (11, 2), (12, 2), (13, 2), (14, 1), (17, 2), (18, 1), (19, 1),
            (23, 2), (24, 1), (25, 3), (47, 2), (48, 1), (49, 3), (95, 1), (1917, 3), (1918, 5), (1919, 2), (1920, 4) };
        foreach (var (w, h) in sizes)
        {
            foreach (var spec in Specs().Select(s => new ColorSpec((ColorMatrix)s[0], (ColorRange)s[1], (ChromaFilter)s[2], KeyRange.Narrow)))
            {
                // every byte random: all codes 0..1023, and garbage in the padding bits, the unused samples of the last
                // group and the bytes after it
                using var input = new FrameBuffer(FrameLayout.Create(format, w, h));
                new Random(w * 31 + h).NextBytes(input.Bytes);
                using var expected = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, w, h));
                using var actual = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, w, h));
                reference.Convert(input.Frame, expected.Frame, spec);
                simd.Convert(input.Frame, actual.Frame, spec);
                TestFrames.AssertClose(expected, actual, 1, $"SIMD decode {format}->Rgba8 {w}x{h} {spec}");
            }
        }
    }

    static double OffByOneFraction(FrameBuffer expected, FrameBuffer actual)
    {
        var e = expected.Bytes; var a = actual.Bytes;
        long n = 0;
        for (int i = 0; i < e.Length; i++) if (e[i] != a[i]) n++;
        return (double)n / e.Length;
    }
}
