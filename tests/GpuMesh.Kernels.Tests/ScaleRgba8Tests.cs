using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>The integer RGBA8 -> RGBA8 scaler's special cases (row pairs, tails, edges, crops, padded pitches) against the float reference.</summary>
public class ScaleRgba8Tests
{
    public static IEnumerable<object[]> FiltersAndThreads() =>
        Enum.GetValues<ScaleFilter>().SelectMany(f => new[] { new object[] { f, 1 }, new object[] { f, 2 } });

    static readonly (int SW, int SH, int DW, int DH, RectI? Roi)[] Cases =
    {
        (1920, 1080, 1280, 720, null),    // 1.5x: 8-bit vertical taps for bilinear
        (960, 540, 480, 270, null),       // 2x
        (1918, 1077, 1279, 719, null),    // odd sizes: last row alone, partial store
        (1077, 1918, 359, 641, null),     // tall
        (640, 360, 1920, 1080, null),     // 3x up
        (33, 17, 100, 55, null),
        (1, 1, 5, 3, null),
        (2, 1, 1, 1, null),
        (1, 2, 3, 7, null),
        (7, 3, 1, 1, null),
        (200, 4, 7, 1, null),
        (23, 9, 23, 9, null),             // same size: still filtered
        (300, 200, 101, 63, new RectI(5, 7, 199, 151)),
        (300, 200, 64, 64, new RectI(250, 150, 50, 50)), // crop at the bottom-right edge
        (300, 200, 17, 190, new RectI(0, 0, 300, 200)),
        (1920, 1080, 61, 35, null),       // kernel too wide for the integer path: float fallback
    };

    [Theory]
    [MemberData(nameof(FiltersAndThreads))]
    public void Scale_rgba8_is_within_one_code_value_of_reference(ScaleFilter filter, int threads)
    {
        using var simd = FrameKernels.Create("simd", threads);
        using var reference = FrameKernels.CreateReference();
        int worst = 0;
        foreach (var c in Cases)
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, c.SW, c.SH, c.SW * 31 + c.DH);
            using var expected = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            reference.Scale(src.Frame, expected.Frame, filter, c.Roi);
            simd.Scale(src.Frame, actual.Frame, filter, c.Roi);
            worst = Math.Max(worst, TestFrames.AssertClose(expected, actual, 1, $"RGBA8 scale {filter} x{threads} {c}"));
        }
        Assert.InRange(worst, 0, 1);
    }

    /// <summary>Padded pitches on both sides: the scaler reads only the window and leaves the destination padding alone.</summary>
    [Theory]
    [MemberData(nameof(FiltersAndThreads))]
    public void Scale_rgba8_respects_pitch_padding(ScaleFilter filter, int threads)
    {
        using var simd = FrameKernels.Create("simd", threads);
        using var reference = FrameKernels.CreateReference();
        foreach (var (sw, sh, dw, dh) in new[] { (301, 203, 127, 77), (97, 31, 250, 61), (64, 64, 9, 5) })
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, sw, sh, sw + dh);
            using var padded = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, sw, sh, 4 * sw + 36));
            for (int y = 0; y < sh; y++)
            {
                src.Bytes.Slice(y * src.Layout.Pitch, 4 * sw).CopyTo(padded.Bytes.Slice(y * padded.Layout.Pitch));
                padded.Bytes.Slice(y * padded.Layout.Pitch + 4 * sw, 36).Fill(0xA5);
            }
            var dstLayout = FrameLayout.Create(PixelFormat.Rgba8, dw, dh, 4 * dw + 20);
            using var expected = new FrameBuffer(dstLayout);
            using var actual = new FrameBuffer(dstLayout);
            expected.Bytes.Fill(0x5A);
            actual.Bytes.Fill(0x5A);
            reference.Scale(padded.Frame, expected.Frame, filter);
            simd.Scale(padded.Frame, actual.Frame, filter);
            TestFrames.AssertClose(expected, actual, 1, $"RGBA8 scale {filter} x{threads} padded {sw}x{sh} -> {dw}x{dh}");
            for (int y = 0; y < dh; y++)
                for (int i = 4 * dw; i < dstLayout.Pitch; i++)
                    Assert.True(actual.Bytes[y * dstLayout.Pitch + i] == 0x5A, $"{filter}: padding byte {i} of row {y} was written");
        }
    }

    /// <summary>A wide frame then a narrow one on the same kernels: per-thread scratch left over must not leak into the edges.</summary>
    [Theory]
    [MemberData(nameof(FiltersAndThreads))]
    public void Scale_rgba8_after_a_wider_frame_matches_reference(ScaleFilter filter, int threads)
    {
        using var simd = FrameKernels.Create("simd", threads);
        using var reference = FrameKernels.CreateReference();
        using (var wide = TestFrames.RandomRgba(PixelFormat.Rgba8, 1200, 40, 5))
        using (var wideOut = new FrameBuffer(FrameLayout.Rgba8(1100, 30)))
            simd.Scale(wide.Frame, wideOut.Frame, filter);
        using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, 13, 11, 6);
        using var expected = new FrameBuffer(FrameLayout.Rgba8(9, 7));
        using var actual = new FrameBuffer(FrameLayout.Rgba8(9, 7));
        reference.Scale(src.Frame, expected.Frame, filter);
        simd.Scale(src.Frame, actual.Frame, filter);
        TestFrames.AssertClose(expected, actual, 1, $"RGBA8 scale {filter} x{threads} after a wider frame");
    }
}
