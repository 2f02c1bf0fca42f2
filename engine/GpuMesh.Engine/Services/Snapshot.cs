using GpuMesh.Interop.Mxl;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Services;

/// <summary>Turns a v210 / v210a grain into RGBA8 pixels (straight alpha; opaque without a key).</summary>
public static class GrainPictures
{
    public static byte[] ToRgba8(FlowDefinition def, ReadOnlySpan<byte> payload, string backend = "simd")
    {
        if (def.Format != MxlDataFormat.Video)
            throw new ArgumentException($"flow {def.Id} is {def.MediaType}; only video/v210 and video/v210a grains can be pictured");
        if (def.IsInterlaced)
            throw new ArgumentException($"flow {def.Id} is interlaced: a grain is one field of {def.FrameHeight / 2} lines");
        FrameLayout src = def.HasKey ? FrameLayout.V210a(def.FrameWidth, def.FrameHeight) : FrameLayout.V210(def.FrameWidth, def.FrameHeight);
        if (payload.Length < src.TotalBytes)
            throw new ArgumentException($"flow {def.Id}: grain payload has {payload.Length} bytes, a {src} picture needs {src.TotalBytes}");
        FrameLayout dst = FrameLayout.Rgba8(def.FrameWidth, def.FrameHeight);
        var rgba = new byte[dst.TotalBytes];
        using var k = FrameKernels.Create(backend);
        k.Convert(payload[..(int)src.TotalBytes], src, rgba, dst);
        return rgba;
    }
}
