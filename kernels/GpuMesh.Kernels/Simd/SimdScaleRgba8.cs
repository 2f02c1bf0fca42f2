using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// Fixed-point taps of one axis for the integer RGBA8 scaler: per destination pixel a contiguous window of
/// <see cref="Taps"/> (even) source pixels starting at Start[d] (relative to the source window), with 14-bit weights
/// summing to exactly 1 &lt;&lt; 14. Edge-clamped taps of <see cref="ScaleAxis"/> are merged into the edge pixel; taps past
/// the end of the window carry weight 0.
/// </summary>
internal sealed class FixedAxis
{
    public const int WeightBits = 14;
    /// <summary>Widest kernel the integer path takes (rounding error stays well under one code value).</summary>
    public const int MaxTaps = 32;

    public readonly ScaleAxis Axis;
    public readonly int Taps;
    public readonly int[] Start;
    public readonly short[] Weight;

    FixedAxis(ScaleAxis axis, int taps, int[] start, short[] weight) { Axis = axis; Taps = taps; Start = start; Weight = weight; }

    /// <summary>null when the kernel is too wide or a weight does not fit 16 bits.</summary>
    public static FixedAxis? Create(ScaleAxis axis)
    {
        int n = axis.DestinationLength, taps = axis.Taps;
        int even = Math.Max(2, (taps + 1) & ~1);
        if (even > MaxTaps) return null;
        var start = new int[n];
        var weight = new short[n * even];
        var w = new double[even];
        for (int d = 0; d < n; d++)
        {
            Array.Clear(w);
            int lo = axis.Index[d * taps] - axis.SourceOffset;
            for (int t = 0; t < taps; t++) w[axis.Index[d * taps + t] - axis.SourceOffset - lo] += axis.Weight[d * taps + t];
            int sum = 0, big = 0;
            for (int t = 0; t < even; t++)
            {
                long q = (long)Math.Round(w[t] * (1 << WeightBits));
                if (q < short.MinValue || q > short.MaxValue) return null;
                weight[d * even + t] = (short)q;
                sum += (int)q;
                if (Math.Abs(q) > Math.Abs(weight[d * even + big])) big = t;
            }
            int fixedBig = weight[d * even + big] + ((1 << WeightBits) - sum);
            if (fixedBig < short.MinValue || fixedBig > short.MaxValue) return null;
            weight[d * even + big] = (short)fixedBig;
            start[d] = lo;
        }
        return new FixedAxis(axis, even, start, weight);
    }
}

/// <summary>
/// Horizontal taps of a <see cref="FixedAxis"/> laid out for the AVX2 pass: two taps as two destination pixels per 256-bit
/// register (pair layout); from 4 taps on, four taps of one pixel per register (quad layout).
/// </summary>
internal sealed class FixedHorizontal
{
    public readonly FixedAxis Fixed;
    /// <summary>Destination pixel pairs, padded to a multiple of 4 (8 pixels per store).</summary>
    public readonly int Pairs;
    /// <summary>Two taps: per pair, the two window starts as byte offsets into the intermediate row (8 bytes per pixel).</summary>
    public readonly long[] PairStart = Array.Empty<long>();
    /// <summary>Two taps: per pair, 16 shorts, (w0, w1) x 4 channels for the first pixel, then for the second.</summary>
    public readonly short[] PairWeight = Array.Empty<short>();
    /// <summary>Taps rounded up to a multiple of 4.</summary>
    public readonly int Quad;
    /// <summary>From 4 taps: per destination pixel (padded to 8), window start as a byte offset into the intermediate row.</summary>
    public readonly long[] QuadStart = Array.Empty<long>();
    /// <summary>From 4 taps: per pixel and 4 taps, 16 shorts, (w[4k], w[4k+1]) x 4 channels, then (w[4k+2], w[4k+3]) x 4.</summary>
    public readonly short[] QuadWeight = Array.Empty<short>();

    public FixedHorizontal(FixedAxis f)
    {
        Fixed = f;
        int n = f.Axis.DestinationLength, taps = f.Taps, k2 = taps / 2;
        Pairs = ((n + 1) / 2 + 3) & ~3;
        Quad = (taps + 3) & ~3;
        if (taps >= 4)
        {
            int q4 = Quad / 4;
            QuadStart = new long[2 * Pairs];
            QuadWeight = new short[2 * Pairs * q4 * 16];
            for (int d = 0; d < n; d++) // padding pixels: start 0, weights 0
            {
                QuadStart[d] = 8L * f.Start[d];
                for (int t = 0; t < taps; t++)
                    for (int c = 0; c < 4; c++)
                        QuadWeight[(d * q4 + t / 4) * 16 + (t & 2) * 4 + 2 * c + (t & 1)] = f.Weight[d * taps + t];
            }
            return;
        }
        PairStart = new long[Pairs * 2];
        PairWeight = new short[Pairs * 16];
        for (int d = 0; d < n; d++)
        {
            PairStart[d] = 8L * f.Start[d];
            for (int c = 0; c < 4; c++)
            {
                PairWeight[d * 8 + 2 * c] = f.Weight[d * taps];
                PairWeight[d * 8 + 2 * c + 1] = f.Weight[d * taps + 1];
            }
        }
    }
}

/// <summary>
/// Integer RGBA8 -> RGBA8 scaling (AVX2), two destination rows at a time: vertical pass first (8-bit rows x 14-bit weights,
/// vpmaddwd over row pairs, 64 channel values per step) into int16 rows holding value * 64, then the horizontal pass of
/// both rows sharing the weight loads (vpmaddwd over tap pairs), prefetching the source rows the next pair needs.
/// Within one code value of the float reference (see README).
/// </summary>
internal sealed unsafe partial class SimdKernels
{
    const int InterShift = 8;           // 8-bit x Q14 -> value * 64
    const int OutShift = 2 * FixedAxis.WeightBits - InterShift; // (value * 64) x Q14 -> value

    readonly List<FixedHorizontal> _fixedX = new();
    readonly List<FixedAxis> _fixedY = new();

    FixedHorizontal? FixedX(ScaleFilter filter, int offset, int length, int dst)
    {
        foreach (var a in _fixedX) if (a.Fixed.Axis.Matches(filter, offset, length, dst)) return a;
        var f = FixedAxis.Create(ScaleAxis.Create(filter, offset, length, dst));
        if (f is null) return null;
        if (_fixedX.Count >= 16) _fixedX.RemoveAt(0);
        var h = new FixedHorizontal(f);
        _fixedX.Add(h);
        return h;
    }

    FixedAxis? FixedY(ScaleFilter filter, int offset, int length, int dst)
    {
        foreach (var a in _fixedY) if (a.Axis.Matches(filter, offset, length, dst)) return a;
        var f = FixedAxis.Create(ScaleAxis.Create(filter, offset, length, dst));
        if (f is null) return null;
        if (_fixedY.Count >= 16) _fixedY.RemoveAt(0);
        _fixedY.Add(f);
        return f;
    }

    sealed class Rgba8ScaleJob : RowJob
    {
        public HostFrame Src, Dst;
        public RectI Roi;
        public FixedHorizontal X = null!;
        public FixedAxis Y = null!;

        public override void Run(int y0, int y1)
        {
            int srcW = Roi.Width, taps = X.Fixed.Taps;
            // two int16 rows: srcW pixels, then zeroed padding the widest window may reach (weights there are 0).
            int interShorts = (4 * (srcW + X.Quad + 8) + 15) & ~15;
            var scratch = ScaleScratch.Inter;
            if (scratch is null || scratch.Length < 2 * interShorts) ScaleScratch.Inter = scratch = new short[2 * interShorts + 64];
            int ky = Y.Taps / 2;
            byte** rows = stackalloc byte*[Y.Taps];
            int* wy = stackalloc int[ky];
            byte* outTail = stackalloc byte[64];
            byte** ahead = stackalloc byte*[MaxAhead];
            fixed (short* inter0 = scratch, wx = X.PairWeight, wyAll = Y.Weight, wq = X.QuadWeight)
            fixed (long* startX = X.PairStart, startQ = X.QuadStart)
            fixed (int* startY = Y.Start)
            {
                short* inter1 = inter0 + interShorts;
                new Span<short>(inter0 + 4 * srcW, interShorts - 4 * srcW).Clear();
                new Span<short>(inter1 + 4 * srcW, interShorts - 4 * srcW).Clear();
                byte* srcBase = (byte*)Src.Address + (long)Roi.Y * Src.Layout.Pitch + 4L * Roi.X;
                for (int y = y0; y < y1; y += 2)
                {
                    bool two = y + 1 < y1;
                    VerticalRow(y, srcBase, startY, wyAll, rows, wy, ky, inter0, srcW);
                    if (two) VerticalRow(y + 1, srcBase, startY, wyAll, rows, wy, ky, inter1, srcW);
                    byte* dst0 = (byte*)Dst.Address + (long)y * Dst.Layout.Pitch, dst1 = two ? dst0 + Dst.Layout.Pitch : dst0;
                    var pf = new Prefetch(ahead, NewRows(y + 2, y1, startY, srcBase, ahead), 4 * srcW);
                    if (taps >= 4) HorizontalQuad(inter0, two ? inter1 : inter0, startQ, wq, X.Quad / 4, dst0, dst1, Dst.Width, outTail, pf);
                    else Horizontal(inter0, two ? inter1 : inter0, startX, wx, dst0, dst1, Dst.Width, outTail, pf);
                }
            }
        }

        const int MaxAhead = 4;

        /// <summary>Source rows the next row pair reads first (beyond the current windows), at most <see cref="MaxAhead"/>.</summary>
        int NewRows(int next, int end, int* startY, byte* srcBase, byte** ahead)
        {
            if (next >= end) return 0;
            int from = startY[next - 1] + Y.Taps, to = Math.Min(startY[Math.Min(next + 1, end - 1)] + Y.Taps - 1, Roi.Height - 1);
            int n = 0;
            for (int r = Math.Max(from, to - MaxAhead + 1); r <= to; r++) ahead[n++] = srcBase + (long)r * Src.Layout.Pitch;
            return n;
        }

        /// <summary>Prefetches source rows during the horizontal pass (the vertical pass of the next pair reads them).</summary>
        readonly struct Prefetch
        {
            readonly byte** _rows;
            readonly int _count, _bytes;
            public Prefetch(byte** rows, int count, int bytes) { _rows = rows; _count = count; _bytes = bytes; }

            /// <summary>Step i of the pass: the next two cache lines of each row.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Step(int i)
            {
                int o = 128 * i;
                if (o >= _bytes) return;
                for (int r = 0; r < _count; r++)
                {
                    Sse.Prefetch0(_rows[r] + o);
                    Sse.Prefetch0(_rows[r] + o + 64);
                }
            }
        }

        void VerticalRow(int y, byte* srcBase, int* startY, short* wyAll, byte** rows, int* wy, int ky, short* inter, int srcW)
        {
            int first = startY[y];
            for (int t = 0; t < Y.Taps; t++) rows[t] = srcBase + (long)Math.Min(first + t, Roi.Height - 1) * Src.Layout.Pitch;
            short* w = wyAll + y * Y.Taps;
            for (int k = 0; k < ky; k++) wy[k] = (ushort)w[2 * k] | (w[2 * k + 1] << 16);
            Vertical(rows, wy, ky, inter, 4 * srcW);
        }

        // The intermediate keeps value * 64 (truncated: at most 1/64 code low) plus RoundBias: since every weight row sums to
        // 1 << 14, the bias becomes the +0.5 rounding of the horizontal pass's final shift.
        const short RoundBias = 1 << (OutShift - 1 - FixedAxis.WeightBits);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<short> Narrow(Vector256<int> lo, Vector256<int> hi, Vector256<short> bias) =>
            Avx2.AddSaturate(Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(lo, InterShift), Avx2.ShiftRightArithmetic(hi, InterShift)), bias);

        static void Vertical(byte** rows, int* wy, int ky, short* inter, int count)
        {
            int i = 0;
            var bias = Vector256.Create(RoundBias);
            short w0 = (short)wy[0], w1 = (short)(wy[0] >> 16);
            if (ky == 1 && w0 >= 0 && w1 >= 0 && w0 <= 127 << 7 && w1 <= 127 << 7 && ((w0 | w1) & 127) == 0)
            {
                // both weights are whole multiples of 1/128 below 1 (1.5x, 2x, 4x ... ratios): 8-bit x 8-bit vpmaddubsw,
                // the same values as the vpmaddwd loop below: (v * 128 + 64) >> 1 = ((v * 2^14) >> 8) + RoundBias
                byte* r0 = rows[0], r1 = rows[1];
                var w8 = Vector256.Create((short)((w0 >> 7) | ((w1 >> 7) << 8))).AsSByte();
                var half = Vector256.Create((short)(2 * RoundBias));
                for (; i + 32 <= count; i += 32)
                {
                    var a = Avx.LoadVector256(r0 + i);
                    var b = Avx.LoadVector256(r1 + i);
                    var lo = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w8), half), 1);  // px 0 1 | 4 5
                    var hi = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w8), half), 1); // px 2 3 | 6 7
                    Avx.Store(inter + i, Avx2.Permute2x128(lo, hi, 0x20));
                    Avx.Store(inter + i + 16, Avx2.Permute2x128(lo, hi, 0x31));
                }
            }
            if (ky == 1)
            {
                byte* r0 = rows[0], r1 = rows[1];
                var w = Vector256.Create(wy[0]).AsInt16();
                for (; i + 16 <= count; i += 16)
                {
                    var a = Avx2.ConvertToVector256Int16(r0 + i);
                    var b = Avx2.ConvertToVector256Int16(r1 + i);
                    Avx.Store(inter + i, Narrow(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w), Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w), bias));
                }
            }
            else
            {
                // 64 channel values per step: eight accumulators, each row pair's weights broadcast once
                for (; i + 64 <= count; i += 64)
                {
                    byte* r0 = rows[0] + i, r1 = rows[1] + i;
                    var w = Vector256.Create(wy[0]).AsInt16();
                    var a = Avx2.ConvertToVector256Int16(r0);
                    var b = Avx2.ConvertToVector256Int16(r1);
                    var lo0 = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w);
                    var hi0 = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w);
                    a = Avx2.ConvertToVector256Int16(r0 + 16);
                    b = Avx2.ConvertToVector256Int16(r1 + 16);
                    var lo1 = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w);
                    var hi1 = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w);
                    a = Avx2.ConvertToVector256Int16(r0 + 32);
                    b = Avx2.ConvertToVector256Int16(r1 + 32);
                    var lo2 = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w);
                    var hi2 = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w);
                    a = Avx2.ConvertToVector256Int16(r0 + 48);
                    b = Avx2.ConvertToVector256Int16(r1 + 48);
                    var lo3 = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w);
                    var hi3 = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w);
                    for (int k = 1; k < ky; k++)
                    {
                        r0 = rows[2 * k] + i; r1 = rows[2 * k + 1] + i;
                        w = Vector256.Create(wy[k]).AsInt16();
                        a = Avx2.ConvertToVector256Int16(r0);
                        b = Avx2.ConvertToVector256Int16(r1);
                        lo0 = Avx2.Add(lo0, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w));
                        hi0 = Avx2.Add(hi0, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w));
                        a = Avx2.ConvertToVector256Int16(r0 + 16);
                        b = Avx2.ConvertToVector256Int16(r1 + 16);
                        lo1 = Avx2.Add(lo1, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w));
                        hi1 = Avx2.Add(hi1, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w));
                        a = Avx2.ConvertToVector256Int16(r0 + 32);
                        b = Avx2.ConvertToVector256Int16(r1 + 32);
                        lo2 = Avx2.Add(lo2, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w));
                        hi2 = Avx2.Add(hi2, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w));
                        a = Avx2.ConvertToVector256Int16(r0 + 48);
                        b = Avx2.ConvertToVector256Int16(r1 + 48);
                        lo3 = Avx2.Add(lo3, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w));
                        hi3 = Avx2.Add(hi3, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w));
                    }
                    Avx.Store(inter + i, Narrow(lo0, hi0, bias));
                    Avx.Store(inter + i + 16, Narrow(lo1, hi1, bias));
                    Avx.Store(inter + i + 32, Narrow(lo2, hi2, bias));
                    Avx.Store(inter + i + 48, Narrow(lo3, hi3, bias));
                }
                for (; i + 16 <= count; i += 16)
                {
                    var a = Avx2.ConvertToVector256Int16(rows[0] + i);
                    var b = Avx2.ConvertToVector256Int16(rows[1] + i);
                    var w = Vector256.Create(wy[0]).AsInt16();
                    var lo = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w);
                    var hi = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w);
                    for (int k = 1; k < ky; k++)
                    {
                        a = Avx2.ConvertToVector256Int16(rows[2 * k] + i);
                        b = Avx2.ConvertToVector256Int16(rows[2 * k + 1] + i);
                        w = Vector256.Create(wy[k]).AsInt16();
                        lo = Avx2.Add(lo, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w));
                        hi = Avx2.Add(hi, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w));
                    }
                    Avx.Store(inter + i, Narrow(lo, hi, bias));
                }
            }
            for (; i < count; i++) // last (count % 16) channel values: same integer maths
            {
                int acc = 0;
                for (int k = 0; k < ky; k++) acc += (short)wy[k] * rows[2 * k][i] + (wy[k] >> 16) * rows[2 * k + 1][i];
                inter[i] = (short)Math.Clamp(Math.Clamp(acc >> InterShift, short.MinValue, short.MaxValue) + RoundBias, short.MinValue, short.MaxValue);
            }
        }

        /// <summary>Two-tap horizontal pass of two rows at once; inter1 == inter0 and dst1 == dst0 for a single row.</summary>
        static void Horizontal(short* inter0, short* inter1, long* start, short* wx, byte* dst0, byte* dst1, int width, byte* tail, Prefetch pf)
        {
            var shuffle = Vector256.Create((byte)0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
            long delta = (byte*)inter1 - (byte*)inter0;
            for (int x = 0; x < width; x += 8, start += 8, wx += 64)
            {
                pf.Step(x >> 3);
                Two(inter0, delta, start, wx, shuffle, out var a0, out var b0);
                Two(inter0, delta, start + 2, wx + 16, shuffle, out var a1, out var b1);
                Two(inter0, delta, start + 4, wx + 32, shuffle, out var a2, out var b2);
                Two(inter0, delta, start + 6, wx + 48, shuffle, out var a3, out var b3);
                var v0 = Narrow8(a0, a1, a2, a3);
                var v1 = Narrow8(b0, b1, b2, b3);
                if (x + 8 <= width)
                {
                    Avx.Store((int*)(dst1 + 4 * x), v1);
                    Avx.Store((int*)(dst0 + 4 * x), v0);
                }
                else
                {
                    Avx.Store((int*)tail, v1);
                    Buffer.MemoryCopy(tail, dst1 + 4 * x, 4 * (width - x), 4 * (width - x));
                    Avx.Store((int*)tail, v0);
                    Buffer.MemoryCopy(tail, dst0 + 4 * x, 4 * (width - x), 4 * (width - x));
                }
            }
        }

        /// <summary>Horizontal pass from 4 taps on: per pixel, 4 taps per 32-byte load (no lane insert), two rows sharing the weights.</summary>
        static void HorizontalQuad(short* inter0, short* inter1, long* start, short* wq, int q4, byte* dst0, byte* dst1, int width, byte* tail, Prefetch pf)
        {
            var shuffle = Vector256.Create((byte)0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
            int stride = q4 * 16;
            long delta = (byte*)inter1 - (byte*)inter0;
            for (int x = 0; x < width; x += 8, start += 8, wq += 8 * stride)
            {
                pf.Step(x >> 3);
                Vector256<int> a0, a1, a2, a3, b0, b1, b2, b3;
                TwoQuad(inter0, delta, start, wq, q4, stride, shuffle, out a0, out b0);
                TwoQuad(inter0, delta, start + 2, wq + 2 * stride, q4, stride, shuffle, out a1, out b1);
                TwoQuad(inter0, delta, start + 4, wq + 4 * stride, q4, stride, shuffle, out a2, out b2);
                TwoQuad(inter0, delta, start + 6, wq + 6 * stride, q4, stride, shuffle, out a3, out b3);
                var v0 = Narrow8(a0, a1, a2, a3);
                var v1 = Narrow8(b0, b1, b2, b3);
                if (x + 8 <= width)
                {
                    Avx.Store((int*)(dst1 + 4 * x), v1);
                    Avx.Store((int*)(dst0 + 4 * x), v0);
                }
                else
                {
                    Avx.Store((int*)tail, v1);
                    Buffer.MemoryCopy(tail, dst1 + 4 * x, 4 * (width - x), 4 * (width - x));
                    Avx.Store((int*)tail, v0);
                    Buffer.MemoryCopy(tail, dst0 + 4 * x, 4 * (width - x), 4 * (width - x));
                }
            }
        }

        /// <summary>Two destination pixels of both rows from the quad taps: per row, int32 R, G, B, A of the first pixel, then of the second.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void TwoQuad(short* inter, long delta, long* start, short* w, int q4, int stride, Vector256<byte> shuffle, out Vector256<int> r0, out Vector256<int> r1)
        {
            byte* s0 = (byte*)inter + start[0], s1 = (byte*)inter + start[1];
            short* w1 = w + stride;
            var wa = Avx.LoadVector256(w);
            var wb = Avx.LoadVector256(w1);
            var a0 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s0), shuffle).AsInt16(), wa);
            var b0 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s1), shuffle).AsInt16(), wb);
            var a1 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s0 + delta), shuffle).AsInt16(), wa);
            var b1 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s1 + delta), shuffle).AsInt16(), wb);
            for (int k = 1; k < q4; k++)
            {
                s0 += 32; s1 += 32;
                wa = Avx.LoadVector256(w + 16 * k);
                wb = Avx.LoadVector256(w1 + 16 * k);
                a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s0), shuffle).AsInt16(), wa));
                b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s1), shuffle).AsInt16(), wb));
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s0 + delta), shuffle).AsInt16(), wa));
                b1 = Avx2.Add(b1, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Avx.LoadVector256(s1 + delta), shuffle).AsInt16(), wb));
            }
            r0 = Avx2.Add(Avx2.Permute2x128(a0, b0, 0x21), Avx2.Blend(a0, b0, 0xF0));
            r1 = Avx2.Add(Avx2.Permute2x128(a1, b1, 0x21), Avx2.Blend(a1, b1, 0xF0));
        }

        /// <summary>Eight RGBA8 pixels from four pixel-pair sums (still scaled by 1 &lt;&lt; OutShift).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Narrow8(Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3)
        {
            var px = Avx2.PackUnsignedSaturate(
                Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a0, OutShift), Avx2.ShiftRightArithmetic(a1, OutShift)),
                Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a2, OutShift), Avx2.ShiftRightArithmetic(a3, OutShift)));
            return Avx2.PermuteVar8x32(px.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
        }


        /// <summary>Two source pixels at s0 and at s1 as (p, p + 1) word pairs per channel.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<short> Gather2(byte* s0, byte* s1, Vector256<byte> shuffle) =>
            Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0), Sse2.LoadVector128(s1)), shuffle).AsInt16();

        /// <summary>Two destination pixels, two taps, of both rows: int32 R, G, B, A of each (still scaled by 1 &lt;&lt; OutShift).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Two(short* inter, long delta, long* start, short* w, Vector256<byte> shuffle, out Vector256<int> r0, out Vector256<int> r1)
        {
            byte* s0 = (byte*)inter + start[0], s1 = (byte*)inter + start[1];
            var wv = Avx.LoadVector256(w);
            r0 = Avx2.MultiplyAddAdjacent(Gather2(s0, s1, shuffle), wv);
            r1 = Avx2.MultiplyAddAdjacent(Gather2(s0 + delta, s1 + delta, shuffle), wv);
        }
    }

    /// <summary>Per-thread scratch of the integer scaler: two vertically filtered rows, int16 value * 64 per channel.</summary>
    static class ScaleScratch
    {
        [ThreadStatic] public static short[]? Inter;
    }

    readonly Rgba8ScaleJob _scaleRgba8 = new();

    /// <summary>Runs the integer RGBA8 scaler when it applies (AVX2, RGBA8 both sides, kernel not too wide).</summary>
    bool TryScaleRgba8(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI roi)
    {
        if (!Avx2.IsSupported || src.Format != PixelFormat.Rgba8 || dst.Format != PixelFormat.Rgba8) return false;
        var x = FixedX(filter, roi.X, roi.Width, dst.Width);
        var y = FixedY(filter, roi.Y, roi.Height, dst.Height);
        if (x is null || y is null) return false;
        if (TryScalePeriodic(src, dst, roi, x, y)) return true;
        _scaleRgba8.Src = src; _scaleRgba8.Dst = dst; _scaleRgba8.Roi = roi; _scaleRgba8.X = x; _scaleRgba8.Y = y;
        RowPool.Run(_scaleRgba8, dst.Height, DegreeOfParallelism);
        return true;
    }
}
