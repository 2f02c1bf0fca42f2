using System.Runtime.CompilerServices;

namespace GpuMesh.Kernels;

/// <summary>Y'CbCr matrix.</summary>
public enum ColorMatrix { Bt709 = 0, Bt2020Ncl = 1, Bt601 = 2 }

/// <summary>Code range: narrow (video: Y 64..940, C 64..960 in 10 bits) or full (0..1023).</summary>
public enum ColorRange { Narrow = 0, Full = 1 }

/// <summary>
/// Chroma filter. Decode: Linear interpolates the odd pixel between its two co-sited neighbours, Nearest repeats.
/// Encode: Linear low-passes with [1 2 1]/4 around the co-sited pixel, Nearest takes the co-sited pixel (drop).
/// </summary>
public enum ChromaFilter { Linear = 0, Nearest = 1 }

/// <summary>Range of a v210a key (alpha) plane: full (0..1023 = transparent..opaque, the default) or narrow (64..940).</summary>
public enum KeyRange { Full = 0, Narrow = 1 }

/// <summary>Colour description of a Y'CbCr signal. default(ColorSpec): BT.709, narrow range, linear chroma, full-range key.</summary>
public readonly record struct ColorSpec(
    ColorMatrix Matrix = ColorMatrix.Bt709,
    ColorRange Range = ColorRange.Narrow,
    ChromaFilter Chroma = ChromaFilter.Linear,
    KeyRange KeyRange = KeyRange.Full)
{
    public static ColorSpec Default => new();

    /// <summary>Luma weights (Kr, Kb) of the matrix.</summary>
    public (double Kr, double Kb) LumaWeights => Matrix switch
    {
        ColorMatrix.Bt709 => (0.2126, 0.0722),
        ColorMatrix.Bt2020Ncl => (0.2627, 0.0593),
        ColorMatrix.Bt601 => (0.299, 0.114),
        _ => throw new ArgumentOutOfRangeException(nameof(Matrix), Matrix, "unknown colour matrix"),
    };
}

/// <summary>
/// Y'CbCr -> RGBA coefficients, in units of the output format (M = 255, 65535 or 1.0).
/// Chroma enters doubled and centred: c2 = 2*C - 1024 for a co-sited pixel, C[k] + C[k+1] - 1024 for an interpolated one.
/// R = ys + cr2*RCr; G = (ys + cb2*GCb) + cr2*GCr; B = ys + cb2*BCb with ys = Y*Ky + Oy; A = K*Ka + Oa.
/// </summary>
public struct DecodeCoefficients
{
    public float Ky, Oy, RCr, GCb, GCr, BCb, Ka, Oa, Max;
    public int Linear;    // 1: interpolate odd chroma
    public int HasKey;

    public static DecodeCoefficients Create(in ColorSpec spec, PixelFormat output, bool hasKey)
    {
        double m = OutputScale(output);
        var (kr, kb) = spec.LumaWeights;
        double kg = 1 - kr - kb;
        bool narrow = spec.Range == ColorRange.Narrow;
        double yScale = narrow ? 876 : 1023, yOff = narrow ? 64 : 0, cScale = narrow ? 896 : 1023;
        double sc = m / cScale / 2; // per doubled chroma unit
        bool keyNarrow = spec.KeyRange == KeyRange.Narrow;
        return new DecodeCoefficients
        {
            Ky = (float)(m / yScale),
            Oy = (float)(-yOff * m / yScale),
            RCr = (float)(2 * (1 - kr) * sc),
            GCb = (float)(-2 * (1 - kb) * kb / kg * sc),
            GCr = (float)(-2 * (1 - kr) * kr / kg * sc),
            BCb = (float)(2 * (1 - kb) * sc),
            Ka = hasKey ? (float)(m / (keyNarrow ? 876 : 1023)) : 0f,
            Oa = hasKey ? (float)(keyNarrow ? -64 * m / 876 : 0) : (float)m,
            Max = (float)m,
            Linear = spec.Chroma == ChromaFilter.Linear ? 1 : 0,
            HasKey = hasKey ? 1 : 0,
        };
    }

    /// <summary>Full-scale value of an RGBA format: 255, 65535, or 1 for half/float.</summary>
    public static double OutputScale(PixelFormat f) => f switch
    {
        PixelFormat.Rgba8 => 255,
        PixelFormat.Rgba16 => 65535,
        PixelFormat.RgbaHalf or PixelFormat.RgbaFloat => 1,
        _ => throw new ArgumentException($"{f} is not an RGBA format"),
    };
}

/// <summary>
/// RGBA -> Y'CbCr coefficients; inputs in units of the source format. Y = ((r*YR + g*YG) + b*YB) + YO, same shape for Cb, Cr, key = a*KA + KO.
/// </summary>
public struct EncodeCoefficients
{
    public float YR, YG, YB, YO, BR, BG, BB, RR, RG, RB, CO, KA, KO;
    public float YLo, YHi, CLo, CHi, KLo, KHi;
    public int Linear;   // 1: [1 2 1]/4 chroma low-pass, 0: co-sited

    public static EncodeCoefficients Create(in ColorSpec spec, PixelFormat input)
    {
        double m = DecodeCoefficients.OutputScale(input);
        var (kr, kb) = spec.LumaWeights;
        double kg = 1 - kr - kb;
        bool narrow = spec.Range == ColorRange.Narrow;
        double ys = narrow ? 876 : 1023, cs = narrow ? 896 : 1023;
        bool keyNarrow = spec.KeyRange == KeyRange.Narrow;
        double cb = cs / (2 * (1 - kb)) / m, cr = cs / (2 * (1 - kr)) / m;
        return new EncodeCoefficients
        {
            YR = (float)(ys * kr / m), YG = (float)(ys * kg / m), YB = (float)(ys * kb / m), YO = narrow ? 64f : 0f,
            BR = (float)(-kr * cb), BG = (float)(-kg * cb), BB = (float)((1 - kb) * cb),
            RR = (float)((1 - kr) * cr), RG = (float)(-kg * cr), RB = (float)(-kb * cr),
            CO = 512f,
            KA = (float)((keyNarrow ? 876 : 1023) / m), KO = keyNarrow ? 64f : 0f,
            YLo = narrow ? 4 : 0, YHi = narrow ? 1019 : 1023, CLo = narrow ? 4 : 0, CHi = narrow ? 1019 : 1023,
            KLo = keyNarrow ? 4 : 0, KHi = keyNarrow ? 1019 : 1023,
            Linear = spec.Chroma == ChromaFilter.Linear ? 1 : 0,
        };
    }
}

/// <summary>Scalar colour maths shared by the reference and the ILGPU kernels (kernel-safe: no classes, exceptions or intrinsics).</summary>
public static class ColorMath
{
    const float RoundMagic = 12582912f; // 1.5 * 2^23

    /// <summary>Round to nearest, ties to even, for |x| &lt; 2^22 (same result as cvtps2dq).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Rint(float x)
    {
        float t = x + RoundMagic;
        return t - RoundMagic;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Clamp(float x, float lo, float hi) => x < lo ? lo : (x > hi ? hi : x);

    /// <summary>Clamp to [0, max] then round to the nearest integer code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Quantize(float x, float max) => (int)Rint(Clamp(x, 0f, max));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int QuantizeRange(float x, float lo, float hi) => (int)Rint(Clamp(x, lo, hi));

    /// <summary>Decode one pixel. cb2/cr2: doubled, centred chroma (see <see cref="DecodeCoefficients"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 DecodePixel(int y, int cb2, int cr2, int key, in DecodeCoefficients c)
    {
        float ys = (float)y * c.Ky + c.Oy;
        float fb = cb2, fr = cr2;
        Float4 p;
        p.R = ys + fr * c.RCr;
        p.G = ys + fb * c.GCb + fr * c.GCr;
        p.B = ys + fb * c.BCb;
        p.A = (float)key * c.Ka + c.Oa;
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float EncodeY(float r, float g, float b, in EncodeCoefficients c) => r * c.YR + g * c.YG + b * c.YB + c.YO;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float EncodeCb(float r, float g, float b, in EncodeCoefficients c) => r * c.BR + g * c.BG + b * c.BB + c.CO;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float EncodeCr(float r, float g, float b, in EncodeCoefficients c) => r * c.RR + g * c.RG + b * c.RB + c.CO;

    /// <summary>Chroma low-pass [1 2 1]/4 around a co-sited sample.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Filter121(float left, float centre, float right) => (left + centre * 2f + right) * 0.25f;

    /// <summary>float -> IEEE half bits, round to nearest even (same as System.Half).</summary>
    public static ushort FloatToHalf(float value)
    {
        uint f = ILGPU.Interop.FloatAsInt(value);
        uint sign = (f >> 16) & 0x8000u;
        uint a = f & 0x7FFFFFFFu;
        if (a >= 0x7F800000u) return (ushort)(sign | (a > 0x7F800000u ? 0x7E00u : 0x7C00u));
        if (a >= 0x477FF000u) return (ushort)(sign | 0x7C00u);
        if (a < 0x38800000u)
        {
            if (a <= 0x33000000u) return (ushort)sign;
            uint m = (a & 0x7FFFFFu) | 0x800000u;
            int s = 126 - (int)(a >> 23);
            uint h = m >> s;
            uint rem = m & ((1u << s) - 1u);
            uint half = 1u << (s - 1);
            if (rem > half || (rem == half && (h & 1u) != 0)) h++;
            return (ushort)(sign | h);
        }
        uint n = (a - 0x38000000u) >> 13;
        uint r = a & 0x1FFFu;
        if (r > 0x1000u || (r == 0x1000u && (n & 1u) != 0)) n++;
        return (ushort)(sign | n);
    }

    /// <summary>IEEE half bits -> float (exact).</summary>
    public static float HalfToFloat(ushort h)
    {
        uint s = ((uint)h & 0x8000u) << 16;
        uint e = ((uint)h >> 10) & 0x1Fu;
        uint m = (uint)h & 0x3FFu;
        if (e == 0)
        {
            float v = (float)m * (1f / 16777216f);
            return s != 0 ? -v : v;
        }
        if (e == 31) return ILGPU.Interop.IntAsFloat(s | 0x7F800000u | (m << 13));
        return ILGPU.Interop.IntAsFloat(s | ((e + 112u) << 23) | (m << 13));
    }
}
