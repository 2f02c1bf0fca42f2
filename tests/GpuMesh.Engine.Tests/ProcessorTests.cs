using System.Runtime.InteropServices;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Processing;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Kernels;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class ProcessorTests
{
    private const int W = 192, H = 108;

    private static unsafe InputGrain Grain(byte[] pinned, ulong index) =>
        new(index, (nint)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length, false, H, H);

    private static byte[] Pinned(byte[] data)
    {
        var p = GC.AllocateArray<byte>(data.Length, pinned: true);
        data.CopyTo(p, 0);
        return p;
    }

    private static byte[] RunDemoGraph(string backend, ulong bgIndex, ulong fgIndex, int sets = 1, int set = 0)
    {
        var graph = DemoGraph.Create(W, H);
        using var p = new GraphProcessor(graph, new[] { new FrameGeometry(W, H, false), new FrameGeometry(W, H, true) },
            new GraphProcessorOptions { Backend = backend });
        p.Prepare(sets, new EngineMetrics(new[] { "bg", "fg" }, p.NodeNames));
        p.Import(set, 0, Grain(Pinned(ReferencePipeline.Input('A', bgIndex, W, H, false)), bgIndex));
        p.Import(set, 1, Grain(Pinned(ReferencePipeline.Input('B', fgIndex, W, H, true)), fgIndex));
        p.Process(set);
        var output = new byte[p.OutputLayout(0).TotalBytes];
        p.Export(set, 0, output);
        return output;
    }

    [Fact]
    public void ReferenceBackend_MatchesTheScalarPipelineExactly()
    {
        var expected = ReferencePipeline.DemoOutput(40, 40, W, H);
        Assert.Equal(expected, RunDemoGraph("reference", 40, 40));
    }

    [Fact]
    public void SimdBackend_MatchesTheScalarPipelineWithinOneCode()
    {
        var expected = ReferencePipeline.DemoOutput(41, 41, W, H);
        var actual = RunDemoGraph("simd", 41, 41);
        int diff = ReferencePipeline.MaxSampleDifference(actual, expected, out int word);
        Assert.True(diff <= 1, $"SIMD output differs from the reference by {diff} codes at word {word}");
        // The picture-in-picture really is there: output differs from the background alone inside the PiP rectangle.
        Assert.NotEqual(ReferencePipeline.Input('A', 41, W, H, false), actual);
    }

    [Fact]
    public void RepeatInput_CopiesTheLastGoodDecodeBetweenSets()
    {
        var graph = DemoGraph.Create(W, H);
        using var p = new GraphProcessor(graph, new[] { new FrameGeometry(W, H, false), new FrameGeometry(W, H, true) },
            new GraphProcessorOptions { Backend = "reference" });
        p.Prepare(2, new EngineMetrics(new[] { "bg", "fg" }, p.NodeNames));
        p.Import(0, 0, Grain(Pinned(ReferencePipeline.Input('A', 7, W, H, false)), 7));
        p.Import(0, 1, Grain(Pinned(ReferencePipeline.Input('B', 7, W, H, true)), 7));
        p.Import(1, 0, Grain(Pinned(ReferencePipeline.Input('A', 8, W, H, false)), 8));
        p.RepeatInput(0, 1, 1);
        p.Process(1);
        var output = new byte[p.OutputLayout(0).TotalBytes];
        p.Export(1, 0, output);
        Assert.Equal(ReferencePipeline.DemoOutput(8, 7, W, H), output);
    }

    [Fact]
    public void CustomAuthorFunction_RunsOnIlgpuCpuAccelerator()
    {
        Guid a = Guid.NewGuid(), o = Guid.NewGuid();
        var graph = new ProcessingGraph(new GraphNode[]
        {
            new DecodeNode("in", a),
            new CustomNode("inv", "in", "invert", new Dictionary<string, float>()),
            new EncodeNode("out", "inv", o),
        });
        const int w = 48, h = 16;
        using var p = new GraphProcessor(graph, new[] { new FrameGeometry(w, h, false) },
            new GraphProcessorOptions { Backend = "reference", AuthorBackend = "ilgpu-cpu" });
        var metrics = new EngineMetrics(new[] { "in" }, p.NodeNames);
        p.Prepare(1, metrics);
        var input = Pinned(ReferencePipeline.Input('A', 1, w, h, false));
        p.Import(0, 0, Grain(input, 1));
        p.Process(0);
        var output = new byte[p.OutputLayout(0).TotalBytes];
        p.Export(0, 0, output);

        // Expected: decode, invert, encode with the reference kernels.
        using var k = FrameKernels.CreateReference();
        var wl = FrameLayout.Rgba16(w, h);
        var rgba = new byte[wl.TotalBytes];
        k.Convert(input, FrameLayout.V210(w, h), rgba, wl);
        for (int i = 0; i < rgba.Length; i += 8)
            for (int c = 0; c < 3; c++)
            {
                int v = 65535 - BitConverter.ToUInt16(rgba, i + 2 * c);
                BitConverter.TryWriteBytes(rgba.AsSpan(i + 2 * c), (ushort)v);
            }
        var expected = new byte[FrameLayout.V210(w, h).TotalBytes];
        k.Convert(rgba, wl, expected, FrameLayout.V210(w, h));
        int diff = ReferencePipeline.MaxSampleDifference(output, expected, out int word);
        Assert.True(diff <= 1, $"custom invert differs by {diff} codes at word {word}");
        Assert.Equal(1, metrics.Stage("custom inv").Summary().Count);
    }

    [Fact]
    public void UnknownCustomFunction_NamesTheNode()
    {
        var graph = new ProcessingGraph(new GraphNode[]
        {
            new DecodeNode("in", Guid.NewGuid()),
            new CustomNode("fx", "in", "sparkle", new Dictionary<string, float>()),
            new EncodeNode("out", "fx", Guid.NewGuid()),
        });
        var e = Assert.Throws<GraphException>(() => new GraphProcessor(graph, new[] { new FrameGeometry(48, 16, false) }));
        Assert.Equal("fx", e.Node);
        Assert.Contains("sparkle", e.Message);
    }

    [Fact]
    public void ShortGrain_IsAClearError()
    {
        var graph = DemoGraph.Create(W, H);
        using var p = new GraphProcessor(graph, new[] { new FrameGeometry(W, H, false), new FrameGeometry(W, H, true) },
            new GraphProcessorOptions { Backend = "reference" });
        p.Prepare(1, new EngineMetrics(new[] { "bg", "fg" }, p.NodeNames));
        var e = Assert.Throws<InvalidOperationException>(() => p.Import(0, 0, Grain(Pinned(new byte[100]), 5)));
        Assert.Contains("background", e.Message);
        Assert.Contains("grain 5", e.Message);
    }
}
