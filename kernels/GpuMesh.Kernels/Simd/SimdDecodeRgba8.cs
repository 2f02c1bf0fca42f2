using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// v210 / v210a -> RGBA8 rows in 16-bit fixed point (AVX2), fused: each 128-bit lane takes one v210 group (6 pixels),
/// samples are gathered with pshufb straight into 16-bit lanes, R, G, B (and the key) are computed with pmulhrsw in
/// units of 1/64 code and packed with saturation. Within one 8-bit code value of the float reference (DecodeRgba8SweepTests).
/// </summary>
internal static unsafe class SimdDecodeRgba8
{
    const int FracBits = 6;                 // results in 1/64 code units
    const int Half = 1 << (FracBits - 1);   // rounding bias before the final shift

    public static bool Supports(PixelFormat src, PixelFormat dst) =>
        Avx2.IsSupported && dst == PixelFormat.Rgba8 && (src == PixelFormat.V210 || src == PixelFormat.V210a);

    /// <summary>Fixed-point coefficients: luma / key enter as value &lt;&lt; 5, doubled centred chroma as c2 &lt;&lt; 5.</summary>
    internal struct Coeffs
    {
        public Vector256<short> Ky, Oy, RCr, GCb, GCr, BCb, Ka, Oa;
        public DecodeCoefficients Source;
        public bool Valid;

        public readonly bool IsFor(in DecodeCoefficients c) => Valid && c.Ky == Source.Ky && c.Oy == Source.Oy && c.RCr == Source.RCr &&
            c.GCb == Source.GCb && c.GCr == Source.GCr && c.BCb == Source.BCb && c.Ka == Source.Ka && c.Oa == Source.Oa;
    }

    static short Q16(double v) => (short)Math.Clamp(Math.Round(v * 65536.0), short.MinValue, short.MaxValue);

    static Coeffs Make(in DecodeCoefficients c) => new()
    {
        // pmulhrsw(v << 5, q) = v * q / 1024 = v * coef * 64 with q = coef * 65536
        Ky = Vector256.Create(Q16(c.Ky)),
        Oy = Vector256.Create((short)Math.Round(c.Oy * (1 << FracBits) + Half)),
        RCr = Vector256.Create(Q16(c.RCr)),
        GCb = Vector256.Create(Q16(c.GCb)),
        GCr = Vector256.Create(Q16(c.GCr)),
        BCb = Vector256.Create(Q16(c.BCb)),
        Ka = Vector256.Create(Q16(c.Ka)),
        Oa = Vector256.Create((short)Math.Round(c.Oa * (1 << FracBits) + Half)),
        Source = c,
        Valid = true,
    };

    // Per 128-bit lane (one group: words Cb0 Y0 Cr0 | Y1 Cb1 Y2 | Cr1 Y3 Cb2 | Y4 Cr2 Y5). A sample sits at bit 0, 10
    // or 20 of its word: the byte pair holding it has it at shift 0, 2 or 4; mask, then multiply to a common shift.
    static readonly Vector256<byte> ShufY = Lanes(1, 2, 4, 5, 6, 7, 9, 10, 12, 13, 14, 15, 0x80, 0x80, 0x80, 0x80);
    static readonly Vector256<short> MaskY = Lanes16(0x0FFC, 0x03FF, 0x3FF0, 0x0FFC, 0x03FF, 0x3FF0, 0, 0);
    static readonly Vector256<short> MulY = Lanes16(8, 32, 2, 8, 32, 2, 0, 0);                // -> Y << 5
    // Chroma: Cb0 Cb1 Cb2 Cb0' | Cr0 Cr1 Cr2 Cr0' (primed: the next group's first pair, from the load 4 bytes on).
    static readonly Vector256<byte> ShufC = Lanes(0, 1, 5, 6, 10, 11, 0x80, 0x80, 2, 3, 8, 9, 13, 14, 0x80, 0x80);
    static readonly Vector256<byte> ShufCNext = Lanes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 12, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 14, 15);
    static readonly Vector256<short> MaskC = Lanes16(0x03FF, 0x0FFC, 0x3FF0, 0x03FF, 0x3FF0, 0x03FF, 0x0FFC, 0x3FF0);
    static readonly Vector256<short> MulC = Lanes16(64, 16, 4, 64, 4, 64, 16, 4);             // -> C << 6
    // Key: two words (6 pixels) per lane.
    static readonly Vector256<byte> ShufK = Lanes(0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7, 0x80, 0x80, 0x80, 0x80);
    static readonly Vector256<short> MaskK = Lanes16(0x03FF, 0x0FFC, 0x3FF0, 0x03FF, 0x0FFC, 0x3FF0, 0, 0);
    static readonly Vector256<short> MulK = Lanes16(32, 8, 2, 32, 8, 2, 0, 0);                // -> K << 5

    static Vector256<byte> Lanes(params byte[] b)
    {
        var v = Vector128.Create(b);
        return Vector256.Create(v, v);
    }

    static Vector256<short> Lanes16(params short[] s)
    {
        var v = Vector128.Create(s);
        return Vector256.Create(v, v);
    }

    interface IFlag { bool On { get; } }
    readonly struct Yes : IFlag { public bool On => true; }
    readonly struct No : IFlag { public bool On => false; }

    public static void DecodeRow(in HostFrame src, in HostFrame dst, int y, in DecodeCoefficients c, SimdScratch s)
    {
        if (!s.DecodeRgba8.IsFor(c)) s.DecodeRgba8 = Make(c);
        ref readonly Coeffs k = ref s.DecodeRgba8;
        bool linear = c.Linear != 0, key = c.HasKey != 0;
        if (linear)
        {
            if (key) Row<Yes, Yes>(src, dst, y, k); else Row<Yes, No>(src, dst, y, k);
        }
        else
        {
            if (key) Row<No, Yes>(src, dst, y, k); else Row<No, No>(src, dst, y, k);
        }
    }

    static void Row<TLinear, TKey>(in HostFrame src, in HostFrame dst, int y, in Coeffs k)
        where TLinear : struct, IFlag where TKey : struct, IFlag
    {
        int w = src.Width, pairs = (w + 1) / 2;
        byte* words = (byte*)src.Address + (long)y * src.Layout.Pitch;
        byte* keys = default(TKey).On ? (byte*)src.Address + src.Layout.Plane1Offset + (long)y * src.Layout.Plane1Pitch : null;
        byte* o = (byte*)dst.Address + (long)y * dst.Layout.Pitch;
        int g = 0;
        // Two groups (12 pixels) per step while the next group's first chroma pair is real data inside the row.
        for (; 3 * g + 6 < pairs; g += 2)
            Chunk<TLinear, TKey>(words + 16 * g, keys + 8 * g, o + 24 * g, k);
        if (6 * g < w) Tail<TLinear, TKey>(words + 16 * g, keys + 8 * g, o + 24 * g, w - 6 * g, pairs - 3 * g, src.Layout.Plane1Pitch - 8 * g, k);
    }

    /// <summary>Last 1..12 pixels: copy into padded buffers (edge chroma replicated as the reference does), convert, copy out.</summary>
    [MethodImpl(MethodImplOptions.NoInlining), SkipLocalsInit]
    static void Tail<TLinear, TKey>(byte* words, byte* keys, byte* o, int pixels, int pairs, int keyBytes, in Coeffs k)
        where TLinear : struct, IFlag where TKey : struct, IFlag
    {
        uint* buf = stackalloc uint[16];
        uint* kbuf = stackalloc uint[4];
        byte* obuf = stackalloc byte[64];
        // Groups g and g + 1 lie inside the 128-byte v210 block, so 32 bytes are readable.
        Unsafe.CopyBlockUnaligned(buf, words, 32);
        for (int i = 8; i < 16; i++) buf[i] = 0;
        // The odd pixel of the last pair interpolates towards a copy of that pair's chroma.
        int last = pairs - 1;
        Put(buf, CbSample(pairs), Get(buf, CbSample(last)));
        Put(buf, CbSample(pairs) + 2, Get(buf, CbSample(last) + 2));
        if (default(TKey).On)
        {
            kbuf[0] = kbuf[1] = kbuf[2] = kbuf[3] = 0;
            Unsafe.CopyBlockUnaligned(kbuf, keys, (uint)Math.Min(16, keyBytes));
        }
        Chunk<TLinear, TKey>((byte*)buf, (byte*)kbuf, obuf, k);
        Unsafe.CopyBlockUnaligned(o, obuf, (uint)(4 * pixels));
    }

    static int CbSample(int pair) => 12 * (pair / 3) + 4 * (pair % 3);
    static int Get(uint* w, int s) => (int)((w[s / 3] >> (10 * (s % 3))) & 0x3FF);
    static void Put(uint* w, int s, int v)
    {
        int shift = 10 * (s % 3);
        w[s / 3] = (w[s / 3] & ~(0x3FFu << shift)) | ((uint)v << shift);
    }

    /// <summary>12 pixels (two groups) -> 48 bytes RGBA8. Reads 36 bytes of v210 (linear) and 16 bytes of key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Chunk<TLinear, TKey>(byte* src, byte* keys, byte* o, in Coeffs k)
        where TLinear : struct, IFlag where TKey : struct, IFlag
    {
        var v = Avx.LoadVector256(src);
        var yv = Avx2.MultiplyLow(Avx2.And(Avx2.Shuffle(v, ShufY).AsInt16(), MaskY), MulY);
        var cs = Avx2.Shuffle(v, ShufC);
        if (default(TLinear).On) cs = Avx2.Or(cs, Avx2.Shuffle(Avx.LoadVector256(src + 4), ShufCNext));
        var cv = Avx2.MultiplyLow(Avx2.And(cs.AsInt16(), MaskC), MulC).AsUInt16();   // C << 6, unsigned
        // Midpoints of neighbouring pairs; (a + b + 1) >> 1 is exact here (both multiples of 64).
        var mid = default(TLinear).On ? Avx2.Average(cv, Avx2.ShiftRightLogical128BitLane(cv, 2)) : cv;
        // Per pixel: co-sited sample, midpoint, co-sited, ... ; (C << 6) - 32768 = (2C - 1024) << 5: flip the top bit.
        var sign = Vector256.Create(unchecked((short)0x8000));
        var cb2 = Avx2.Xor(Avx2.UnpackLow(cv, mid).AsInt16(), sign);
        var cr2 = Avx2.Xor(Avx2.UnpackHigh(cv, mid).AsInt16(), sign);

        var ys = Avx2.Add(Avx2.MultiplyHighRoundScale(yv, k.Ky), k.Oy);
        var r = Avx2.ShiftRightArithmetic(Avx2.AddSaturate(ys, Avx2.MultiplyHighRoundScale(cr2, k.RCr)), FracBits);
        var b = Avx2.ShiftRightArithmetic(Avx2.AddSaturate(ys, Avx2.MultiplyHighRoundScale(cb2, k.BCb)), FracBits);
        var g = Avx2.ShiftRightArithmetic(Avx2.Add(ys,
            Avx2.Add(Avx2.MultiplyHighRoundScale(cb2, k.GCb), Avx2.MultiplyHighRoundScale(cr2, k.GCr))), FracBits);
        Vector256<short> a;
        if (default(TKey).On)
        {
            var kw = Avx2.Permute4x64(Vector128.Load(keys).AsUInt64().ToVector256Unsafe(), 0b01_01_00_00).AsByte();
            var kv = Avx2.MultiplyLow(Avx2.And(Avx2.Shuffle(kw, ShufK).AsInt16(), MaskK), MulK);
            a = Avx2.ShiftRightArithmetic(Avx2.Add(Avx2.MultiplyHighRoundScale(kv, k.Ka), k.Oa), FracBits);
        }
        else a = Vector256.Create((short)255);

        var rb = Avx2.PackUnsignedSaturate(r, b);            // R0-7 B0-7 per lane
        var ga = Avx2.PackUnsignedSaturate(g, a);            // G0-7 A0-7
        var rg = Avx2.UnpackLow(rb, ga).AsInt16();           // R0 G0 R1 G1 ...
        var bA = Avx2.UnpackHigh(rb, ga).AsInt16();          // B0 A0 B1 A1 ...
        var p03 = Avx2.UnpackLow(rg, bA).AsByte();           // pixels 0-3 | 6-9
        var p47 = Avx2.UnpackHigh(rg, bA).AsUInt64();        // pixels 4-5 | 10-11 (low 8 bytes)
        Sse2.Store(o, p03.GetLower());
        Sse2.StoreScalar((ulong*)(o + 16), p47.GetLower());
        Sse2.Store(o + 24, p03.GetUpper());
        Sse2.StoreScalar((ulong*)(o + 40), p47.GetUpper());
    }
}
