using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// SIMD Y'CbCr <-> RGBA rows. A row is first unpacked into planar int rows (luma split into even/odd pixels, one chroma
/// sample per pair), then converted 16 pixels at a time with AVX2; a scalar tail uses the same float operations in the
/// same order, so results equal the reference bit for bit. v210 / v210a -> RGBA8 takes the integer path in
/// <see cref="SimdDecodeRgba8"/> instead (within 1 code value).
/// </summary>
internal static unsafe class SimdYuv
{
    static readonly bool Vector = Avx2.IsSupported;

    // ---------------------------------------------------------------- unpack

    public static void UnpackRow(in HostFrame f, int y, SimdScratch s)
    {
        int w = f.Width, pairs = (w + 1) / 2;
        byte* row = (byte*)f.Address + (long)y * f.Layout.Pitch;
        fixed (int* ye = s.YEven, yo = s.YOdd, cb = s.Cb, cr = s.Cr)
        {
            if (f.Format == PixelFormat.Yuv422p10)
            {
                ushort* py = (ushort*)row;
                ushort* pb = (ushort*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
                ushort* pr = (ushort*)((byte*)f.Address + f.Layout.Plane2Offset + (long)y * f.Layout.Plane1Pitch);
                int k = 0;
                if (Vector)
                {
                    var m = Vector256.Create(0x3FF);
                    for (; 2 * k + 16 <= w; k += 8)
                    {
                        var v = Avx.LoadVector256((int*)(py + 2 * k));
                        Avx.Store(ye + k, Avx2.And(v, m));
                        Avx.Store(yo + k, Avx2.And(Avx2.ShiftRightLogical(v, 16), m));
                    }
                }
                for (; k < pairs; k++) { ye[k] = py[2 * k] & 0x3FF; yo[k] = 2 * k + 1 < w ? py[2 * k + 1] & 0x3FF : 0; }
                k = 0;
                if (Vector)
                {
                    var m = Vector256.Create(0x3FF);
                    for (; k + 8 <= pairs; k += 8)
                    {
                        Avx.Store(cb + k, Avx2.And(Avx2.ConvertToVector256Int32(pb + k), m));
                        Avx.Store(cr + k, Avx2.And(Avx2.ConvertToVector256Int32(pr + k), m));
                    }
                }
                for (; k < pairs; k++) { cb[k] = pb[k] & 0x3FF; cr[k] = pr[k] & 0x3FF; }
            }
            else
            {
                int groups = (w + 5) / 6;
                uint* words = (uint*)row;
                int g = 0;
                if (Vector)
                {
                    var m = Vector256.Create(0x3FF);
                    var pCb = Vector256.Create(0, 1, 2, 4, 5, 6, 0, 0);
                    var pCr = Vector256.Create(0, 2, 3, 4, 6, 7, 0, 0);
                    var pYe = Vector256.Create(0, 1, 3, 4, 5, 7, 0, 0);
                    var pYo = Vector256.Create(1, 2, 3, 5, 6, 7, 0, 0);
                    // 8 words = 2 groups = 6 pairs per step; reads stay inside the 128-byte block padding.
                    for (; g < groups; g += 2)
                    {
                        var v = Avx.LoadVector256((int*)words + 4 * g);
                        var s0 = Avx2.And(v, m);
                        var s1 = Avx2.And(Avx2.ShiftRightLogical(v, 10), m);
                        var s2 = Avx2.And(Avx2.ShiftRightLogical(v, 20), m);
                        int p = 3 * g;
                        Avx.Store(cb + p, Avx2.PermuteVar8x32(Avx2.Blend(Avx2.Blend(s0, s1, 0b00100010), s2, 0b01000100), pCb));
                        Avx.Store(cr + p, Avx2.PermuteVar8x32(Avx2.Blend(Avx2.Blend(s2, s0, 0b01000100), s1, 0b10001000), pCr));
                        Avx.Store(ye + p, Avx2.PermuteVar8x32(Avx2.Blend(Avx2.Blend(s1, s2, 0b00100010), s0, 0b10001000), pYe));
                        Avx.Store(yo + p, Avx2.PermuteVar8x32(Avx2.Blend(Avx2.Blend(s0, s1, 0b01000100), s2, 0b10001000), pYo));
                    }
                }
                for (; g < groups; g++)
                {
                    uint w0 = words[4 * g], w1 = words[4 * g + 1], w2 = words[4 * g + 2], w3 = words[4 * g + 3];
                    int p = 3 * g;
                    cb[p] = (int)(w0 & 0x3FF); ye[p] = (int)((w0 >> 10) & 0x3FF); cr[p] = (int)((w0 >> 20) & 0x3FF);
                    yo[p] = (int)(w1 & 0x3FF); cb[p + 1] = (int)((w1 >> 10) & 0x3FF); ye[p + 1] = (int)((w1 >> 20) & 0x3FF);
                    cr[p + 1] = (int)(w2 & 0x3FF); yo[p + 1] = (int)((w2 >> 10) & 0x3FF); cb[p + 2] = (int)((w2 >> 20) & 0x3FF);
                    ye[p + 2] = (int)(w3 & 0x3FF); cr[p + 2] = (int)((w3 >> 10) & 0x3FF); yo[p + 2] = (int)((w3 >> 20) & 0x3FF);
                }
            }
            cb[pairs] = cb[pairs - 1]; cr[pairs] = cr[pairs - 1]; // edge: the last odd pixel repeats
        }
        if (f.Format == PixelFormat.V210a)
        {
            uint* kw = (uint*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            fixed (int* ke = s.KeyEven, ko = s.KeyOdd)
            {
                int words = (w + 2) / 3, k = 0;
                if (Vector)
                {
                    // 4 words = 12 keys = 6 pairs per step: word and field of pixels 0 2 4 6 8 10 and 1 3 5 7 9 11
                    var wordE = Vector256.Create(0, 0, 1, 2, 2, 3, 3, 3); var shiftE = Vector256.Create(0u, 20, 10, 0, 20, 10, 0, 0);
                    var wordO = Vector256.Create(0, 1, 1, 2, 3, 3, 3, 3); var shiftO = Vector256.Create(10u, 0, 20, 10, 0, 20, 0, 0);
                    var m = Vector256.Create(0x3FF);
                    for (int i = 0; 4 * i + 4 <= words; i++, k += 6)
                    {
                        var v = Sse2.LoadVector128((int*)kw + 4 * i).ToVector256Unsafe();
                        Avx.Store(ke + k, Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.PermuteVar8x32(v, wordE), shiftE), m));
                        Avx.Store(ko + k, Avx2.And(Avx2.ShiftRightLogicalVariable(Avx2.PermuteVar8x32(v, wordO), shiftO), m));
                    }
                }
                for (; k < pairs; k++) { ke[k] = KeyAt(kw, 2 * k, words); ko[k] = KeyAt(kw, 2 * k + 1, words); }
            }
        }
    }

    static int KeyAt(uint* kw, int x, int words) => x < 3 * words ? (int)((kw[x / 3] >> (10 * (x % 3))) & 0x3FF) : 0;

    // ---------------------------------------------------------------- decode

    public static void DecodeRow(in HostFrame src, in HostFrame dst, int y, in DecodeCoefficients c, SimdScratch s)
    {
        if (SimdDecodeRgba8.Supports(src.Format, dst.Format)) { SimdDecodeRgba8.DecodeRow(src, dst, y, c, s); return; }
        UnpackRow(src, y, s);
        int w = src.Width;
        byte* outRow = (byte*)dst.Address + (long)y * dst.Layout.Pitch;
        bool key = c.HasKey != 0;
        PixelFormat outFormat = dst.Format;
        int x = 0;
        fixed (int* ye = s.YEven, yo = s.YOdd, cb = s.Cb, cr = s.Cr, ke = s.KeyEven, ko = s.KeyOdd)
        {
            if (Vector)
            {
                var k1024 = Vector256.Create(1024);
                var ky = Vector256.Create(c.Ky); var oy = Vector256.Create(c.Oy);
                var rcr = Vector256.Create(c.RCr); var gcb = Vector256.Create(c.GCb); var gcr = Vector256.Create(c.GCr); var bcb = Vector256.Create(c.BCb);
                var ka = Vector256.Create(c.Ka); var oa = Vector256.Create(c.Oa);
                bool linear = c.Linear != 0;
                float* tmp = stackalloc float[128];
                for (; x + 16 <= w; x += 16)
                {
                    int k = x >> 1;
                    var vcb = Avx.LoadVector256(cb + k); var vcr = Avx.LoadVector256(cr + k);
                    var cb2e = Avx2.Subtract(Avx2.Add(vcb, vcb), k1024);
                    var cr2e = Avx2.Subtract(Avx2.Add(vcr, vcr), k1024);
                    Vector256<int> cb2o = cb2e, cr2o = cr2e;
                    if (linear)
                    {
                        cb2o = Avx2.Subtract(Avx2.Add(vcb, Avx.LoadVector256(cb + k + 1)), k1024);
                        cr2o = Avx2.Subtract(Avx2.Add(vcr, Avx.LoadVector256(cr + k + 1)), k1024);
                    }
                    Pixel8(Avx.LoadVector256(ye + k), cb2e, cr2e, key ? Avx.LoadVector256(ke + k) : default, key, ky, oy, rcr, gcb, gcr, bcb, ka, oa,
                        out var re, out var ge, out var be, out var ae);
                    Pixel8(Avx.LoadVector256(yo + k), cb2o, cr2o, key ? Avx.LoadVector256(ko + k) : default, key, ky, oy, rcr, gcb, gcr, bcb, ka, oa,
                        out var ro, out var go, out var bo, out var ao);
                    switch (outFormat)
                    {
                        case PixelFormat.Rgba8: StoreRgba8(outRow + 4 * x, re, ge, be, ae, ro, go, bo, ao); break;
                        case PixelFormat.Rgba16: StoreRgba16(outRow + 8 * x, re, ge, be, ae, ro, go, bo, ao); break;
                        case PixelFormat.RgbaFloat: StoreRgbaF(outRow + 16 * x, re, ge, be, ae, ro, go, bo, ao); break;
                        default:
                            StoreRgbaF((byte*)tmp, re, ge, be, ae, ro, go, bo, ao);
                            ushort* h = (ushort*)(outRow + 8 * x);
                            for (int i = 0; i < 64; i++) h[i] = ColorMath.FloatToHalf(tmp[i]);
                            break;
                    }
                }
            }
            for (; x < w; x++)
            {
                int k = x >> 1;
                bool odd = (x & 1) == 1;
                int cb2 = odd && c.Linear != 0 ? cb[k] + cb[k + 1] - 1024 : 2 * cb[k] - 1024;
                int cr2 = odd && c.Linear != 0 ? cr[k] + cr[k + 1] - 1024 : 2 * cr[k] - 1024;
                int kv = key ? (odd ? ko[k] : ke[k]) : 0;
                Float4 p = ColorMath.DecodePixel(odd ? yo[k] : ye[k], cb2, cr2, kv, c);
                HostPixels.StoreUnits(outRow, outFormat, x, p);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Pixel8(Vector256<int> yv, Vector256<int> cb2, Vector256<int> cr2, Vector256<int> keyv, bool key,
        Vector256<float> ky, Vector256<float> oy, Vector256<float> rcr, Vector256<float> gcb, Vector256<float> gcr, Vector256<float> bcb,
        Vector256<float> ka, Vector256<float> oa,
        out Vector256<float> r, out Vector256<float> g, out Vector256<float> b, out Vector256<float> a)
    {
        var ys = Avx.Add(Avx.Multiply(Avx.ConvertToVector256Single(yv), ky), oy);
        var fb = Avx.ConvertToVector256Single(cb2);
        var fr = Avx.ConvertToVector256Single(cr2);
        r = Avx.Add(ys, Avx.Multiply(fr, rcr));
        g = Avx.Add(Avx.Add(ys, Avx.Multiply(fb, gcb)), Avx.Multiply(fr, gcr));
        b = Avx.Add(ys, Avx.Multiply(fb, bcb));
        a = key ? Avx.Add(Avx.Multiply(Avx.ConvertToVector256Single(keyv), ka), oa) : oa;
    }

    static readonly Vector256<byte> Transpose4x4 = Vector256.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);

    /// <summary>8 even + 8 odd pixels -> 16 RGBA8 pixels. cvtps2dq rounds to nearest even; the packs saturate (= clamp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRgba8(byte* o, Vector256<float> re, Vector256<float> ge, Vector256<float> be, Vector256<float> ae,
        Vector256<float> ro, Vector256<float> go, Vector256<float> bo, Vector256<float> ao)
    {
        var e = Avx2.Shuffle(Avx2.PackUnsignedSaturate(
            Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(re), Avx.ConvertToVector256Int32(ge)),
            Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(be), Avx.ConvertToVector256Int32(ae))), Transpose4x4).AsInt32();
        var d = Avx2.Shuffle(Avx2.PackUnsignedSaturate(
            Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(ro), Avx.ConvertToVector256Int32(go)),
            Avx2.PackSignedSaturate(Avx.ConvertToVector256Int32(bo), Avx.ConvertToVector256Int32(ao))), Transpose4x4).AsInt32();
        var lo = Avx2.UnpackLow(e, d);   // e0 o0 e1 o1 | e4 o4 e5 o5
        var hi = Avx2.UnpackHigh(e, d);  // e2 o2 e3 o3 | e6 o6 e7 o7
        Avx.Store((int*)o, Avx2.Permute2x128(lo, hi, 0x20));
        Avx.Store((int*)o + 8, Avx2.Permute2x128(lo, hi, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Pack16(Vector256<float> r, Vector256<float> g, Vector256<float> b, Vector256<float> a, out Vector256<long> p01, out Vector256<long> p23)
    {
        var rg = Avx2.PackUnsignedSaturate(Avx.ConvertToVector256Int32(r), Avx.ConvertToVector256Int32(g)); // R0-3 G0-3 | R4-7 G4-7
        var ba = Avx2.PackUnsignedSaturate(Avx.ConvertToVector256Int32(b), Avx.ConvertToVector256Int32(a));
        var t1 = Avx2.UnpackLow(rg, ba);   // R0 B0 R1 B1 R2 B2 R3 B3
        var t2 = Avx2.UnpackHigh(rg, ba);  // G0 A0 G1 A1 ...
        p01 = Avx2.UnpackLow(t1, t2).AsInt64();  // px0 px1 | px4 px5
        p23 = Avx2.UnpackHigh(t1, t2).AsInt64(); // px2 px3 | px6 px7
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRgba16(byte* o, Vector256<float> re, Vector256<float> ge, Vector256<float> be, Vector256<float> ae,
        Vector256<float> ro, Vector256<float> go, Vector256<float> bo, Vector256<float> ao)
    {
        Pack16(re, ge, be, ae, out var e01, out var e23);
        Pack16(ro, go, bo, ao, out var o01, out var o23);
        var a = Avx2.UnpackLow(e01, o01);  // e0 o0 | e4 o4
        var b = Avx2.UnpackHigh(e01, o01); // e1 o1 | e5 o5
        var c = Avx2.UnpackLow(e23, o23);  // e2 o2 | e6 o6
        var d = Avx2.UnpackHigh(e23, o23); // e3 o3 | e7 o7
        long* p = (long*)o;
        Avx.Store(p, Avx2.Permute2x128(a, b, 0x20));
        Avx.Store(p + 4, Avx2.Permute2x128(c, d, 0x20));
        Avx.Store(p + 8, Avx2.Permute2x128(a, b, 0x31));
        Avx.Store(p + 12, Avx2.Permute2x128(c, d, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Aos(Vector256<float> r, Vector256<float> g, Vector256<float> b, Vector256<float> a,
        out Vector256<float> p0, out Vector256<float> p1, out Vector256<float> p2, out Vector256<float> p3)
    {
        var t0 = Avx.UnpackLow(r, g).AsDouble(); var t1 = Avx.UnpackHigh(r, g).AsDouble();
        var t2 = Avx.UnpackLow(b, a).AsDouble(); var t3 = Avx.UnpackHigh(b, a).AsDouble();
        p0 = Avx.UnpackLow(t0, t2).AsSingle();  // px0 | px4
        p1 = Avx.UnpackHigh(t0, t2).AsSingle(); // px1 | px5
        p2 = Avx.UnpackLow(t1, t3).AsSingle();  // px2 | px6
        p3 = Avx.UnpackHigh(t1, t3).AsSingle(); // px3 | px7
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRgbaF(byte* o, Vector256<float> re, Vector256<float> ge, Vector256<float> be, Vector256<float> ae,
        Vector256<float> ro, Vector256<float> go, Vector256<float> bo, Vector256<float> ao)
    {
        Aos(re, ge, be, ae, out var e0, out var e1, out var e2, out var e3);
        Aos(ro, go, bo, ao, out var o0, out var o1, out var o2, out var o3);
        float* p = (float*)o;
        Avx.Store(p, Avx.Permute2x128(e0, o0, 0x20));
        Avx.Store(p + 8, Avx.Permute2x128(e1, o1, 0x20));
        Avx.Store(p + 16, Avx.Permute2x128(e2, o2, 0x20));
        Avx.Store(p + 24, Avx.Permute2x128(e3, o3, 0x20));
        Avx.Store(p + 32, Avx.Permute2x128(e0, o0, 0x31));
        Avx.Store(p + 40, Avx.Permute2x128(e1, o1, 0x31));
        Avx.Store(p + 48, Avx.Permute2x128(e2, o2, 0x31));
        Avx.Store(p + 56, Avx.Permute2x128(e3, o3, 0x31));
    }

    // ---------------------------------------------------------------- encode

    /// <summary>8 pixels of an RGBA row (in the format's units) as channel vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load8(byte* p, PixelFormat format, out Vector256<float> r, out Vector256<float> g, out Vector256<float> b, out Vector256<float> a)
    {
        if (format == PixelFormat.Rgba8)
        {
            var v = Avx.LoadVector256((int*)p);
            var m = Vector256.Create(0xFF);
            r = Avx.ConvertToVector256Single(Avx2.And(v, m));
            g = Avx.ConvertToVector256Single(Avx2.And(Avx2.ShiftRightLogical(v, 8), m));
            b = Avx.ConvertToVector256Single(Avx2.And(Avx2.ShiftRightLogical(v, 16), m));
            a = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(v, 24));
        }
        else if (format == PixelFormat.Rgba16)
        {
            var idx = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            var v0 = Avx2.PermuteVar8x32(Avx.LoadVector256((int*)p), idx);       // RG0-3 | BA0-3
            var v1 = Avx2.PermuteVar8x32(Avx.LoadVector256((int*)p + 8), idx);   // RG4-7 | BA4-7
            var rg = Avx2.Permute2x128(v0, v1, 0x20);
            var ba = Avx2.Permute2x128(v0, v1, 0x31);
            var m = Vector256.Create(0xFFFF);
            r = Avx.ConvertToVector256Single(Avx2.And(rg, m));
            g = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(rg, 16));
            b = Avx.ConvertToVector256Single(Avx2.And(ba, m));
            a = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(ba, 16));
        }
        else
        {
            float* f = (float*)p;
            var a0 = Avx.LoadVector256(f); var a1 = Avx.LoadVector256(f + 8); var a2 = Avx.LoadVector256(f + 16); var a3 = Avx.LoadVector256(f + 24);
            var x0 = Avx.Permute2x128(a0, a2, 0x20); // p0 | p4
            var x1 = Avx.Permute2x128(a0, a2, 0x31); // p1 | p5
            var x2 = Avx.Permute2x128(a1, a3, 0x20); // p2 | p6
            var x3 = Avx.Permute2x128(a1, a3, 0x31); // p3 | p7
            var t0 = Avx.UnpackLow(x0, x1).AsDouble();  // R0 R1 G0 G1
            var t1 = Avx.UnpackHigh(x0, x1).AsDouble(); // B0 B1 A0 A1
            var t2 = Avx.UnpackLow(x2, x3).AsDouble();
            var t3 = Avx.UnpackHigh(x2, x3).AsDouble();
            r = Avx.UnpackLow(t0, t2).AsSingle();
            g = Avx.UnpackHigh(t0, t2).AsSingle();
            b = Avx.UnpackLow(t1, t3).AsSingle();
            a = Avx.UnpackHigh(t1, t3).AsSingle();
        }
    }

    public static void EncodeRow(in HostFrame src, in HostFrame dst, int y, in EncodeCoefficients c, SimdScratch s)
    {
        int w = src.Width, pairs = (w + 1) / 2;
        byte* inRow = (byte*)src.Address + (long)y * src.Layout.Pitch;
        PixelFormat inFormat = src.Format;
        if (inFormat == PixelFormat.RgbaHalf)
        {
            // Widen half to float once (exact), then run the float path.
            float[] tmp = s.EnsureRow(w * 4 + 32);
            fixed (float* t = tmp)
            {
                ushort* h = (ushort*)inRow;
                for (int i = 0; i < 4 * w; i++) t[i] = ColorMath.HalfToFloat(h[i]);
                EncodeRowFrom((byte*)t, PixelFormat.RgbaFloat, w, pairs, dst, y, c, s);
            }
        }
        else if (inFormat == PixelFormat.Rgba8 && Vector) SimdEncodeRgba8.EncodeRow(inRow, w, pairs, dst, y, c, s);
        else EncodeRowFrom(inRow, inFormat, w, pairs, dst, y, c, s);
    }

    static void EncodeRowFrom(byte* inRow, PixelFormat inFormat, int w, int pairs, in HostFrame dst, int y, in EncodeCoefficients c, SimdScratch s)
    {
        int bpp = inFormat == PixelFormat.Rgba8 ? 4 : inFormat == PixelFormat.Rgba16 ? 8 : 16;
        bool key = dst.Format == PixelFormat.V210a;
        fixed (int* ye = s.YEven, yo = s.YOdd, cbq = s.Cb, crq = s.Cr, kk = s.Key)
        fixed (float* cbe = s.CbEven, cbo = s.CbOdd, cre = s.CrEven, cro = s.CrOdd)
        {
            int x = 0;
            if (Vector)
            {
                var yr = Vector256.Create(c.YR); var yg = Vector256.Create(c.YG); var yb = Vector256.Create(c.YB); var yOff = Vector256.Create(c.YO);
                var br = Vector256.Create(c.BR); var bg = Vector256.Create(c.BG); var bb = Vector256.Create(c.BB);
                var rr = Vector256.Create(c.RR); var rg = Vector256.Create(c.RG); var rb = Vector256.Create(c.RB); var co = Vector256.Create(c.CO);
                var ylo = Vector256.Create(c.YLo); var yhi = Vector256.Create(c.YHi);
                var kA = Vector256.Create(c.KA); var kO = Vector256.Create(c.KO); var klo = Vector256.Create(c.KLo); var khi = Vector256.Create(c.KHi);
                var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
                for (; x + 8 <= w; x += 8)
                {
                    Load8(inRow + bpp * x, inFormat, out var r, out var g, out var b, out var a);
                    var yv = Avx.Add(Avx.Add(Avx.Add(Avx.Multiply(r, yr), Avx.Multiply(g, yg)), Avx.Multiply(b, yb)), yOff);
                    var yi = Avx2.PermuteVar8x32(Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(yv, ylo), yhi)), split);
                    int k = x >> 1;
                    Sse2.Store(ye + k, yi.GetLower()); Sse2.Store(yo + k, yi.GetUpper());
                    var cbv = Avx2.PermuteVar8x32(Avx.Add(Avx.Add(Avx.Add(Avx.Multiply(r, br), Avx.Multiply(g, bg)), Avx.Multiply(b, bb)), co), split);
                    var crv = Avx2.PermuteVar8x32(Avx.Add(Avx.Add(Avx.Add(Avx.Multiply(r, rr), Avx.Multiply(g, rg)), Avx.Multiply(b, rb)), co), split);
                    Sse.Store(cbe + k, cbv.GetLower()); Sse.Store(cbo + k + 1, cbv.GetUpper());
                    Sse.Store(cre + k, crv.GetLower()); Sse.Store(cro + k + 1, crv.GetUpper());
                    if (key) Avx.Store(kk + x, Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(Avx.Add(Avx.Multiply(a, kA), kO), klo), khi)));
                }
            }
            for (; x < w; x++)
            {
                Float4 p = HostPixels.LoadUnits(inRow, inFormat, x);
                int yq = ColorMath.QuantizeRange(ColorMath.EncodeY(p.R, p.G, p.B, c), c.YLo, c.YHi);
                float fb = ColorMath.EncodeCb(p.R, p.G, p.B, c), fr = ColorMath.EncodeCr(p.R, p.G, p.B, c);
                int k = x >> 1;
                if ((x & 1) == 0) { ye[k] = yq; cbe[k] = fb; cre[k] = fr; }
                else { yo[k] = yq; cbo[k + 1] = fb; cro[k + 1] = fr; }
                if (key) kk[x] = ColorMath.QuantizeRange(p.A * c.KA + c.KO, c.KLo, c.KHi);
            }
            // Edges replicate: pixel -1 is pixel 0; for odd widths pixel w is pixel w-1.
            cbo[0] = cbe[0]; cro[0] = cre[0];
            if ((w & 1) == 1) { cbo[pairs] = cbe[pairs - 1]; cro[pairs] = cre[pairs - 1]; yo[pairs - 1] = 0; }

            int kq = 0;
            if (Vector)
            {
                var clo = Vector256.Create(c.CLo); var chi = Vector256.Create(c.CHi);
                var two = Vector256.Create(2f); var quarter = Vector256.Create(0.25f);
                for (; kq + 8 <= pairs; kq += 8)
                {
                    Vector256<float> b, r;
                    if (c.Linear != 0)
                    {
                        b = Avx.Multiply(Avx.Add(Avx.Add(Avx.LoadVector256(cbo + kq), Avx.Multiply(Avx.LoadVector256(cbe + kq), two)), Avx.LoadVector256(cbo + kq + 1)), quarter);
                        r = Avx.Multiply(Avx.Add(Avx.Add(Avx.LoadVector256(cro + kq), Avx.Multiply(Avx.LoadVector256(cre + kq), two)), Avx.LoadVector256(cro + kq + 1)), quarter);
                    }
                    else { b = Avx.LoadVector256(cbe + kq); r = Avx.LoadVector256(cre + kq); }
                    Avx.Store(cbq + kq, Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(b, clo), chi)));
                    Avx.Store(crq + kq, Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(r, clo), chi)));
                }
            }
            for (; kq < pairs; kq++)
            {
                float b = c.Linear != 0 ? ColorMath.Filter121(cbo[kq], cbe[kq], cbo[kq + 1]) : cbe[kq];
                float r = c.Linear != 0 ? ColorMath.Filter121(cro[kq], cre[kq], cro[kq + 1]) : cre[kq];
                cbq[kq] = ColorMath.QuantizeRange(b, c.CLo, c.CHi);
                crq[kq] = ColorMath.QuantizeRange(r, c.CLo, c.CHi);
            }
            for (int i = pairs; i < pairs + 16; i++) { ye[i] = 0; yo[i] = 0; cbq[i] = 0; crq[i] = 0; }

            PackRow(dst, y, w, pairs, ye, yo, cbq, crq, kk);
        }
    }

    internal static void PackRow(in HostFrame f, int y, int w, int pairs, int* ye, int* yo, int* cb, int* cr, int* key)
    {
        byte* row = (byte*)f.Address + (long)y * f.Layout.Pitch;
        if (f.Format == PixelFormat.Yuv422p10)
        {
            ushort* py = (ushort*)row;
            ushort* pb = (ushort*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            ushort* pr = (ushort*)((byte*)f.Address + f.Layout.Plane2Offset + (long)y * f.Layout.Plane1Pitch);
            int k = 0;
            if (Vector)
            {
                for (; 2 * k + 16 <= w; k += 8)
                {
                    var e = Avx.LoadVector256(ye + k); var o = Avx.LoadVector256(yo + k);
                    Avx.Store(py + 2 * k, Avx2.PackUnsignedSaturate(Avx2.UnpackLow(e, o), Avx2.UnpackHigh(e, o)));
                }
            }
            for (; k < pairs; k++) { py[2 * k] = (ushort)ye[k]; if (2 * k + 1 < w) py[2 * k + 1] = (ushort)yo[k]; }
            k = 0;
            if (Vector)
            {
                for (; k + 8 <= pairs; k += 8)
                {
                    var b = Avx.LoadVector256(cb + k); var r = Avx.LoadVector256(cr + k);
                    var packed = Avx2.Permute4x64(Avx2.PackUnsignedSaturate(b, r).AsInt64(), 0b11011000).AsUInt16(); // Cb0-7 | Cr0-7
                    Sse2.Store(pb + k, packed.GetLower());
                    Sse2.Store(pr + k, packed.GetUpper());
                }
            }
            for (; k < pairs; k++) { pb[k] = (ushort)cb[k]; pr[k] = (ushort)cr[k]; }
            return;
        }
        int groups = (w + 5) / 6;
        int words = f.Layout.Pitch / 4;
        uint* wp = (uint*)row;
        int g = 0;
        if (Vector)
        {
            var iCb = Vector256.Create(0, 1, 2, 0, 3, 4, 5, 0);
            var iCr = Vector256.Create(0, 0, 1, 2, 3, 3, 4, 5);
            var iYe = Vector256.Create(0, 1, 0, 2, 3, 4, 3, 5);
            var iYo = Vector256.Create(0, 0, 1, 2, 3, 3, 4, 5);
            for (; g < groups; g += 2)
            {
                int p = 3 * g;
                var pcb = Avx2.PermuteVar8x32(Avx.LoadVector256(cb + p), iCb);
                var pcr = Avx2.PermuteVar8x32(Avx.LoadVector256(cr + p), iCr);
                var pye = Avx2.PermuteVar8x32(Avx.LoadVector256(ye + p), iYe);
                var pyo = Avx2.PermuteVar8x32(Avx.LoadVector256(yo + p), iYo);
                var s0 = Avx2.Blend(Avx2.Blend(Avx2.Blend(pcb, pyo, 0b00100010), pcr, 0b01000100), pye, 0b10001000);
                var s1 = Avx2.Blend(Avx2.Blend(Avx2.Blend(pye, pcb, 0b00100010), pyo, 0b01000100), pcr, 0b10001000);
                var s2 = Avx2.Blend(Avx2.Blend(Avx2.Blend(pcr, pye, 0b00100010), pcb, 0b01000100), pyo, 0b10001000);
                Avx.Store((int*)wp + 4 * g, Avx2.Or(s0, Avx2.Or(Avx2.ShiftLeftLogical(s1, 10), Avx2.ShiftLeftLogical(s2, 20))));
            }
        }
        for (; g < groups; g++)
        {
            int p = 3 * g;
            wp[4 * g] = (uint)cb[p] | ((uint)ye[p] << 10) | ((uint)cr[p] << 20);
            wp[4 * g + 1] = (uint)yo[p] | ((uint)cb[p + 1] << 10) | ((uint)ye[p + 1] << 20);
            wp[4 * g + 2] = (uint)cr[p + 1] | ((uint)yo[p + 1] << 10) | ((uint)cb[p + 2] << 20);
            wp[4 * g + 3] = (uint)ye[p + 2] | ((uint)cr[p + 2] << 10) | ((uint)yo[p + 2] << 20);
        }
        for (int i = 4 * g; i < words; i++) wp[i] = 0;
        if (f.Format == PixelFormat.V210a)
        {
            uint* kp = (uint*)((byte*)f.Address + f.Layout.Plane1Offset + (long)y * f.Layout.Plane1Pitch);
            int keyWords = (w + 2) / 3;
            for (int i = 0; i < keyWords; i++)
            {
                int x = 3 * i;
                uint word = (uint)key[x];
                if (x + 1 < w) word |= (uint)key[x + 1] << 10;
                if (x + 2 < w) word |= (uint)key[x + 2] << 20;
                kp[i] = word;
            }
        }
    }
}
