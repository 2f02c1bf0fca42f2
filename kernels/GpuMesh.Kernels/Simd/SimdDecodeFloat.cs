using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// Output side of the bit-exact SIMD decode to RGBA float, RGBA half and RGBA16 (<see cref="SimdYuv.DecodeRow"/>):
/// store policies and a vectorised float -> half. Large outputs (at least <see cref="NonTemporalMinBytes"/>) are
/// written with non-temporal stores at 32-byte aligned addresses; a row that starts 8, 16 or 24 bytes past alignment
/// is shifted by whole 8-byte words in registers (the first vectors of the row and the carried last words go through
/// plain stores), then a store fence ends the row.
/// </summary>
internal static unsafe class SimdDecodeFloat
{
    /// <summary>
    /// Output frames of at least this size bypass the caches: they would not stay there anyway (a 1080p RGBA float frame
    /// is 33 MB; this machine class has 32 MiB of L3). Smaller frames (1080p half / RGBA16, 16.6 MB) keep plain stores, so
    /// a consumer can still find them in L3; measured, streaming them gained nothing in a repeated single-frame loop.
    /// </summary>
    public const long NonTemporalMinBytes = 24L << 20;

    // ---------------------------------------------------------------- store policies

    /// <summary>Where the 32-byte output vectors go: <c>p</c> is the vector's place in the row.</summary>
    internal interface IStore
    {
        static abstract void Put(byte* p, Vector256<byte> v, ref Vector256<byte> carry);
        /// <summary>
        /// 16 float pixels from two <c>Aos</c> transposes: e0..e3 = (px0|px8) (px2|px10) (px4|px12) (px6|px14),
        /// o0..o3 = (px1|px9) (px3|px11) (px5|px13) (px7|px15).
        /// </summary>
        static abstract void PutFloat16(byte* p, Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3,
            Vector256<float> o0, Vector256<float> o1, Vector256<float> o2, Vector256<float> o3, ref Vector256<byte> carry);
    }

    /// <summary>Plain (cached, unaligned) stores; keeps the last vector as the carry for a following shifted stream.</summary>
    internal readonly struct Plain : IStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put(byte* p, Vector256<byte> v, ref Vector256<byte> carry) { Avx.Store(p, v); carry = v; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void PutFloat16(byte* p, Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3,
            Vector256<float> o0, Vector256<float> o1, Vector256<float> o2, Vector256<float> o3, ref Vector256<byte> carry)
        {
            float* f = (float*)p;
            Avx.Store(f, Avx.Permute2x128(e0, o0, 0x20));
            Avx.Store(f + 8, Avx.Permute2x128(e1, o1, 0x20));
            Avx.Store(f + 16, Avx.Permute2x128(e2, o2, 0x20));
            Avx.Store(f + 24, Avx.Permute2x128(e3, o3, 0x20));
            Avx.Store(f + 32, Avx.Permute2x128(e0, o0, 0x31));
            Avx.Store(f + 40, Avx.Permute2x128(e1, o1, 0x31));
            Avx.Store(f + 48, Avx.Permute2x128(e2, o2, 0x31));
            var last = Avx.Permute2x128(e3, o3, 0x31);
            Avx.Store(f + 56, last);
            carry = last.AsByte();
        }
    }

    internal interface IShift { static abstract int J { get; } }
    internal readonly struct S0 : IShift { public static int J => 0; }
    internal readonly struct S1 : IShift { public static int J => 1; }
    internal readonly struct S2 : IShift { public static int J => 2; }
    internal readonly struct S3 : IShift { public static int J => 3; }

    /// <summary>
    /// Non-temporal stores for a row starting J 8-byte words past a 32-byte boundary: the vector stored at
    /// <c>p - 8J</c> (aligned) is the carry's last J words followed by the first 4 - J words of <c>v</c>.
    /// The carry's last J words (its upper half for J = 2) are the row's bytes not yet written.
    /// </summary>
    internal readonly struct Nt<TShift> : IStore where TShift : struct, IShift
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put(byte* p, Vector256<byte> v, ref Vector256<byte> carry)
        {
            Vector256<byte> o;
            if (TShift.J == 0) o = v;
            else if (TShift.J == 2) o = Avx2.Permute2x128(carry, v, 0x21);
            else if (TShift.J == 1) o = Avx2.AlignRight(v, Avx2.Permute2x128(carry, v, 0x21), 8);
            else o = Avx2.AlignRight(Avx2.Permute2x128(carry, v, 0x21), carry, 8);
            Avx.StoreAlignedNonTemporal(p - 8 * TShift.J, o);
            carry = v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void PutFloat16(byte* p, Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3,
            Vector256<float> o0, Vector256<float> o1, Vector256<float> o2, Vector256<float> o3, ref Vector256<byte> carry)
        {
            float* f = (float*)p;
            if (TShift.J == 0)
            {
                Avx.StoreAlignedNonTemporal(f, Avx.Permute2x128(e0, o0, 0x20));
                Avx.StoreAlignedNonTemporal(f + 8, Avx.Permute2x128(e1, o1, 0x20));
                Avx.StoreAlignedNonTemporal(f + 16, Avx.Permute2x128(e2, o2, 0x20));
                Avx.StoreAlignedNonTemporal(f + 24, Avx.Permute2x128(e3, o3, 0x20));
                Avx.StoreAlignedNonTemporal(f + 32, Avx.Permute2x128(e0, o0, 0x31));
                Avx.StoreAlignedNonTemporal(f + 40, Avx.Permute2x128(e1, o1, 0x31));
                Avx.StoreAlignedNonTemporal(f + 48, Avx.Permute2x128(e2, o2, 0x31));
                var last = Avx.Permute2x128(e3, o3, 0x31);
                Avx.StoreAlignedNonTemporal(f + 56, last);
                carry = last.AsByte();
            }
            else if (TShift.J == 2)
            {
                // One pixel (16 bytes) behind: (carried px | px0) (px1 | px2) ... (px13 | px14), carry px15 (upper half of o3).
                Avx.StoreAlignedNonTemporal(f - 4, Avx.Permute2x128(carry.AsSingle(), e0, 0x21));
                Avx.StoreAlignedNonTemporal(f + 4, Avx.Permute2x128(o0, e1, 0x20));
                Avx.StoreAlignedNonTemporal(f + 12, Avx.Permute2x128(o1, e2, 0x20));
                Avx.StoreAlignedNonTemporal(f + 20, Avx.Permute2x128(o2, e3, 0x20));
                Avx.StoreAlignedNonTemporal(f + 28, Avx.Permute2x128(o3, e0, 0x30));
                Avx.StoreAlignedNonTemporal(f + 36, Avx.Permute2x128(o0, e1, 0x31));
                Avx.StoreAlignedNonTemporal(f + 44, Avx.Permute2x128(o1, e2, 0x31));
                Avx.StoreAlignedNonTemporal(f + 52, Avx.Permute2x128(o2, e3, 0x31));
                carry = o3.AsByte();
            }
            else
            {
                Put(p, Avx.Permute2x128(e0, o0, 0x20).AsByte(), ref carry);
                Put(p + 32, Avx.Permute2x128(e1, o1, 0x20).AsByte(), ref carry);
                Put(p + 64, Avx.Permute2x128(e2, o2, 0x20).AsByte(), ref carry);
                Put(p + 96, Avx.Permute2x128(e3, o3, 0x20).AsByte(), ref carry);
                Put(p + 128, Avx.Permute2x128(e0, o0, 0x31).AsByte(), ref carry);
                Put(p + 160, Avx.Permute2x128(e1, o1, 0x31).AsByte(), ref carry);
                Put(p + 192, Avx.Permute2x128(e2, o2, 0x31).AsByte(), ref carry);
                Put(p + 224, Avx.Permute2x128(e3, o3, 0x31).AsByte(), ref carry);
            }
        }
    }

    /// <summary>Store the carried, not yet written words of a shifted stream at their place (<c>end</c>: end of the streamed bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Flush(byte* end, int j, Vector256<byte> carry)
    {
        if (j == 2) Sse2.Store(end - 16, carry.GetUpper());
        else if (j != 0) Avx.Store(end - 32, carry);
    }

    /// <summary>Stream (non-temporal) a row of this output frame? -1: plain stores; else the row's 8-byte misalignment 0..3.</summary>
    internal static int StreamShift(in HostFrame dst, byte* row) =>
        (long)dst.Layout.Pitch * dst.Height >= NonTemporalMinBytes && ((nint)row & 7) == 0 ? (int)(((nint)row >> 3) & 3) : -1;

    /// <summary>
    /// float -> IEEE half bits (low 16 bits of each lane), the same bits as <see cref="ColorMath.FloatToHalf"/> for every
    /// input: round to nearest even, half denormals, overflow to infinity, NaN -> 0x7E00 with the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> ToHalf(Vector256<float> v)
    {
        var f = v.AsInt32();
        var sign = Avx2.And(f, Vector256.Create(int.MinValue));
        var a = Avx2.Xor(f, sign);                                                         // |v| bits
        // normal: rebias the exponent, add 0xFFF + (lowest kept bit) so the shift rounds to nearest even
        var odd = Avx2.And(Avx2.ShiftRightLogical(a, 13), Vector256.Create(1));
        var n = Avx2.ShiftRightLogical(Avx2.Add(Avx2.Add(a, Vector256.Create(unchecked((int)0xC8000FFFu))), odd), 13);
        // below 2^-14: adding 0.5f leaves the half denormal (units of 2^-24, rounded to nearest even) in the low bits
        var d = Avx2.Subtract(Avx.Add(a.AsSingle(), Vector256.Create(0.5f)).AsInt32(), Vector256.Create(0x3F000000));
        var h = Avx2.BlendVariable(n, d, Avx2.CompareGreaterThan(Vector256.Create(0x38800000), a));
        h = Avx2.Min(h, Vector256.Create(0x7C00));                                         // >= 65520 (and inf) -> inf
        h = Avx2.BlendVariable(h, Vector256.Create(0x7E00), Avx2.CompareGreaterThan(a, Vector256.Create(0x7F800000))); // NaN
        return Avx2.Or(h, Avx2.ShiftRightLogical(sign, 16));
    }
}
