namespace GpuMesh.Benchmarks.Common;

/// <summary>
/// Deterministic synthetic pictures for benchmarks and the peer comparison: smooth gradients plus a moderate-frequency
/// ripple (so resamplers with different footprints still agree closely), shifted a little per frame.
/// </summary>
public static class TestFrames
{
    public static int V210LineBytes(int width) => GpuMesh.Kernels.PixelFormats.V210Pitch(width);

    public static int RgbaBytes(int width, int height) => width * height * 4;

    public static int V210Bytes(int width, int height) => V210LineBytes(width) * height;

    private static double Ripple(int x, int y, int frame, double period) =>
        Math.Sin((x + 2.0 * y + 7.0 * frame) * (2 * Math.PI / period));

    /// <summary>Fills an RGBA8 picture; alpha is 255 when <paramref name="opaque"/>, else a radial ramp 0..255.</summary>
    public static void FillRgba(Span<byte> rgba, int width, int height, int frame, bool opaque, int seed = 0)
    {
        if (rgba.Length < RgbaBytes(width, height))
            throw new ArgumentException($"RGBA buffer holds {rgba.Length} bytes, {width}x{height} needs {RgbaBytes(width, height)}");
        double cx = width / 2.0, cy = height / 2.0, rmax = Math.Sqrt(cx * cx + cy * cy);
        for (int y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * width * 4, width * 4);
            for (int x = 0; x < width; x++)
            {
                double u = (double)x / (width - 1), v = (double)y / (height - 1);
                double ripple = Ripple(x, y, frame + seed, 64.0 * width / 1920);
                row[x * 4 + 0] = Clamp8(30 + 190 * u + 25 * ripple);
                row[x * 4 + 1] = Clamp8(40 + 170 * v + 25 * Ripple(y, x, frame + seed, 96.0 * width / 1920));
                row[x * 4 + 2] = Clamp8(230 - 180 * (u + v) / 2 + 20 * ripple);
                if (opaque) row[x * 4 + 3] = 255;
                else
                {
                    double r = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / rmax;
                    row[x * 4 + 3] = Clamp8(255 * (1 - r) + 10 * ripple);
                }
            }
        }
    }

    /// <summary>Fills a v210 (BT.709 limited-range 4:2:2 10-bit) picture with the same kind of content.</summary>
    public static void FillV210(Span<byte> v210, int width, int height, int frame)
    {
        if (width % 6 != 0) throw new ArgumentException($"v210 test frames need a width divisible by 6, got {width}");
        int lineBytes = V210LineBytes(width);
        if (v210.Length < lineBytes * height)
            throw new ArgumentException($"v210 buffer holds {v210.Length} bytes, {width}x{height} needs {lineBytes * height}");
        var y10 = new ushort[width];
        var cb10 = new ushort[width / 2];
        var cr10 = new ushort[width / 2];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double u = (double)x / (width - 1), v = (double)y / (height - 1);
                y10[x] = Clamp10(64 + 876 * (0.1 + 0.8 * (u * 0.6 + v * 0.4)) + 60 * Ripple(x, y, frame, 64.0 * width / 1920));
            }
            for (int c = 0; c < width / 2; c++)
            {
                int x = 2 * c;
                double u = (double)x / (width - 1), v = (double)y / (height - 1);
                cb10[c] = Clamp10(512 + 300 * (u - 0.5) + 40 * Ripple(y, x, frame, 128.0 * width / 1920));
                cr10[c] = Clamp10(512 + 300 * (0.5 - v) + 40 * Ripple(x, y, frame, 160.0 * width / 1920));
            }
            V210.PackLine(y10, cb10, cr10, v210.Slice(y * lineBytes, lineBytes));
        }
    }

    /// <summary>RGBA8 (interleaved) to FFmpeg's planar gbrp/gbrap order: G plane, B plane, R plane (then A).</summary>
    public static void RgbaToGbrPlanar(ReadOnlySpan<byte> rgba, Span<byte> planar, int pixels, bool withAlpha)
    {
        int planes = withAlpha ? 4 : 3;
        if (rgba.Length < pixels * 4 || planar.Length < pixels * planes)
            throw new ArgumentException($"planar conversion of {pixels} pixels: rgba {rgba.Length} bytes, planar {planar.Length} bytes");
        for (int i = 0; i < pixels; i++)
        {
            planar[i] = rgba[i * 4 + 1];
            planar[pixels + i] = rgba[i * 4 + 2];
            planar[2 * pixels + i] = rgba[i * 4 + 0];
            if (withAlpha) planar[3 * pixels + i] = rgba[i * 4 + 3];
        }
    }

    /// <summary>FFmpeg planar gbrp/gbrap to RGBA8; alpha = 255 for gbrp.</summary>
    public static void GbrPlanarToRgba(ReadOnlySpan<byte> planar, Span<byte> rgba, int pixels, bool withAlpha)
    {
        int planes = withAlpha ? 4 : 3;
        if (rgba.Length < pixels * 4 || planar.Length < pixels * planes)
            throw new ArgumentException($"planar conversion of {pixels} pixels: planar {planar.Length} bytes, rgba {rgba.Length} bytes");
        for (int i = 0; i < pixels; i++)
        {
            rgba[i * 4 + 0] = planar[2 * pixels + i];
            rgba[i * 4 + 1] = planar[i];
            rgba[i * 4 + 2] = planar[pixels + i];
            rgba[i * 4 + 3] = withAlpha ? planar[3 * pixels + i] : (byte)255;
        }
    }

    private static byte Clamp8(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);

    private static ushort Clamp10(double v) => (ushort)Math.Clamp((int)Math.Round(v), 4, 1019);
}

/// <summary>Scalar v210 packing/unpacking used to make inputs and to compare outputs (not the code under test).</summary>
public static class V210
{
    public static void PackLine(ReadOnlySpan<ushort> y, ReadOnlySpan<ushort> cb, ReadOnlySpan<ushort> cr, Span<byte> line)
    {
        int width = y.Length;
        if (width % 6 != 0 || cb.Length < width / 2 || cr.Length < width / 2 || line.Length < TestFrames.V210LineBytes(width))
            throw new ArgumentException($"v210 line pack: width {width}, cb {cb.Length}, cr {cr.Length}, line {line.Length} bytes");
        line.Clear();
        for (int g = 0; g < width / 6; g++)
        {
            int p = g * 6, c = g * 3;
            var w = line.Slice(g * 16, 16);
            Write(w, 0, cb[c], y[p], cr[c]);
            Write(w, 4, y[p + 1], cb[c + 1], y[p + 2]);
            Write(w, 8, cr[c + 1], y[p + 3], cb[c + 2]);
            Write(w, 12, y[p + 4], cr[c + 2], y[p + 5]);
        }
    }

    public static void UnpackLine(ReadOnlySpan<byte> line, Span<ushort> y, Span<ushort> cb, Span<ushort> cr)
    {
        int width = y.Length;
        if (width % 6 != 0 || cb.Length < width / 2 || cr.Length < width / 2 || line.Length < TestFrames.V210LineBytes(width))
            throw new ArgumentException($"v210 line unpack: width {width}, cb {cb.Length}, cr {cr.Length}, line {line.Length} bytes");
        for (int g = 0; g < width / 6; g++)
        {
            int p = g * 6, c = g * 3;
            var w = line.Slice(g * 16, 16);
            (cb[c], y[p], cr[c]) = Read(w, 0);
            (y[p + 1], cb[c + 1], y[p + 2]) = Read(w, 4);
            (cr[c + 1], y[p + 3], cb[c + 2]) = Read(w, 8);
            (y[p + 4], cr[c + 2], y[p + 5]) = Read(w, 12);
        }
    }

    private static void Write(Span<byte> dst, int offset, ushort a, ushort b, ushort c)
    {
        uint word = (uint)(a & 0x3FF) | (uint)(b & 0x3FF) << 10 | (uint)(c & 0x3FF) << 20;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(dst.Slice(offset, 4), word);
    }

    private static (ushort, ushort, ushort) Read(ReadOnlySpan<byte> src, int offset)
    {
        uint word = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(src.Slice(offset, 4));
        return ((ushort)(word & 0x3FF), (ushort)(word >> 10 & 0x3FF), (ushort)(word >> 20 & 0x3FF));
    }
}
