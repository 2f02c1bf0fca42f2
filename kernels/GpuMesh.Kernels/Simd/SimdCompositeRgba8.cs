using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>
/// Integer source-over for RGBA8 (AVX2, 16-bit lanes, 4 pixels per register): the canvas row is premultiplied u16 with
/// 1.0 = 255 * 255 (so 8-bit colour times 8-bit alpha is exact), (1 - alpha) goes to Q16 for vpmulhuw, straight output
/// divides in float only where the canvas is not opaque. Within one code value of the float reference (see README).
/// </summary>
internal sealed unsafe partial class SimdKernels
{
    const ushort One = 255 * 255;
    /// <summary>Canvas alpha at or above this is opaque (the Q16 (1 - a) product may leave 65025 a few units short).</summary>
    const ushort OpaqueFrom = One - 5;

    sealed class Rgba8CompositeJob : RowJob
    {
        public HostFrame Background, Dst;
        public PreparedLayer[] Layers = Array.Empty<PreparedLayer>();
        public int LayerCount;
        public bool Straight;

        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            int w = Dst.Width;
            int n16 = 4 * ((w + 3) & ~3) + 16;
            if (s.Canvas16.Length < n16) s.Canvas16 = new ushort[n16];
            byte* tail = stackalloc byte[32];
            byte** layerRow = stackalloc byte*[LayerCount];
            bool* layerStraight = stackalloc bool[LayerCount];
            float* layerOpacity = stackalloc float[LayerCount];
            fixed (ushort* canvas = s.Canvas16)
            {
                for (int y = y0; y < y1; y++)
                {
                    byte* bgRow = (byte*)Background.Address + (long)y * Background.Layout.Pitch;
                    byte* dstRow = (byte*)Dst.Address + (long)y * Dst.Layout.Pitch;
                    // fused single pass when every layer on this row spans the whole row (full-frame layers)
                    int active = 0;
                    bool fused = true;
                    for (int li = 0; li < LayerCount && fused; li++)
                    {
                        ref var l = ref Layers[li];
                        int ly = y - l.Y;
                        if (ly < 0 || ly >= l.Height) continue;
                        if (l.X > 0 || l.X + l.Width < w) { fused = false; break; }
                        layerRow[active] = (byte*)l.Frame.Address + (long)ly * l.Frame.Layout.Pitch + 4L * (0 - l.X);
                        layerStraight[active] = !l.Premultiplied;
                        layerOpacity[active] = l.Opacity;
                        active++;
                    }
                    int done = 0;
                    if (fused)
                    {
                        done = w & ~3;
                        Fused(bgRow, dstRow, done, Straight, layerRow, layerStraight, layerOpacity, active);
                        if (done == w) continue;
                    }
                    Load(bgRow + 4 * done, canvas, w - done, Straight, tail);
                    for (int li = 0; li < LayerCount; li++)
                    {
                        ref var l = ref Layers[li];
                        int ly = y - l.Y;
                        if (ly < 0 || ly >= l.Height) continue;
                        int x0 = Math.Max(done, l.X), x1 = Math.Min(w, l.X + l.Width);
                        if (x1 <= x0) continue;
                        byte* src = (byte*)l.Frame.Address + (long)ly * l.Frame.Layout.Pitch + 4L * (x0 - l.X);
                        Over(src, canvas + 4 * (x0 - done), x1 - x0, !l.Premultiplied, l.Opacity, tail);
                    }
                    Store(canvas, dstRow + 4 * done, w - done, Straight, tail);
                }
            }
        }

        /// <summary>count (multiple of 4) pixels: background, every layer, output, in registers.</summary>
        static void Fused(byte* bg, byte* dst, int count, bool straight, byte** layers, bool* layerStraight, float* opacity, int layerCount)
        {
            var c255 = Vector256.Create(255f);
            var inv255 = Vector256.Create(1f / 255f);
            if (layerCount == 1 && layerStraight[0] && opacity[0] == 1f)
            {
                byte* l0 = layers[0];
                var alphaByte = Vector128.Create(unchecked((int)0xFF000000)).AsByte();
                var c255w = Vector256.Create((short)255);
                for (int x = 0; x < count; x += 4)
                {
                    var b = Sse2.LoadVector128(bg + 4 * x);
                    if (straight && Sse2.MoveMask(Sse2.CompareEqual(Sse2.And(b, alphaByte).AsInt32(), alphaByte.AsInt32()).AsByte()) == 0xFFFF)
                    {
                        // opaque background, straight layer: out = round((s * a + d * (255 - a)) / 255), alpha 255
                        var sv = Avx2.ConvertToVector256Int16(l0 + 4 * x);
                        var a = Avx2.Shuffle(sv.AsByte(), AlphaWordsNoAlpha).AsInt16();
                        var sum = Avx2.Add(Avx2.MultiplyLow(sv, a), Avx2.MultiplyLow(Avx2.ConvertToVector256Int16(b), Avx2.Subtract(c255w, a)));
                        var o16 = Div255(sum.AsUInt16()).AsInt16();
                        Sse2.Store(dst + 4 * x, Avx2.Permute4x64(Avx2.PackUnsignedSaturate(o16, o16).AsInt64(), 0b10_00_10_00).AsByte().GetLower());
                        continue;
                    }
                    var d = Premultiplied(bg + 4 * x, straight);
                    d = OverOne(Premultiplied(l0 + 4 * x, true), d);
                    Sse2.Store(dst + 4 * x, Finish(d, straight, c255, inv255));
                }
                return;
            }
            for (int x = 0; x < count; x += 4)
            {
                var d = Premultiplied(bg + 4 * x, straight);
                for (int li = 0; li < layerCount; li++)
                {
                    var s = Premultiplied(layers[li] + 4 * x, layerStraight[li]);
                    if (opacity[li] != 1f) s = Avx2.MultiplyHigh(s, Vector256.Create(OpacityQ16(opacity[li])));
                    d = OverOne(s, d);
                }
                Sse2.Store(dst + 4 * x, Finish(d, straight, c255, inv255));
            }
        }

        static ushort OpacityQ16(float opacity) => (ushort)Math.Min(65535, (int)MathF.Round(opacity * 65536f));

        /// <summary>s + d * (1 - s.alpha), premultiplied u16.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<ushort> OverOne(Vector256<ushort> s, Vector256<ushort> d)
        {
            var k = Avx2.Subtract(Vector256.Create(One), Avx2.Shuffle(s.AsByte(), AlphaWords).AsUInt16());
            k = Avx2.Add(k, Avx2.MultiplyHigh(k, Vector256.Create((ushort)515))); // x * 65536 / 65025 = x + x * 515 / 65536 (to 2e-7)
            return Avx2.AddSaturate(s, Avx2.MultiplyHigh(d, k));
        }

        /// <summary>Premultiplied u16 canvas (4 pixels) -> 16 RGBA8 bytes (straight: colour * 255 / alpha).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector128<byte> Finish(Vector256<ushort> d, bool straight, Vector256<float> c255, Vector256<float> inv255)
        {
            Vector256<short> out16;
            if (!straight) out16 = Div255(d).AsInt16();
            else
            {
                var a = Avx2.Shuffle(d.AsByte(), AlphaWords).AsUInt16();
                if (Avx2.MoveMask(Avx2.CompareEqual(Avx2.Max(a, Vector256.Create(OpaqueFrom)), a).AsByte()) == -1) out16 = Div255(d).AsInt16();
                else
                {
                    // colour * 255 / alpha, alpha / 255 (float, round to nearest even); alpha 0 gives colour 0
                    var lo = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(d.GetLower()));
                    var hi = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(d.GetUpper()));
                    out16 = Avx2.Permute4x64(Avx2.PackSignedSaturate(Unpremultiply(lo, c255, inv255), Unpremultiply(hi, c255, inv255)).AsInt64(), 0b11_01_10_00).AsInt16();
                }
            }
            return Avx2.Permute4x64(Avx2.PackUnsignedSaturate(out16, out16).AsInt64(), 0b10_00_10_00).AsByte().GetLower();
        }

        // per pixel (4 words), the alpha word in the colour words, 0 in the alpha word (pshufb index with the top bit set)
        static readonly Vector256<byte> AlphaWordsNoAlpha = Vector256.Create((byte)6, 7, 6, 7, 6, 7, 0x80, 0x80, 14, 15, 14, 15, 14, 15, 0x80, 0x80,
            6, 7, 6, 7, 6, 7, 0x80, 0x80, 14, 15, 14, 15, 14, 15, 0x80, 0x80);
        // per pixel (4 words), the alpha word repeated
        static readonly Vector256<byte> AlphaWords = Vector256.Create((byte)6, 7, 6, 7, 6, 7, 6, 7, 14, 15, 14, 15, 14, 15, 14, 15, 6, 7, 6, 7, 6, 7, 6, 7, 14, 15, 14, 15, 14, 15, 14, 15);

        /// <summary>4 RGBA8 pixels -> premultiplied u16 (1.0 = 65025).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<ushort> Premultiplied(byte* p, bool straight)
        {
            var v = Avx2.ConvertToVector256Int16(p).AsUInt16();
            if (!straight) return Avx2.MultiplyLow(v, Vector256.Create((ushort)255));
            var a = Avx2.Shuffle(v.AsByte(), AlphaWords).AsUInt16();
            return Avx2.MultiplyLow(v, Avx2.Blend(a.AsInt16(), Vector256.Create((short)255), 0b1000_1000).AsUInt16());
        }

        static void Load(byte* row, ushort* canvas, int w, bool straight, byte* tail)
        {
            int x = 0;
            for (; x + 4 <= w; x += 4) Avx.Store(canvas + 4 * x, Premultiplied(row + 4 * x, straight));
            if (x < w)
            {
                Buffer.MemoryCopy(row + 4 * x, tail, 16, 4 * (w - x));
                Avx.Store(canvas + 4 * x, Premultiplied(tail, straight));
            }
        }

        static void Over(byte* src, ushort* canvas, int n, bool straight, float opacity, byte* tail)
        {
            bool scaled = opacity != 1f;
            var op = Vector256.Create(OpacityQ16(opacity));
            for (int x = 0; x < n; x += 4)
            {
                byte* p = src + 4 * x;
                if (x + 4 > n) { Buffer.MemoryCopy(p, tail, 16, 4 * (n - x)); p = tail; }
                var s = Premultiplied(p, straight);
                if (scaled) s = Avx2.MultiplyHigh(s, op);
                var d = OverOne(s, Avx.LoadVector256(canvas + 4 * x));
                if (x + 4 <= n) Avx.Store(canvas + 4 * x, d);
                else
                {
                    // only the layer's last n - x pixels go back: the canvas goes on past the layer
                    Avx.Store((ushort*)tail, d);
                    Buffer.MemoryCopy(tail, canvas + 4 * x, 8 * (n - x), 8 * (n - x));
                }
            }
        }

        /// <summary>round(x / 255) for x up to 65025 (saturating above, which the byte pack clamps to 255).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<ushort> Div255(Vector256<ushort> x)
        {
            var t = Avx2.AddSaturate(x, Vector256.Create((ushort)128));
            return Avx2.ShiftRightLogical(Avx2.AddSaturate(t, Avx2.ShiftRightLogical(t, 8)), 8);
        }

        static void Store(ushort* canvas, byte* row, int w, bool straight, byte* tail)
        {
            var c255 = Vector256.Create(255f);
            var inv255 = Vector256.Create(1f / 255f);
            for (int x = 0; x < w; x += 4)
            {
                var bytes = Finish(Avx.LoadVector256(canvas + 4 * x), straight, c255, inv255);
                if (x + 4 <= w) Sse2.Store(row + 4 * x, bytes);
                else
                {
                    Sse2.Store(tail, bytes);
                    Buffer.MemoryCopy(tail, row + 4 * x, 4 * (w - x), 4 * (w - x));
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Unpremultiply(Vector256<float> v, Vector256<float> c255, Vector256<float> inv255)
        {
            var a = Avx.Permute(v, 0xFF);
            // 255 / a: reciprocal estimate and one Newton step (relative error ~1e-7, far below the rounding step)
            var r = Avx.Reciprocal(a);
            r = Avx.Multiply(Avx.Multiply(r, c255), Fma.IsSupported
                ? Fma.MultiplyAddNegated(a, r, Vector256.Create(2f))
                : Avx.Subtract(Vector256.Create(2f), Avx.Multiply(a, r)));
            var f = Avx.And(r, Avx.CompareGreaterThan(a, Vector256<float>.Zero));
            f = Avx.Blend(f, inv255, 0b1000_1000);
            return Avx.ConvertToVector256Int32(Avx.Multiply(v, f));
        }
    }

    readonly Rgba8CompositeJob _compositeRgba8 = new();

    /// <summary>Integer alpha-over when it applies: AVX2, source-over, RGBA8 background, destination and layers, no layer resampling.</summary>
    bool TryCompositeRgba8<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame dst, AlphaMode alpha)
        where TBlend : struct, IBlendFunction
    {
        if (!Avx2.IsSupported || typeof(TBlend) != typeof(AlphaOverBlend)) return false;
        if (background.Format != PixelFormat.Rgba8 || dst.Format != PixelFormat.Rgba8) return false;
        foreach (var l in layers)
        {
            var crop = l.Crop ?? new RectI(0, 0, l.Source.Width, l.Source.Height);
            if (l.Source.Format != PixelFormat.Rgba8 || crop.Width != l.Destination.Width || crop.Height != l.Destination.Height) return false;
        }
        if (_prepared.Length < layers.Length) _prepared = new PreparedLayer[layers.Length * 2];
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            _prepared[i] = new PreparedLayer
            {
                Frame = l.Crop is { } c ? l.Source.Crop(c) : l.Source,
                X = l.Destination.X, Y = l.Destination.Y, Width = l.Destination.Width, Height = l.Destination.Height,
                Opacity = l.Opacity, Premultiplied = l.Alpha == AlphaMode.Premultiplied,
            };
        }
        var job = _compositeRgba8;
        job.Background = background; job.Dst = dst; job.Layers = _prepared; job.LayerCount = layers.Length;
        job.Straight = alpha == AlphaMode.Straight;
        RowPool.Run(job, dst.Height, DegreeOfParallelism);
        return true;
    }
}
