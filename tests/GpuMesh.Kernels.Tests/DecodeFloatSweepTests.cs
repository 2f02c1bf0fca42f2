using System.Runtime.InteropServices;
using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>
/// SIMD v210 / v210a -> RGBA float, RGBA half and RGBA16 held to the scalar reference bit for bit over swept code values:
/// every Y 0..1023 against every pair of a set of Cb/Cr codes (legal, edge and illegal), constant and varying along the
/// row (so the linear chroma filter interpolates), per matrix, range, chroma filter and key range, at odd widths; plus
/// large frames (24 MiB and more: non-temporal stores) placed 0, 8, 16, 24 and 4 bytes past a 32-byte boundary, with guard bytes around.
/// </summary>
public unsafe class DecodeFloatSweepTests
{
    static readonly int[] Codes = { 0, 4, 64, 100, 511, 512, 513, 940, 960, 1019, 1023 };
    static readonly PixelFormat[] Outputs = { PixelFormat.RgbaFloat, PixelFormat.RgbaHalf, PixelFormat.Rgba16 };

    public static IEnumerable<object[]> Specs()
    {
        foreach (var m in new[] { ColorMatrix.Bt709, ColorMatrix.Bt2020Ncl, ColorMatrix.Bt601 })
            foreach (var range in new[] { ColorRange.Narrow, ColorRange.Full })
                foreach (var chroma in new[] { ChromaFilter.Linear, ChromaFilter.Nearest })
                    yield return new object[] { m, range, chroma };
    }

    /// <summary>Rows 0..n²-1: constant (Cb, Cr) = every pair of codes; the next n² rows: chroma changing every pair.</summary>
    static FrameBuffer Sweep(PixelFormat format, int w)
    {
        int n = Codes.Length;
        return TestFrames.Yuv(format, w, 2 * n * n,
            (x, y) => (x + 7 * y) % 1024,
            (k, y) => y < n * n ? (Codes[y % n], Codes[y / n]) : (Codes[(k + y) % n], Codes[(3 * k + y / n) % n]),
            (x, y) => (x * 37 + y * 11) % 1024);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Simd_float_half_rgba16_decode_equals_reference_for_every_luma_code(ColorMatrix m, ColorRange range, ChromaFilter chroma)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        foreach (var src in new[] { PixelFormat.V210, PixelFormat.V210a })
            foreach (int w in new[] { 1024 + 33, 1030 })
            {
                using var input = Sweep(src, w);
                foreach (var keyRange in src == PixelFormat.V210a ? new[] { KeyRange.Full, KeyRange.Narrow } : new[] { KeyRange.Full })
                {
                    var spec = new ColorSpec(m, range, chroma, keyRange);
                    foreach (var dst in Outputs)
                    {
                        using var expected = new FrameBuffer(FrameLayout.Create(dst, w, input.Layout.Height));
                        using var actual = new FrameBuffer(FrameLayout.Create(dst, w, input.Layout.Height));
                        reference.Convert(input.Frame, expected.Frame, spec);
                        simd.Convert(input.Frame, actual.Frame, spec);
                        TestFrames.AssertSame(expected, actual, $"SIMD decode {src}->{dst} {w} {spec}");
                    }
                }
            }
    }

    [Fact]
    public void Simd_float_half_rgba16_decode_equals_reference_at_small_and_odd_sizes()
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        var specs = new[] { new ColorSpec(), new ColorSpec(ColorMatrix.Bt2020Ncl, ColorRange.Full, ChromaFilter.Nearest, KeyRange.Narrow) };
        foreach (var src in new[] { PixelFormat.V210, PixelFormat.V210a, PixelFormat.Yuv422p10 })
            foreach (int w in new[] { 1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 95, 97 })
                foreach (var spec in specs)
                    foreach (var dst in Outputs)
                    {
                        using var input = TestFrames.RandomYuv(src, w, 3, 100 + w);
                        using var expected = new FrameBuffer(FrameLayout.Create(dst, w, 3));
                        using var actual = new FrameBuffer(FrameLayout.Create(dst, w, 3));
                        reference.Convert(input.Frame, expected.Frame, spec);
                        simd.Convert(input.Frame, actual.Frame, spec);
                        TestFrames.AssertSame(expected, actual, $"SIMD decode {src}->{dst} {w}x3 {spec}");
                    }
    }

    /// <summary>Frames of 24 MiB and more are streamed (non-temporal, realigned rows): every placement, nothing written outside.</summary>
    [Theory]
    [InlineData(PixelFormat.RgbaFloat)]
    [InlineData(PixelFormat.RgbaHalf)]
    [InlineData(PixelFormat.Rgba16)]
    public void Simd_decode_of_large_frames_equals_reference_at_every_placement(PixelFormat dst)
    {
        using var simd = FrameKernels.Create("simd", 2);
        using var reference = FrameKernels.CreateReference();
        // 1138 pixels: half / RGBA16 rows alternate between two placements; 2800 rows keep every output at 24 MiB or more
        const int w = 1138, h = 2800;
        using var input = TestFrames.RandomYuv(PixelFormat.V210a, w, h, 77);
        var layout = FrameLayout.Create(dst, w, h);
        Assert.True(layout.TotalBytes >= 24 << 20);
        using var expected = new FrameBuffer(layout);
        var spec = new ColorSpec(ColorMatrix.Bt709, ColorRange.Narrow, ChromaFilter.Linear);
        reference.Convert(input.Frame, expected.Frame, spec);
        const int guard = 64;
        byte* block = (byte*)NativeMemory.AlignedAlloc((nuint)(layout.TotalBytes + 2 * guard + 32), 64);
        try
        {
            foreach (int offset in new[] { 0, 8, 16, 24, 4 })
            {
                long total = layout.TotalBytes + 2 * guard + 32;
                new Span<byte>(block, (int)total).Fill(0xA5);
                byte* frame = block + guard + offset;
                simd.Convert(input.Frame, new HostFrame((nint)frame, layout.TotalBytes, layout), spec);
                var got = new ReadOnlySpan<byte>(frame, (int)layout.TotalBytes);
                int first = got.SequenceEqual(expected.Bytes) ? -1 : FirstDifference(expected.Bytes, got);
                Assert.True(first < 0, $"{dst} at offset {offset}: first difference at byte {first} (row {first / Math.Max(1, layout.Pitch)})");
                for (long i = 0; i < guard + offset; i++) Assert.True(block[i] == 0xA5, $"{dst} at offset {offset}: byte {i - guard - offset} before the frame written");
                for (long i = guard + offset + layout.TotalBytes; i < total; i++) Assert.True(block[i] == 0xA5, $"{dst} at offset {offset}: byte after the frame written");
            }
        }
        finally { NativeMemory.AlignedFree(block); }
    }

    static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return i;
        return -1;
    }
}
