using System.IO.MemoryMappedFiles;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>The raw picture formats the peer comparison feeds to every tool.</summary>
public enum RawFormat { V210, Rgba, Gbrp, Gbrap }

/// <summary>A raw multi-frame file in /dev/shm, memory-mapped read-only so GpuMesh reads the very bytes the peers read.</summary>
public sealed unsafe class InputFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    public string Path { get; }
    public RawFormat Format { get; }
    public int Width { get; }
    public int Height { get; }
    public int FrameBytes { get; }
    public int FrameCount { get; }

    public InputFile(string path, RawFormat format, int width, int height, int frameBytes, int frameCount)
    {
        Path = path;
        Format = format;
        Width = width;
        Height = height;
        FrameBytes = frameBytes;
        FrameCount = frameCount;
        long expected = (long)frameBytes * frameCount;
        long actual = new FileInfo(path).Length;
        if (actual != expected)
            throw new InvalidDataException($"input {path}: {actual} bytes on disk, expected {frameCount} frames x {frameBytes} bytes = {expected}");
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, expected, MemoryMappedFileAccess.Read);
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _base);
        _base += _view.PointerOffset;
    }

    /// <summary>Frame <paramref name="index"/> modulo the frame count.</summary>
    public ReadOnlySpan<byte> Frame(int index) =>
        new(_base + (long)(index % FrameCount) * FrameBytes, FrameBytes);

    public nint FrameAddress(int index) => (nint)(_base + (long)(index % FrameCount) * FrameBytes);

    /// <summary>Format name as FFmpeg's rawvideo demuxer spells it (v210 uses its own demuxer).</summary>
    public string FFmpegPixFmt => Format switch
    {
        RawFormat.Rgba => "rgba",
        RawFormat.Gbrp => "gbrp",
        RawFormat.Gbrap => "gbrap",
        _ => throw new InvalidOperationException($"input {Path}: {Format} has no rawvideo pix_fmt (it uses the v210 demuxer)"),
    };

    /// <summary>Format name for GStreamer's rawvideoparse.</summary>
    public string GstFormat => Format switch
    {
        RawFormat.V210 => "v210",
        RawFormat.Rgba => "rgba",
        _ => throw new InvalidOperationException($"input {Path}: {Format} is not fed to GStreamer"),
    };

    public void Dispose()
    {
        if (_base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view.Dispose();
        _file.Dispose();
    }
}
