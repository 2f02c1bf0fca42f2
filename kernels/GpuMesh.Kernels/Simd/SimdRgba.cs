using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>Normalised float rows from and to RGBA rows (same operations as the reference: multiply by 1/255, round to nearest even).</summary>
internal static unsafe class SimdRgba
{
    static readonly bool Vector = Avx2.IsSupported;

    /// <summary>count pixels starting at pixel x0 of an RGBA row -> 4*count normalised floats.</summary>
    public static void ToFloat(byte* row, PixelFormat f, int x0, int count, float* dst)
    {
        int i = 0;
        switch (f)
        {
            case PixelFormat.Rgba8:
            {
                byte* p = row + 4 * x0;
                if (Vector)
                {
                    var k = Vector256.Create(PixelIo.Inv255);
                    for (; i + 2 <= count; i += 2)
                        Avx.Store(dst + 4 * i, Avx.Multiply(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p + 4 * i)), k));
                }
                for (; i < count; i++) for (int c = 0; c < 4; c++) dst[4 * i + c] = p[4 * i + c] * PixelIo.Inv255;
                break;
            }
            case PixelFormat.Rgba16:
            {
                ushort* p = (ushort*)(row + 8 * x0);
                if (Vector)
                {
                    var k = Vector256.Create(PixelIo.Inv65535);
                    for (; i + 2 <= count; i += 2)
                        Avx.Store(dst + 4 * i, Avx.Multiply(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p + 4 * i)), k));
                }
                for (; i < count; i++) for (int c = 0; c < 4; c++) dst[4 * i + c] = p[4 * i + c] * PixelIo.Inv65535;
                break;
            }
            case PixelFormat.RgbaHalf:
            {
                ushort* p = (ushort*)(row + 8 * x0);
                for (; i < 4 * count; i++) dst[i] = ColorMath.HalfToFloat(p[i]);
                break;
            }
            default:
                Buffer.MemoryCopy(row + 16 * x0, dst, 16L * count, 16L * count);
                break;
        }
    }

    /// <summary>4*count normalised floats -> count pixels of an RGBA row (integer formats clamp and round).</summary>
    public static void FromFloat(float* src, byte* row, PixelFormat f, int count)
    {
        int i = 0;
        switch (f)
        {
            case PixelFormat.Rgba8:
            {
                if (Vector)
                {
                    var k = Vector256.Create(255f);
                    var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
                    for (; i + 8 <= count; i += 8)
                    {
                        float* s = src + 4 * i;
                        var a = Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s), k)), Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s + 8), k)));
                        var b = Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s + 16), k)), Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s + 24), k)));
                        Avx.Store((int*)(row + 4 * i), Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(a, b).AsInt32(), order));
                    }
                }
                for (; i < count; i++)
                    for (int c = 0; c < 4; c++) row[4 * i + c] = (byte)ColorMath.Quantize(src[4 * i + c] * 255f, 255f);
                break;
            }
            case PixelFormat.Rgba16:
            {
                ushort* p = (ushort*)row;
                if (Vector)
                {
                    var k = Vector256.Create(65535f);
                    for (; i + 4 <= count; i += 4)
                    {
                        float* s = src + 4 * i;
                        var v = Avx2.PackUnsignedSaturate(Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s), k)), Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(s + 8), k)));
                        Avx.Store(p + 4 * i, Avx2.Permute4x64(v.AsInt64(), 0b11011000).AsUInt16());
                    }
                }
                for (; i < count; i++)
                    for (int c = 0; c < 4; c++) p[4 * i + c] = (ushort)ColorMath.Quantize(src[4 * i + c] * 65535f, 65535f);
                break;
            }
            case PixelFormat.RgbaHalf:
            {
                ushort* p = (ushort*)row;
                for (; i < 4 * count; i++) p[i] = ColorMath.FloatToHalf(src[i]);
                break;
            }
            default:
                Buffer.MemoryCopy(src, row, 16L * count, 16L * count);
                break;
        }
    }
}

/// <summary>Precomputed taps of one axis in the layout the SIMD passes want.</summary>
internal sealed class SimdAxis
{
    public readonly ScaleAxis Axis;
    /// <summary>Horizontal: per output pixel pair and tap, 8 weights (4 x w(2p), 4 x w(2p+1)).</summary>
    public readonly float[] PairWeights;
    /// <summary>Horizontal: per output pixel pair and tap, the two source offsets in floats relative to the window start.</summary>
    public readonly int[] PairOffsets;
    public readonly int Pairs;

    public SimdAxis(ScaleAxis axis, bool horizontal)
    {
        Axis = axis;
        int n = axis.DestinationLength, taps = axis.Taps;
        Pairs = (n + 1) / 2;
        if (!horizontal) { PairWeights = Array.Empty<float>(); PairOffsets = Array.Empty<int>(); return; }
        PairWeights = new float[Pairs * taps * 8];
        PairOffsets = new int[Pairs * taps * 2];
        for (int p = 0; p < Pairs; p++)
        {
            int d0 = 2 * p, d1 = Math.Min(2 * p + 1, n - 1);
            for (int t = 0; t < taps; t++)
            {
                int o = (p * taps + t);
                for (int c = 0; c < 4; c++)
                {
                    PairWeights[o * 8 + c] = axis.Weight[d0 * taps + t];
                    PairWeights[o * 8 + 4 + c] = axis.Weight[d1 * taps + t];
                }
                PairOffsets[o * 2] = 4 * (axis.Index[d0 * taps + t] - axis.SourceOffset);
                PairOffsets[o * 2 + 1] = 4 * (axis.Index[d1 * taps + t] - axis.SourceOffset);
            }
        }
    }
}
