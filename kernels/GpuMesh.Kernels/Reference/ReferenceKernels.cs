namespace GpuMesh.Kernels;

/// <summary>What every host-memory implementation provides. Arguments are validated by <see cref="FrameKernels"/>.</summary>
internal interface IHostKernels
{
    void Decode(in HostFrame src, in HostFrame dst, in ColorSpec spec);
    void Encode(in HostFrame src, in HostFrame dst, in ColorSpec spec);
    void Scale(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI sourceRect);
    void Composite<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame dst, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction;
    void Apply<TFunc>(in HostFrame src, in HostFrame dst, TFunc func) where TFunc : struct, IPixelFunction;
}

/// <summary>Scalar reference: one pixel at a time, written for clarity. The oracle the other implementations are held to.</summary>
internal sealed unsafe class ReferenceKernels : IHostKernels
{
    /// <summary>Reads the 10-bit samples of one row of a Y'CbCr frame.</summary>
    static void ReadYuvRow(in HostFrame f, int y, int[] luma, int[] cb, int[] cr, int[] key)
    {
        int w = f.Width, pairs = (w + 1) / 2;
        byte* row = HostPixels.Row(f, y);
        if (f.Format == PixelFormat.Yuv422p10)
        {
            ushort* py = (ushort*)row;
            ushort* pb = (ushort*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            ushort* pr = (ushort*)((byte*)f.Address + f.Layout.Plane2Offset + (long)y * f.Layout.Plane1Pitch);
            for (int x = 0; x < w; x++) luma[x] = py[x] & 0x3FF;
            for (int k = 0; k < pairs; k++) { cb[k] = pb[k] & 0x3FF; cr[k] = pr[k] & 0x3FF; }
            return;
        }
        for (int x = 0; x < w; x++) luma[x] = HostPixels.V210Sample(row, HostPixels.V210YPos(x));
        for (int k = 0; k < pairs; k++)
        {
            cb[k] = HostPixels.V210Sample(row, HostPixels.V210CbPos(k));
            cr[k] = HostPixels.V210Sample(row, HostPixels.V210CrPos(k));
        }
        if (f.Format == PixelFormat.V210a)
        {
            byte* keyRow = (byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch;
            for (int x = 0; x < w; x++) key[x] = (int)((((uint*)keyRow)[x / 3] >> ((x % 3) * 10)) & 0x3FFu);
        }
    }

    public void Decode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        int w = src.Width, pairs = (w + 1) / 2;
        var c = DecodeCoefficients.Create(spec, dst.Format, src.Format == PixelFormat.V210a);
        int[] luma = new int[w], cb = new int[pairs], cr = new int[pairs], key = new int[w];
        bool integer = dst.Format is PixelFormat.Rgba8 or PixelFormat.Rgba16;
        for (int y = 0; y < src.Height; y++)
        {
            ReadYuvRow(src, y, luma, cb, cr, key);
            byte* outRow = HostPixels.Row(dst, y);
            for (int x = 0; x < w; x++)
            {
                int k = x >> 1;
                int cb2, cr2;
                if ((x & 1) == 0 || c.Linear == 0 || k + 1 >= pairs) { cb2 = 2 * cb[k] - 1024; cr2 = 2 * cr[k] - 1024; }
                else { cb2 = cb[k] + cb[k + 1] - 1024; cr2 = cr[k] + cr[k + 1] - 1024; }
                Float4 p = ColorMath.DecodePixel(luma[x], cb2, cr2, key[x], c);
                if (integer) p = new Float4(ColorMath.Rint(ColorMath.Clamp(p.R, 0, c.Max)), ColorMath.Rint(ColorMath.Clamp(p.G, 0, c.Max)),
                    ColorMath.Rint(ColorMath.Clamp(p.B, 0, c.Max)), ColorMath.Rint(ColorMath.Clamp(p.A, 0, c.Max)));
                HostPixels.StoreUnits(outRow, dst.Format, x, p);
            }
        }
    }

    public void Encode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        int w = src.Width, pairs = (w + 1) / 2;
        var c = EncodeCoefficients.Create(spec, src.Format);
        int[] luma = new int[w], cbq = new int[pairs], crq = new int[pairs], key = new int[w];
        float[] cbf = new float[w], crf = new float[w];
        for (int y = 0; y < src.Height; y++)
        {
            byte* inRow = HostPixels.Row(src, y);
            for (int x = 0; x < w; x++)
            {
                Float4 p = HostPixels.LoadUnits(inRow, src.Format, x);
                luma[x] = ColorMath.QuantizeRange(ColorMath.EncodeY(p.R, p.G, p.B, c), c.YLo, c.YHi);
                cbf[x] = ColorMath.EncodeCb(p.R, p.G, p.B, c);
                crf[x] = ColorMath.EncodeCr(p.R, p.G, p.B, c);
                key[x] = ColorMath.QuantizeRange(p.A * c.KA + c.KO, c.KLo, c.KHi);
            }
            for (int k = 0; k < pairs; k++)
            {
                int x = 2 * k;
                float b = cbf[x], r = crf[x];
                if (c.Linear != 0)
                {
                    int l = Math.Max(x - 1, 0), rr = Math.Min(x + 1, w - 1);
                    b = ColorMath.Filter121(cbf[l], cbf[x], cbf[rr]);
                    r = ColorMath.Filter121(crf[l], crf[x], crf[rr]);
                }
                cbq[k] = ColorMath.QuantizeRange(b, c.CLo, c.CHi);
                crq[k] = ColorMath.QuantizeRange(r, c.CLo, c.CHi);
            }
            WriteYuvRow(dst, y, luma, cbq, crq, key);
        }
    }

    static void WriteYuvRow(in HostFrame f, int y, int[] luma, int[] cb, int[] cr, int[] key)
    {
        int w = f.Width, pairs = (w + 1) / 2;
        byte* row = HostPixels.Row(f, y);
        if (f.Format == PixelFormat.Yuv422p10)
        {
            ushort* py = (ushort*)row;
            ushort* pb = (ushort*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            ushort* pr = (ushort*)((byte*)f.Address + f.Layout.Plane2Offset + (long)y * f.Layout.Plane1Pitch);
            for (int x = 0; x < w; x++) py[x] = (ushort)luma[x];
            for (int k = 0; k < pairs; k++) { pb[k] = (ushort)cb[k]; pr[k] = (ushort)cr[k]; }
            return;
        }
        // Every word of the line is written; samples of pixels past the width and the block padding are 0.
        int words = f.Layout.Pitch / 4, groups = (w + 5) / 6;
        uint* wp = (uint*)row;
        for (int i = 0; i < words; i++) wp[i] = 0;
        for (int g = 0; g < groups; g++)
        {
            for (int s = 0; s < 12; s++)
            {
                int v = 0;
                int pos = s % 4; // 0 Cb, 1 Y, 2 Cr, 3 Y
                int pairIndex = 3 * g + s / 4;
                if (pos == 0) { if (pairIndex < pairs) v = cb[pairIndex]; }
                else if (pos == 2) { if (pairIndex < pairs) v = cr[pairIndex]; }
                else { int x = 6 * g + s / 2; if (x < w) v = luma[x]; }
                int si = 12 * g + s;
                wp[si / 3] |= (uint)v << ((si % 3) * 10);
            }
        }
        if (f.Format == PixelFormat.V210a)
        {
            uint* kp = (uint*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            int keyWords = (w + 2) / 3;
            for (int i = 0; i < keyWords; i++)
            {
                uint word = 0;
                for (int j = 0; j < 3; j++) { int x = 3 * i + j; if (x < w) word |= (uint)key[x] << (10 * j); }
                kp[i] = word;
            }
        }
    }

    public void Scale(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI roi)
    {
        var ax = ScaleAxis.Create(filter, roi.X, roi.Width, dst.Width);
        var ay = ScaleAxis.Create(filter, roi.Y, roi.Height, dst.Height);
        for (int y = 0; y < dst.Height; y++)
        {
            byte* outRow = HostPixels.Row(dst, y);
            for (int x = 0; x < dst.Width; x++)
                HostPixels.Store(outRow, dst.Format, x, Sample(src, ax, ay, x, y));
        }
    }

    /// <summary>Separable filter at destination (x, y): horizontal sum per source row, then the vertical sum of those.</summary>
    static Float4 Sample(in HostFrame src, ScaleAxis ax, ScaleAxis ay, int x, int y)
    {
        Float4 acc = default;
        for (int ty = 0; ty < ay.Taps; ty++)
        {
            float wy = ay.Weight[y * ay.Taps + ty];
            byte* row = HostPixels.Row(src, ay.Index[y * ay.Taps + ty]);
            Float4 h = default;
            for (int tx = 0; tx < ax.Taps; tx++)
            {
                float wx = ax.Weight[x * ax.Taps + tx];
                Float4 p = HostPixels.Load(row, src.Format, ax.Index[x * ax.Taps + tx]);
                h.R = h.R + wx * p.R; h.G = h.G + wx * p.G; h.B = h.B + wx * p.B; h.A = h.A + wx * p.A;
            }
            acc.R = acc.R + wy * h.R; acc.G = acc.G + wy * h.G; acc.B = acc.B + wy * h.B; acc.A = acc.A + wy * h.A;
        }
        return acc;
    }

    public void Composite<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame dst, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        // Each layer is first brought to its destination size (RGBA float, normalised) unless it already has it.
        var scaled = new (HostFrame Frame, float[]? Buffer)[layers.Length];
        var pins = new System.Runtime.InteropServices.GCHandle[layers.Length];
        try
        {
            for (int i = 0; i < layers.Length; i++)
            {
                var l = layers[i];
                var crop = l.Crop ?? new RectI(0, 0, l.Source.Width, l.Source.Height);
                if (crop.Width == l.Destination.Width && crop.Height == l.Destination.Height)
                {
                    scaled[i] = (l.Crop is null ? l.Source : l.Source.Crop(crop), null);
                    continue;
                }
                var buf = new float[l.Destination.Width * l.Destination.Height * 4];
                pins[i] = System.Runtime.InteropServices.GCHandle.Alloc(buf, System.Runtime.InteropServices.GCHandleType.Pinned);
                var f = new HostFrame(pins[i].AddrOfPinnedObject(), buf.LongLength * 4, FrameLayout.RgbaFloat(l.Destination.Width, l.Destination.Height));
                Scale(l.Source, f, l.Filter, crop);
                scaled[i] = (f, buf);
            }
            for (int y = 0; y < dst.Height; y++)
            {
                byte* bgRow = HostPixels.Row(background, y);
                byte* outRow = HostPixels.Row(dst, y);
                for (int x = 0; x < dst.Width; x++)
                {
                    Float4 c = HostPixels.Load(bgRow, background.Format, x);
                    if (alpha == AlphaMode.Straight) c = Premultiply(c);
                    for (int i = 0; i < layers.Length; i++)
                    {
                        var d = layers[i].Destination;
                        int lx = x - d.X, ly = y - d.Y;
                        if (lx < 0 || ly < 0 || lx >= d.Width || ly >= d.Height) continue;
                        var lf = scaled[i].Frame;
                        Float4 s = HostPixels.Load(HostPixels.Row(lf, ly), lf.Format, lx);
                        if (layers[i].Alpha == AlphaMode.Straight) s = Premultiply(s);
                        float o = layers[i].Opacity;
                        s = new Float4(s.R * o, s.G * o, s.B * o, s.A * o);
                        c = blend.Blend(c, s);
                    }
                    if (alpha == AlphaMode.Straight) c = Unpremultiply(c);
                    HostPixels.Store(outRow, dst.Format, x, c);
                }
            }
        }
        finally
        {
            foreach (var p in pins) if (p.IsAllocated) p.Free();
        }
    }

    internal static Float4 Premultiply(Float4 c) => new(c.R * c.A, c.G * c.A, c.B * c.A, c.A);

    internal static Float4 Unpremultiply(Float4 c) => c.A > 0f ? new Float4(c.R / c.A, c.G / c.A, c.B / c.A, c.A) : new Float4(0f, 0f, 0f, c.A);

    public void Apply<TFunc>(in HostFrame src, in HostFrame dst, TFunc func) where TFunc : struct, IPixelFunction
    {
        for (int y = 0; y < src.Height; y++)
        {
            byte* inRow = HostPixels.Row(src, y), outRow = HostPixels.Row(dst, y);
            for (int x = 0; x < src.Width; x++) HostPixels.Store(outRow, dst.Format, x, func.Apply(HostPixels.Load(inRow, src.Format, x), x, y));
        }
    }
}
