using System.Buffers.Binary;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Sources;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Tests;

/// <summary>The demo graph computed with the scalar reference kernels, for the same test-pattern inputs.</summary>
internal static class ReferencePipeline
{
    public static byte[] Input(char variant, ulong index, int w, int h, bool key)
    {
        var layout = key ? FrameLayout.V210a(w, h) : FrameLayout.V210(w, h);
        var buf = new byte[layout.TotalBytes];
        TestPattern.Write(variant, index, w, h, key, buf);
        return buf;
    }

    /// <summary>Output grain of the demo graph for background grain <paramref name="bgIndex"/> and foreground grain <paramref name="fgIndex"/>.</summary>
    public static byte[] DemoOutput(ulong bgIndex, ulong fgIndex, int w, int h, PixelFormat working = PixelFormat.Rgba16, float opacity = 0.85f)
    {
        using var k = FrameKernels.CreateReference();
        var wl = FrameLayout.Create(working, w, h);
        var pip = DemoGraph.PipRect(w, h);
        var pl = FrameLayout.Create(working, pip.Width, pip.Height);
        var bg = new byte[wl.TotalBytes];
        var fg = new byte[wl.TotalBytes];
        var small = new byte[pl.TotalBytes];
        var mix = new byte[wl.TotalBytes];
        k.Convert(Input('A', bgIndex, w, h, false), FrameLayout.V210(w, h), bg, wl);
        k.Convert(Input('B', fgIndex, w, h, true), FrameLayout.V210a(w, h), fg, wl);
        k.Scale(fg, wl, small, pl, ScaleFilter.Bilinear);
        unsafe
        {
            fixed (byte* pb = bg) fixed (byte* ps = small) fixed (byte* pm = mix)
            {
                var layers = new[] { new CompositeLayer(new HostFrame(ps, small.Length, pl), pip, opacity) };
                k.Composite(new HostFrame(pb, bg.Length, wl), layers, new HostFrame(pm, mix.Length, wl));
            }
        }
        var outLayout = FrameLayout.V210(w, h);
        var output = new byte[outLayout.TotalBytes];
        k.Convert(mix, wl, output, outLayout);
        return output;
    }

    /// <summary>Largest difference between the 10-bit samples of two v210 pictures (padding words included).</summary>
    public static int MaxSampleDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out int wordIndex)
    {
        if (a.Length < b.Length) b = b[..a.Length];
        int max = 0;
        wordIndex = -1;
        for (int i = 0; i + 4 <= b.Length; i += 4)
        {
            uint x = BinaryPrimitives.ReadUInt32LittleEndian(a[i..]), y = BinaryPrimitives.ReadUInt32LittleEndian(b[i..]);
            if (x == y) continue;
            for (int s = 0; s < 3; s++)
            {
                int d = Math.Abs((int)((x >> (10 * s)) & 0x3FF) - (int)((y >> (10 * s)) & 0x3FF));
                if (d > max) { max = d; wordIndex = i / 4; }
            }
        }
        return max;
    }
}
