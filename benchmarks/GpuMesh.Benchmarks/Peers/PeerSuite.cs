using GpuMesh.Benchmarks.Common;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>Writes the shared raw inputs to /dev/shm and describes every peer pipeline for every operation.</summary>
public sealed class PeerSuite : IDisposable
{
    private const string Colorimetry = "bt709";

    /// <summary>Extra FFmpeg row (detail table only): swscale with accurate rounding and full chroma interpolation.</summary>
    public const string AccurateSwscale = "FFmpeg swscale accurate_rnd+full_chroma_int";
    private readonly List<InputFile> _inputs = new();

    public string Directory { get; }
    public string? FFmpeg { get; } = PeerProcess.Which("ffmpeg");
    public string? GstLaunch { get; } = PeerProcess.Which("gst-launch-1.0");
    public InputFile V210Hd { get; }
    public InputFile RgbaHd { get; }
    public InputFile GbrpHd { get; }
    public InputFile GbrapHd { get; }
    public InputFile RgbaUhd { get; }
    public InputFile GbrapUhd { get; }
    public InputFile ForegroundHd { get; }

    public PeerSuite(string directory, int framesHd = 4, int framesUhd = 2)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        V210Hd = Write("v210_1920x1080.v210", RawFormat.V210, 1920, 1080, framesHd, (f, dst) => TestFrames.FillV210(dst, 1920, 1080, f));
        RgbaHd = Write("rgba_1920x1080.rgba", RawFormat.Rgba, 1920, 1080, framesHd, (f, dst) => TestFrames.FillRgba(dst, 1920, 1080, f, opaque: true));
        GbrpHd = Write("gbrp_1920x1080.gbrp", RawFormat.Gbrp, 1920, 1080, framesHd, (f, dst) => Planar(RgbaHd, f, dst, false));
        GbrapHd = Write("gbrap_1920x1080.gbrap", RawFormat.Gbrap, 1920, 1080, framesHd, (f, dst) => Planar(RgbaHd, f, dst, true));
        RgbaUhd = Write("rgba_3840x2160.rgba", RawFormat.Rgba, 3840, 2160, framesUhd, (f, dst) => TestFrames.FillRgba(dst, 3840, 2160, f, opaque: true));
        GbrapUhd = Write("gbrap_3840x2160.gbrap", RawFormat.Gbrap, 3840, 2160, framesUhd, (f, dst) => Planar(RgbaUhd, f, dst, true));
        ForegroundHd = Write("fg_rgba_1920x1080.rgba", RawFormat.Rgba, 1920, 1080, framesHd, (f, dst) => TestFrames.FillRgba(dst, 1920, 1080, f, opaque: false, seed: 17));
    }

    private static void Planar(InputFile rgba, int frame, Span<byte> dst, bool alpha) =>
        TestFrames.RgbaToGbrPlanar(rgba.Frame(frame), dst, rgba.Width * rgba.Height, alpha);

    private delegate void Fill(int frame, Span<byte> dst);

    private InputFile Write(string name, RawFormat format, int width, int height, int frames, Fill fill)
    {
        int frameBytes = format switch
        {
            RawFormat.V210 => TestFrames.V210Bytes(width, height),
            RawFormat.Rgba or RawFormat.Gbrap => width * height * 4,
            RawFormat.Gbrp => width * height * 3,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"input {name}: unknown format"),
        };
        string path = Path.Combine(Directory, name);
        var buffer = new byte[frameBytes];
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            for (int f = 0; f < frames; f++)
            {
                fill(f, buffer);
                stream.Write(buffer);
            }
        }
        var input = new InputFile(path, format, width, height, frameBytes, frames);
        _inputs.Add(input);
        return input;
    }

    // ---- FFmpeg ----------------------------------------------------------------------------------------------

    private static readonly string[] FFmpegGlobal = { "-hide_banner", "-loglevel", "error", "-nostdin", "-filter_threads", "1", "-filter_complex_threads", "1" };

    /// <summary>Input options; <paramref name="opaque"/> reads v210 as 8-bit gray lines of the same bytes (no v210 decode).</summary>
    private static IEnumerable<string> FFmpegInput(InputFile input, int loops, bool opaque = false)
    {
        yield return "-threads"; yield return "1";
        if (loops > 1) { yield return "-stream_loop"; yield return (loops - 1).ToString(); }
        if (input.Format == RawFormat.V210 && opaque)
        {
            yield return "-f"; yield return "rawvideo"; yield return "-pix_fmt"; yield return "gray";
            yield return "-video_size"; yield return $"{TestFrames.V210LineBytes(input.Width)}x{input.Height}";
        }
        else
        {
            if (input.Format == RawFormat.V210) { yield return "-f"; yield return "v210"; }
            else { yield return "-f"; yield return "rawvideo"; yield return "-pix_fmt"; yield return input.FFmpegPixFmt; }
            yield return "-video_size"; yield return $"{input.Width}x{input.Height}";
        }
        yield return "-framerate"; yield return "25";
        yield return "-i"; yield return input.Path;
    }

    /// <summary>ffmpeg reading the inputs, applying <paramref name="filter"/> and encoding with <paramref name="codec"/> (null: keep frames, wrapped).</summary>
    private static List<string> FFmpegArgs(IReadOnlyList<InputFile> inputs, int loops, string filter, bool complex, string? codec, string output, string? outFormat)
    {
        var args = new List<string>(FFmpegGlobal);
        foreach (var input in inputs) args.AddRange(FFmpegInput(input, loops));
        if (complex) { args.Add("-filter_complex"); args.Add(filter + "[out]"); args.Add("-map"); args.Add("[out]"); }
        else { args.Add("-vf"); args.Add(filter); }
        args.AddRange(new[] { "-threads", "1" });
        if (codec != null) { args.Add("-c:v"); args.Add(codec); }
        if (output == "-") args.AddRange(new[] { "-f", "null", "-" });
        else
        {
            args.AddRange(new[] { "-f", outFormat ?? "rawvideo", "-y", output });
        }
        return args;
    }

    /// <summary>
    /// The pass-through twin: same files, same demuxer and frame handling, no decode of v210, no filter, no encoder
    /// (stream copy costs more system time than decoding raw frames, so it is not used).
    /// </summary>
    private static List<string> FFmpegPassThrough(IReadOnlyList<InputFile> inputs, int loops)
    {
        var args = new List<string>(FFmpegGlobal);
        foreach (var input in inputs) args.AddRange(FFmpegInput(input, loops, opaque: true));
        for (int i = 0; i < inputs.Count; i++) { args.Add("-map"); args.Add($"{i}:v"); }
        args.AddRange(new[] { "-threads", "1", "-f", "null", "-" });
        return args;
    }

    private PeerCase FFmpegCase(string peer, IReadOnlyList<InputFile> inputs, string filter, bool complex, string? codec,
        CompareKind compare, Func<byte[], byte[]>? decode = null, string note = "") => new()
    {
        Peer = peer,
        Exe = FFmpeg!,
        Timed = loops => FFmpegArgs(inputs, loops, filter, complex, codec, "-", null),
        PassThrough = loops => FFmpegPassThrough(inputs, loops),
        Dump = path => FFmpegArgs(inputs, 1, filter, complex, codec ?? "rawvideo", path, "rawvideo"),
        Decode = decode,
        Compare = compare,
        Note = note,
    };

    // ---- GStreamer -------------------------------------------------------------------------------------------

    private static string GstSource(InputFile input, int loops, bool dump) =>
        (dump ? $"filesrc location={input.Path}" : $"multifilesrc location={input.Path} loop=true num-buffers={loops}")
        + $" ! rawvideoparse width={input.Width} height={input.Height} format={input.GstFormat} colorimetry={(input.Format == RawFormat.V210 ? Colorimetry : "sRGB")} framerate=25/1";

    private static List<string> GstArgs(string pipeline) =>
        new List<string> { "-q", "-e" }.Concat(pipeline.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();

    private PeerCase GstCase(InputFile input, string element, string caps, CompareKind compare, string note = "") => new()
    {
        Peer = "GStreamer",
        Exe = GstLaunch!,
        Timed = loops => GstArgs($"{GstSource(input, loops, false)} ! {element} ! {caps} ! fakesink"),
        PassThrough = loops => GstArgs($"{GstSource(input, loops, false)} ! fakesink"),
        Dump = path => GstArgs($"{GstSource(input, 1, true)} ! {element} ! {caps} ! filesink location={path}"),
        Compare = compare,
        Note = note,
    };

    private PeerCase GstCompositorCase(InputFile background, InputFile foreground)
    {
        const string mixer = "compositor name=mix max-threads=1 background=black sink_0::operator=source sink_1::operator=over";
        const string caps = "video/x-raw,format=RGBA,width=1920,height=1080";
        return new PeerCase
        {
            Peer = "GStreamer",
            Exe = GstLaunch!,
            Timed = loops => GstArgs($"{mixer} ! {caps} ! fakesink {GstSource(background, loops, false)} ! mix.sink_0 {GstSource(foreground, loops, false)} ! mix.sink_1"),
            PassThrough = loops => GstArgs($"{GstSource(background, loops, false)} ! fakesink {GstSource(foreground, loops, false)} ! fakesink"),
            Dump = path => GstArgs($"{mixer} ! {caps} ! filesink location={path} {GstSource(background, 1, true)} ! mix.sink_0 {GstSource(foreground, 1, true)} ! mix.sink_1"),
            Compare = CompareKind.Rgba8,
            Note = "compositor, sink_0 operator=source, sink_1 over",
        };
    }

    // ---- cases -----------------------------------------------------------------------------------------------

    private static Func<byte[], byte[]> FromGbr(int width, int height, bool alpha) => planar =>
    {
        var rgba = new byte[width * height * 4];
        TestFrames.GbrPlanarToRgba(planar, rgba, width * height, alpha);
        return rgba;
    };

    /// <summary>FFmpeg gbrpf32le (G, B, R float planes) to interleaved float RGBA with A = 1.</summary>
    private static Func<byte[], byte[]> FromGbrFloat(int width, int height) => planar =>
    {
        int n = width * height;
        if (planar.Length < n * 12) throw new ArgumentException($"gbrpf32le dump holds {planar.Length} bytes, {width}x{height} needs {n * 12}");
        var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(planar.AsSpan(0, n * 12));
        var rgba = new byte[n * 16];
        var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(rgba.AsSpan());
        for (int i = 0; i < n; i++)
        {
            dst[i * 4 + 0] = src[2 * n + i];
            dst[i * 4 + 1] = src[i];
            dst[i * 4 + 2] = src[n + i];
            dst[i * 4 + 3] = 1f;
        }
        return rgba;
    };

    /// <summary>Every operation with the peers that are installed; <paramref name="loopsHd"/> / <paramref name="loopsUhd"/> passes over the input files per timed run.</summary>
    public List<OpCase> Cases(int loopsHd, int loopsUhd)
    {
        var cases = new List<OpCase>();
        bool ff = FFmpeg != null, gst = GstLaunch != null;
        const string toRgbFull = "in_color_matrix=bt709:in_range=tv";
        const string zToRgb = "zscale=matrixin=709:rangein=limited:range=full:dither=none";

        {
            var peers = new List<PeerCase>();
            if (ff)
            {
                peers.Add(FFmpegCase("FFmpeg swscale", new[] { V210Hd }, $"scale={toRgbFull},format=rgba", false, null, CompareKind.Rgba8));
                peers.Add(FFmpegCase(AccurateSwscale, new[] { V210Hd }, $"scale={toRgbFull}:flags=accurate_rnd+full_chroma_int,format=rgba", false, null, CompareKind.Rgba8,
                    note: "swscale's exact path (its default packed-RGBA output rounds coarsely)"));
                peers.Add(FFmpegCase("zimg (zscale)", new[] { V210Hd }, $"{zToRgb}:filter=bilinear,format=gbrp", false, null, CompareKind.Rgb8,
                    FromGbr(1920, 1080, false), "planar gbrp out (zimg has no packed RGBA)"));
            }
            if (gst) peers.Add(GstCase(V210Hd, "videoconvert n-threads=1 dither=none", "video/x-raw,format=RGBA", CompareKind.Rgba8));
            cases.Add(new OpCase
            {
                Op = PeerOp.V210ToRgba8, Title = "v210 -> RGBA8 1080p", OutWidth = 1920, OutHeight = 1080,
                BytesIn = V210Hd.FrameBytes, BytesOut = 1920 * 1080 * 4, FramesPerLoop = V210Hd.FrameCount, Loops = loopsHd,
                Tolerance = new Tolerance(2, 0.75), Peers = peers, Inputs = new[] { V210Hd },
            });
        }
        {
            var peers = new List<PeerCase>();
            if (ff)
            {
                peers.Add(FFmpegCase("FFmpeg swscale", new[] { V210Hd }, $"scale={toRgbFull},format=gbrpf32le", false, null, CompareKind.RgbFloat,
                    FromGbrFloat(1920, 1080), "planar gbrpf32le out"));
                peers.Add(FFmpegCase("zimg (zscale)", new[] { V210Hd }, $"{zToRgb}:filter=bilinear,format=gbrpf32le", false, null, CompareKind.RgbFloat,
                    FromGbrFloat(1920, 1080), "planar gbrpf32le out"));
            }
            cases.Add(new OpCase
            {
                Op = PeerOp.V210ToRgbaFloat, Title = "v210 -> RGBA float 1080p", OutWidth = 1920, OutHeight = 1080,
                BytesIn = V210Hd.FrameBytes, BytesOut = 1920 * 1080 * 16, FramesPerLoop = V210Hd.FrameCount, Loops = loopsHd,
                Tolerance = new Tolerance(2, 0.75), Peers = peers, Inputs = new[] { V210Hd },
            });
        }
        {
            var peers = new List<PeerCase>();
            if (ff)
            {
                peers.Add(FFmpegCase("FFmpeg swscale", new[] { RgbaHd }, "scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le", false, "v210", CompareKind.V210));
                peers.Add(FFmpegCase(AccurateSwscale, new[] { RgbaHd }, "scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv422p10le", false, "v210", CompareKind.V210,
                    note: "swscale's exact path"));
                peers.Add(FFmpegCase("zimg (zscale)", new[] { GbrpHd }, "zscale=matrix=709:range=limited:dither=none:filter=bilinear,format=yuv422p10le", false, "v210", CompareKind.V210,
                    note: "planar gbrp in"));
            }
            if (gst) peers.Add(GstCase(RgbaHd, "videoconvert n-threads=1 dither=none", $"video/x-raw,format=v210,colorimetry={Colorimetry}", CompareKind.V210));
            cases.Add(new OpCase
            {
                Op = PeerOp.Rgba8ToV210, Title = "RGBA8 -> v210 1080p", OutWidth = 1920, OutHeight = 1080,
                BytesIn = 1920 * 1080 * 4, BytesOut = V210Hd.FrameBytes, FramesPerLoop = RgbaHd.FrameCount, Loops = loopsHd,
                Tolerance = new Tolerance(4, 1.5), Peers = peers, Inputs = new[] { RgbaHd },
            });
        }
        foreach (var (op, rgba, gbrap, ow, oh, lanczos, loops) in new[]
                 {
                     (PeerOp.Bilinear1080To720, RgbaHd, GbrapHd, 1280, 720, false, loopsHd),
                     (PeerOp.Lanczos1080To720, RgbaHd, GbrapHd, 1280, 720, true, loopsHd),
                     (PeerOp.Bilinear2160To1080, RgbaUhd, GbrapUhd, 1920, 1080, false, loopsUhd),
                     (PeerOp.Lanczos2160To1080, RgbaUhd, GbrapUhd, 1920, 1080, true, loopsUhd),
                 })
        {
            var peers = new List<PeerCase>();
            string name = lanczos ? "lanczos" : "bilinear";
            if (ff)
            {
                peers.Add(FFmpegCase("FFmpeg swscale", new[] { rgba }, $"scale={ow}:{oh}:flags={name},format=rgba", false, null, CompareKind.Rgba8));
                peers.Add(FFmpegCase("zimg (zscale)", new[] { gbrap }, $"zscale=w={ow}:h={oh}:filter={name}", false, null, CompareKind.Rgba8,
                    FromGbr(ow, oh, true), "planar gbrap in/out"));
            }
            if (gst)
                peers.Add(GstCase(rgba, lanczos ? "videoscale n-threads=1 method=lanczos envelope=3" : "videoscale n-threads=1 method=bilinear",
                    $"video/x-raw,width={ow},height={oh}", CompareKind.Rgba8, lanczos ? "" : "2-tap, no prefilter"));
            cases.Add(new OpCase
            {
                Op = op, Title = $"{(lanczos ? "Lanczos-3" : "bilinear")} {rgba.Width}x{rgba.Height} -> {ow}x{oh}", OutWidth = ow, OutHeight = oh,
                BytesIn = rgba.FrameBytes, BytesOut = ow * oh * 4, FramesPerLoop = rgba.FrameCount, Loops = loops,
                Tolerance = new Tolerance(6, 1.5), Peers = peers, Inputs = new[] { rgba },
            });
        }
        {
            var peers = new List<PeerCase>();
            if (ff) peers.Add(FFmpegCase("FFmpeg swscale", new[] { RgbaHd, ForegroundHd }, "[0:v][1:v]overlay=format=rgb:shortest=1,format=rgba", true, null, CompareKind.Rgba8,
                note: "overlay filter"));
            if (gst) peers.Add(GstCompositorCase(RgbaHd, ForegroundHd));
            cases.Add(new OpCase
            {
                Op = PeerOp.AlphaOver1080, Title = "alpha-over 2 x RGBA8 1080p", OutWidth = 1920, OutHeight = 1080,
                BytesIn = 2L * 1920 * 1080 * 4, BytesOut = 1920 * 1080 * 4, FramesPerLoop = RgbaHd.FrameCount, Loops = loopsHd,
                Tolerance = new Tolerance(2, 0.75), Peers = peers, Inputs = new[] { RgbaHd, ForegroundHd },
            });
        }
        return cases;
    }

    public void Dispose()
    {
        foreach (var input in _inputs)
        {
            input.Dispose();
            try { File.Delete(input.Path); } catch (IOException) { }
        }
        _inputs.Clear();
        try
        {
            if (System.IO.Directory.Exists(Directory) && !System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
                System.IO.Directory.Delete(Directory);
        }
        catch (IOException) { }
    }
}
