using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>SIMD scaling, compositing and author functions.</summary>
internal sealed unsafe partial class SimdKernels : IDisposable
{
    static readonly bool Vector = Avx2.IsSupported;

    // ------------------------------------------------------------------ axis cache

    readonly List<SimdAxis> _axes = new();

    SimdAxis Axis(ScaleFilter filter, int offset, int length, int dst, bool horizontal)
    {
        foreach (var a in _axes)
            if (a.Axis.Matches(filter, offset, length, dst) && (a.PairWeights.Length > 0) == horizontal) return a;
        if (_axes.Count >= 16) _axes.RemoveAt(0);
        var n = new SimdAxis(ScaleAxis.Create(filter, offset, length, dst), horizontal);
        _axes.Add(n);
        return n;
    }

    // ------------------------------------------------------------------ scaling

    sealed class ScaleJob : RowJob
    {
        public HostFrame Src, Dst;
        public SimdAxis X = null!, Y = null!;

        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            var ax = X.Axis; var ay = Y.Axis;
            int hStride = X.Pairs * 8 + 8;
            int slots = ay.Taps + 1;
            s.EnsureHRows(slots, hStride, this);
            float[] srcRow = s.EnsureRow(ax.SourceLength * 4 + 16);
            if (s.Out.Length < hStride) s.Out = new float[hStride];
            int taps = ay.Taps;
            int* slotOf = stackalloc int[taps];
            float** rows = stackalloc float*[taps];
            fixed (float* hrows = s.HRows, sr = srcRow, outp = s.Out, wy = ay.Weight)
            fixed (int* iy = ay.Index)
            {
                for (int y = y0; y < y1; y++)
                {
                    for (int t = 0; t < taps; t++)
                    {
                        int sy = iy[y * taps + t];
                        int slot = sy % slots;
                        if (s.HRowIndex[slot] != sy)
                        {
                            Horizontal(sy, sr, hrows + slot * hStride);
                            s.HRowIndex[slot] = sy;
                        }
                        slotOf[t] = slot;
                    }
                    int n = X.Pairs * 8;
                    int i = 0;
                    if (Vector)
                    {
                        for (int t = 0; t < taps; t++) rows[t] = hrows + slotOf[t] * hStride;
                        float* wrow = wy + y * taps;
                        if (taps == 2)
                        {
                            var w0 = Vector256.Create(wrow[0]); var w1 = Vector256.Create(wrow[1]);
                            float* r0 = rows[0], r1 = rows[1];
                            for (; i + 8 <= n; i += 8)
                                Avx.Store(outp + i, Avx.Add(Avx.Add(Vector256<float>.Zero, Avx.Multiply(w0, Avx.LoadVector256(r0 + i))), Avx.Multiply(w1, Avx.LoadVector256(r1 + i))));
                        }
                        for (; i + 8 <= n; i += 8)
                        {
                            var acc = Vector256<float>.Zero;
                            for (int t = 0; t < taps; t++)
                                acc = Avx.Add(acc, Avx.Multiply(Vector256.Create(wrow[t]), Avx.LoadVector256(rows[t] + i)));
                            Avx.Store(outp + i, acc);
                        }
                    }
                    for (; i < n; i++)
                    {
                        float acc = 0f;
                        for (int t = 0; t < taps; t++) acc = acc + wy[y * taps + t] * hrows[slotOf[t] * hStride + i];
                        outp[i] = acc;
                    }
                    SimdRgba.FromFloat(outp, (byte*)Dst.Address + (long)y * Dst.Layout.Pitch, Dst.Format, Dst.Width);
                }
            }
        }

        void Horizontal(int sy, float* sr, float* h)
        {
            var ax = X.Axis;
            SimdRgba.ToFloat((byte*)Src.Address + (long)sy * Src.Layout.Pitch, Src.Format, ax.SourceOffset, ax.SourceLength, sr);
            int taps = ax.Taps;
            fixed (float* pw = X.PairWeights)
            fixed (int* po = X.PairOffsets)
            {
                if (Vector)
                {
                    int pairs = X.Pairs;
                    float* w = pw;
                    int* o = po;
                    if (taps == 2)
                    {
                        for (int p = 0; p < pairs; p++, w += 16, o += 4)
                        {
                            var v0 = Vector256.Create(Sse.LoadVector128(sr + o[0]), Sse.LoadVector128(sr + o[1]));
                            var v1 = Vector256.Create(Sse.LoadVector128(sr + o[2]), Sse.LoadVector128(sr + o[3]));
                            var acc = Avx.Add(Avx.Add(Vector256<float>.Zero, Avx.Multiply(Avx.LoadVector256(w), v0)), Avx.Multiply(Avx.LoadVector256(w + 8), v1));
                            Avx.Store(h + 8 * p, acc);
                        }
                        return;
                    }
                    for (int p = 0; p < pairs; p++)
                    {
                        var acc = Vector256<float>.Zero;
                        for (int t = 0; t < taps; t++, w += 8, o += 2)
                            acc = Avx.Add(acc, Avx.Multiply(Avx.LoadVector256(w), Vector256.Create(Sse.LoadVector128(sr + o[0]), Sse.LoadVector128(sr + o[1]))));
                        Avx.Store(h + 8 * p, acc);
                    }
                    return;
                }
                for (int p = 0; p < X.Pairs; p++)
                {
                    int b = p * taps;
                    for (int c = 0; c < 8; c++)
                    {
                        float acc = 0f;
                        for (int t = 0; t < taps; t++) acc = acc + pw[(b + t) * 8 + c] * sr[po[(b + t) * 2 + c / 4] + (c & 3)];
                        h[8 * p + c] = acc;
                    }
                }
            }
        }
    }

    readonly ScaleJob _scale = new();

    public void Scale(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI roi)
    {
        if (TryScaleRgba8(src, dst, filter, roi)) return;
        _scale.Src = src; _scale.Dst = dst;
        _scale.X = Axis(filter, roi.X, roi.Width, dst.Width, true);
        _scale.Y = Axis(filter, roi.Y, roi.Height, dst.Height, false);
        RowPool.Run(_scale, dst.Height, DegreeOfParallelism);
    }

    // ------------------------------------------------------------------ compositing

    struct PreparedLayer
    {
        public HostFrame Frame;
        public int X, Y, Width, Height;
        public float Opacity;
        public bool Premultiplied;
    }

    sealed class CompositeJob<TBlend> : RowJob where TBlend : struct, IBlendFunction
    {
        public HostFrame Background, Dst;
        public PreparedLayer[] Layers = Array.Empty<PreparedLayer>();
        public int LayerCount;
        public bool Straight;
        public TBlend Blend;

        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            int w = Dst.Width;
            float[] canvasArr = s.EnsureRow(w * 4 + 16);
            if (s.Out.Length < w * 4 + 16) s.Out = new float[w * 4 + 16];
            bool over = typeof(TBlend) == typeof(AlphaOverBlend);
            fixed (float* canvas = canvasArr, tmp = s.Out)
            {
                const int Segment = 256; // pixels per pass: canvas and layer rows stay in L1
                for (int y = y0; y < y1; y++)
                {
                    byte* bgRow = (byte*)Background.Address + (long)y * Background.Layout.Pitch;
                    byte* dstRow = (byte*)Dst.Address + (long)y * Dst.Layout.Pitch;
                    int dstBpp = PixelFormats.RgbaBytesPerPixel(Dst.Format);
                    for (int xs = 0; xs < w; xs += Segment)
                    {
                        int xe = Math.Min(w, xs + Segment), sn = xe - xs;
                        SimdRgba.ToFloat(bgRow, Background.Format, xs, sn, canvas);
                        if (Straight) Premultiply(canvas, sn, 1f);
                        for (int li = 0; li < LayerCount; li++)
                        {
                            ref var l = ref Layers[li];
                            int ly = y - l.Y;
                            if (ly < 0 || ly >= l.Height) continue;
                            int x0 = Math.Max(xs, l.X), x1 = Math.Min(xe, l.X + l.Width);
                            if (x1 <= x0) continue;
                            int n = x1 - x0;
                            SimdRgba.ToFloat((byte*)l.Frame.Address + (long)ly * l.Frame.Layout.Pitch, l.Frame.Format, x0 - l.X, n, tmp);
                            if (!l.Premultiplied) Premultiply(tmp, n, l.Opacity); else Scale(tmp, n, l.Opacity);
                            float* d = canvas + 4 * (x0 - xs);
                            if (over) Over(d, tmp, n);
                            else
                            {
                                for (int i = 0; i < n; i++)
                                {
                                    var r = Blend.Blend(new Float4(d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]),
                                        new Float4(tmp[4 * i], tmp[4 * i + 1], tmp[4 * i + 2], tmp[4 * i + 3]));
                                    d[4 * i] = r.R; d[4 * i + 1] = r.G; d[4 * i + 2] = r.B; d[4 * i + 3] = r.A;
                                }
                            }
                        }
                        if (Straight) Unpremultiply(canvas, sn);
                        SimdRgba.FromFloat(canvas, dstRow + (long)xs * dstBpp, Dst.Format, sn);
                    }
                }
            }
        }
    }

    /// <summary>(r*a, g*a, b*a, a) then every channel times opacity (opacity 1 is exact).</summary>
    static void Premultiply(float* p, int n, float opacity)
    {
        int i = 0;
        if (Vector)
        {
            var o = Vector256.Create(opacity);
            var one = Vector256.Create(1f);
            for (; i + 2 <= n; i += 2)
            {
                var v = Avx.LoadVector256(p + 4 * i);
                var a = Avx.Permute(v, 0xFF);
                if (opacity == 1f && Avx.MoveMask(Avx.CompareEqual(a, one)) == 0xFF) continue; // x * 1 == x: nothing to do
                var pm = Avx.Blend(Avx.Multiply(v, a), v, 0b10001000);
                Avx.Store(p + 4 * i, opacity == 1f ? pm : Avx.Multiply(pm, o));
            }
        }
        for (; i < n; i++)
        {
            float* q = p + 4 * i;
            float a = q[3];
            q[0] = q[0] * a; q[1] = q[1] * a; q[2] = q[2] * a;
            if (opacity != 1f) { q[0] = q[0] * opacity; q[1] = q[1] * opacity; q[2] = q[2] * opacity; q[3] = q[3] * opacity; }
        }
    }

    static void Scale(float* p, int n, float opacity)
    {
        if (opacity == 1f) return;
        int i = 0;
        if (Vector)
        {
            var o = Vector256.Create(opacity);
            for (; i + 2 <= n; i += 2) Avx.Store(p + 4 * i, Avx.Multiply(Avx.LoadVector256(p + 4 * i), o));
        }
        for (i *= 4; i < 4 * n; i++) p[i] = p[i] * opacity;
    }

    /// <summary>d = s + d * (1 - s.a), premultiplied.</summary>
    static void Over(float* d, float* s, int n)
    {
        int i = 0;
        if (Vector)
        {
            var one = Vector256.Create(1f);
            for (; i + 2 <= n; i += 2)
            {
                var sv = Avx.LoadVector256(s + 4 * i);
                var k = Avx.Subtract(one, Avx.Permute(sv, 0xFF));
                Avx.Store(d + 4 * i, Avx.Add(sv, Avx.Multiply(Avx.LoadVector256(d + 4 * i), k)));
            }
        }
        for (; i < n; i++)
        {
            float k = 1f - s[4 * i + 3];
            for (int c = 0; c < 4; c++) d[4 * i + c] = s[4 * i + c] + d[4 * i + c] * k;
        }
    }

    static void Unpremultiply(float* p, int n)
    {
        int i = 0;
        if (Vector)
        {
            var zero = Vector256<float>.Zero;
            var one = Vector256.Create(1f);
            for (; i + 2 <= n; i += 2)
            {
                var v = Avx.LoadVector256(p + 4 * i);
                var a = Avx.Permute(v, 0xFF);
                if (Avx.MoveMask(Avx.CompareEqual(a, one)) == 0xFF) continue; // x / 1 == x: skip the division
                var q = Avx.And(Avx.Divide(v, a), Avx.CompareGreaterThan(a, zero));
                Avx.Store(p + 4 * i, Avx.Blend(q, v, 0b10001000));
            }
        }
        for (; i < n; i++)
        {
            float* q = p + 4 * i;
            float a = q[3];
            if (a > 0f) { q[0] = q[0] / a; q[1] = q[1] / a; q[2] = q[2] / a; }
            else { q[0] = 0f; q[1] = 0f; q[2] = 0f; }
        }
    }

    readonly Dictionary<Type, RowJob> _compositeJobs = new();
    PreparedLayer[] _prepared = new PreparedLayer[4];
    readonly List<(nint Ptr, long Bytes)> _layerBuffers = new();

    HostFrame LayerBuffer(int i, FrameLayout layout)
    {
        while (_layerBuffers.Count <= i) _layerBuffers.Add((0, 0));
        var (ptr, bytes) = _layerBuffers[i];
        if (bytes < layout.TotalBytes)
        {
            if (ptr != 0) NativeMemory.AlignedFree((void*)ptr);
            ptr = (nint)NativeMemory.AlignedAlloc((nuint)layout.TotalBytes, 64);
            bytes = layout.TotalBytes;
            _layerBuffers[i] = (ptr, bytes);
        }
        return new HostFrame(ptr, bytes, layout);
    }

    public void Composite<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame dst, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        if (TryCompositeRgba8<TBlend>(background, layers, dst, alpha)) return;
        if (_prepared.Length < layers.Length) _prepared = new PreparedLayer[layers.Length * 2];
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            var crop = l.Crop ?? new RectI(0, 0, l.Source.Width, l.Source.Height);
            HostFrame frame;
            if (crop.Width == l.Destination.Width && crop.Height == l.Destination.Height)
                frame = l.Crop is null ? l.Source : l.Source.Crop(crop);
            else
            {
                frame = LayerBuffer(i, FrameLayout.RgbaFloat(l.Destination.Width, l.Destination.Height));
                Scale(l.Source, frame, l.Filter, crop);
            }
            _prepared[i] = new PreparedLayer
            {
                Frame = frame, X = l.Destination.X, Y = l.Destination.Y, Width = l.Destination.Width, Height = l.Destination.Height,
                Opacity = l.Opacity, Premultiplied = l.Alpha == AlphaMode.Premultiplied,
            };
        }
        if (!_compositeJobs.TryGetValue(typeof(TBlend), out var j)) { j = new CompositeJob<TBlend>(); _compositeJobs[typeof(TBlend)] = j; }
        var job = (CompositeJob<TBlend>)j;
        job.Background = background; job.Dst = dst; job.Layers = _prepared; job.LayerCount = layers.Length;
        job.Straight = alpha == AlphaMode.Straight; job.Blend = blend;
        RowPool.Run(job, dst.Height, DegreeOfParallelism);
    }

    // ------------------------------------------------------------------ author per-pixel functions

    sealed class ApplyJob<TFunc> : RowJob where TFunc : struct, IPixelFunction
    {
        public HostFrame Src, Dst;
        public TFunc Func;

        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            int w = Src.Width;
            float[] row = s.EnsureRow(w * 4 + 16);
            fixed (float* p = row)
            {
                for (int y = y0; y < y1; y++)
                {
                    SimdRgba.ToFloat((byte*)Src.Address + (long)y * Src.Layout.Pitch, Src.Format, 0, w, p);
                    for (int x = 0; x < w; x++)
                    {
                        float* q = p + 4 * x;
                        var r = Func.Apply(new Float4(q[0], q[1], q[2], q[3]), x, y);
                        q[0] = r.R; q[1] = r.G; q[2] = r.B; q[3] = r.A;
                    }
                    SimdRgba.FromFloat(p, (byte*)Dst.Address + (long)y * Dst.Layout.Pitch, Dst.Format, w);
                }
            }
        }
    }

    readonly Dictionary<Type, RowJob> _applyJobs = new();

    public void Apply<TFunc>(in HostFrame src, in HostFrame dst, TFunc func) where TFunc : struct, IPixelFunction
    {
        if (!_applyJobs.TryGetValue(typeof(TFunc), out var j)) { j = new ApplyJob<TFunc>(); _applyJobs[typeof(TFunc)] = j; }
        var job = (ApplyJob<TFunc>)j;
        job.Src = src; job.Dst = dst; job.Func = func;
        RowPool.Run(job, src.Height, DegreeOfParallelism);
    }

    public void Dispose()
    {
        foreach (var (ptr, _) in _layerBuffers) if (ptr != 0) NativeMemory.AlignedFree((void*)ptr);
        _layerBuffers.Clear();
    }
}
