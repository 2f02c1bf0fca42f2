using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// Two-tap scaling whose horizontal taps repeat with a fixed pattern every 8 destination pixels and fit one 16-byte load per
/// destination pixel pair (bilinear at exactly 1.5x, 2x or 1x across), with weights that are whole multiples of a power of
/// two small enough for exact 8-bit / 16-bit integer maths (bilinear: multiples of 1/4 at 1.5x, 1/2 at 2x).
/// </summary>
internal sealed class PeriodicScale
{
    public readonly FixedAxis X, Y;
    /// <summary>Horizontal: source pixel advance per group of 8 destination pixels; first window start.</summary>
    public readonly int Step, Start0;
    /// <summary>Byte offsets of the four 16-byte lane loads of a group (destination pixel pairs 0..3) from the group base.</summary>
    public readonly int L0, L1, L2, L3;
    /// <summary>Source pixels a group may read past its base (staging size for the row tail).</summary>
    public readonly int Reach;
    /// <summary>pshufb mask (per lane: (p, p + 1) byte pairs per channel of the even pixel, then of the odd one).</summary>
    public readonly Vector256<byte> Shuffle;
    /// <summary>pmaddubsw weights in 1/Sx units, per lane: even pixel (w0, w1) x 4, odd pixel x 4.</summary>
    public readonly Vector256<sbyte> WeightX;
    /// <summary>Vertical weights in 1/Dy units, two per destination row.</summary>
    public readonly short[] WeightY;
    /// <summary>log2(Sx * Dy): the final exact division.</summary>
    public readonly int Shift;

    PeriodicScale(FixedAxis x, FixedAxis y, int step, int start0, int l0, int l1, int l2, int l3, int reach, Vector256<byte> shuffle,
        Vector256<sbyte> weightX, short[] weightY, int shift)
    {
        X = x; Y = y; Step = step; Start0 = start0; L0 = l0; L1 = l1; L2 = l2; L3 = l3; Reach = reach; Shuffle = shuffle;
        WeightX = weightX; WeightY = weightY; Shift = shift;
    }

    /// <summary>log2 of the smallest power-of-two denominator the Q14 weights are whole multiples of; -1 if a weight is negative.</summary>
    static int DenominatorBits(short[] w)
    {
        int bits = 0;
        foreach (short v in w)
        {
            if (v < 0) return -1;
            if (v == 0) continue;
            bits = Math.Max(bits, FixedAxis.WeightBits - System.Numerics.BitOperations.TrailingZeroCount(v));
        }
        return bits;
    }

    /// <summary>null unless both axes have two taps, the horizontal one periodic as above, and the maths stays exact in 16 bits.</summary>
    public static PeriodicScale? Create(FixedAxis x, FixedAxis y)
    {
        int n = x.Axis.DestinationLength;
        if (x.Taps != 2 || y.Taps != 2 || n < 16) return null;
        int bx = DenominatorBits(x.Weight), by = DenominatorBits(y.Weight);
        if (bx < 0 || by < 0 || bx + by > 7) return null;
        int[] s = x.Start;
        int step = s[8] - s[0], o1 = s[1] - s[0];
        if (o1 < 0 || o1 > 2) return null;
        int l1 = s[2] - s[0], l2 = s[4] - s[0], l3 = s[6] - s[0];
        if (l1 < 0 || l2 < 0 || l3 < 0 || step < 0) return null;
        int reach = Math.Max(Math.Max(l1, l2), l3) + 4;
        if (reach > 24) return null;
        int[] lane = { 0, l1, l2, l3 };
        int qx = FixedAxis.WeightBits - bx;
        short e0 = x.Weight[0], e1 = x.Weight[1], d0 = x.Weight[2], d1 = x.Weight[3];
        for (int d = 0; d < n; d++)
        {
            int expected = s[0] + d / 8 * step + lane[(d & 7) >> 1] + ((d & 1) != 0 ? o1 : 0);
            if (s[d] != expected) return null;
            short w0 = x.Weight[2 * d], w1 = x.Weight[2 * d + 1];
            if ((d & 1) == 0 ? (w0 != e0 || w1 != e1) : (w0 != d0 || w1 != d1)) return null;
        }
        if ((e0 >> qx) > 127 || (e1 >> qx) > 127 || (d0 >> qx) > 127 || (d1 >> qx) > 127) return null;
        var shuffle = new byte[32];
        var wx = new sbyte[32];
        for (int h = 0; h < 2; h++)
            for (int e = 0; e < 2; e++)
                for (int c = 0; c < 4; c++)
                {
                    int o = e == 0 ? 0 : o1, i = 16 * h + 8 * e + 2 * c;
                    shuffle[i] = (byte)(4 * o + c);
                    shuffle[i + 1] = (byte)(4 * (o + 1) + c);
                    wx[i] = (sbyte)((e == 0 ? e0 : d0) >> qx);
                    wx[i + 1] = (sbyte)((e == 0 ? e1 : d1) >> qx);
                }
        int qy = FixedAxis.WeightBits - by;
        var wy = new short[y.Weight.Length];
        for (int i = 0; i < wy.Length; i++) wy[i] = (short)(y.Weight[i] >> qy);
        return new PeriodicScale(x, y, step, s[0], 0, 4 * l1, 4 * l2, 4 * l3, reach,
            Vector256.Create(shuffle), Vector256.Create(wx), wy, bx + by);
    }
}

internal sealed unsafe partial class SimdKernels
{
    readonly List<PeriodicScale> _periodic = new();

    /// <summary>The periodic two-tap plan for these axes, cached with them (null when they do not qualify).</summary>
    PeriodicScale? Periodic(FixedAxis x, FixedAxis y)
    {
        foreach (var p in _periodic) if (ReferenceEquals(p.X, x) && ReferenceEquals(p.Y, y)) return p;
        foreach (var p in _periodicMisses) if (ReferenceEquals(p.X, x) && ReferenceEquals(p.Y, y)) return null;
        var plan = PeriodicScale.Create(x, y);
        if (plan is null)
        {
            if (_periodicMisses.Count >= 16) _periodicMisses.RemoveAt(0);
            _periodicMisses.Add((x, y));
            return null;
        }
        if (_periodic.Count >= 16) _periodic.RemoveAt(0);
        _periodic.Add(plan);
        return plan;
    }

    readonly List<(FixedAxis X, FixedAxis Y)> _periodicMisses = new();

    /// <summary>
    /// Fused periodic two-tap scaler, one destination row at a time: each needed source row is filtered horizontally once
    /// (16-byte loads per pixel pair, pshufb into (p, p + 1) byte pairs, pmaddubsw: value * Sx, exact), kept in one of two int16
    /// rows when the next destination row reads it too, and the vertical sum (value * Sx * Dy, exact) is rounded half up once.
    /// </summary>
    sealed class PeriodicScaleJob : RowJob
    {
        public HostFrame Src, Dst;
        public RectI Roi;
        public PeriodicScale P = null!;

        public override void Run(int y0, int y1)
        {
            var p = P;
            int n = Dst.Width, groups = (n + 7) / 8, srcW = Roi.Width, srcH = Roi.Height;
            int rowShorts = 32 * groups;
            var scratch = PeriodicScratch.Rows;
            if (scratch is null || scratch.Length < 2 * rowShorts) PeriodicScratch.Rows = scratch = new short[2 * rowShorts];
            // groups whose lane loads stay inside the source row and whose 8 pixels all exist: the rest goes through staging
            int main = 0;
            while (main < n / 8 && p.Start0 + main * p.Step + p.Reach <= srcW) main++;
            byte* stageA = stackalloc byte[128];
            byte* stageB = stackalloc byte[128];
            byte* outTail = stackalloc byte[32];
            int tagA = -1, tagB = -1; // source rows held by slot 0 and slot 1
            long pitch = Src.Layout.Pitch;
            byte* srcBase = (byte*)Src.Address + (long)Roi.Y * pitch + 4L * Roi.X;
            var shuffle = p.Shuffle;
            var wx = p.WeightX;
            var bias = Vector256.Create((short)((1 << p.Shift) >> 1)); // half up (ties in the float reference mostly land up too)
            var shift = Vector128.CreateScalar((short)p.Shift);
            fixed (short* rows = scratch, wyAll = p.WeightY)
            fixed (int* startY = p.Y.Start)
            {
                short* slot0 = rows, slot1 = rows + rowShorts;
                for (int y = y0; y < y1; y++)
                {
                    int a = startY[y], b = Math.Min(a + 1, srcH - 1);
                    short wa = wyAll[2 * y], wb = wyAll[2 * y + 1];
                    if (b == a) { wa += wb; wb = 0; }
                    // slots: reuse rows filtered for the previous destination row
                    short* ha, hb;
                    bool newA = false, newB = false;
                    if (tagA == a) ha = slot0;
                    else if (tagB == a) ha = slot1;
                    else
                    {
                        bool useSlot1 = tagA == b;
                        ha = useSlot1 ? slot1 : slot0;
                        if (useSlot1) tagB = a; else tagA = a;
                        newA = true;
                    }
                    if (b == a) hb = ha;
                    else if (tagA == b) hb = slot0;
                    else if (tagB == b) hb = slot1;
                    else
                    {
                        bool useSlot1 = ha == slot0;
                        hb = useSlot1 ? slot1 : slot0;
                        if (useSlot1) tagB = b; else tagA = b;
                        newB = true;
                    }
                    byte* srcA = srcBase + a * pitch + 4L * p.Start0, srcB = srcBase + b * pitch + 4L * p.Start0;
                    byte* dst = (byte*)Dst.Address + (long)y * Dst.Layout.Pitch;
                    var va = Vector256.Create(wa);
                    var vb = Vector256.Create(wb);
                    int step = 4 * p.Step;
                    // keep a freshly filtered row only if the next destination row of this chunk reads it too
                    int na = y + 1 < y1 ? startY[y + 1] : -2, nb = Math.Min(na + 1, srcH - 1);
                    bool keepA = na == a || nb == a, keepB = na == b || nb == b;
                    if (newA && newB) RowNewNew(srcA, srcB, ha, hb, dst, main, step, p, shuffle, wx, va, vb, bias, shift, keepA, keepB);
                    else if (newA || newB)
                    {
                        // one row to filter, the other cached (or the same row twice)
                        if (newA) RowNewOld(srcA, ha, hb, dst, main, step, p, shuffle, wx, va, vb, bias, shift, b == a, keepA);
                        else RowNewOld(srcB, hb, ha, dst, main, step, p, shuffle, wx, vb, va, bias, shift, false, keepB);
                    }
                    else RowOldOld(ha, hb, dst, main, va, vb, bias, shift);
                    if (newA && !keepA) { if (ha == slot0) tagA = -1; else tagB = -1; }
                    if (newB && !keepB) { if (hb == slot0) tagA = -1; else tagB = -1; }
                    // row tail: groups through zero-padded staging copies
                    for (int m = main; m < groups; m++)
                    {
                        int basePx = p.Start0 + m * p.Step;
                        if (newA) Stage(stageA, srcBase + a * pitch, basePx, srcW, p.Reach);
                        if (newB) Stage(stageB, srcBase + b * pitch, basePx, srcW, p.Reach);
                        short* ga = ha + 32 * m, gb = hb + 32 * m;
                        if (newA) Filter(stageA, ga, p, shuffle, wx);
                        if (newB) Filter(stageB, gb, p, shuffle, wx);
                        var v = Combine(ga, gb, va, vb, bias, shift);
                        if (8 * m + 8 <= n) Avx.Store(dst + 32 * m, v);
                        else
                        {
                            Avx.Store(outTail, v);
                            Buffer.MemoryCopy(outTail, dst + 32 * m, 4 * (n - 8 * m), 4 * (n - 8 * m));
                        }
                    }
                }
            }
        }

        static void Stage(byte* stage, byte* row, int basePx, int srcW, int reach)
        {
            new Span<byte>(stage, 128).Clear();
            int px = Math.Min(reach, srcW - basePx);
            if (px > 0) Buffer.MemoryCopy(row + 4L * basePx, stage, 128, 4 * px);
        }

        /// <summary>Horizontal pass of one group (8 destination pixels): int16 value * Sx, pixels 0 1 | 4 5 then 2 3 | 6 7.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Filter(byte* s, short* h, PeriodicScale p, Vector256<byte> shuffle, Vector256<sbyte> wx)
        {
            Avx.Store(h, Lanes(s + p.L0, s + p.L2, shuffle, wx));
            Avx.Store(h + 16, Lanes(s + p.L1, s + p.L3, shuffle, wx));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<short> Lanes(byte* lo, byte* hi, Vector256<byte> shuffle, Vector256<sbyte> wx) =>
            Avx2.MultiplyAddAdjacent(Avx2.Shuffle(Vector256.Create(Sse2.LoadVector128(lo), Sse2.LoadVector128(hi)), shuffle), wx);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<byte> Narrow(Vector256<short> a0, Vector256<short> b0, Vector256<short> a1, Vector256<short> b1,
            Vector256<short> va, Vector256<short> vb, Vector256<short> bias, Vector128<short> shift)
        {
            var lo = Avx2.Add(Avx2.MultiplyLow(a0, va), Avx2.MultiplyLow(b0, vb));
            var hi = Avx2.Add(Avx2.MultiplyLow(a1, va), Avx2.MultiplyLow(b1, vb));
            return Avx2.PackUnsignedSaturate(Avx2.ShiftRightLogical(Avx2.Add(lo, bias), shift), Avx2.ShiftRightLogical(Avx2.Add(hi, bias), shift)); // lane 0: pixels 0 1 2 3, lane 1: 4 5 6 7
        }


        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<byte> Combine(short* ga, short* gb, Vector256<short> va, Vector256<short> vb, Vector256<short> bias, Vector128<short> shift) =>
            Narrow(Avx.LoadVector256(ga), Avx.LoadVector256(gb), Avx.LoadVector256(ga + 16), Avx.LoadVector256(gb + 16), va, vb, bias, shift);

        static void RowNewNew(byte* sa, byte* sb, short* ha, short* hb, byte* dst, int groups, int step, PeriodicScale p,
            Vector256<byte> shuffle, Vector256<sbyte> wx, Vector256<short> va, Vector256<short> vb, Vector256<short> bias, Vector128<short> shift, bool keepA, bool keepB)
        {
            int l0 = p.L0, l1 = p.L1, l2 = p.L2, l3 = p.L3;
            for (int m = 0; m < groups; m++, sa += step, sb += step, ha += 32, hb += 32, dst += 32)
            {
                var a0 = Lanes(sa + l0, sa + l2, shuffle, wx);
                var a1 = Lanes(sa + l1, sa + l3, shuffle, wx);
                var b0 = Lanes(sb + l0, sb + l2, shuffle, wx);
                var b1 = Lanes(sb + l1, sb + l3, shuffle, wx);
                if (keepA) { Avx.Store(ha, a0); Avx.Store(ha + 16, a1); }
                if (keepB) { Avx.Store(hb, b0); Avx.Store(hb + 16, b1); }
                Avx.Store(dst, Narrow(a0, b0, a1, b1, va, vb, bias, shift));
            }
        }

        /// <summary>Filters row s (into hn when <paramref name="keep"/>) and combines it with the cached row ho (itself when <paramref name="same"/>).</summary>
        static void RowNewOld(byte* s, short* hn, short* ho, byte* dst, int groups, int step, PeriodicScale p,
            Vector256<byte> shuffle, Vector256<sbyte> wx, Vector256<short> vn, Vector256<short> vo, Vector256<short> bias, Vector128<short> shift, bool same, bool keep)
        {
            int l0 = p.L0, l1 = p.L1, l2 = p.L2, l3 = p.L3;
            if (same) { vo = Vector256<short>.Zero; ho = hn; }
            for (int m = 0; m < groups; m++, s += step, hn += 32, ho += 32, dst += 32)
            {
                var n0 = Lanes(s + l0, s + l2, shuffle, wx);
                var n1 = Lanes(s + l1, s + l3, shuffle, wx);
                if (keep) { Avx.Store(hn, n0); Avx.Store(hn + 16, n1); }
                var o0 = same ? n0 : Avx.LoadVector256(ho);
                var o1 = same ? n1 : Avx.LoadVector256(ho + 16);
                Avx.Store(dst, Narrow(n0, o0, n1, o1, vn, vo, bias, shift));
            }
        }

        static void RowOldOld(short* ha, short* hb, byte* dst, int groups, Vector256<short> va, Vector256<short> vb, Vector256<short> bias, Vector128<short> shift)
        {
            for (int m = 0; m < groups; m++, ha += 32, hb += 32, dst += 32)
                Avx.Store(dst, Combine(ha, hb, va, vb, bias, shift));
        }
    }

    /// <summary>Per-thread scratch of the periodic scaler: two horizontally filtered source rows.</summary>
    static class PeriodicScratch
    {
        [ThreadStatic] public static short[]? Rows;
    }

    readonly PeriodicScaleJob _periodicScale = new();

    /// <summary>Runs the periodic two-tap scaler when the axes qualify.</summary>
    bool TryScalePeriodic(in HostFrame src, in HostFrame dst, RectI roi, FixedHorizontal x, FixedAxis y)
    {
        var plan = Periodic(x.Fixed, y);
        if (plan is null) return false;
        _periodicScale.Src = src; _periodicScale.Dst = dst; _periodicScale.Roi = roi; _periodicScale.P = plan;
        RowPool.Run(_periodicScale, dst.Height, DegreeOfParallelism);
        return true;
    }
}
