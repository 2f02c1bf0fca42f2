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
            using var padded = WithPaddedPitch(src, 36, 0xA5);
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

    /// <summary>
    /// Sizes for the fused periodic two-tap path (bilinear at exactly 1.5x / 2x / 1x across, any exact ratio down): full
    /// groups, partial last groups (odd widths), the narrowest width it takes, crops (odd offsets, bottom-right edge) and
    /// near misses that must fall back. Source width, height, destination width, height, crop.
    /// </summary>
    static readonly (int SW, int SH, int DW, int DH, RectI? Roi)[] PeriodicCases =
    {
        (1920, 1080, 1280, 720, null),    // 1.5x both ways
        (1500, 901, 1000, 601, null),     // 1.5x across but not exactly 1.5x down: general path
        (962, 542, 481, 271, null),       // 2x, odd width: partial last group
        (34, 20, 17, 10, null),           // 2x, 17 wide: one full group + 1 pixel
        (24, 24, 16, 16, null),           // 1.5x, narrowest width the path takes
        (30, 1000, 20, 500, null),        // 1.5x across (half group tail), 2x down
        (2000, 600, 1000, 400, null),     // 2x across, 1.5x down
        (640, 360, 640, 240, null),       // same width (weights 1, 0), 1.5x down
        (1280, 720, 640, 720, null),      // 2x across, same height
        (1278, 718, 852, 1077, null),     // 1.5x across, upscale down (weights not dyadic): general path
        (400, 300, 200, 134, new RectI(7, 5, 300, 201)),     // crop at odd offsets, 1.5x
        (300, 200, 100, 50, new RectI(150, 100, 150, 100)),  // crop at the bottom-right edge
        (300, 200, 82, 61, new RectI(3, 1, 123, 61)),        // odd crop, 1.5x across, same height
        (1921, 1080, 1280, 720, null),    // near miss across: general path
        (1920, 1081, 1280, 720, null),    // near miss down
    };

    /// <summary>
    /// The periodic path sums exactly in integers and rounds once (half up), so besides staying within one code value its
    /// bytes differ from the float reference only at exact halves (a few percent at most; truncating would differ far more).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Periodic_bilinear_rgba8_is_within_one_code_value_and_rounds_like_reference(int threads)
    {
        using var simd = FrameKernels.Create("simd", threads);
        using var reference = FrameKernels.CreateReference();
        foreach (var c in PeriodicCases)
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, c.SW, c.SH, c.SW * 17 + c.DW);
            using var expected = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            using var actual = new FrameBuffer(FrameLayout.Rgba8(c.DW, c.DH));
            reference.Scale(src.Frame, expected.Frame, ScaleFilter.Bilinear, c.Roi);
            simd.Scale(src.Frame, actual.Frame, ScaleFilter.Bilinear, c.Roi);
            string what = $"RGBA8 bilinear x{threads} {c}";
            TestFrames.AssertClose(expected, actual, 1, what);
            var e = expected.Bytes; var a = actual.Bytes;
            int differ = 0;
            for (int i = 0; i < e.Length; i++) if (e[i] != a[i]) differ++;
            Assert.True(differ <= e.Length / 8, $"{what}: {differ} of {e.Length} bytes differ from the reference (rounding off?)");
        }
    }

    /// <summary>Periodic path with padded pitches on both sides, a second frame on the same kernels, and a flat frame (exact).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Periodic_bilinear_rgba8_respects_pitch_padding_and_flat_areas(int threads)
    {
        using var simd = FrameKernels.Create("simd", threads);
        using var reference = FrameKernels.CreateReference();
        foreach (var (sw, sh, dw, dh) in new[] { (303, 201, 202, 134), (66, 40, 33, 20), (1200, 40, 800, 20), (48, 30, 32, 20) })
        {
            using var src = TestFrames.RandomRgba(PixelFormat.Rgba8, sw, sh, sw + dh);
            using var padded = WithPaddedPitch(src, 36, 0xFF);
            var dstLayout = FrameLayout.Create(PixelFormat.Rgba8, dw, dh, 4 * dw + 20);
            using var expected = new FrameBuffer(dstLayout);
            using var actual = new FrameBuffer(dstLayout);
            expected.Bytes.Fill(0x5A);
            actual.Bytes.Fill(0x5A);
            reference.Scale(padded.Frame, expected.Frame, ScaleFilter.Bilinear);
            simd.Scale(padded.Frame, actual.Frame, ScaleFilter.Bilinear);
            TestFrames.AssertClose(expected, actual, 1, $"RGBA8 bilinear x{threads} padded {sw}x{sh} -> {dw}x{dh}");
            for (int y = 0; y < dh; y++)
                for (int i = 4 * dw; i < dstLayout.Pitch; i++)
                    Assert.True(actual.Bytes[y * dstLayout.Pitch + i] == 0x5A, $"padding byte {i} of row {y} was written ({sw}x{sh} -> {dw}x{dh})");
        }
        using var flat = new FrameBuffer(FrameLayout.Rgba8(96, 60));
        for (int i = 0; i < flat.Bytes.Length; i++) flat.Bytes[i] = (byte)(i % 4 == 3 ? 255 : 37 + 50 * (i % 4));
        using var flatOut = new FrameBuffer(FrameLayout.Rgba8(64, 40));
        simd.Scale(flat.Frame, flatOut.Frame, ScaleFilter.Bilinear);
        for (int i = 0; i < flatOut.Bytes.Length; i++) Assert.Equal(flat.Bytes[i % 4], flatOut.Bytes[i]);
    }

    /// <summary>A copy of an RGBA8 frame whose lines carry <paramref name="padBytes"/> extra bytes set to <paramref name="fill"/>.</summary>
    static FrameBuffer WithPaddedPitch(FrameBuffer src, int padBytes, byte fill)
    {
        int w = src.Layout.Width, h = src.Layout.Height;
        var padded = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, w, h, 4 * w + padBytes));
        for (int y = 0; y < h; y++)
        {
            src.Bytes.Slice(y * src.Layout.Pitch, 4 * w).CopyTo(padded.Bytes.Slice(y * padded.Layout.Pitch));
            padded.Bytes.Slice(y * padded.Layout.Pitch + 4 * w, padBytes).Fill(fill);
        }
        return padded;
    }

}
