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

/// <summary>Horizontal taps of a <see cref="FixedAxis"/> laid out for the AVX2 pass: two destination pixels per 256-bit register.</summary>
internal sealed class FixedHorizontal
{
    public readonly FixedAxis Fixed;
    /// <summary>Destination pixel pairs, padded to a multiple of 4 (8 pixels per store).</summary>
    public readonly int Pairs;
    /// <summary>Per pair: the two window starts, as byte offsets into the intermediate row (8 bytes per pixel).</summary>
    public readonly long[] PairStart;
    /// <summary>Per pair and tap pair: 16 shorts, (w[2k], w[2k+1]) x 4 channels for the first pixel, then for the second.</summary>
    public readonly short[] PairWeight;

    public FixedHorizontal(FixedAxis f)
    {
        Fixed = f;
        int n = f.Axis.DestinationLength, taps = f.Taps, k2 = taps / 2;
        Pairs = ((n + 1) / 2 + 3) & ~3;
        PairStart = new long[Pairs * 2];
        PairWeight = new short[Pairs * k2 * 16];
        for (int p = 0; p < Pairs; p++)
        {
            for (int h = 0; h < 2; h++)
            {
                int d = 2 * p + h;
                if (d >= n) continue; // padding: start 0, weights 0
                PairStart[2 * p + h] = 8L * f.Start[d];
                for (int k = 0; k < k2; k++)
                    for (int c = 0; c < 4; c++)
                    {
                        int o = (p * k2 + k) * 16 + h * 8 + 2 * c;
                        PairWeight[o] = f.Weight[d * taps + 2 * k];
                        PairWeight[o + 1] = f.Weight[d * taps + 2 * k + 1];
                    }
            }
        }
    }
}

/// <summary>
/// Integer RGBA8 -> RGBA8 scaling (AVX2): vertical pass first (8-bit rows x 14-bit weights, vpmaddwd over row pairs) into
/// an int16 row holding value * 64, then the horizontal pass (vpmaddwd over tap pairs, two destination pixels per
/// register). Within one code value of the float reference (see README).
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
            var s = SimdScratch.Current;
            int srcW = Roi.Width, taps = X.Fixed.Taps;
            // int16 row: srcW pixels, then zeroed padding the widest window may reach (weights there are 0).
            int interShorts = 4 * (srcW + taps + 8);
            if (s.Inter.Length < interShorts) s.Inter = new short[interShorts + 64];
            int ky = Y.Taps / 2;
            byte** rows = stackalloc byte*[Y.Taps];
            int* wy = stackalloc int[ky];
            byte* outTail = stackalloc byte[32];
            fixed (short* inter = s.Inter, wx = X.PairWeight, wyAll = Y.Weight)
            fixed (long* startX = X.PairStart)
            fixed (int* startY = Y.Start)
            {
                new Span<short>(inter + 4 * srcW, interShorts - 4 * srcW).Clear();
                byte* srcBase = (byte*)Src.Address + (long)Roi.Y * Src.Layout.Pitch + 4L * Roi.X;
                for (int y = y0; y < y1; y++)
                {
                    int first = startY[y];
                    for (int t = 0; t < Y.Taps; t++) rows[t] = srcBase + (long)Math.Min(first + t, Roi.Height - 1) * Src.Layout.Pitch;
                    short* w = wyAll + y * Y.Taps;
                    for (int k = 0; k < ky; k++) wy[k] = (ushort)w[2 * k] | (w[2 * k + 1] << 16);
                    Vertical(rows, wy, ky, inter, 4 * srcW);
                    Horizontal(inter, startX, wx, taps / 2, (byte*)Dst.Address + (long)y * Dst.Layout.Pitch, Dst.Width, outTail);
                }
            }
        }

        // The intermediate keeps value * 64 (truncated: at most 1/64 code low) plus RoundBias: since every weight row sums to
        // 1 << 14, the bias becomes the +0.5 rounding of the horizontal pass's final shift.
        const short RoundBias = 1 << (OutShift - 1 - FixedAxis.WeightBits);

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
                    var lo = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), w), InterShift);
                    var hi = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), w), InterShift);
                    Avx.Store(inter + i, Avx2.AddSaturate(Avx2.PackSignedSaturate(lo, hi), bias));
                }
            }
            else
            {
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
                    lo = Avx2.ShiftRightArithmetic(lo, InterShift);
                    hi = Avx2.ShiftRightArithmetic(hi, InterShift);
                    Avx.Store(inter + i, Avx2.AddSaturate(Avx2.PackSignedSaturate(lo, hi), bias));
                }
            }
            for (; i < count; i++) // last (count % 16) channel values: same integer maths
            {
                int acc = 0;
                for (int k = 0; k < ky; k++) acc += (short)wy[k] * rows[2 * k][i] + (wy[k] >> 16) * rows[2 * k + 1][i];
                inter[i] = (short)Math.Clamp(Math.Clamp(acc >> InterShift, short.MinValue, short.MaxValue) + RoundBias, short.MinValue, short.MaxValue);
            }
        }

        static void Horizontal(short* inter, long* start, short* wx, int kx, byte* dst, int width, byte* tail)
        {
            var shuffle = Vector256.Create((byte)0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
            var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            int stride = kx * 16;
            for (int x = 0; x < width; x += 8, start += 8, wx += 4 * stride)
            {
                Vector256<int> a0, a1, a2, a3;
                if (kx == 1)
                {
                    a0 = Two(inter, start, wx, shuffle);
                    a1 = Two(inter, start + 2, wx + 16, shuffle);
                    a2 = Two(inter, start + 4, wx + 32, shuffle);
                    a3 = Two(inter, start + 6, wx + 48, shuffle);
                }
                else
                {
                    a0 = Pair(inter, start, wx, kx, shuffle);
                    a1 = Pair(inter, start + 2, wx + stride, kx, shuffle);
                    a2 = Pair(inter, start + 4, wx + 2 * stride, kx, shuffle);
                    a3 = Pair(inter, start + 6, wx + 3 * stride, kx, shuffle);
                }
                var px = Avx2.PackUnsignedSaturate(
                    Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a0, OutShift), Avx2.ShiftRightArithmetic(a1, OutShift)),
                    Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a2, OutShift), Avx2.ShiftRightArithmetic(a3, OutShift)));
                var v = Avx2.PermuteVar8x32(px.AsInt32(), order);
                if (x + 8 <= width) Avx.Store((int*)(dst + 4 * x), v);
                else
                {
                    Avx.Store((int*)tail, v);
                    Buffer.MemoryCopy(tail, dst + 4 * x, 4 * (width - x), 4 * (width - x));
                }
            }
        }

        /// <summary>Two destination pixels, two taps: int32 R, G, B, A of each (still scaled by 1 &lt;&lt; OutShift).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Two(short* inter, long* start, short* w, Vector256<byte> shuffle)
        {
            var v = Vector256.Create(Sse2.LoadVector128((short*)((byte*)inter + start[0])), Sse2.LoadVector128((short*)((byte*)inter + start[1])));
            return Avx2.MultiplyAddAdjacent(Avx2.Shuffle(v.AsByte(), shuffle).AsInt16(), Avx.LoadVector256(w));
        }

        /// <summary>Two destination pixels, 2 * kx taps (kx >= 2; two accumulators).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Pair(short* inter, long* start, short* w, int kx, Vector256<byte> shuffle)
        {
            byte* s0 = (byte*)inter + start[0], s1 = (byte*)inter + start[1];
            var acc0 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0), Sse2.LoadVector128(s1)), shuffle).AsInt16(), Avx.LoadVector256(w));
            var acc1 = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0 + 16), Sse2.LoadVector128(s1 + 16)), shuffle).AsInt16(), Avx.LoadVector256(w + 16));
            byte* end0 = s0 + 16 * kx;
            s0 += 32; s1 += 32; w += 32;
            for (; s0 + 16 < end0; s0 += 32, s1 += 32, w += 32)
            {
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0), Sse2.LoadVector128(s1)), shuffle).AsInt16(), Avx.LoadVector256(w)));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0 + 16), Sse2.LoadVector128(s1 + 16)), shuffle).AsInt16(), Avx.LoadVector256(w + 16)));
            }
            if (s0 < end0)
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(s0), Sse2.LoadVector128(s1)), shuffle).AsInt16(), Avx.LoadVector256(w)));
            return Avx2.Add(acc0, acc1);
        }
    }

    readonly Rgba8ScaleJob _scaleRgba8 = new();

    /// <summary>Runs the integer RGBA8 scaler when it applies (AVX2, RGBA8 both sides, kernel not too wide).</summary>
    bool TryScaleRgba8(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI roi)
    {
        if (!Avx2.IsSupported || src.Format != PixelFormat.Rgba8 || dst.Format != PixelFormat.Rgba8) return false;
        var x = FixedX(filter, roi.X, roi.Width, dst.Width);
        var y = FixedY(filter, roi.Y, roi.Height, dst.Height);
        if (x is null || y is null) return false;
        _scaleRgba8.Src = src; _scaleRgba8.Dst = dst; _scaleRgba8.Roi = roi; _scaleRgba8.X = x; _scaleRgba8.Y = y;
        RowPool.Run(_scaleRgba8, dst.Height, DegreeOfParallelism);
        return true;
    }
}
