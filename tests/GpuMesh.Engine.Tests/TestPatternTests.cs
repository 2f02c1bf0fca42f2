using GpuMesh.Engine.Sources;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class TestPatternTests
{
    [Theory]
    [InlineData(1920, 1080, 0UL)]
    [InlineData(1920, 1080, 89_778_771_461UL)]
    [InlineData(192, 108, 12_345UL)]
    [InlineData(100, 60, 7UL)]
    public void IndexStrip_ReadsBackTheIndex(int w, int h, ulong index)
    {
        var buf = ReferencePipeline.Input('A', index, w, h, false);
        Assert.Equal(index & TestPattern.StripMask(w), TestPattern.ReadIndexStrip(buf, w, h));
    }

    [Fact]
    public void Pattern_MovesFromGrainToGrain_AndVariantsDiffer()
    {
        var a0 = ReferencePipeline.Input('A', 10, 192, 108, false);
        var a1 = ReferencePipeline.Input('A', 11, 192, 108, false);
        var b0 = ReferencePipeline.Input('B', 10, 192, 108, false);
        Assert.NotEqual(a0, a1);
        Assert.NotEqual(a0, b0);
        Assert.Equal(a0, ReferencePipeline.Input('A', 10, 192, 108, false));
    }

    [Fact]
    public void V210a_KeyPlane_HalfTransparentTopAndBottom()
    {
        int w = 96, h = 64;
        var buf = ReferencePipeline.Input('B', 3, w, h, true);
        int keyOffset = TestPattern.V210LineBytes(w) * h;
        uint KeyWord(int row) => BitConverter.ToUInt32(buf, keyOffset + row * TestPattern.KeyLineBytes(w));
        Assert.Equal(512u | 512u << 10 | 512u << 20, KeyWord(0));
        Assert.Equal(1023u | 1023u << 10 | 1023u << 20, KeyWord(h / 2));
        Assert.Equal(512u | 512u << 10 | 512u << 20, KeyWord(h - 1));
    }

    /// <summary>Every sample of every row equals <see cref="TestPattern.PixelOf"/> (the packed-line cache rotates lines).</summary>
    [Theory]
    [InlineData('A', 1920, 0UL)]
    [InlineData('A', 1920, 161UL)]
    [InlineData('B', 1920, 89_778_771_461UL)]
    [InlineData('B', 96, 5UL)]
    [InlineData('A', 100, 33UL)]
    [InlineData('B', 102, 1_000_003UL)]
    public void EverySample_MatchesPixelOf(char variant, int w, ulong index)
    {
        int h = 16, line = TestPattern.V210LineBytes(w);
        var buf = new byte[line * h];
        buf.AsSpan().Fill(0xAB);
        // Another grain first, so cached and reused line buffers are exercised.
        TestPattern.Write(variant, index + 7, w, h, false, buf);
        TestPattern.Write(variant, index, w, h, false, buf);
        for (int row = 0; row < h; row++)
        {
            var band = TestPattern.BandOf(row, h);
            for (int g = 0; g < line / 16; g++)
            {
                var words = new uint[4];
                for (int i = 0; i < 4; i++) words[i] = BitConverter.ToUInt32(buf, row * line + g * 16 + i * 4);
                if (g * 6 >= w)
                {
                    Assert.All(words, word => Assert.Equal(0u, word));
                    continue;
                }
                // v210 sample order: Cb0 Y0 Cr0 | Y1 Cb2 Y2 | Cr2 Y3 Cb4 | Y4 Cr4 Y5
                var samples = new int[12];
                for (int i = 0; i < 12; i++) samples[i] = (int)((words[i / 3] >> (10 * (i % 3))) & 0x3FF);
                TestPattern.Ycc P(int p) => g * 6 + p < w ? TestPattern.PixelOf(variant, index, w, band, g * 6 + p) : TestPattern.Black;
                var expected = new int[] { P(0).Cb, P(0).Y, P(0).Cr, P(1).Y, P(2).Cb, P(2).Y, P(2).Cr, P(3).Y, P(4).Cb, P(4).Y, P(4).Cr, P(5).Y };
                Assert.True(expected.SequenceEqual(samples), $"variant {variant} {w} wide, grain {index}: row {row} ({band}) group {g} differs");
            }
        }
    }

    [Fact]
    public void TooSmallPayload_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => TestPattern.Write('A', 0, 192, 108, true, new byte[100]));
        Assert.Contains("v210a", e.Message);
    }
}
