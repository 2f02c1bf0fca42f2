namespace GpuMesh.Kernels;

/// <summary>Resampling filter. Downscaling widens every kernel by the scale factor (anti-aliased).</summary>
public enum ScaleFilter
{
    /// <summary>Triangle, support 1.</summary>
    Bilinear = 0,
    /// <summary>Catmull-Rom cubic (B=0, C=0.5), support 2.</summary>
    Bicubic = 1,
    /// <summary>Lanczos, 3 lobes.</summary>
    Lanczos3 = 2,
    /// <summary>Area averaging (box of the scale factor), for large downscales.</summary>
    Area = 3,
}

/// <summary>How a frame's colour relates to its alpha.</summary>
public enum AlphaMode { Straight = 0, Premultiplied = 1 }

/// <summary>Which implementation runs the operations.</summary>
public enum KernelBackend
{
    /// <summary>Scalar reference written for clarity: the test oracle.</summary>
    Reference = 0,
    /// <summary>System.Runtime.Intrinsics code, rows spread over cores.</summary>
    Simd = 1,
    /// <summary>ILGPU kernels on an accelerator (a GPU, or ILGPU's slow CPU accelerator).</summary>
    Ilgpu = 2,
}

/// <summary>
/// One compositing layer: its source (an RGBA frame), the optional crop of the source, where it lands on the canvas
/// (scaled to Destination's size with <see cref="Filter"/>; may reach outside the canvas, it is clipped), opacity and alpha mode.
/// </summary>
public readonly record struct CompositeLayer(
    HostFrame Source,
    RectI Destination,
    float Opacity = 1f,
    AlphaMode Alpha = AlphaMode.Straight,
    ScaleFilter Filter = ScaleFilter.Bilinear,
    RectI? Crop = null);

/// <summary>A compositing layer whose source lives in accelerator memory.</summary>
public readonly record struct DeviceCompositeLayer(
    DeviceFrame Source,
    RectI Destination,
    float Opacity = 1f,
    AlphaMode Alpha = AlphaMode.Straight,
    ScaleFilter Filter = ScaleFilter.Bilinear,
    RectI? Crop = null);

/// <summary>Per-layer numbers passed to kernels (no frames, no references).</summary>
public struct LayerParams
{
    public int X, Y, Width, Height;   // destination rectangle on the canvas
    public float Opacity;
    public int Premultiplied;         // 1: source colour is premultiplied
}
