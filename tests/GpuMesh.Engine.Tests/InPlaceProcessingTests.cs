using System.Runtime.InteropServices;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Processing;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Kernels;
using Xunit;

namespace GpuMesh.Engine.Tests;

/// <summary>
/// The processor composites in place over the layers' box and decodes only the rows a scale samples: its output must
/// equal the straightforward pipeline (every row decoded, full-frame composite into its own buffer).
/// </summary>
public class InPlaceProcessingTests
{
    private const int W = 192, H = 108;

    private sealed record Pip(int Width, int Height, int X, int Y, ScaleFilter Filter);

    private static readonly Dictionary<string, Pip> Pips = new()
    {
        ["demo"] = new Pip(DemoGraph.PipRect(W, H).Width, DemoGraph.PipRect(W, H).Height, DemoGraph.PipRect(W, H).X, DemoGraph.PipRect(W, H).Y, ScaleFilter.Bilinear),
        // 108 -> 40 rows: sampled rows are not evenly spaced; the layer hangs off the left edge.
        ["irregular-offcanvas"] = new Pip(70, 40, -10, 50, ScaleFilter.Bilinear),
        ["bicubic"] = new Pip(100, 31, 90, 0, ScaleFilter.Bicubic),
        ["area-bottom-right"] = new Pip(64, 27, 150, 90, ScaleFilter.Area),
        // 108 -> 27 rows bilinear: rows 4d+1 and 4d+2 are sampled (two runs of stride 4).
        ["quarter"] = new Pip(48, 27, 10, 10, ScaleFilter.Bilinear),
    };

    private static ProcessingGraph Graph(Pip pip) => new(new GraphNode[]
    {
        new DecodeNode("background", DemoGraph.BackgroundFlow),
        new DecodeNode("foreground", DemoGraph.ForegroundFlow),
        new ScaleNode("pip", "foreground", pip.Width, pip.Height, pip.Filter),
        new CompositeNode("mix", "background", new[] { new LayerSpec("pip", pip.X, pip.Y, 0.7f) }),
        new EncodeNode("program", "mix", DemoGraph.OutputFlow),
    });

    private static byte[] Pinned(byte[] data)
    {
        var p = GC.AllocateArray<byte>(data.Length, pinned: true);
        data.CopyTo(p, 0);
        return p;
    }

    private static InputGrain Grain(byte[] pinned, ulong index) =>
        new(index, Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length, false, H, H);

    private static byte[] Background(ulong index) => Pinned(ReferencePipeline.Input('A', index, W, H, false));
    private static byte[] Foreground(ulong index) => Pinned(ReferencePipeline.Input('B', index, W, H, true));

    /// <summary>The same graph the plain way: whole pictures decoded, full-frame composite into a separate buffer.</summary>
    private static unsafe byte[] Straightforward(string backend, PixelFormat working, Pip pip, ulong bgIndex, ulong fgIndex)
    {
        using var k = FrameKernels.Create(backend);
        var wl = FrameLayout.Create(working, W, H);
        var pl = FrameLayout.Create(working, pip.Width, pip.Height);
        var bg = new byte[wl.TotalBytes];
        var fg = new byte[wl.TotalBytes];
        var small = new byte[pl.TotalBytes];
        var mix = new byte[wl.TotalBytes];
        k.Convert(ReferencePipeline.Input('A', bgIndex, W, H, false), FrameLayout.V210(W, H), bg, wl);
        k.Convert(ReferencePipeline.Input('B', fgIndex, W, H, true), FrameLayout.V210a(W, H), fg, wl);
        k.Scale(fg, wl, small, pl, pip.Filter);
        fixed (byte* pb = bg) fixed (byte* ps = small) fixed (byte* pm = mix)
        {
            var layers = new[] { new CompositeLayer(new HostFrame(ps, small.Length, pl), new RectI(pip.X, pip.Y, pip.Width, pip.Height), 0.7f) };
            k.Composite(new HostFrame(pb, bg.Length, wl), layers, new HostFrame(pm, mix.Length, wl));
        }
        var output = new byte[FrameLayout.V210(W, H).TotalBytes];
        k.Convert(mix, wl, output, FrameLayout.V210(W, H));
        return output;
    }

    private static GraphProcessor Processor(string backend, PixelFormat working, Pip pip, int sets)
    {
        var p = new GraphProcessor(Graph(pip), new[] { new FrameGeometry(W, H, false), new FrameGeometry(W, H, true) },
            new GraphProcessorOptions { Backend = backend, WorkingFormat = working });
        p.Prepare(sets, new EngineMetrics(new[] { "bg", "fg" }, p.NodeNames));
        return p;
    }

    private static byte[] Output(GraphProcessor p, int set)
    {
        p.Process(set);
        var output = new byte[p.OutputLayout(0).TotalBytes];
        p.Export(set, 0, output);
        return output;
    }

    [Theory]
    [InlineData("reference", PixelFormat.Rgba16, "demo")]
    [InlineData("reference", PixelFormat.Rgba16, "irregular-offcanvas")]
    [InlineData("reference", PixelFormat.Rgba8, "bicubic")]
    [InlineData("reference", PixelFormat.RgbaFloat, "area-bottom-right")]
    [InlineData("simd", PixelFormat.Rgba16, "demo")]
    [InlineData("simd", PixelFormat.Rgba8, "demo")]
    [InlineData("simd", PixelFormat.Rgba8, "irregular-offcanvas")]
    [InlineData("simd", PixelFormat.Rgba16, "bicubic")]
    [InlineData("simd", PixelFormat.Rgba8, "area-bottom-right")]
    [InlineData("ilgpu-cpu", PixelFormat.Rgba16, "irregular-offcanvas")]
    [InlineData("reference", PixelFormat.Rgba16, "quarter")]
    [InlineData("simd", PixelFormat.Rgba8, "quarter")]
    public void Output_EqualsTheStraightforwardPipeline(string backend, PixelFormat working, string pipName)
    {
        var pip = Pips[pipName];
        using var p = Processor(backend, working, pip, 1);
        // A previous grain first, so rows the processor leaves undecoded hold other content.
        p.Import(0, 0, Grain(Background(3), 3));
        p.Import(0, 1, Grain(Foreground(90), 90));
        Output(p, 0);
        p.Import(0, 0, Grain(Background(21), 21));
        p.Import(0, 1, Grain(Foreground(22), 22));
        var actual = Output(p, 0);
        var expected = Straightforward(backend, working, pip, 21, 22);
        if (backend != "simd") Assert.Equal(expected, actual);
        else
        {
            int diff = ReferencePipeline.MaxSampleDifference(actual, expected, out int word);
            Assert.True(diff <= 1, $"{backend} {working} {pipName}: differs from the straightforward pipeline by {diff} codes at word {word}");
        }
        Assert.NotEqual(Straightforward(backend, working, pip, 21, 90), actual);
    }

    [Theory]
    [InlineData(PixelFormat.Rgba16)]
    [InlineData(PixelFormat.Rgba8)]
    public void RepeatedBackground_DoesNotShowTheLayersTwice(PixelFormat working)
    {
        var pip = Pips["demo"];
        using var p = Processor("reference", working, pip, 2);
        p.Import(0, 0, Grain(Background(7), 7));
        p.Import(0, 1, Grain(Foreground(7), 7));
        Assert.Equal(Straightforward("reference", working, pip, 7, 7), Output(p, 0));

        // Background late: set 1 repeats set 0's background, whose box already holds set 0's composite.
        p.Import(1, 1, Grain(Foreground(8), 8));
        p.RepeatInput(0, 1, 0);
        Assert.Equal(Straightforward("reference", working, pip, 7, 8), Output(p, 1));

        // Late again while the last good background is already in this set (the scheduler copies nothing).
        p.Import(1, 1, Grain(Foreground(9), 9));
        Assert.Equal(Straightforward("reference", working, pip, 7, 9), Output(p, 1));

        p.Import(0, 0, Grain(Background(10), 10));
        p.Import(0, 1, Grain(Foreground(10), 10));
        Assert.Equal(Straightforward("reference", working, pip, 10, 10), Output(p, 0));
    }
}
