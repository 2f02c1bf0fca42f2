using GpuMesh.Engine.Scheduling;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Graph;

/// <summary>The demo's graph: background + picture-in-picture (scaled to a third) at 85% opacity, encoded to v210.</summary>
public static class DemoGraph
{
    public static readonly Guid BackgroundFlow = Guid.Parse("6c0ac3a4-5e0b-4d5e-9a51-0d3c1f6a0001");
    public static readonly Guid ForegroundFlow = Guid.Parse("6c0ac3a4-5e0b-4d5e-9a51-0d3c1f6a0002");
    public static readonly Guid OutputFlow = Guid.Parse("6c0ac3a4-5e0b-4d5e-9a51-0d3c1f6a00f0");

    /// <summary>PiP rectangle: a third of the picture, top right, margin 1/24 (x rounded to 6 pixels).</summary>
    public static RectI PipRect(int width, int height)
    {
        int w = Math.Max(2, width / 3), h = Math.Max(1, height / 3);
        int x = (width - w - width / 24) / 6 * 6, y = height / 24;
        return new RectI(x, y, w, h);
    }

    public static ProcessingGraph Create(int width, int height, Guid? background = null, Guid? foreground = null, Guid? output = null,
        float opacity = 0.85f, ScaleFilter filter = ScaleFilter.Bilinear)
    {
        var pip = PipRect(width, height);
        return new ProcessingGraph(new GraphNode[]
        {
            new DecodeNode("background", background ?? BackgroundFlow, LatePolicy.Repeat),
            new DecodeNode("foreground", foreground ?? ForegroundFlow, LatePolicy.Repeat),
            new ScaleNode("pip", "foreground", pip.Width, pip.Height, filter),
            new CompositeNode("mix", "background", new[] { new LayerSpec("pip", pip.X, pip.Y, opacity) }),
            new EncodeNode("program", "mix", output ?? OutputFlow, false, "gpumesh demo programme"),
        });
    }
}
