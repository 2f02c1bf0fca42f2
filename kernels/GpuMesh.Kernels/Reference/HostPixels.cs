using System.Runtime.CompilerServices;

namespace GpuMesh.Kernels;

/// <summary>Scalar pixel access to host frames (reference and scalar fallbacks). Callers have validated the layout.</summary>
internal static unsafe class HostPixels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Row(in HostFrame f, int y) => (byte*)f.Address + (long)y * f.Layout.Pitch;

    /// <summary>Pixel x of an RGBA row, normalised to 0..1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 Load(byte* row, PixelFormat format, int x)
    {
        switch (format)
        {
            case PixelFormat.Rgba8:
            {
                byte* p = row + x * 4;
                return new Float4(p[0] * PixelIo.Inv255, p[1] * PixelIo.Inv255, p[2] * PixelIo.Inv255, p[3] * PixelIo.Inv255);
            }
            case PixelFormat.Rgba16:
            {
                ushort* p = (ushort*)(row + x * 8);
                return new Float4(p[0] * PixelIo.Inv65535, p[1] * PixelIo.Inv65535, p[2] * PixelIo.Inv65535, p[3] * PixelIo.Inv65535);
            }
            case PixelFormat.RgbaHalf:
            {
                ushort* p = (ushort*)(row + x * 8);
                return new Float4(ColorMath.HalfToFloat(p[0]), ColorMath.HalfToFloat(p[1]), ColorMath.HalfToFloat(p[2]), ColorMath.HalfToFloat(p[3]));
            }
            default:
            {
                float* p = (float*)(row + x * 16);
                return new Float4(p[0], p[1], p[2], p[3]);
            }
        }
    }

    /// <summary>Pixel x of an RGBA row in the format's own units (0..255, 0..65535, or float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 LoadUnits(byte* row, PixelFormat format, int x)
    {
        switch (format)
        {
            case PixelFormat.Rgba8: { byte* p = row + x * 4; return new Float4(p[0], p[1], p[2], p[3]); }
            case PixelFormat.Rgba16: { ushort* p = (ushort*)(row + x * 8); return new Float4(p[0], p[1], p[2], p[3]); }
            default: return Load(row, format, x);
        }
    }

    /// <summary>Store a normalised pixel (integer formats: clamp and round to nearest even).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* row, PixelFormat format, int x, Float4 v)
    {
        switch (format)
        {
            case PixelFormat.Rgba8:
            {
                byte* p = row + x * 4;
                p[0] = (byte)ColorMath.Quantize(v.R * 255f, 255f); p[1] = (byte)ColorMath.Quantize(v.G * 255f, 255f);
                p[2] = (byte)ColorMath.Quantize(v.B * 255f, 255f); p[3] = (byte)ColorMath.Quantize(v.A * 255f, 255f);
                break;
            }
            case PixelFormat.Rgba16:
            {
                ushort* p = (ushort*)(row + x * 8);
                p[0] = (ushort)ColorMath.Quantize(v.R * 65535f, 65535f); p[1] = (ushort)ColorMath.Quantize(v.G * 65535f, 65535f);
                p[2] = (ushort)ColorMath.Quantize(v.B * 65535f, 65535f); p[3] = (ushort)ColorMath.Quantize(v.A * 65535f, 65535f);
                break;
            }
            default:
                StoreUnits(row, format, x, v);
                break;
        }
    }

    /// <summary>Store a pixel given in the format's own units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreUnits(byte* row, PixelFormat format, int x, Float4 v)
    {
        switch (format)
        {
            case PixelFormat.Rgba8:
            {
                byte* p = row + x * 4;
                p[0] = (byte)ColorMath.Quantize(v.R, 255f); p[1] = (byte)ColorMath.Quantize(v.G, 255f);
                p[2] = (byte)ColorMath.Quantize(v.B, 255f); p[3] = (byte)ColorMath.Quantize(v.A, 255f);
                break;
            }
            case PixelFormat.Rgba16:
            {
                ushort* p = (ushort*)(row + x * 8);
                p[0] = (ushort)ColorMath.Quantize(v.R, 65535f); p[1] = (ushort)ColorMath.Quantize(v.G, 65535f);
                p[2] = (ushort)ColorMath.Quantize(v.B, 65535f); p[3] = (ushort)ColorMath.Quantize(v.A, 65535f);
                break;
            }
            case PixelFormat.RgbaHalf:
            {
                ushort* p = (ushort*)(row + x * 8);
                p[0] = ColorMath.FloatToHalf(v.R); p[1] = ColorMath.FloatToHalf(v.G); p[2] = ColorMath.FloatToHalf(v.B); p[3] = ColorMath.FloatToHalf(v.A);
                break;
            }
            default:
            {
                float* p = (float*)(row + x * 16);
                p[0] = v.R; p[1] = v.G; p[2] = v.B; p[3] = v.A;
                break;
            }
        }
    }

    /// <summary>10-bit sample s (0-based, in stream order Cb Y Cr Y ...) of a v210 row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int V210Sample(byte* row, int s) => (int)((((uint*)row)[s / 3] >> ((s % 3) * 10)) & 0x3FFu);

    /// <summary>Sample-stream position of Y of pixel x, Cb and Cr of chroma pair k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int V210YPos(int x) => 12 * (x / 6) + 2 * (x % 6) + 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int V210CbPos(int k) => 12 * (k / 3) + 4 * (k % 3);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int V210CrPos(int k) => 12 * (k / 3) + 4 * (k % 3) + 2;
}
