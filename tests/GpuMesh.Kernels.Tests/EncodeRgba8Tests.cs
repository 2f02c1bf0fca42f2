using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>
/// SIMD RGBA8 -> v210 / v210a / yuv422p10 (the fused integer path) against the scalar reference: within 1 code value for
/// every matrix, range, chroma filter and key range, over a colour sweep, sharp edges and every width up to 3 blocks;
/// samples past the width, line padding and the key plane exact.
/// </summary>
public unsafe class EncodeRgba8Tests
{
    static readonly PixelFormat[] Outputs = { PixelFormat.V210, PixelFormat.V210a, PixelFormat.Yuv422p10 };

    static IEnumerable<ColorSpec> AllSpecs()
    {
        foreach (var m in new[] { ColorMatrix.Bt709, ColorMatrix.Bt2020Ncl, ColorMatrix.Bt601 })
            foreach (var r in new[] { ColorRange.Narrow, ColorRange.Full })
                foreach (var c in new[] { ChromaFilter.Linear, ChromaFilter.Nearest })
                    foreach (var k in new[] { KeyRange.Full, KeyRange.Narrow })
                        yield return new ColorSpec(m, r, c, k);
    }

    static FrameBuffer Rgba(int w, int h, Func<int, int, uint> pixel)
    {
        var buf = new FrameBuffer(FrameLayout.Create(PixelFormat.Rgba8, w, h));
        for (int y = 0; y < h; y++)
        {
            uint* row = (uint*)(buf.Pointer + (long)y * buf.Layout.Pitch);
            for (int x = 0; x < w; x++) row[x] = pixel(x, y);
        }
        return buf;
    }

    /// <summary>Converts with both backends into destinations pre-filled with garbage (so unwritten words show) and compares.</summary>
    static void Check(FrameBuffer input, PixelFormat output, ColorSpec spec, string what)
    {
        int w = input.Layout.Width, h = input.Layout.Height;
        using var simd = FrameKernels.Create("simd", 1);
        using var reference = FrameKernels.CreateReference();
        using var expected = new FrameBuffer(FrameLayout.Create(output, w, h));
        using var actual = new FrameBuffer(FrameLayout.Create(output, w, h));
        expected.Bytes.Fill(0xA5);
        actual.Bytes.Fill(0x5A);
        reference.Convert(input.Frame, expected.Frame, spec);
        simd.Convert(input.Frame, actual.Frame, spec);
        string where = $"{what} {output} {w}x{h} {spec}";
        TestFrames.AssertClose10(expected, actual, 1, where);
        if (output == PixelFormat.Yuv422p10) return;

        var l = expected.Layout;
        int pairs = (w + 1) / 2, groups = (w + 5) / 6;
        for (int y = 0; y < h; y++)
        {
            uint* e = (uint*)(expected.Pointer + (long)y * l.Pitch), a = (uint*)(actual.Pointer + (long)y * l.Pitch);
            for (int i = 0; i < l.Pitch / 4; i++)
            {
                for (int f = 0; f < 3; f++)
                {
                    int si = 3 * i + f, g = si / 12, pos = si % 12;
                    bool inside = g < groups && ((pos & 1) == 1 ? 6 * g + pos / 2 < w : 3 * g + pos / 4 < pairs);
                    uint av = (a[i] >> (10 * f)) & 0x3FF;
                    if (!inside && av != 0) Assert.Fail($"{where}: row {y} word {i} field {f} (past the width or padding) is {av}, not 0");
                }
                if (a[i] >> 30 != 0) Assert.Fail($"{where}: row {y} word {i} has its top bits set");
            }
            if (output == PixelFormat.V210a)
            {
                uint* ek = (uint*)(expected.Pointer + l.Plane1Offset + (long)y * l.Plane1Pitch);
                uint* ak = (uint*)(actual.Pointer + l.Plane1Offset + (long)y * l.Plane1Pitch);
                for (int i = 0; i < (w + 2) / 3; i++)
                    if (ek[i] != ak[i]) Assert.Fail($"{where}: key row {y} word {i}: expected {ek[i]:X8}, got {ak[i]:X8}");
            }
        }
    }

    [Fact]
    public void Colour_sweep_is_within_one_code_value_for_every_spec()
    {
        // 10 levels per channel (extremes and near-extremes included), each colour next to a different one so the filter sees steps
        byte[] levels = { 0, 1, 2, 16, 64, 127, 128, 200, 254, 255 };
        int n = levels.Length * levels.Length * levels.Length; // 1000 colours: width 1000, 2 rows (second row shifted)
        using var input = Rgba(n, 2, (x, y) =>
        {
            int i = (x * 7 + y * 331) % n;
            uint r = levels[i % 10], g = levels[i / 10 % 10], b = levels[i / 100], a = (uint)((x * 37 + y) & 0xFF);
            return r | g << 8 | b << 16 | a << 24;
        });
        foreach (var spec in AllSpecs())
            foreach (var output in Outputs)
                Check(input, output, spec, "colour sweep");
    }

    [Fact]
    public void Every_width_up_to_three_blocks_and_odd_frames_match_with_the_same_edges()
    {
        var specs = new[]
        {
            new ColorSpec(),
            new ColorSpec(ColorMatrix.Bt2020Ncl, ColorRange.Full, ChromaFilter.Nearest),
            new ColorSpec(ColorMatrix.Bt601, ColorRange.Full, ChromaFilter.Linear, KeyRange.Narrow),
        };
        for (int w = 1; w <= 75; w++)
        {
            using var input = TestFrames.RandomRgba(PixelFormat.Rgba8, w, 2, 100 + w);
            foreach (var spec in specs)
                foreach (var output in Outputs)
                    Check(input, output, spec, "width sweep");
        }
        foreach (var (w, h) in new[] { (1918, 3), (1920, 2), (1917, 2) })
        {
            using var input = TestFrames.RandomRgba(PixelFormat.Rgba8, w, h, w);
            foreach (var output in Outputs) Check(input, output, specs[0], "odd frame");
        }
    }

    [Fact]
    public void Sharp_edges_at_the_row_ends_and_block_boundaries_are_filtered_like_the_reference()
    {
        // Saturated colours that flip every pixel, and a first / last pixel unlike its neighbour: a wrong neighbour
        // (edge replication or a block seam) moves chroma by hundreds of codes.
        uint[] palette = { 0xFF0000FFu, 0xFF00FF00u, 0x80FF0000u, 0x00FFFFFFu, 0xFF000000u, 0x40FF00FFu };
        foreach (int w in new[] { 1, 2, 3, 23, 24, 25, 47, 48, 49, 97, 1919 })
        {
            using var input = Rgba(w, 2, (x, y) => x == 0 ? 0xFFFFFFFFu : x == w - 1 ? 0xFF000000u : palette[(x + 3 * y) % palette.Length]);
            foreach (var spec in new[] { new ColorSpec(), new ColorSpec(ColorMatrix.Bt709, ColorRange.Full, ChromaFilter.Nearest, KeyRange.Narrow) })
                foreach (var output in Outputs)
                    Check(input, output, spec, "sharp edges");
        }
    }
}
