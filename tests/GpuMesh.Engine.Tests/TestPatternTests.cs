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

    [Fact]
    public void TooSmallPayload_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => TestPattern.Write('A', 0, 192, 108, true, new byte[100]));
        Assert.Contains("v210a", e.Message);
    }
}
