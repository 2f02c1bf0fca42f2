namespace GpuMesh.Kernels;

/// <summary>Pixel formats the kernels read and write. RGBA formats carry the signal as coded (not linear light).</summary>
public enum PixelFormat
{
    /// <summary>10-bit 4:2:2, 6 pixels in 4 little-endian 32-bit words (Cb Y Cr | Y Cb Y | Cr Y Cb | Y Cr Y).</summary>
    V210 = 0,
    /// <summary>v210 fill plane followed by a key plane of three 10-bit values per 32-bit word (MXL video/v210a).</summary>
    V210a = 1,
    /// <summary>Planar 4:2:2 10-bit, 16-bit little-endian samples, Y then Cb then Cr plane (FFmpeg yuv422p10le).</summary>
    Yuv422p10 = 2,
    /// <summary>8-bit R, G, B, A (0..255).</summary>
    Rgba8 = 3,
    /// <summary>16-bit unsigned R, G, B, A (0..65535), little-endian (FFmpeg rgba64le; rgb48le without A).</summary>
    Rgba16 = 4,
    /// <summary>IEEE half R, G, B, A, nominal 0..1.</summary>
    RgbaHalf = 5,
    /// <summary>32-bit float R, G, B, A, nominal 0..1 (out-of-range values are kept).</summary>
    RgbaFloat = 6,
}

public static class PixelFormats
{
    public static bool IsYuv(PixelFormat f) => f is PixelFormat.V210 or PixelFormat.V210a or PixelFormat.Yuv422p10;
    public static bool IsRgba(PixelFormat f) => f is PixelFormat.Rgba8 or PixelFormat.Rgba16 or PixelFormat.RgbaHalf or PixelFormat.RgbaFloat;
    public static bool HasAlpha(PixelFormat f) => f != PixelFormat.V210 && f != PixelFormat.Yuv422p10;

    /// <summary>Bytes per pixel of an RGBA format.</summary>
    public static int RgbaBytesPerPixel(PixelFormat f) => f switch
    {
        PixelFormat.Rgba8 => 4,
        PixelFormat.Rgba16 => 8,
        PixelFormat.RgbaHalf => 8,
        PixelFormat.RgbaFloat => 16,
        _ => throw new ArgumentException($"{f} is not an RGBA format", nameof(f)),
    };

    /// <summary>v210 line pitch: 128 bytes per started group of 48 pixels.</summary>
    public static int V210Pitch(int width) => checked((width + 47) / 48 * 128);

    /// <summary>v210a key line pitch: three 10-bit values per 32-bit word.</summary>
    public static int V210KeyPitch(int width) => checked((width + 2) / 3 * 4);
}

/// <summary>Integer rectangle (pixels).</summary>
public readonly record struct RectI(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public bool IsInside(int width, int height) => X >= 0 && Y >= 0 && Width > 0 && Height > 0 && (long)X + Width <= width && (long)Y + Height <= height;
}

/// <summary>
/// Memory layout of one frame inside one buffer: the main plane at offset 0 with <see cref="Pitch"/> bytes per line;
/// v210a: key plane at <see cref="Plane1Offset"/> (pitch <see cref="Plane1Pitch"/>);
/// yuv422p10: Cb plane at Plane1Offset, Cr plane at Plane2Offset (both pitch Plane1Pitch).
/// </summary>
public readonly record struct FrameLayout
{
    public PixelFormat Format { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public int Pitch { get; init; }
    public long Plane1Offset { get; init; }
    public int Plane1Pitch { get; init; }
    public long Plane2Offset { get; init; }
    /// <summary>Total bytes the frame occupies (last plane end).</summary>
    public long TotalBytes { get; init; }

    /// <summary>Dense layout (default pitches, planes back to back as MXL and FFmpeg store them). pitch 0 = minimum.</summary>
    public static FrameLayout Create(PixelFormat format, int width, int height, int pitch = 0)
    {
        if (width < 1 || width > 65536) throw new ArgumentOutOfRangeException(nameof(width), width, $"{format} frame width must be 1..65536");
        if (height < 1 || height > 65536) throw new ArgumentOutOfRangeException(nameof(height), height, $"{format} frame height must be 1..65536");
        int minPitch = MinimumPitch(format, width);
        if (pitch == 0) pitch = minPitch;
        if (pitch < minPitch) throw new ArgumentOutOfRangeException(nameof(pitch), pitch, $"{format} pitch {pitch} is below the minimum {minPitch} for width {width}");
        long main = (long)pitch * height;
        switch (format)
        {
            case PixelFormat.V210a:
            {
                int keyPitch = PixelFormats.V210KeyPitch(width);
                return new FrameLayout { Format = format, Width = width, Height = height, Pitch = pitch, Plane1Offset = main, Plane1Pitch = keyPitch, Plane2Offset = 0, TotalBytes = main + (long)keyPitch * height };
            }
            case PixelFormat.Yuv422p10:
            {
                int cPitch = (width + 1) / 2 * 2;
                long c = (long)cPitch * height;
                return new FrameLayout { Format = format, Width = width, Height = height, Pitch = pitch, Plane1Offset = main, Plane1Pitch = cPitch, Plane2Offset = main + c, TotalBytes = main + 2 * c };
            }
            default:
                return new FrameLayout { Format = format, Width = width, Height = height, Pitch = pitch, TotalBytes = main };
        }
    }

    /// <summary>Layout with explicit plane placement (e.g. a key plane elsewhere in the buffer). Validated.</summary>
    public static FrameLayout CreatePlanar(PixelFormat format, int width, int height, int pitch, long plane1Offset, int plane1Pitch, long plane2Offset = 0)
    {
        var l = Create(format, width, height, pitch);
        if (format == PixelFormat.V210a || format == PixelFormat.Yuv422p10)
        {
            int minP1 = format == PixelFormat.V210a ? PixelFormats.V210KeyPitch(width) : (width + 1) / 2 * 2;
            if (plane1Pitch < minP1) throw new ArgumentOutOfRangeException(nameof(plane1Pitch), plane1Pitch, $"{format} plane 1 pitch must be at least {minP1}");
            if (plane1Offset < 0 || plane2Offset < 0) throw new ArgumentOutOfRangeException(nameof(plane1Offset), $"{format} plane offsets must be non-negative");
            long end = Math.Max((long)pitch * height, plane1Offset + (long)plane1Pitch * height);
            if (format == PixelFormat.Yuv422p10) end = Math.Max(end, plane2Offset + (long)plane1Pitch * height);
            l = l with { Plane1Offset = plane1Offset, Plane1Pitch = plane1Pitch, Plane2Offset = format == PixelFormat.Yuv422p10 ? plane2Offset : 0, TotalBytes = end };
        }
        return l;
    }

    public static FrameLayout V210(int width, int height) => Create(PixelFormat.V210, width, height);
    public static FrameLayout V210a(int width, int height) => Create(PixelFormat.V210a, width, height);
    public static FrameLayout Yuv422p10(int width, int height) => Create(PixelFormat.Yuv422p10, width, height);
    public static FrameLayout Rgba8(int width, int height) => Create(PixelFormat.Rgba8, width, height);
    public static FrameLayout Rgba16(int width, int height) => Create(PixelFormat.Rgba16, width, height);
    public static FrameLayout RgbaHalf(int width, int height) => Create(PixelFormat.RgbaHalf, width, height);
    public static FrameLayout RgbaFloat(int width, int height) => Create(PixelFormat.RgbaFloat, width, height);

    public static int MinimumPitch(PixelFormat format, int width) => format switch
    {
        PixelFormat.V210 or PixelFormat.V210a => PixelFormats.V210Pitch(width),
        PixelFormat.Yuv422p10 => checked(width * 2),
        _ => checked(width * PixelFormats.RgbaBytesPerPixel(format)),
    };

    /// <summary>Throws a clear error when this layout does not fit a buffer of <paramref name="bufferBytes"/>.</summary>
    public void Validate(long bufferBytes, string role)
    {
        if (Width < 1 || Height < 1) throw new ArgumentException($"{role}: {Format} frame has an empty size {Width}x{Height}");
        if (Pitch < MinimumPitch(Format, Width)) throw new ArgumentException($"{role}: {Format} pitch {Pitch} is below the minimum {MinimumPitch(Format, Width)} for width {Width}");
        if (TotalBytes > bufferBytes) throw new ArgumentException($"{role}: {Format} {Width}x{Height} frame needs {TotalBytes} bytes but the buffer holds {bufferBytes}");
    }

    public override string ToString() => $"{Format} {Width}x{Height} pitch {Pitch}";
}

/// <summary>A frame in host memory: an address, the bytes available there, and the layout. The caller keeps the memory alive and pinned.</summary>
public readonly struct HostFrame
{
    public nint Address { get; }
    public long Length { get; }
    public FrameLayout Layout { get; }
    public PixelFormat Format => Layout.Format;
    public int Width => Layout.Width;
    public int Height => Layout.Height;

    public HostFrame(nint address, long length, FrameLayout layout)
    {
        if (address == 0) throw new ArgumentNullException(nameof(address), $"{layout}: frame address is null");
        layout.Validate(length, "frame");
        Address = address; Length = length; Layout = layout;
    }

    public unsafe HostFrame(void* address, long length, FrameLayout layout) : this((nint)address, length, layout) { }

    /// <summary>View of a sub-rectangle of an RGBA frame (same memory, same pitch).</summary>
    public HostFrame Crop(RectI rect)
    {
        if (!PixelFormats.IsRgba(Format)) throw new ArgumentException($"Crop needs an RGBA frame, got {Format}");
        if (!rect.IsInside(Width, Height)) throw new ArgumentOutOfRangeException(nameof(rect), rect, $"crop rectangle is outside the {Width}x{Height} frame");
        long off = (long)rect.Y * Layout.Pitch + (long)rect.X * PixelFormats.RgbaBytesPerPixel(Format);
        var l = Layout with { Width = rect.Width, Height = rect.Height, TotalBytes = (long)(rect.Height - 1) * Layout.Pitch + (long)rect.Width * PixelFormats.RgbaBytesPerPixel(Format) };
        return new HostFrame(Address + (nint)off, Length - off, l);
    }

    public unsafe Span<byte> AsSpan() => new((void*)Address, checked((int)Length));
}

/// <summary>A frame in accelerator memory (an ILGPU byte view) with its layout.</summary>
public readonly struct DeviceFrame
{
    public ILGPU.ArrayView<byte> View { get; }
    public FrameLayout Layout { get; }
    public PixelFormat Format => Layout.Format;
    public int Width => Layout.Width;
    public int Height => Layout.Height;

    public DeviceFrame(ILGPU.ArrayView<byte> view, FrameLayout layout)
    {
        if (!view.IsValid) throw new ArgumentException($"{layout}: device view is not valid", nameof(view));
        layout.Validate(view.Length, "device frame");
        View = view; Layout = layout;
    }
}
