using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// Fused RGBA8 -> v210 / v210a row (AVX2): 24 pixels in, 64 bytes of v210 (and 32 bytes of key) out, no scratch rows.
/// Same integer maths as the planar path: Q13 matrix, chroma filtered on the 8-bit RGB ([1 2 1] sums, or 4x the
/// co-sited pixel) before the matrix, so the result is exact in Q15 and rounded once.
/// Lanes: lane 0 holds pixels 0-5 and 12-17, lane 1 pixels 6-11 and 18-23, so the v210 pack needs in-lane shuffles only.
/// </summary>
internal static unsafe class SimdEncodeRgba8V210
{
    const int Bits = 13;
    const int Block = 24;

    interface IFlag { static abstract bool On { get; } }
    struct Yes : IFlag { public static bool On => true; }
    struct No : IFlag { public static bool On => false; }

    struct Consts
    {
        public Vector256<short> YRB, YGA, CbRgCrB, CrRgCbB, YLo, YHi, CLo, CHi;
        public Vector256<int> YAdd, CAdd;
        public Vector256<sbyte> W;
        public Vector256<float> KA, KO, KLo, KHi;
        public bool ClampKey;
    }

    static short Q(float c) => (short)Math.Clamp((int)MathF.Round(c * (1 << Bits)), short.MinValue, short.MaxValue);

    public static void EncodeRow(byte* inRow, int w, in HostFrame dst, int y, in EncodeCoefficients c)
    {
        Consts k;
        short yr = Q(c.YR), yg = Q(c.YG), yb = Q(c.YB), br = Q(c.BR), bg = Q(c.BG), bb = Q(c.BB), rr = Q(c.RR), rg = Q(c.RG), rb = Q(c.RB);
        k.YRB = Vector256.Create(yr, yb, yr, yb, yr, yb, yr, yb, yr, yb, yr, yb, yr, yb, yr, yb);
        k.YGA = Vector256.Create(yg, 0, yg, 0, yg, 0, yg, 0, yg, 0, yg, 0, yg, 0, yg, 0);
        k.CbRgCrB = Vector256.Create(br, bg, rb, 0, br, bg, rb, 0, br, bg, rb, 0, br, bg, rb, 0);
        k.CrRgCbB = Vector256.Create(rr, rg, bb, 0, rr, rg, bb, 0, rr, rg, bb, 0, rr, rg, bb, 0);
        k.YAdd = Vector256.Create(((int)c.YO << Bits) + (1 << (Bits - 1)));
        k.CAdd = Vector256.Create((512 << (Bits + 2)) + (1 << (Bits + 1)));
        k.YLo = Vector256.Create((short)c.YLo); k.YHi = Vector256.Create((short)c.YHi);
        k.CLo = Vector256.Create((short)c.CLo); k.CHi = Vector256.Create((short)c.CHi);
        bool linear = c.Linear != 0;
        // Linear: (p[2k] + p[2k+1]) + (p[2k-1] + p[2k]); nearest: 4 * p[2k] from the aligned pairs alone.
        k.W = linear ? Vector256.Create(1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0).AsSByte()
            : Vector256.Create(4, 0, 4, 0, 4, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0, 4, 0, 4, 0, 4, 0, 0, 0).AsSByte();
        k.KA = Vector256.Create(c.KA); k.KO = Vector256.Create(c.KO); k.KLo = Vector256.Create(c.KLo); k.KHi = Vector256.Create(c.KHi);
        k.ClampKey = !(c.KO >= c.KLo && 255f * c.KA + c.KO <= c.KHi);

        bool key = dst.Format == PixelFormat.V210a;
        // staging for the first and last blocks: pixels x0-1 .. x0+24, then 16 v210 words and 8 key words
        uint* stage = stackalloc uint[Block + 2 + 24];
        if (linear)
        {
            if (key) Row<Yes, Yes>(inRow, w, dst, y, k, stage); else Row<Yes, No>(inRow, w, dst, y, k, stage);
        }
        else
        {
            if (key) Row<No, Yes>(inRow, w, dst, y, k, stage); else Row<No, No>(inRow, w, dst, y, k, stage);
        }
    }

    static void Row<TLinear, TKey>(byte* inRow, int w, in HostFrame dst, int y, in Consts k, uint* stage) where TLinear : struct, IFlag where TKey : struct, IFlag
    {
        byte* row = (byte*)dst.Address + (long)y * dst.Layout.Pitch;
        uint* keyRow = TKey.On ? (uint*)((byte*)dst.Address + dst.Layout.Plane1Offset + (long)y * dst.Layout.Plane1Pitch) : null;
        int keyWords = (w + 2) / 3;
        uint* outStage = stage + Block + 2;

        // Block 0 reads pixel -1 (= pixel 0) from a staged copy.
        int blocks = (w + Block - 1) / Block;
        StageBlock((uint*)inRow, 0, w, stage);
        bool fullFirst = w >= Block;
        Kernel<TLinear, TKey>((byte*)(stage + 1), k, fullFirst ? row : (byte*)outStage, fullFirst ? keyRow : outStage + 16);
        if (!fullFirst) FinishTail(0, w, keyWords, outStage, row, keyRow, TKey.On);

        int b = 1;
        for (; (b + 1) * Block <= w; b++)
            Kernel<TLinear, TKey>(inRow + 4 * Block * b, k, row + 64 * b, TKey.On ? keyRow + 8 * b : null);
        if (b < blocks)
        {
            StageBlock((uint*)inRow, b * Block, w, stage);
            Kernel<TLinear, TKey>((byte*)(stage + 1), k, (byte*)outStage, outStage + 16);
            FinishTail(b * Block, w, keyWords, outStage, row + 64 * b, TKey.On ? keyRow + 8 * b : null, TKey.On);
            b++;
        }
        // v210 line padding past the last block is zero.
        int words = dst.Layout.Pitch / 4;
        for (int i = 16 * b; i < words; i++) ((uint*)row)[i] = 0;
    }

    /// <summary>Pixels x0-1 .. x0+24 into stage[0..25], replicating the row's first and last pixels past its edges.</summary>
    static void StageBlock(uint* px, int x0, int w, uint* stage)
    {
        stage[0] = px[Math.Max(x0 - 1, 0)];
        for (int i = 0; i <= Block; i++) stage[1 + i] = px[Math.Min(x0 + i, w - 1)];
    }

    /// <summary>Copies a staged partial block out, with the samples of pixels past the width (and of their pairs) zero.</summary>
    static void FinishTail(int x0, int w, int keyWords, uint* staged, byte* outRow, uint* keyOut, bool key)
    {
        int n = w - x0;
        uint* o = (uint*)outRow;
        for (int i = 0; i < 16; i++)
        {
            uint word = staged[i], mask = 0;
            for (int f = 0; f < 3; f++)
            {
                int si = 3 * i + f, g = si / 12, pos = si % 12;
                int pixel = (pos & 1) == 1 ? 6 * g + pos / 2 : 6 * g + 2 * (pos / 4);
                if (pixel < n) mask |= 0x3FFu << (10 * f);
            }
            o[i] = word & mask;
        }
        if (!key) return;
        int kw = x0 / 3;
        for (int i = 0; i < 8 && kw + i < keyWords; i++)
        {
            uint word = staged[16 + i], mask = 0;
            for (int f = 0; f < 3; f++) if (3 * i + f < n) mask |= 0x3FFu << (10 * f);
            keyOut[i] = word & mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Load2(byte* lo, byte* hi) =>
        Avx2.InsertVector128(Vector128.Load(lo).ToVector256Unsafe(), Vector128.Load(hi), 1);

    /// <summary>Pixels 0-3 | 8-11, 12-15 | 20-23, and 4,5,16,17 | 6,7,18,19 of the block at p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void LoadBlock(byte* p, out Vector256<byte> x1, out Vector256<byte> x2, out Vector256<byte> x3)
    {
        x1 = Load2(p, p + 32);
        x2 = Load2(p + 48, p + 80);
        x3 = Avx2.Permute4x64(Load2(p + 16, p + 64).AsUInt64(), 0xD8).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Luma(Vector256<byte> x, in Consts k)
    {
        var rb = Avx2.And(x.AsInt16(), Vector256.Create((short)0xFF));
        var ga = Avx2.ShiftRightLogical(x.AsInt16(), 8);
        var s = Avx2.Add(Avx2.MultiplyAddAdjacent(rb, k.YRB), Avx2.MultiplyAddAdjacent(ga, k.YGA));
        return Avx2.ShiftRightArithmetic(Avx2.Add(s, k.YAdd), Bits);
    }

    static readonly Vector256<byte> PairChannels = Vector256.Create((byte)0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,
        0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);

    /// <summary>Cb, Cr (interleaved dwords, one pair per qword) of the pairs in x; xFar is x loaded one pixel earlier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Chroma<TLinear>(Vector256<byte> x, Vector256<byte> xFar, in Consts k) where TLinear : struct, IFlag
    {
        var s = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(x, PairChannels), k.W);
        if (TLinear.On) s = Avx2.Add(s, Avx2.MultiplyAddAdjacent(Avx2.Shuffle(xFar, PairChannels), k.W));
        var a = Avx2.MultiplyAddAdjacent(s, k.CbRgCrB);   // cb(R,G) | cr(B)
        var b = Avx2.MultiplyAddAdjacent(s, k.CrRgCbB);   // cr(R,G) | cb(B)
        var sum = Avx2.Add(Avx2.Add(a, Avx2.Shuffle(b, 0xB1)), k.CAdd);
        return Avx2.ShiftRightArithmetic(sum, Bits + 2);
    }

    static readonly Vector256<short> Pack10 = Vector256.Create((short)1, 1024, 1, 1024, 1, 1024, 1, 1024, 1, 1024, 1, 1024, 1, 1024, 1, 1024);

    // Word positions in the packed Y / C vectors, [output][lane][pixel or pair of the group] (initialised before the controls).
    static readonly int[][][] YPos = { new[] { new[] { 0, 1, 2, 3, 4, 5 }, new[] { 4, 5, 0, 1, 2, 3 } }, new[] { new[] { 0, 1, 2, 3, 6, 7 }, new[] { 6, 7, 0, 1, 2, 3 } } };
    static readonly int[][][] CPos = { new[] { new[] { 0, 2, 4 }, new[] { 4, 0, 2 } }, new[] { new[] { 0, 2, 6 }, new[] { 6, 0, 2 } } };
    // v210 shuffles: AV holds (s0, s1) per word, BV s2. Y and C word positions per output and lane (see the class comment).
    static readonly Vector256<byte> AY0 = Ctl(0, true, true), AC0 = Ctl(0, true, false), BY0 = Ctl(0, false, true), BC0 = Ctl(0, false, false);
    static readonly Vector256<byte> AY1 = Ctl(1, true, true), AC1 = Ctl(1, true, false), BY1 = Ctl(1, false, true), BC1 = Ctl(1, false, false);


    static Vector256<byte> Ctl(int output, bool a, bool luma)
    {
        // sample order of a group: Cb0 Y0 Cr0 Y1 Cb1 Y2 Cr1 Y3 Cb2 Y4 Cr2 Y5; word i = samples 3i, 3i+1, 3i+2
        var bytes = new byte[32];
        Array.Fill(bytes, (byte)0x80);
        for (int lane = 0; lane < 2; lane++)
        {
            int[] yPos = (YPos[output])[lane], cPos = (CPos[output])[lane];
            for (int word = 0; word < 4; word++)
            {
                for (int f = 0; f < 3; f++)
                {
                    int slot = a ? (f < 2 ? 2 * word + f : -1) : (f == 2 ? 2 * word : -1);
                    if (slot < 0) continue;
                    int pos = 3 * word + f;
                    int src;
                    if ((pos & 1) == 1) { if (!luma) continue; src = yPos[pos / 2]; }
                    else { if (luma) continue; src = cPos[pos / 4] + ((pos & 2) >> 1); }
                    bytes[16 * lane + 2 * slot] = (byte)(2 * src);
                    bytes[16 * lane + 2 * slot + 1] = (byte)(2 * src + 1);
                }
            }
        }
        return Vector256.Create(bytes);
    }

    // Key: lane 0 makes key words 0, 1, 4, 5 (pixels 0-5, 12-17), lane 1 words 2, 3, 6, 7; alpha gathered in that pixel order.
    static readonly Vector256<byte> G1 = KeyGather(0), G2 = KeyGather(1), G3 = KeyGather(2);
    static readonly Vector256<byte> KeyA = KeySlots(true), KeyB = KeySlots(false);

    static Vector256<byte> KeyGather(int source)
    {
        int[][] lanePixels = { new[] { 0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17 }, new[] { 6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23 } };
        int[][][] sourcePixels = // [source][lane] -> pixels in dwords 0..3
        {
            new[] { new[] { 0, 1, 2, 3 }, new[] { 8, 9, 10, 11 } },
            new[] { new[] { 12, 13, 14, 15 }, new[] { 20, 21, 22, 23 } },
            new[] { new[] { 4, 5, 16, 17 }, new[] { 6, 7, 18, 19 } },
        };
        var bytes = new byte[32];
        Array.Fill(bytes, (byte)0x80);
        for (int lane = 0; lane < 2; lane++)
            for (int i = 0; i < 12; i++)
            {
                int d = Array.IndexOf(sourcePixels[source][lane], lanePixels[lane][i]);
                if (d >= 0) bytes[16 * lane + i] = (byte)(4 * d + 3);
            }
        return Vector256.Create(bytes);
    }

    static Vector256<byte> KeySlots(bool a)
    {
        var bytes = new byte[32];
        Array.Fill(bytes, (byte)0x80);
        for (int lane = 0; lane < 2; lane++)
            for (int word = 0; word < 4; word++)
            {
                if (a) { bytes[16 * lane + 4 * word] = (byte)(3 * word); bytes[16 * lane + 4 * word + 2] = (byte)(3 * word + 1); }
                else bytes[16 * lane + 4 * word] = (byte)(3 * word + 2);
            }
        return Vector256.Create(bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Key(Vector256<int> alpha, in Consts k)
    {
        var v = Avx.Add(Avx.Multiply(Avx.ConvertToVector256Single(alpha), k.KA), k.KO);
        if (k.ClampKey) v = Avx.Min(Avx.Max(v, k.KLo), k.KHi);
        return Avx.ConvertToVector256Int32(v);
    }

    /// <summary>24 pixels at p (p[-4..-1] readable) -> 16 v210 words at o (and 8 key words at key).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Kernel<TLinear, TKey>(byte* p, in Consts k, byte* o, uint* key) where TLinear : struct, IFlag where TKey : struct, IFlag
    {
        LoadBlock(p, out var x1, out var x2, out var x3);
        Vector256<byte> f1 = default, f2 = default, f3 = default;
        if (TLinear.On) LoadBlock(p - 4, out f1, out f2, out f3);

        var y3 = Luma(x3, k);
        var ya = Avx2.Min(Avx2.Max(Avx2.PackSignedSaturate(Luma(x1, k), y3), k.YLo), k.YHi);
        var yb = Avx2.Min(Avx2.Max(Avx2.PackSignedSaturate(Luma(x2, k), y3), k.YLo), k.YHi);
        var c3 = Chroma<TLinear>(x3, f3, k);
        var ca = Avx2.Min(Avx2.Max(Avx2.PackSignedSaturate(Chroma<TLinear>(x1, f1, k), c3), k.CLo), k.CHi);
        var cb = Avx2.Min(Avx2.Max(Avx2.PackSignedSaturate(Chroma<TLinear>(x2, f2, k), c3), k.CLo), k.CHi);

        var a0 = Avx2.Or(Avx2.Shuffle(ya.AsByte(), AY0), Avx2.Shuffle(ca.AsByte(), AC0));
        var b0 = Avx2.Or(Avx2.Shuffle(ya.AsByte(), BY0), Avx2.Shuffle(ca.AsByte(), BC0));
        var a1 = Avx2.Or(Avx2.Shuffle(yb.AsByte(), AY1), Avx2.Shuffle(cb.AsByte(), AC1));
        var b1 = Avx2.Or(Avx2.Shuffle(yb.AsByte(), BY1), Avx2.Shuffle(cb.AsByte(), BC1));
        Avx.Store((int*)o, Avx2.Or(Avx2.MultiplyAddAdjacent(a0.AsInt16(), Pack10), Avx2.ShiftLeftLogical(b0.AsInt32(), 20)));
        Avx.Store((int*)o + 8, Avx2.Or(Avx2.MultiplyAddAdjacent(a1.AsInt16(), Pack10), Avx2.ShiftLeftLogical(b1.AsInt32(), 20)));

        if (TKey.On)
        {
            var g = Avx2.Or(Avx2.Or(Avx2.Shuffle(x1, G1), Avx2.Shuffle(x2, G2)), Avx2.Shuffle(x3, G3));
            var ka = Avx2.Shuffle(g, KeyA).AsInt16();
            var kb = Avx2.Shuffle(g, KeyB).AsInt32();
            var zero = Vector256<short>.Zero;
            var kaw = Avx2.PackUnsignedSaturate(Key(Avx2.UnpackLow(ka, zero).AsInt32(), k), Key(Avx2.UnpackHigh(ka, zero).AsInt32(), k));
            var words = Avx2.Or(Avx2.MultiplyAddAdjacent(kaw.AsInt16(), Pack10), Avx2.ShiftLeftLogical(Key(kb, k), 20));
            Avx.Store(key, Avx2.Permute4x64(words.AsUInt64(), 0xD8).AsUInt32());
        }
    }
}
