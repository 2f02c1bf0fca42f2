using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// RGBA8 -> Y'CbCr rows in integer maths (AVX2): 13-bit fixed-point matrix via vpmaddwd, chroma kept unrounded in
/// Q13 through the [1 2 1]/4 filter, rounded once (half up). Within one 10-bit code value of the float reference
/// (see README); the key (alpha) is converted in float exactly like the reference.
/// v210 and v210a take the fused row in <see cref="SimdEncodeRgba8V210"/> (same values); yuv422p10 goes through scratch rows here.
/// </summary>
internal static unsafe class SimdEncodeRgba8
{
    const int Bits = 13;

    static short Q(float c) => (short)Math.Clamp((int)MathF.Round(c * (1 << Bits)), short.MinValue, short.MaxValue);

    public static void EncodeRow(byte* inRow, int w, int pairs, in HostFrame dst, int y, in EncodeCoefficients c, SimdScratch s)
    {
        if (dst.Format != PixelFormat.Yuv422p10)
        {
            SimdEncodeRgba8V210.EncodeRow(inRow, w, dst, y, c);
            return;
        }
        bool key = dst.Format == PixelFormat.V210a;
        short yr = Q(c.YR), yg = Q(c.YG), yb = Q(c.YB), br = Q(c.BR), bg = Q(c.BG), bb = Q(c.BB), rr = Q(c.RR), rg = Q(c.RG), rb = Q(c.RB);
        int yAdd = ((int)c.YO << Bits) + (1 << (Bits - 1));
        int yLo = (int)c.YLo, yHi = (int)c.YHi, cLo = (int)c.CLo, cHi = (int)c.CHi;
        fixed (int* ye = s.YEven, yo = s.YOdd, cbq = s.Cb, crq = s.Cr, kk = s.Key)
        fixed (float* cbeF = s.CbEven, cboF = s.CbOdd, creF = s.CrEven, croF = s.CrOdd)
        {
            // unrounded Q13 chroma per pixel (even pixels at k, odd pixels at k + 1), in the float scratch rows' memory
            int* cbe = (int*)cbeF, cbo = (int*)cboF, cre = (int*)creF, cro = (int*)croF;
            int x = 0;
            var cy = Vector256.Create(yr, yg, yb, 0, yr, yg, yb, 0, yr, yg, yb, 0, yr, yg, yb, 0);
            var ccb = Vector256.Create(br, bg, bb, 0, br, bg, bb, 0, br, bg, bb, 0, br, bg, bb, 0);
            var ccr = Vector256.Create(rr, rg, rb, 0, rr, rg, rb, 0, rr, rg, rb, 0, rr, rg, rb, 0);
            var split = Vector256.Create(0, 4, 2, 6, 1, 5, 3, 7); // hadd order 0 1 4 5 | 2 3 6 7 -> even | odd
            var yAddV = Vector256.Create(yAdd);
            var yLoV = Vector256.Create(yLo); var yHiV = Vector256.Create(yHi);
            var kA = Vector256.Create(c.KA); var kO = Vector256.Create(c.KO); var klo = Vector256.Create(c.KLo); var khi = Vector256.Create(c.KHi);
            for (; x + 8 <= w; x += 8)
            {
                byte* p = inRow + 4 * x;
                var lo = Avx2.ConvertToVector256Int16(p);
                var hi = Avx2.ConvertToVector256Int16(p + 16);
                var ys = Avx2.HorizontalAdd(Avx2.MultiplyAddAdjacent(lo, cy), Avx2.MultiplyAddAdjacent(hi, cy));
                var yq = Avx2.Min(Avx2.Max(Avx2.ShiftRightArithmetic(Avx2.Add(ys, yAddV), Bits), yLoV), yHiV);
                yq = Avx2.PermuteVar8x32(yq, split);
                int k = x >> 1;
                Sse2.Store(ye + k, yq.GetLower()); Sse2.Store(yo + k, yq.GetUpper());
                var bs = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(Avx2.MultiplyAddAdjacent(lo, ccb), Avx2.MultiplyAddAdjacent(hi, ccb)), split);
                var rs = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(Avx2.MultiplyAddAdjacent(lo, ccr), Avx2.MultiplyAddAdjacent(hi, ccr)), split);
                Sse2.Store(cbe + k, bs.GetLower()); Sse2.Store(cbo + k + 1, bs.GetUpper());
                Sse2.Store(cre + k, rs.GetLower()); Sse2.Store(cro + k + 1, rs.GetUpper());
                if (key)
                {
                    var a = Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(Avx.LoadVector256((int*)p), 24));
                    Avx.Store(kk + x, Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(Avx.Add(Avx.Multiply(a, kA), kO), klo), khi)));
                }
            }
            for (; x < w; x++)
            {
                byte* p = inRow + 4 * x;
                int r = p[0], g = p[1], b = p[2];
                int yq = Math.Clamp((r * yr + g * yg + b * yb + yAdd) >> Bits, yLo, yHi);
                int fb = r * br + g * bg + b * bb, fr = r * rr + g * rg + b * rb;
                int k = x >> 1;
                if ((x & 1) == 0) { ye[k] = yq; cbe[k] = fb; cre[k] = fr; }
                else { yo[k] = yq; cbo[k + 1] = fb; cro[k + 1] = fr; }
                if (key) kk[x] = ColorMath.QuantizeRange(p[3] * c.KA + c.KO, c.KLo, c.KHi);
            }
            // Edges replicate: pixel -1 is pixel 0; for odd widths pixel w is pixel w-1.
            cbo[0] = cbe[0]; cro[0] = cre[0];
            if ((w & 1) == 1) { cbo[pairs] = cbe[pairs - 1]; cro[pairs] = cre[pairs - 1]; yo[pairs - 1] = 0; }

            bool linear = c.Linear != 0;
            int shift = linear ? Bits + 2 : Bits;
            int cAdd = (512 << shift) + (1 << (shift - 1));
            var cAddV = Vector256.Create(cAdd);
            var cLoV = Vector256.Create(cLo); var cHiV = Vector256.Create(cHi);
            int kq = 0;
            for (; kq + 8 <= pairs; kq += 8)
            {
                Vector256<int> b, r;
                if (linear)
                {
                    b = Avx2.Add(Avx2.Add(Avx.LoadVector256(cbo + kq), Avx2.ShiftLeftLogical(Avx.LoadVector256(cbe + kq), 1)), Avx.LoadVector256(cbo + kq + 1));
                    r = Avx2.Add(Avx2.Add(Avx.LoadVector256(cro + kq), Avx2.ShiftLeftLogical(Avx.LoadVector256(cre + kq), 1)), Avx.LoadVector256(cro + kq + 1));
                    b = Avx2.ShiftRightArithmetic(Avx2.Add(b, cAddV), Bits + 2);
                    r = Avx2.ShiftRightArithmetic(Avx2.Add(r, cAddV), Bits + 2);
                }
                else
                {
                    b = Avx2.ShiftRightArithmetic(Avx2.Add(Avx.LoadVector256(cbe + kq), cAddV), Bits);
                    r = Avx2.ShiftRightArithmetic(Avx2.Add(Avx.LoadVector256(cre + kq), cAddV), Bits);
                }
                Avx.Store(cbq + kq, Avx2.Min(Avx2.Max(b, cLoV), cHiV));
                Avx.Store(crq + kq, Avx2.Min(Avx2.Max(r, cLoV), cHiV));
            }
            for (; kq < pairs; kq++)
            {
                int b = linear ? cbo[kq] + 2 * cbe[kq] + cbo[kq + 1] : cbe[kq];
                int r = linear ? cro[kq] + 2 * cre[kq] + cro[kq + 1] : cre[kq];
                cbq[kq] = Math.Clamp((b + cAdd) >> shift, cLo, cHi);
                crq[kq] = Math.Clamp((r + cAdd) >> shift, cLo, cHi);
            }
            for (int i = pairs; i < pairs + 16; i++) { ye[i] = 0; yo[i] = 0; cbq[i] = 0; crq[i] = 0; }
            SimdYuv.PackRow(dst, y, w, pairs, ye, yo, cbq, crq, kk);
        }
    }
}
