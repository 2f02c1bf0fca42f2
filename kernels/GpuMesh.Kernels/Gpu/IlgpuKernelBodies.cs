using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace GpuMesh.Kernels;

/// <summary>
/// The ILGPU kernels. Each launch runs one thread per row (ILGPU's CPU accelerator synchronises after every index,
/// so row-shaped work keeps it usable); on a GPU the same code runs one row per thread. These are the definitions
/// kernel authors copy: static methods, structs only, ArrayView memory, no exceptions.
/// </summary>
public static class IlgpuKernelBodies
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int V210Sample(in KernelFrame f, long rowOffset, int s) =>
        (int)((f.LoadU32(rowOffset + (s / 3) * 4L) >> ((s % 3) * 10)) & 0x3FFu);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int LumaAt(in KernelFrame f, long row, int x) =>
        f.Format == (int)PixelFormat.Yuv422p10 ? (int)(f.LoadU16(row + 2L * x) & 0x3FFu) : V210Sample(f, row, 12 * (x / 6) + 2 * (x % 6) + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ChromaAt(in KernelFrame f, long row, long planeRow, int k, int which)
    {
        if (f.Format == (int)PixelFormat.Yuv422p10) return (int)(f.LoadU16(planeRow + 2L * k) & 0x3FFu);
        return V210Sample(f, row, 12 * (k / 3) + 4 * (k % 3) + 2 * which);
    }

    /// <summary>Store a pixel given in the destination format's units (integer formats clamp and round).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreUnits(in KernelFrame f, int x, int y, Float4 p)
    {
        if (f.Format == (int)PixelFormat.Rgba8)
        {
            long o = (long)y * f.Pitch + 4L * x;
            f.Data[o] = (byte)ColorMath.Quantize(p.R, 255f); f.Data[o + 1] = (byte)ColorMath.Quantize(p.G, 255f);
            f.Data[o + 2] = (byte)ColorMath.Quantize(p.B, 255f); f.Data[o + 3] = (byte)ColorMath.Quantize(p.A, 255f);
        }
        else if (f.Format == (int)PixelFormat.Rgba16)
        {
            long o = (long)y * f.Pitch + 8L * x;
            f.StoreU16(o, (uint)ColorMath.Quantize(p.R, 65535f)); f.StoreU16(o + 2, (uint)ColorMath.Quantize(p.G, 65535f));
            f.StoreU16(o + 4, (uint)ColorMath.Quantize(p.B, 65535f)); f.StoreU16(o + 6, (uint)ColorMath.Quantize(p.A, 65535f));
        }
        else f.StoreRgba(x, y, p);
    }

    /// <summary>Y'CbCr (v210, v210a, yuv422p10) row -> RGBA row.</summary>
    public static void Decode(Index1D index, KernelFrame src, KernelFrame dst, DecodeCoefficients c)
    {
        int y = index;
        int w = src.Width, pairs = (w + 1) / 2;
        long row = (long)y * src.Pitch;
        long cbRow = src.Plane1Offset + (long)y * src.Plane1Pitch;
        long crRow = src.Plane2Offset + (long)y * src.Plane1Pitch;
        long keyRow = src.Plane1Offset + (long)y * src.Plane1Pitch;
        for (int x = 0; x < w; x++)
        {
            int k = x >> 1;
            int cb = ChromaAt(src, row, cbRow, k, 0), cr = ChromaAt(src, row, crRow, k, 1);
            int cb2 = 2 * cb - 1024, cr2 = 2 * cr - 1024;
            if ((x & 1) == 1 && c.Linear != 0 && k + 1 < pairs)
            {
                cb2 = cb + ChromaAt(src, row, cbRow, k + 1, 0) - 1024;
                cr2 = cr + ChromaAt(src, row, crRow, k + 1, 1) - 1024;
            }
            int key = 0;
            if (c.HasKey != 0) key = (int)((src.LoadU32(keyRow + (x / 3) * 4L) >> ((x % 3) * 10)) & 0x3FFu);
            StoreUnits(dst, x, y, ColorMath.DecodePixel(LumaAt(src, row, x), cb2, cr2, key, c));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Float4 LoadUnits(in KernelFrame f, int x, int y)
    {
        if (f.Format == (int)PixelFormat.Rgba8)
        {
            long o = (long)y * f.Pitch + 4L * x;
            return new Float4(f.Data[o], f.Data[o + 1], f.Data[o + 2], f.Data[o + 3]);
        }
        if (f.Format == (int)PixelFormat.Rgba16)
        {
            long o = (long)y * f.Pitch + 8L * x;
            return new Float4(f.LoadU16(o), f.LoadU16(o + 2), f.LoadU16(o + 4), f.LoadU16(o + 6));
        }
        return f.LoadRgba(x, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float ChromaValue(in KernelFrame src, int x, int y, int w, in EncodeCoefficients c, int which)
    {
        Float4 p = LoadUnits(src, x, y);
        float v = which == 0 ? ColorMath.EncodeCb(p.R, p.G, p.B, c) : ColorMath.EncodeCr(p.R, p.G, p.B, c);
        if (c.Linear == 0) return v;
        int l = x > 0 ? x - 1 : 0, r = x + 1 < w ? x + 1 : w - 1;
        Float4 pl = LoadUnits(src, l, y), pr = LoadUnits(src, r, y);
        float vl = which == 0 ? ColorMath.EncodeCb(pl.R, pl.G, pl.B, c) : ColorMath.EncodeCr(pl.R, pl.G, pl.B, c);
        float vr = which == 0 ? ColorMath.EncodeCb(pr.R, pr.G, pr.B, c) : ColorMath.EncodeCr(pr.R, pr.G, pr.B, c);
        return ColorMath.Filter121(vl, v, vr);
    }

    /// <summary>RGBA row -> Y'CbCr row (v210 words incl. zeroed padding, v210a key, or yuv422p10 samples).</summary>
    public static void Encode(Index1D index, KernelFrame src, KernelFrame dst, EncodeCoefficients c)
    {
        int y = index;
        int w = src.Width, pairs = (w + 1) / 2;
        long row = (long)y * dst.Pitch;
        if (dst.Format == (int)PixelFormat.Yuv422p10)
        {
            long cbRow = dst.Plane1Offset + (long)y * dst.Plane1Pitch, crRow = dst.Plane2Offset + (long)y * dst.Plane1Pitch;
            for (int x = 0; x < w; x++)
            {
                Float4 p = LoadUnits(src, x, y);
                dst.StoreU16(row + 2L * x, (uint)ColorMath.QuantizeRange(ColorMath.EncodeY(p.R, p.G, p.B, c), c.YLo, c.YHi));
            }
            for (int k = 0; k < pairs; k++)
            {
                dst.StoreU16(cbRow + 2L * k, (uint)ColorMath.QuantizeRange(ChromaValue(src, 2 * k, y, w, c, 0), c.CLo, c.CHi));
                dst.StoreU16(crRow + 2L * k, (uint)ColorMath.QuantizeRange(ChromaValue(src, 2 * k, y, w, c, 1), c.CLo, c.CHi));
            }
            return;
        }
        int words = dst.Pitch / 4;
        int groupWords = (w + 5) / 6 * 4;
        for (int i = 0; i < words; i++)
        {
            uint word = 0;
            if (i < groupWords)
            {
                for (int j = 0; j < 3; j++)
                {
                    int s = 3 * i + j;          // sample index in the line
                    int g = s / 12, pos = s % 12;
                    int v = 0;
                    if ((pos & 1) == 1)
                    {
                        int x = 6 * g + pos / 2;
                        if (x < w)
                        {
                            Float4 p = LoadUnits(src, x, y);
                            v = ColorMath.QuantizeRange(ColorMath.EncodeY(p.R, p.G, p.B, c), c.YLo, c.YHi);
                        }
                    }
                    else
                    {
                        int k = 3 * g + pos / 4;
                        if (k < pairs) v = ColorMath.QuantizeRange(ChromaValue(src, 2 * k, y, w, c, (pos % 4) / 2), c.CLo, c.CHi);
                    }
                    word |= (uint)v << (10 * j);
                }
            }
            dst.StoreU32(row + 4L * i, word);
        }
        if (dst.Format == (int)PixelFormat.V210a)
        {
            long keyRow = dst.Plane1Offset + (long)y * dst.Plane1Pitch;
            int keyWords = (w + 2) / 3;
            for (int i = 0; i < keyWords; i++)
            {
                uint word = 0;
                for (int j = 0; j < 3; j++)
                {
                    int x = 3 * i + j;
                    if (x < w)
                    {
                        Float4 p = LoadUnits(src, x, y);
                        word |= (uint)ColorMath.QuantizeRange(p.A * c.KA + c.KO, c.KLo, c.KHi) << (10 * j);
                    }
                }
                dst.StoreU32(keyRow + 4L * i, word);
            }
        }
    }

    /// <summary>Separable resampling of one destination row: horizontal sums per source row, then the vertical sum.</summary>
    public static void Scale(Index1D index, KernelFrame src, KernelFrame dst, ArrayView<int> indexX, ArrayView<float> weightX, int tapsX,
        ArrayView<int> indexY, ArrayView<float> weightY, int tapsY)
    {
        int y = index;
        for (int x = 0; x < dst.Width; x++)
        {
            Float4 acc = default;
            for (int ty = 0; ty < tapsY; ty++)
            {
                float wy = weightY[y * tapsY + ty];
                int sy = indexY[y * tapsY + ty];
                Float4 h = default;
                for (int tx = 0; tx < tapsX; tx++)
                {
                    float wx = weightX[x * tapsX + tx];
                    Float4 p = src.LoadRgba(indexX[x * tapsX + tx], sy);
                    h.R = h.R + wx * p.R; h.G = h.G + wx * p.G; h.B = h.B + wx * p.B; h.A = h.A + wx * p.A;
                }
                acc.R = acc.R + wy * h.R; acc.G = acc.G + wy * h.G; acc.B = acc.B + wy * h.B; acc.A = acc.A + wy * h.A;
            }
            dst.StoreRgba(x, y, acc);
        }
    }

    /// <summary>Canvas (premultiplied float RGBA, dense) = background row, premultiplied when it is straight.</summary>
    public static void CanvasLoad(Index1D index, KernelFrame bg, ArrayView<float> canvas, int premultiply)
    {
        int y = index;
        for (int x = 0; x < bg.Width; x++)
        {
            Float4 c = bg.LoadRgba(x, y);
            if (premultiply != 0) c = new Float4(c.R * c.A, c.G * c.A, c.B * c.A, c.A);
            long o = ((long)y * bg.Width + x) * 4;
            canvas[o] = c.R; canvas[o + 1] = c.G; canvas[o + 2] = c.B; canvas[o + 3] = c.A;
        }
    }

    /// <summary>Blend one layer (already at its destination size) onto the canvas rows it covers; index = row within the clipped rectangle.</summary>
    public static void CanvasBlend<TBlend>(Index1D index, ArrayView<float> canvas, int canvasWidth, int canvasHeight, KernelFrame layer,
        LayerParams p, int firstRow, TBlend blend) where TBlend : struct, IBlendFunction
    {
        int y = firstRow + index;
        int ly = y - p.Y;
        if (y < 0 || y >= canvasHeight || ly < 0 || ly >= p.Height) return;
        int x0 = p.X > 0 ? p.X : 0;
        int x1 = p.X + p.Width < canvasWidth ? p.X + p.Width : canvasWidth;
        for (int x = x0; x < x1; x++)
        {
            Float4 s = layer.LoadRgba(x - p.X, ly);
            if (p.Premultiplied == 0) s = new Float4(s.R * s.A, s.G * s.A, s.B * s.A, s.A);
            float o = p.Opacity;
            s = new Float4(s.R * o, s.G * o, s.B * o, s.A * o);
            long off = ((long)y * canvasWidth + x) * 4;
            Float4 d = new Float4(canvas[off], canvas[off + 1], canvas[off + 2], canvas[off + 3]);
            Float4 r = blend.Blend(d, s);
            canvas[off] = r.R; canvas[off + 1] = r.G; canvas[off + 2] = r.B; canvas[off + 3] = r.A;
        }
    }

    /// <summary>Destination row = canvas row, un-premultiplied when the output is straight alpha.</summary>
    public static void CanvasStore(Index1D index, ArrayView<float> canvas, KernelFrame dst, int unpremultiply)
    {
        int y = index;
        for (int x = 0; x < dst.Width; x++)
        {
            long o = ((long)y * dst.Width + x) * 4;
            Float4 c = new Float4(canvas[o], canvas[o + 1], canvas[o + 2], canvas[o + 3]);
            if (unpremultiply != 0) c = c.A > 0f ? new Float4(c.R / c.A, c.G / c.A, c.B / c.A, c.A) : new Float4(0f, 0f, 0f, c.A);
            dst.StoreRgba(x, y, c);
        }
    }

    /// <summary>Author per-pixel function over one row.</summary>
    public static void Apply<TFunc>(Index1D index, KernelFrame src, KernelFrame dst, TFunc func) where TFunc : struct, IPixelFunction
    {
        int y = index;
        for (int x = 0; x < src.Width; x++) dst.StoreRgba(x, y, func.Apply(src.LoadRgba(x, y), x, y));
    }
}
