using System.Buffers;
using System.Buffers.Binary;

namespace GpuMesh.Engine.Sources;

/// <summary>
/// A moving, recognisable test pattern written straight into v210 / v210a grains, a pure function of
/// (variant, index, width, height): 75% colour bars scrolling sideways (top two thirds), a white box sliding along
/// a grey band, the low bits of the grain index as black/white blocks (the index strip, readable back from any
/// copy of the picture), and a luma ramp at the bottom. Variant B reverses the bars and scrolls the other way.
/// Every line type is built once per grain and copied, so a 1080p grain costs about one memcpy.
/// </summary>
public static class TestPattern
{
    public readonly record struct Ycc(ushort Y, ushort Cb, ushort Cr);

    public static readonly Ycc Black = new(64, 512, 512);
    public static readonly Ycc White = new(940, 512, 512);
    public static readonly Ycc Grey = new(414, 512, 512);

    /// <summary>75% bars, BT.709 narrow range, 10 bits: white, yellow, cyan, green, magenta, red, blue.</summary>
    public static readonly Ycc[] Bars =
    {
        new(721, 512, 512), new(674, 176, 543), new(581, 589, 176), new(534, 253, 207),
        new(251, 771, 817), new(204, 435, 848), new(111, 848, 481),
    };

    public enum Band { Bars, Box, Strip, Ramp }

    /// <summary>Rows of each band: bars [0, H*2/3), box [.., H*3/4), index strip [.., H*7/8), ramp to the end.</summary>
    public static Band BandOf(int row, int height)
    {
        if (row < height * 2 / 3) return Band.Bars;
        if (row < height * 3 / 4) return Band.Box;
        if (row < height * 7 / 8) return Band.Strip;
        return Band.Ramp;
    }

    /// <summary>Width of one index-strip block (a multiple of 6 pixels) and the number of bits shown.</summary>
    public static (int BlockWidth, int Bits) StripGeometry(int width)
    {
        int bits = Math.Min(32, width / 6);
        int block = Math.Max(6, width / bits / 6 * 6);
        return (block, bits);
    }

    /// <summary>The colour of pixel x of a row in band <paramref name="band"/>.</summary>
    public static Ycc PixelOf(char variant, ulong index, int width, Band band, int x)
    {
        switch (band)
        {
            case Band.Bars:
            {
                long step = variant == 'B' ? -12 : 12;
                long shift = ((long)(index % (ulong)width) * step) % width;
                long sx = ((x + shift) % width + width) % width;
                int bar = (int)(sx * Bars.Length / width);
                return Bars[variant == 'B' ? Bars.Length - 1 - bar : bar];
            }
            case Band.Box:
            {
                int boxWidth = Math.Max(6, width / 8 / 6 * 6);
                long start = (long)(index * 24 % (ulong)width);
                long rel = ((x - start) % width + width) % width;
                return rel < boxWidth ? White : Grey;
            }
            case Band.Strip:
            {
                var (block, bits) = StripGeometry(width);
                int bit = x / block;
                if (bit >= bits) return Black;
                return ((index >> bit) & 1) != 0 ? White : Black;
            }
            default:
                return new Ycc((ushort)(64 + (long)x * 876 / Math.Max(1, width - 1)), 512, 512);
        }
    }

    /// <summary>Key (alpha, 10 bits) of a row of variant B's key plane: half transparent top and bottom eighths.</summary>
    public static ushort KeyOf(int row, int height) => row < height / 8 || row >= height - height / 8 ? (ushort)512 : (ushort)1023;

    public static int V210LineBytes(int width) => GpuMesh.Kernels.PixelFormats.V210Pitch(width);
    public static int KeyLineBytes(int width) => GpuMesh.Kernels.PixelFormats.V210KeyPitch(width);

    /// <summary>Writes grain <paramref name="index"/> into a v210 (or v210a, when withKey) payload.</summary>
    public static void Write(char variant, ulong index, int width, int height, bool withKey, Span<byte> payload)
    {
        if (variant is not ('A' or 'B')) throw new ArgumentOutOfRangeException(nameof(variant), $"pattern variant '{variant}' is not A or B");
        if (width < 6 || height < 8) throw new ArgumentOutOfRangeException(nameof(width), $"test pattern needs at least 6x8 pixels, got {width}x{height}");
        int line = V210LineBytes(width);
        int keyLine = KeyLineBytes(width);
        long need = (long)line * height + (withKey ? (long)keyLine * height : 0);
        if (payload.Length < need)
            throw new ArgumentException($"test pattern {width}x{height} {(withKey ? "v210a" : "v210")} needs {need} bytes, the grain payload has {payload.Length}");

        // Line buffers come from the pool: a source writing 50 grains a second allocates nothing.
        byte[] scratch = ArrayPool<byte>.Shared.Rent(line * 4 + keyLine * 2);
        try
        {
            Span<byte> lines = scratch.AsSpan(0, line * 4);
            if (width % 6 == 0) PackLinesFromCache(variant, index, width, lines, line);
            else
                for (int b = 0; b < 4; b++) PackLine(variant, index, width, (Band)b, lines.Slice(b * line, line));
            for (int row = 0; row < height; row++)
                lines.Slice((int)BandOf(row, height) * line, line).CopyTo(payload.Slice(row * line, line));

            if (!withKey) return;
            Span<byte> keyFull = scratch.AsSpan(line * 4, keyLine);
            Span<byte> keyHalf = scratch.AsSpan(line * 4 + keyLine, keyLine);
            PackKeyLine(1023, width, keyFull);
            PackKeyLine(512, width, keyHalf);
            Span<byte> keyPlane = payload.Slice(line * height);
            for (int row = 0; row < height; row++)
                (KeyOf(row, height) == 1023 ? keyFull : keyHalf).CopyTo(keyPlane.Slice(row * keyLine, keyLine));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The bar, box and ramp lines of grain 0 of one variant and width, packed once per source thread.</summary>
    private sealed class LineCache(char variant, int width, byte[] bars, byte[] box, byte[] ramp)
    {
        public char Variant { get; } = variant;
        public int Width { get; } = width;
        public byte[] Bars { get; } = bars;
        public byte[] Box { get; } = box;
        public byte[] Ramp { get; } = ramp;
    }

    // One entry per variant (index variant - 'A'): a thread may write both.
    [ThreadStatic] private static LineCache?[]? t_lines;

    /// <summary>
    /// Width a multiple of 6 (whole v210 groups): the bars and the box of grain N are grain 0's lines rotated by whole
    /// groups (they move 12 and 24 pixels a grain), the ramp never changes; only the index strip is packed per grain.
    /// </summary>
    private static void PackLinesFromCache(char variant, ulong index, int width, Span<byte> lines, int line)
    {
        var caches = t_lines ??= new LineCache?[2];
        var cache = caches[variant - 'A'];
        if (cache is null || cache.Variant != variant || cache.Width != width)
        {
            byte[] Pack(Band band)
            {
                var l = new byte[line];
                PackLine(variant, 0, width, band, l);
                return l;
            }
            caches[variant - 'A'] = cache = new LineCache(variant, width, Pack(Band.Bars), Pack(Band.Box), Pack(Band.Ramp));
        }
        int groups = width / 6;
        long step = variant == 'B' ? -12 : 12;
        long barShift = ((long)(index % (ulong)width) * step) % width;   // pixel x shows grain 0's pixel x + shift
        long boxStart = (long)(index * 24 % (ulong)width);               // pixel x shows grain 0's pixel x - start
        Rotate(cache.Bars, lines.Slice((int)Band.Bars * line, line), (int)(barShift / 6), groups);
        Rotate(cache.Box, lines.Slice((int)Band.Box * line, line), (int)(-boxStart / 6), groups);
        PackLine(variant, index, width, Band.Strip, lines.Slice((int)Band.Strip * line, line));
        cache.Ramp.CopyTo(lines.Slice((int)Band.Ramp * line, line));
    }

    /// <summary>dst group g = src group (g + shift) mod groups; the padding after the last group is zero.</summary>
    private static void Rotate(ReadOnlySpan<byte> src, Span<byte> dst, int shift, int groups)
    {
        int k = (shift % groups + groups) % groups;
        int used = groups * 16;
        src.Slice(k * 16, used - k * 16).CopyTo(dst);
        src[..(k * 16)].CopyTo(dst[(used - k * 16)..]);
        dst[used..].Clear();
    }

    private static void PackLine(char variant, ulong index, int width, Band band, Span<byte> dst)
    {
        dst.Clear();
        int groups = (width + 5) / 6;
        Span<ushort> y = stackalloc ushort[6];
        Span<ushort> cb = stackalloc ushort[3];
        Span<ushort> cr = stackalloc ushort[3];
        for (int g = 0; g < groups; g++)
        {
            for (int p = 0; p < 6; p++)
            {
                int x = g * 6 + p;
                Ycc c = x < width ? PixelOf(variant, index, width, band, x) : Black;
                y[p] = c.Y;
                if ((p & 1) == 0) { cb[p / 2] = c.Cb; cr[p / 2] = c.Cr; }
            }
            Span<byte> o = dst.Slice(g * 16, 16);
            BinaryPrimitives.WriteUInt32LittleEndian(o, cb[0] | (uint)y[0] << 10 | (uint)cr[0] << 20);
            BinaryPrimitives.WriteUInt32LittleEndian(o[4..], y[1] | (uint)cb[1] << 10 | (uint)y[2] << 20);
            BinaryPrimitives.WriteUInt32LittleEndian(o[8..], cr[1] | (uint)y[3] << 10 | (uint)cb[2] << 20);
            BinaryPrimitives.WriteUInt32LittleEndian(o[12..], y[4] | (uint)cr[2] << 10 | (uint)y[5] << 20);
        }
    }

    private static void PackKeyLine(ushort key, int width, Span<byte> dst)
    {
        dst.Clear();
        for (int w = 0; w * 3 < width; w++)
        {
            uint word = 0;
            for (int k = 0; k < 3 && w * 3 + k < width; k++) word |= (uint)key << (10 * k);
            BinaryPrimitives.WriteUInt32LittleEndian(dst[(w * 4)..], word);
        }
    }

    /// <summary>Luma of pixel x of a row of a v210 picture.</summary>
    public static int LumaAt(ReadOnlySpan<byte> v210Row, int x)
    {
        int g = x / 6, p = x % 6;
        ReadOnlySpan<byte> o = v210Row.Slice(g * 16, 16);
        uint w0 = BinaryPrimitives.ReadUInt32LittleEndian(o), w1 = BinaryPrimitives.ReadUInt32LittleEndian(o[4..]);
        uint w2 = BinaryPrimitives.ReadUInt32LittleEndian(o[8..]), w3 = BinaryPrimitives.ReadUInt32LittleEndian(o[12..]);
        uint v = p switch { 0 => w0 >> 10, 1 => w1, 2 => w1 >> 20, 3 => w2 >> 10, 4 => w3, _ => w3 >> 20 };
        return (int)(v & 0x3FF);
    }

    /// <summary>
    /// Reads the index strip back from a v210 picture (the middle row of the strip band, the middle of each block):
    /// the low <c>Bits</c> bits of the grain index the picture was made from.
    /// </summary>
    public static ulong ReadIndexStrip(ReadOnlySpan<byte> v210, int width, int height)
    {
        var (block, bits) = StripGeometry(width);
        int line = V210LineBytes(width);
        int row = (height * 3 / 4 + height * 7 / 8) / 2;
        ReadOnlySpan<byte> r = v210.Slice(row * line, line);
        ulong value = 0;
        for (int bit = 0; bit < bits; bit++)
        {
            int x = bit * block + block / 2;
            if (LumaAt(r, x) > 502) value |= 1UL << bit;
        }
        return value;
    }

    public static ulong StripMask(int width)
    {
        int bits = StripGeometry(width).Bits;
        return bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;
    }
}
