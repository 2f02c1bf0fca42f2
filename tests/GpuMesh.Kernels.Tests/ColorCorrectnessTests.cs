using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>Colour maths against published values, double-precision formulas and round trips.</summary>
public unsafe class ColorCorrectnessTests
{
    // SMPTE RP 219 / ITU-R BT.709 10-bit narrow-range colour bars (Y, Cb, Cr) and the RGB they encode.
    public static readonly (string Name, int Y, int Cb, int Cr, double R, double G, double B)[] Bars100 =
    {
        ("white", 940, 512, 512, 1, 1, 1), ("yellow", 877, 64, 553, 1, 1, 0), ("cyan", 754, 615, 64, 0, 1, 1),
        ("green", 691, 167, 105, 0, 1, 0), ("magenta", 313, 857, 919, 1, 0, 1), ("red", 250, 409, 960, 1, 0, 0),
        ("blue", 127, 960, 471, 0, 0, 1), ("black", 64, 512, 512, 0, 0, 0),
    };

    public static readonly (string Name, int Y, int Cb, int Cr, double R, double G, double B)[] Bars75 =
    {
        ("white", 721, 512, 512, .75, .75, .75), ("yellow", 674, 176, 543, .75, .75, 0), ("cyan", 581, 589, 176, 0, .75, .75),
        ("green", 534, 253, 207, 0, .75, 0), ("magenta", 251, 771, 817, .75, 0, .75), ("red", 204, 435, 848, .75, 0, 0),
        ("blue", 111, 848, 481, 0, 0, .75), ("black", 64, 512, 512, 0, 0, 0),
    };

    public static IEnumerable<object[]> Backends() => new[] { new object[] { "reference" }, new object[] { "simd" } };

    [Theory]
    [MemberData(nameof(Backends))]
    public void Colour_bars_decode_to_published_rgb(string backend)
    {
        using var k = FrameKernels.Create(backend, 1);
        foreach (var bars in new[] { Bars100, Bars75 })
        {
            foreach (var bar in bars)
            {
                using var v = TestFrames.Yuv(PixelFormat.V210, 24, 2, (_, _) => bar.Y, (_, _) => (bar.Cb, bar.Cr));
                using var o8 = new FrameBuffer(FrameLayout.Rgba8(24, 2));
                using var o16 = new FrameBuffer(FrameLayout.Rgba16(24, 2));
                k.Convert(v.Frame, o8.Frame);
                k.Convert(v.Frame, o16.Frame);
                double[] rgb = { bar.R, bar.G, bar.B };
                for (int x = 0; x < 24; x++)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        // the published codes are rounded to whole 10-bit steps and the matrix adds up to ~1.3 steps of
                        // that rounding per channel: 8-bit within 1 code, 16-bit within 0.2% of full scale (131)
                        Assert.InRange(o8.Bytes[4 * x + c], Math.Round(rgb[c] * 255) - 1, Math.Round(rgb[c] * 255) + 1);
                        Assert.InRange(o16.U16(8 * x + 2 * c), rgb[c] * 65535 - 131, rgb[c] * 65535 + 131);
                    }
                    Assert.Equal(255, o8.Bytes[4 * x + 3]);
                    Assert.Equal(65535, o16.U16(8 * x + 6));
                }
            }
        }
    }

    [Fact]
    public void Bt709_narrow_black_white_and_primaries_are_exact()
    {
        using var k = FrameKernels.Create("simd", 1);
        foreach (var (y, cb, cr, r, g, b) in new[] { (64, 512, 512, 0, 0, 0), (940, 512, 512, 255, 255, 255),
                     (250, 409, 960, 255, 0, 0), (691, 167, 105, 0, 255, 0), (127, 960, 471, 0, 0, 255) })
        {
            using var v = TestFrames.Yuv(PixelFormat.V210, 6, 1, (_, _) => y, (_, _) => (cb, cr));
            using var o = new FrameBuffer(FrameLayout.Rgba8(6, 1));
            k.Convert(v.Frame, o.Frame);
            Assert.Equal(new byte[] { (byte)r, (byte)g, (byte)b, 255 }, o.Bytes[..4].ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Exact_float_bars_encode_to_published_codes(string backend)
    {
        using var k = FrameKernels.Create(backend, 1);
        foreach (var chroma in new[] { ChromaFilter.Linear, ChromaFilter.Nearest })
        {
            foreach (var bar in Bars100.Concat(Bars75))
            {
                using var src = new FrameBuffer(FrameLayout.RgbaFloat(12, 1));
                float* p = (float*)src.Pointer;
                for (int x = 0; x < 12; x++) { p[4 * x] = (float)bar.R; p[4 * x + 1] = (float)bar.G; p[4 * x + 2] = (float)bar.B; p[4 * x + 3] = 1; }
                using var v = new FrameBuffer(FrameLayout.Yuv422p10(12, 1));
                k.Convert(src.Frame, v.Frame, new ColorSpec(Chroma: chroma));
                Assert.True(bar.Y == v.U16(0), $"{bar.Name}: Y {v.U16(0)} != {bar.Y}");
                Assert.True(bar.Cb == v.U16(v.Layout.Plane1Offset), $"{bar.Name}: Cb {v.U16(v.Layout.Plane1Offset)} != {bar.Cb}");
                Assert.True(bar.Cr == v.U16(v.Layout.Plane2Offset), $"{bar.Name}: Cr {v.U16(v.Layout.Plane2Offset)} != {bar.Cr}");
            }
        }
    }

    /// <summary>Every legal luma code, every chroma code at several lumas, and random triples, all in gamut.</summary>
    static List<(int Y, int Cb, int Cr)> InGamutTriples(ColorSpec spec, int randomCount)
    {
        var list = new List<(int, int, int)>();
        bool narrow = spec.Range == ColorRange.Narrow;
        int yLo = narrow ? 64 : 0, yHi = narrow ? 940 : 1023, cLo = narrow ? 64 : 0, cHi = narrow ? 960 : 1023;
        for (int y = yLo; y <= yHi; y++) list.Add((y, 512, 512));
        for (int c = cLo; c <= cHi; c++)
            foreach (int y in new[] { 300, 502, 700 })
            {
                list.Add((y, c, 512)); list.Add((y, 512, c)); list.Add((y, c, c)); list.Add((y, c, 1024 - c));
            }
        var r = new Random(42);
        for (int i = 0; i < randomCount; i++) list.Add((r.Next(yLo, yHi + 1), r.Next(cLo, cHi + 1), r.Next(cLo, cHi + 1)));
        return list.Where(t => InGamut(t, spec)).ToList();
    }

    static bool InGamut((int Y, int Cb, int Cr) t, ColorSpec spec)
    {
        var (r, g, b) = IdealRgb(t.Y, t.Cb, t.Cr, spec);
        const double e = 1e-9;
        return r >= -e && r <= 1 + e && g >= -e && g <= 1 + e && b >= -e && b <= 1 + e;
    }

    /// <summary>The textbook inverse matrix in double precision (normalised RGB).</summary>
    public static (double R, double G, double B) IdealRgb(double y, double cb, double cr, ColorSpec spec)
    {
        var (kr, kb) = spec.LumaWeights;
        double kg = 1 - kr - kb;
        bool narrow = spec.Range == ColorRange.Narrow;
        double yn = narrow ? (y - 64) / 876 : y / 1023, pb = (cb - 512) / (narrow ? 896 : 1023), pr = (cr - 512) / (narrow ? 896 : 1023);
        double r = yn + 2 * (1 - kr) * pr, b = yn + 2 * (1 - kb) * pb;
        return (r, (yn - kr * r - kb * b) / kg, b);
    }

    [Theory]
    [InlineData("reference", ColorMatrix.Bt709, ColorRange.Narrow)]
    [InlineData("simd", ColorMatrix.Bt709, ColorRange.Narrow)]
    [InlineData("simd", ColorMatrix.Bt2020Ncl, ColorRange.Narrow)]
    [InlineData("simd", ColorMatrix.Bt601, ColorRange.Full)]
    public void V210_to_rgba16_to_v210_is_lossless_for_legal_in_gamut_codes(string backend, ColorMatrix matrix, ColorRange range)
    {
        var spec = new ColorSpec(matrix, range, ChromaFilter.Nearest);
        var triples = InGamutTriples(spec, 20000);
        int w = 1920, h = (triples.Count + w / 2 - 1) / (w / 2);
        using var v = TestFrames.Yuv(PixelFormat.V210, w, h,
            (x, y) => triples[Math.Min(y * (w / 2) + x / 2, triples.Count - 1)].Y,
            (k, y) => { var t = triples[Math.Min(y * (w / 2) + k, triples.Count - 1)]; return (t.Cb, t.Cr); });
        using var k = FrameKernels.Create(backend, 2);
        using var rgb = new FrameBuffer(FrameLayout.Rgba16(w, h));
        using var back = new FrameBuffer(FrameLayout.V210(w, h));
        k.Convert(v.Frame, rgb.Frame, spec);
        k.Convert(rgb.Frame, back.Frame, spec);
        TestFrames.AssertSame(v, back, $"round trip {matrix} {range} over {triples.Count} triples");
    }

    [Theory]
    [InlineData(PixelFormat.Rgba16, ChromaFilter.Linear)]
    [InlineData(PixelFormat.Rgba16, ChromaFilter.Nearest)]
    [InlineData(PixelFormat.Rgba8, ChromaFilter.Linear)]
    [InlineData(PixelFormat.RgbaFloat, ChromaFilter.Linear)]
    public void Reference_decode_matches_the_double_precision_formula(PixelFormat output, ChromaFilter chroma)
    {
        var spec = new ColorSpec(ColorMatrix.Bt709, ColorRange.Narrow, chroma);
        int w = 301, h = 7;
        using var v = TestFrames.RandomYuv(PixelFormat.Yuv422p10, w, h, 77);
        using var o = new FrameBuffer(FrameLayout.Create(output, w, h));
        using var k = FrameKernels.CreateReference();
        k.Convert(v.Frame, o.Frame, spec);
        var l = v.Layout;
        double m = DecodeCoefficients.OutputScale(output);
        int pairs = (w + 1) / 2;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int kk = x / 2;
                double Cb(int i) => v.U16(l.Plane1Offset + (long)y * l.Plane1Pitch + 2 * Math.Min(i, pairs - 1));
                double Cr(int i) => v.U16(l.Plane2Offset + (long)y * l.Plane1Pitch + 2 * Math.Min(i, pairs - 1));
                double cb = Cb(kk), cr = Cr(kk);
                if (x % 2 == 1 && chroma == ChromaFilter.Linear) { cb = (cb + Cb(kk + 1)) / 2; cr = (cr + Cr(kk + 1)) / 2; }
                var (r, g, b) = IdealRgb(v.U16((long)y * l.Pitch + 2 * x), cb, cr, spec);
                double[] ideal = { r * m, g * m, b * m };
                for (int c = 0; c < 3; c++)
                {
                    long off = (long)y * o.Layout.Pitch;
                    double got = output switch
                    {
                        PixelFormat.Rgba8 => o.Bytes[(int)(off + 4 * x + c)],
                        PixelFormat.Rgba16 => o.U16(off + 8 * x + 2 * c),
                        _ => o.F32(off + 16 * x + 4 * c),
                    };
                    double want = output == PixelFormat.RgbaFloat ? ideal[c] : Math.Clamp(ideal[c], 0, m);
                    double tol = output == PixelFormat.RgbaFloat ? 1e-5 : 0.5 + 1e-3 * m / 255;
                    Assert.True(Math.Abs(got - want) <= tol, $"{output} ({x},{y}) channel {c}: got {got}, ideal {want}");
                }
            }
        }
    }

    [Fact]
    public void Half_conversion_matches_system_half()
    {
        for (int h = 0; h < 65536; h++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            float got = ColorMath.HalfToFloat((ushort)h);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(got), $"half {h:X4} should be NaN"); else Assert.Equal(expected, got);
        }
        var r = new Random(5);
        var values = Enumerable.Range(0, 200000).Select(_ => BitConverter.Int32BitsToSingle(r.Next()) * (r.Next(2) == 0 ? 1 : -1))
            .Concat(new[] { 0f, -0f, 1f, 65504f, 65519.99f, 65520f, 1e-8f, 5.96e-8f, 2.98e-8f, 2.9802322e-8f, 6.1e-5f, float.PositiveInfinity, float.NegativeInfinity })
            .Concat(Enumerable.Range(0, 100000).Select(i => (float)(r.NextDouble() * 4 - 2)));
        foreach (var f in values)
        {
            if (float.IsNaN(f)) continue;
            ushort expected = BitConverter.HalfToUInt16Bits((System.Half)f);
            Assert.True(expected == ColorMath.FloatToHalf(f), $"{f:R}: expected half {expected:X4}, got {ColorMath.FloatToHalf(f):X4}");
        }
    }

    [Fact]
    public void V210a_key_plane_feeds_alpha_and_alpha_feeds_the_key()
    {
        using var k = FrameKernels.Create("simd", 1);
        int w = 50;
        using var v = TestFrames.Yuv(PixelFormat.V210a, w, 2, (_, _) => 502, (_, _) => (512, 512), (x, _) => x * 20);
        using var rgba = new FrameBuffer(FrameLayout.Rgba16(w, 2));
        k.Convert(v.Frame, rgba.Frame);
        for (int x = 0; x < w; x++) Assert.Equal(Math.Round(x * 20 * 65535 / 1023.0), rgba.U16(8 * x + 6), 0);
        using var back = new FrameBuffer(FrameLayout.V210a(w, 2));
        k.Convert(rgba.Frame, back.Frame);
        TestFrames.AssertSame(v, back, "v210a round trip with key");
    }

    [Fact]
    public void Layouts_follow_the_mxl_sizes()
    {
        Assert.Equal(5120, FrameLayout.V210(1920, 1080).Pitch);
        Assert.Equal(2560, FrameLayout.V210a(1920, 1080).Plane1Pitch);
        Assert.Equal(5120L * 1080 + 2560L * 1080, FrameLayout.V210a(1920, 1080).TotalBytes);
        Assert.Equal(128, FrameLayout.V210(2, 1).Pitch);
        Assert.Equal(4, FrameLayout.V210a(2, 1).Plane1Pitch);
        Assert.Equal(5120, FrameLayout.V210(1918, 1).Pitch);
        var p = FrameLayout.Yuv422p10(7, 3);
        Assert.Equal(14, p.Pitch); Assert.Equal(8, p.Plane1Pitch); Assert.Equal(42, p.Plane1Offset); Assert.Equal(66, p.Plane2Offset); Assert.Equal(90, p.TotalBytes);
    }
}
