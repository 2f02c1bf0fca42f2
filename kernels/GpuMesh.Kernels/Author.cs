using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace GpuMesh.Kernels;

/// <summary>Four floats (R, G, B, A) for kernel code; use this, never System.Numerics.Vector4, inside kernels.</summary>
public struct Float4
{
    public float R, G, B, A;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float4(float r, float g, float b, float a) { R = r; G = g; B = b; A = a; }

    public override readonly string ToString() => $"({R}, {G}, {B}, {A})";
}

/// <summary>
/// Author contract: a per-pixel function. Implement it in a <c>readonly struct</c>; it is passed as a generic argument
/// and inlined by ILGPU. Input and output are normalised (0..1) RGBA as stored in the frame (straight or premultiplied
/// as the frame is). Inside: no classes, virtual calls, exceptions, strings, delegates or System.Numerics.Vector4.
/// </summary>
public interface IPixelFunction
{
    Float4 Apply(Float4 pixel, int x, int y);
}

/// <summary>
/// Author contract: a blend function. Both inputs are premultiplied and normalised; <paramref name="source"/> already
/// carries the layer opacity. Returns the premultiplied result.
/// </summary>
public interface IBlendFunction
{
    Float4 Blend(Float4 destination, Float4 source);
}

/// <summary>Porter-Duff source-over on premultiplied values (the built-in compositing blend).</summary>
public readonly struct AlphaOverBlend : IBlendFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float4 Blend(Float4 d, Float4 s)
    {
        float k = 1f - s.A;
        return new Float4(s.R + d.R * k, s.G + d.G * k, s.B + d.B * k, s.A + d.A * k);
    }
}

/// <summary>
/// A frame as kernel code sees it (custom kernels and the built-in ILGPU kernels): a byte view plus the layout numbers.
/// </summary>
public struct KernelFrame
{
    public ArrayView<byte> Data;
    public int Format;      // PixelFormat as int
    public int Width, Height, Pitch;
    public long Plane1Offset;
    public int Plane1Pitch;
    public long Plane2Offset;

    public KernelFrame(ArrayView<byte> data, in FrameLayout layout)
    {
        Data = data; Format = (int)layout.Format; Width = layout.Width; Height = layout.Height; Pitch = layout.Pitch;
        Plane1Offset = layout.Plane1Offset; Plane1Pitch = layout.Plane1Pitch; Plane2Offset = layout.Plane2Offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint LoadU16(long offset) => (uint)Data[offset] | ((uint)Data[offset + 1] << 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly uint LoadU32(long offset) =>
        (uint)Data[offset] | ((uint)Data[offset + 1] << 8) | ((uint)Data[offset + 2] << 16) | ((uint)Data[offset + 3] << 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void StoreU16(long offset, uint v)
    {
        Data[offset] = (byte)v; Data[offset + 1] = (byte)(v >> 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void StoreU32(long offset, uint v)
    {
        Data[offset] = (byte)v; Data[offset + 1] = (byte)(v >> 8); Data[offset + 2] = (byte)(v >> 16); Data[offset + 3] = (byte)(v >> 24);
    }

    /// <summary>Normalised RGBA of pixel (x, y) of an RGBA frame.</summary>
    public readonly Float4 LoadRgba(int x, int y)
    {
        long row = (long)y * Pitch;
        if (Format == (int)PixelFormat.Rgba8)
        {
            long o = row + x * 4L;
            return new Float4(Data[o] * PixelIo.Inv255, Data[o + 1] * PixelIo.Inv255, Data[o + 2] * PixelIo.Inv255, Data[o + 3] * PixelIo.Inv255);
        }
        if (Format == (int)PixelFormat.Rgba16)
        {
            long o = row + x * 8L;
            return new Float4(LoadU16(o) * PixelIo.Inv65535, LoadU16(o + 2) * PixelIo.Inv65535, LoadU16(o + 4) * PixelIo.Inv65535, LoadU16(o + 6) * PixelIo.Inv65535);
        }
        if (Format == (int)PixelFormat.RgbaHalf)
        {
            long o = row + x * 8L;
            return new Float4(ColorMath.HalfToFloat((ushort)LoadU16(o)), ColorMath.HalfToFloat((ushort)LoadU16(o + 2)),
                ColorMath.HalfToFloat((ushort)LoadU16(o + 4)), ColorMath.HalfToFloat((ushort)LoadU16(o + 6)));
        }
        long f = row + x * 16L;
        return new Float4(Interop.IntAsFloat(LoadU32(f)), Interop.IntAsFloat(LoadU32(f + 4)), Interop.IntAsFloat(LoadU32(f + 8)), Interop.IntAsFloat(LoadU32(f + 12)));
    }

    /// <summary>Store normalised RGBA at (x, y) of an RGBA frame (integer formats clamp and round to nearest).</summary>
    public readonly void StoreRgba(int x, int y, Float4 p)
    {
        long row = (long)y * Pitch;
        if (Format == (int)PixelFormat.Rgba8)
        {
            long o = row + x * 4L;
            Data[o] = (byte)ColorMath.Quantize(p.R * 255f, 255f);
            Data[o + 1] = (byte)ColorMath.Quantize(p.G * 255f, 255f);
            Data[o + 2] = (byte)ColorMath.Quantize(p.B * 255f, 255f);
            Data[o + 3] = (byte)ColorMath.Quantize(p.A * 255f, 255f);
        }
        else if (Format == (int)PixelFormat.Rgba16)
        {
            long o = row + x * 8L;
            StoreU16(o, (uint)ColorMath.Quantize(p.R * 65535f, 65535f));
            StoreU16(o + 2, (uint)ColorMath.Quantize(p.G * 65535f, 65535f));
            StoreU16(o + 4, (uint)ColorMath.Quantize(p.B * 65535f, 65535f));
            StoreU16(o + 6, (uint)ColorMath.Quantize(p.A * 65535f, 65535f));
        }
        else if (Format == (int)PixelFormat.RgbaHalf)
        {
            long o = row + x * 8L;
            StoreU16(o, ColorMath.FloatToHalf(p.R)); StoreU16(o + 2, ColorMath.FloatToHalf(p.G));
            StoreU16(o + 4, ColorMath.FloatToHalf(p.B)); StoreU16(o + 6, ColorMath.FloatToHalf(p.A));
        }
        else
        {
            long o = row + x * 16L;
            StoreU32(o, Interop.FloatAsInt(p.R)); StoreU32(o + 4, Interop.FloatAsInt(p.G));
            StoreU32(o + 8, Interop.FloatAsInt(p.B)); StoreU32(o + 12, Interop.FloatAsInt(p.A));
        }
    }
}

/// <summary>Normalisation constants shared by every implementation (multiply, never divide, so all paths agree bit for bit).</summary>
public static class PixelIo
{
    public const float Inv255 = 1f / 255f;
    public const float Inv65535 = 1f / 65535f;
}

/// <summary>Raised when ILGPU cannot compile an author's (or a built-in) kernel; the message names the kernel and the cause.</summary>
public sealed class KernelCompilationException : Exception
{
    public string KernelName { get; }
    public KernelCompilationException(string kernelName, Exception inner)
        : base($"ILGPU could not compile kernel '{kernelName}': {inner.Message}. Kernels may not use classes, virtual or interface calls " +
               "on non-generic receivers, exceptions, strings, delegates, System.Numerics.Vector4 or managed arrays; " +
               "use readonly structs, Float4 and ArrayView. The accelerator's kernel cache was cleared (ClearCacheMode.Everything).", inner)
    {
        KernelName = kernelName;
    }
}
