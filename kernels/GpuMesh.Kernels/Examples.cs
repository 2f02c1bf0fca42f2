using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuMesh.Kernels.Examples;

/// <summary>
/// Author example: lift / gamma / gain colour grade per channel, on normalised signal values:
/// out = pow(max(gain * (x + lift * (1 - x)), 0), 1 / gamma). Alpha passes through.
/// </summary>
public readonly struct LiftGammaGain : IPixelFunction
{
    public readonly float LiftR, LiftG, LiftB, GammaR, GammaG, GammaB, GainR, GainG, GainB;

    public LiftGammaGain(float lift, float gamma, float gain) : this(lift, lift, lift, gamma, gamma, gamma, gain, gain, gain) { }

    public LiftGammaGain(float liftR, float liftG, float liftB, float gammaR, float gammaG, float gammaB, float gainR, float gainG, float gainB)
    {
        if (!(gammaR > 0 && gammaG > 0 && gammaB > 0)) throw new ArgumentOutOfRangeException(nameof(gammaR), "gamma must be > 0");
        LiftR = liftR; LiftG = liftG; LiftB = liftB; GammaR = gammaR; GammaG = gammaG; GammaB = gammaB; GainR = gainR; GainG = gainG; GainB = gainB;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Grade(float x, float lift, float gamma, float gain)
    {
        float v = gain * (x + lift * (1f - x));
        if (v <= 0f) return 0f;
        return gamma == 1f ? v : MathF.Pow(v, 1f / gamma);
    }

    public Float4 Apply(Float4 p, int x, int y) =>
        new(Grade(p.R, LiftR, GammaR, GainR), Grade(p.G, LiftG, GammaG, GainG), Grade(p.B, LiftB, GammaB, GainB), p.A);
}

/// <summary>
/// Author example: chroma keyer. Distance of the pixel's BT.709 (Cb, Cr) from the key colour's sets alpha:
/// inside <see cref="Tolerance"/> fully transparent, opaque beyond Tolerance + Softness, linear between.
/// Spill suppression pulls the key's dominant channel down to the mean of the other two. Output is straight alpha.
/// </summary>
public readonly struct ChromaKeyer : IPixelFunction
{
    public readonly float KeyCb, KeyCr, Tolerance, Softness, Spill;
    public readonly int DominantChannel; // 0 R, 1 G, 2 B

    public ChromaKeyer(float keyR, float keyG, float keyB, float tolerance, float softness, float spill = 1f)
    {
        if (!(softness > 0)) throw new ArgumentOutOfRangeException(nameof(softness), "softness must be > 0");
        float y = 0.2126f * keyR + 0.7152f * keyG + 0.0722f * keyB;
        KeyCb = (keyB - y) / 1.8556f; KeyCr = (keyR - y) / 1.5748f;
        Tolerance = tolerance; Softness = softness; Spill = spill;
        DominantChannel = keyG >= keyR && keyG >= keyB ? 1 : keyB >= keyR ? 2 : 0;
    }

    public Float4 Apply(Float4 p, int x, int y)
    {
        float luma = 0.2126f * p.R + 0.7152f * p.G + 0.0722f * p.B;
        float cb = (p.B - luma) / 1.8556f, cr = (p.R - luma) / 1.5748f;
        float dcb = cb - KeyCb, dcr = cr - KeyCr;
        float d = MathF.Sqrt(dcb * dcb + dcr * dcr);
        float a = (d - Tolerance) / Softness;
        a = a < 0f ? 0f : (a > 1f ? 1f : a);
        float r = p.R, g = p.G, b = p.B;
        if (DominantChannel == 1) { float lim = 0.5f * (r + b); if (g > lim) g = g - Spill * (g - lim); }
        else if (DominantChannel == 2) { float lim = 0.5f * (r + g); if (b > lim) b = b - Spill * (b - lim); }
        else { float lim = 0.5f * (g + b); if (r > lim) r = r - Spill * (r - lim); }
        return new Float4(r, g, b, p.A * a);
    }
}

/// <summary>Author example blend: additive (premultiplied), clamped to 1.</summary>
public readonly struct AddBlend : IBlendFunction
{
    public Float4 Blend(Float4 d, Float4 s)
    {
        float r = d.R + s.R, g = d.G + s.G, b = d.B + s.B, a = d.A + s.A;
        return new Float4(r > 1f ? 1f : r, g > 1f ? 1f : g, b > 1f ? 1f : b, a > 1f ? 1f : a);
    }
}

/// <summary>Arguments of <see cref="CustomKernels.BoxBlur3"/> (none needed; a custom kernel may carry any unmanaged struct).</summary>
public struct BoxBlurArgs
{
    public int Reserved;
}

/// <summary>Escape-hatch example: an explicitly grouped ILGPU kernel using shared memory and a barrier.</summary>
public static class CustomKernels
{
    /// <summary>Largest group width the kernel's shared tile holds.</summary>
    public const int MaxTile = 256;

    /// <summary>
    /// 3-tap horizontal box blur of an RGBA frame. Launch with group (T, 1), T &lt;= 256 (ILGPU's CPU accelerator allows 16),
    /// and grid (ceil(width / T), height): each group stages T pixels plus one halo pixel each side in shared memory,
    /// waits at a barrier, then averages. Edges replicate.
    /// </summary>
    public static void BoxBlur3(KernelFrame src, KernelFrame dst, BoxBlurArgs args)
    {
        var tile = SharedMemory.Allocate<Float4>(MaxTile + 2);
        int Tile = Group.DimX;
        int t = Group.IdxX;
        int y = Grid.IdxY;
        int x = Grid.IdxX * Tile + t;
        int w = src.Width;
        int cx = x < w ? x : w - 1;
        tile[t + 1] = src.LoadRgba(cx, y);
        if (t == 0) { int l = x - 1; tile[0] = src.LoadRgba(l < 0 ? 0 : (l >= w ? w - 1 : l), y); }
        if (t == Tile - 1) { int r = x + 1; tile[Tile + 1] = src.LoadRgba(r >= w ? w - 1 : r, y); }
        Group.Barrier();
        if (x < w)
        {
            Float4 a = tile[t], b = tile[t + 1], c = tile[t + 2];
            const float third = 1f / 3f;
            dst.StoreRgba(x, y, new Float4((a.R + b.R + c.R) * third, (a.G + b.G + c.G) * third, (a.B + b.B + c.B) * third, (a.A + b.A + c.A) * third));
        }
    }
}
