using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using System.Runtime.CompilerServices;

namespace GpuMesh.Kernels;

/// <summary>
/// The one entry point for colour conversion, scaling, compositing and author kernels. The implementation follows the
/// accelerator given: none (or "simd") = SIMD CPU code; an ILGPU accelerator = the ILGPU kernels on it; "reference" = the
/// scalar oracle. Arguments are validated here with messages that name the operation and the frame.
/// Not thread-safe: use one instance per thread (each keeps its own scratch buffers).
/// </summary>
public sealed class FrameKernels : IDisposable
{
    readonly IHostKernels _host;
    readonly IlgpuKernels? _ilgpu;
    readonly Context? _ownedContext;
    readonly Accelerator? _ownedAccelerator;
    IlgpuKernels? _authorCpu; // ILGPU CPU accelerator for author kernels when the backend has no accelerator
    Context? _authorContext;
    bool _disposed;

    public KernelBackend Backend { get; }
    /// <summary>The ILGPU accelerator (ILGPU backend), else null.</summary>
    public Accelerator? Accelerator { get; }

    int _dop;
    /// <summary>Threads the SIMD path spreads rows over; 1 = single thread (benchmarks); 0 = all cores.</summary>
    public int DegreeOfParallelism
    {
        get => _dop;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "degree of parallelism must be >= 0 (0 = all cores)");
            _dop = value;
            if (_host is SimdKernels s) s.DegreeOfParallelism = value == 0 ? Environment.ProcessorCount : value;
        }
    }

    /// <summary>Human-readable description of the backend (for logs and `gpumesh info`).</summary>
    public string Description => Backend switch
    {
        KernelBackend.Simd => $"SIMD CPU ({SimdKernels.InstructionSet}, {(_dop == 0 ? Environment.ProcessorCount : _dop)} threads)",
        KernelBackend.Reference => "scalar reference",
        _ => $"ILGPU {Accelerator!.AcceleratorType} '{Accelerator.Name}'",
    };

    FrameKernels(KernelBackend backend, Accelerator? accelerator, int dop, Context? ownedContext = null, Accelerator? ownedAccelerator = null)
    {
        Backend = backend;
        Accelerator = accelerator;
        _ownedContext = ownedContext;
        _ownedAccelerator = ownedAccelerator;
        if (backend == KernelBackend.Ilgpu) { _ilgpu = new IlgpuKernels(accelerator!); _host = _ilgpu; }
        else if (backend == KernelBackend.Simd) _host = new SimdKernels();
        else _host = new ReferenceKernels();
        DegreeOfParallelism = dop;
    }

    /// <summary>null = SIMD CPU; otherwise the ILGPU kernels on <paramref name="accelerator"/> (not owned).</summary>
    public static FrameKernels Create(Accelerator? accelerator = null, int degreeOfParallelism = 0) =>
        accelerator is null ? new FrameKernels(KernelBackend.Simd, null, degreeOfParallelism) : new FrameKernels(KernelBackend.Ilgpu, accelerator, degreeOfParallelism);

    /// <summary>By name: "simd" (or null/""), "reference", "ilgpu-cpu" (own ILGPU CPU accelerator), "cuda" (own context, first CUDA device).</summary>
    public static FrameKernels Create(string? backend, int degreeOfParallelism = 0)
    {
        switch ((backend ?? "simd").Trim().ToLowerInvariant())
        {
            case "" or "simd" or "cpu":
                return new FrameKernels(KernelBackend.Simd, null, degreeOfParallelism);
            case "reference" or "scalar":
                return new FrameKernels(KernelBackend.Reference, null, degreeOfParallelism);
            case "ilgpu-cpu" or "ilgpu":
            {
                var ctx = Context.Create(b => b.CPU().EnableAlgorithms());
                var acc = ctx.CreateCPUAccelerator(0);
                return new FrameKernels(KernelBackend.Ilgpu, acc, degreeOfParallelism, ctx, acc);
            }
            case "cuda":
            {
                var ctx = Context.Create(b => b.Cuda().EnableAlgorithms());
                var dev = ctx.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda);
                if (dev is null) { ctx.Dispose(); throw new InvalidOperationException("backend 'cuda': no CUDA device found"); }
                var acc = dev.CreateAccelerator(ctx);
                return new FrameKernels(KernelBackend.Ilgpu, acc, degreeOfParallelism, ctx, acc);
            }
            default:
                throw new ArgumentException($"unknown kernel backend '{backend}' (expected simd, reference, ilgpu-cpu or cuda)", nameof(backend));
        }
    }

    public static FrameKernels CreateReference() => new(KernelBackend.Reference, null, 1);

    void CheckDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    // ------------------------------------------------------------------ colour conversion

    /// <summary>
    /// Y'CbCr (v210, v210a, yuv422p10) -> RGBA (8, 16, half, float) or back. Same size both sides. v210a key feeds alpha
    /// (decode) and alpha feeds the key (encode); without a key, decoded alpha is opaque.
    /// </summary>
    public void Convert(in HostFrame source, in HostFrame destination, in ColorSpec spec = default)
    {
        CheckDisposed();
        bool decode = ValidateConvert(source.Layout, destination.Layout);
        if (decode) _host.Decode(source, destination, spec); else _host.Encode(source, destination, spec);
    }

    public unsafe void Convert(ReadOnlySpan<byte> source, FrameLayout sourceLayout, Span<byte> destination, FrameLayout destinationLayout, in ColorSpec spec = default)
    {
        fixed (byte* s = source) fixed (byte* d = destination)
            Convert(new HostFrame(s, source.Length, sourceLayout), new HostFrame(d, destination.Length, destinationLayout), spec);
    }

    public void Convert(in DeviceFrame source, in DeviceFrame destination, in ColorSpec spec = default)
    {
        CheckDisposed();
        var k = RequireIlgpu("Convert");
        if (ValidateConvert(source.Layout, destination.Layout)) k.Decode(source, destination, spec); else k.Encode(source, destination, spec);
    }

    static bool ValidateConvert(in FrameLayout s, in FrameLayout d)
    {
        if (s.Width != d.Width || s.Height != d.Height)
            throw new ArgumentException($"Convert: source {s} and destination {d} differ in size");
        if (PixelFormats.IsYuv(s.Format) && PixelFormats.IsRgba(d.Format)) return true;
        if (PixelFormats.IsRgba(s.Format) && PixelFormats.IsYuv(d.Format)) return false;
        throw new ArgumentException($"Convert: {s.Format} -> {d.Format} is not supported; one side must be Y'CbCr (v210, v210a, yuv422p10) and the other RGBA");
    }

    // ------------------------------------------------------------------ scaling

    /// <summary>Resample an RGBA frame (any size to any size; formats may differ). sourceRect: crop / region of interest (default whole frame).</summary>
    public void Scale(in HostFrame source, in HostFrame destination, ScaleFilter filter = ScaleFilter.Bilinear, RectI? sourceRect = null)
    {
        CheckDisposed();
        var roi = ValidateScale(source.Layout, destination.Layout, filter, sourceRect);
        _host.Scale(source, destination, filter, roi);
    }

    public unsafe void Scale(ReadOnlySpan<byte> source, FrameLayout sourceLayout, Span<byte> destination, FrameLayout destinationLayout,
        ScaleFilter filter = ScaleFilter.Bilinear, RectI? sourceRect = null)
    {
        fixed (byte* s = source) fixed (byte* d = destination)
            Scale(new HostFrame(s, source.Length, sourceLayout), new HostFrame(d, destination.Length, destinationLayout), filter, sourceRect);
    }

    public void Scale(in DeviceFrame source, in DeviceFrame destination, ScaleFilter filter = ScaleFilter.Bilinear, RectI? sourceRect = null)
    {
        CheckDisposed();
        var k = RequireIlgpu("Scale");
        k.Scale(source, destination, filter, ValidateScale(source.Layout, destination.Layout, filter, sourceRect));
    }

    static RectI ValidateScale(in FrameLayout s, in FrameLayout d, ScaleFilter filter, RectI? sourceRect)
    {
        if (!PixelFormats.IsRgba(s.Format) || !PixelFormats.IsRgba(d.Format))
            throw new ArgumentException($"Scale: needs RGBA frames, got source {s.Format} and destination {d.Format}");
        if (!Enum.IsDefined(filter)) throw new ArgumentOutOfRangeException(nameof(filter), filter, "Scale: unknown filter");
        var roi = sourceRect ?? new RectI(0, 0, s.Width, s.Height);
        if (!roi.IsInside(s.Width, s.Height))
            throw new ArgumentOutOfRangeException(nameof(sourceRect), roi, $"Scale: source rectangle {roi} is not inside the {s.Width}x{s.Height} source");
        return roi;
    }

    // ------------------------------------------------------------------ compositing

    /// <summary>
    /// destination = layers over background, in order. Background and destination are RGBA of the same size and share
    /// <paramref name="alpha"/> (they may be the same frame). Each layer is cropped, scaled to its destination rectangle,
    /// clipped to the canvas, multiplied by its opacity and blended with source-over.
    /// </summary>
    public void Composite(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame destination, AlphaMode alpha = AlphaMode.Straight) =>
        Composite(background, layers, destination, alpha, default(AlphaOverBlend));

    /// <summary>Composite with an author blend function (premultiplied in, premultiplied out).</summary>
    public void Composite<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame destination, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        CheckDisposed();
        ValidateCanvas(background.Layout, destination.Layout);
        for (int i = 0; i < layers.Length; i++) ValidateLayer(i, layers[i].Source.Layout, layers[i].Destination, layers[i].Opacity, layers[i].Crop, layers[i].Filter);
        if (Backend != KernelBackend.Ilgpu) ValidateAuthorType<TBlend>(true);
        _host.Composite(background, layers, destination, alpha, blend);
    }

    public void Composite(in DeviceFrame background, ReadOnlySpan<DeviceCompositeLayer> layers, in DeviceFrame destination, AlphaMode alpha = AlphaMode.Straight) =>
        Composite(background, layers, destination, alpha, default(AlphaOverBlend));

    public void Composite<TBlend>(in DeviceFrame background, ReadOnlySpan<DeviceCompositeLayer> layers, in DeviceFrame destination, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        CheckDisposed();
        var k = RequireIlgpu("Composite");
        ValidateCanvas(background.Layout, destination.Layout);
        for (int i = 0; i < layers.Length; i++) ValidateLayer(i, layers[i].Source.Layout, layers[i].Destination, layers[i].Opacity, layers[i].Crop, layers[i].Filter);
        k.Composite(background, layers, destination, alpha, blend);
    }

    static void ValidateCanvas(in FrameLayout bg, in FrameLayout dst)
    {
        if (!PixelFormats.IsRgba(bg.Format) || !PixelFormats.IsRgba(dst.Format))
            throw new ArgumentException($"Composite: background ({bg.Format}) and destination ({dst.Format}) must be RGBA; decode Y'CbCr first");
        if (bg.Width != dst.Width || bg.Height != dst.Height)
            throw new ArgumentException($"Composite: background {bg} and destination {dst} differ in size");
    }

    static void ValidateLayer(int i, in FrameLayout src, RectI dest, float opacity, RectI? crop, ScaleFilter filter)
    {
        if (!PixelFormats.IsRgba(src.Format)) throw new ArgumentException($"Composite: layer {i} source is {src.Format}; layers must be RGBA");
        if (dest.Width < 1 || dest.Height < 1) throw new ArgumentException($"Composite: layer {i} destination {dest} is empty");
        if (!(opacity >= 0f && opacity <= 1f)) throw new ArgumentOutOfRangeException(nameof(opacity), opacity, $"Composite: layer {i} opacity must be within 0..1");
        if (crop is { } c && !c.IsInside(src.Width, src.Height))
            throw new ArgumentOutOfRangeException(nameof(crop), c, $"Composite: layer {i} crop {c} is not inside its {src.Width}x{src.Height} source");
        if (!Enum.IsDefined(filter)) throw new ArgumentOutOfRangeException(nameof(filter), filter, $"Composite: layer {i} has an unknown filter");
    }

    // ------------------------------------------------------------------ author functions

    /// <summary>destination(x, y) = func(source(x, y)) over RGBA frames of the same size (may be the same frame).</summary>
    public void Apply<TFunc>(in HostFrame source, in HostFrame destination, TFunc func) where TFunc : struct, IPixelFunction
    {
        CheckDisposed();
        ValidateApply(source.Layout, destination.Layout);
        if (Backend != KernelBackend.Ilgpu) ValidateAuthorType<TFunc>(false);
        _host.Apply(source, destination, func);
    }

    public void Apply<TFunc>(in DeviceFrame source, in DeviceFrame destination, TFunc func) where TFunc : struct, IPixelFunction
    {
        CheckDisposed();
        ValidateApply(source.Layout, destination.Layout);
        RequireIlgpu("Apply").Apply(source, destination, func);
    }

    static void ValidateApply(in FrameLayout s, in FrameLayout d)
    {
        if (!PixelFormats.IsRgba(s.Format) || !PixelFormats.IsRgba(d.Format))
            throw new ArgumentException($"Apply: needs RGBA frames, got {s.Format} -> {d.Format}");
        if (s.Width != d.Width || s.Height != d.Height) throw new ArgumentException($"Apply: source {s} and destination {d} differ in size");
    }

    readonly HashSet<Type> _validated = new();

    /// <summary>
    /// Compile an author per-pixel function now (on this backend's accelerator, or on an ILGPU CPU accelerator for the
    /// CPU backends) so that a kernel ILGPU cannot compile fails here with <see cref="KernelCompilationException"/>.
    /// </summary>
    public void Register<TFunc>() where TFunc : struct, IPixelFunction
    {
        CheckDisposed();
        (_ilgpu ?? AuthorCpu()).ApplyKernel<TFunc>();
        _validated.Add(typeof(TFunc));
    }

    /// <summary>Compile an author blend function now (see <see cref="Register{TFunc}"/>).</summary>
    public void RegisterBlend<TBlend>() where TBlend : struct, IBlendFunction
    {
        CheckDisposed();
        (_ilgpu ?? AuthorCpu()).BlendKernel<TBlend>();
        _validated.Add(typeof(TBlend));
    }

    // CPU backends run author structs as plain .NET; they still must be kernel-safe, which Register checks.
    static void ValidateAuthorType<T>(bool blend)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            throw new ArgumentException($"{typeof(T).Name}: an author {(blend ? "blend" : "pixel")} function must be an unmanaged struct (no references, strings or arrays)");
    }

    /// <summary>
    /// Escape hatch: a whole ILGPU kernel with explicit grouping (shared memory, barriers). <paramref name="body"/> is a
    /// static method; it reads and writes the frames through <see cref="KernelFrame"/> and uses Grid/Group indices.
    /// Compiled now; runs on this backend's accelerator, or on an ILGPU CPU accelerator for the CPU backends.
    /// </summary>
    public CustomKernel<TArgs> RegisterCustomKernel<TArgs>(Action<KernelFrame, KernelFrame, TArgs> body, string? name = null) where TArgs : unmanaged
    {
        CheckDisposed();
        ArgumentNullException.ThrowIfNull(body);
        if (!body.Method.IsStatic) throw new ArgumentException($"custom kernel '{name ?? body.Method.Name}' must be a static method", nameof(body));
        var k = _ilgpu ?? AuthorCpu();
        string n = name ?? $"{body.Method.DeclaringType?.FullName}.{body.Method.Name}";
        var launcher = k.Load("custom:" + n, a => a.LoadStreamKernel(body));
        return new CustomKernel<TArgs>(n, k, launcher);
    }

    IlgpuKernels AuthorCpu()
    {
        if (_authorCpu is null)
        {
            _authorContext = Context.Create(b => b.CPU().EnableAlgorithms());
            var acc = _authorContext.CreateCPUAccelerator(0);
            _authorCpu = new IlgpuKernels(acc);
            _authorCpu.Track(acc);
        }
        return _authorCpu;
    }

    IlgpuKernels RequireIlgpu(string op) =>
        _ilgpu ?? throw new InvalidOperationException($"{op}: device frames need the ILGPU backend; this instance runs {Description}");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ilgpu?.Dispose();
        (_host as IDisposable)?.Dispose();
        _authorCpu?.Dispose();
        _authorContext?.Dispose();
        _ownedAccelerator?.Dispose();
        _ownedContext?.Dispose();
    }
}

/// <summary>A registered custom ILGPU kernel (explicitly grouped). Run it with a grid/group configuration of your choice.</summary>
public sealed unsafe class CustomKernel<TArgs> where TArgs : unmanaged
{
    readonly IlgpuKernels _k;
    readonly Action<KernelConfig, KernelFrame, KernelFrame, TArgs> _launch;
    public string Name { get; }
    public Accelerator Accelerator => _k.Accelerator;

    internal CustomKernel(string name, IlgpuKernels k, Action<KernelConfig, KernelFrame, KernelFrame, TArgs> launch)
    {
        Name = name; _k = k; _launch = launch;
    }

    public void Run(in DeviceFrame source, in DeviceFrame destination, KernelConfig config, TArgs args)
    {
        _launch(config, new KernelFrame(source.View, source.Layout), new KernelFrame(destination.View, destination.Layout), args);
        _k.Accelerator.Synchronize();
    }

    /// <summary>Runs on host frames: copies them to the accelerator, runs, copies the destination back.</summary>
    public void Run(in HostFrame source, in HostFrame destination, KernelConfig config, TArgs args)
    {
        var acc = _k.Accelerator;
        using var s = acc.Allocate1D<byte>(source.Layout.TotalBytes);
        using var d = acc.Allocate1D<byte>(destination.Layout.TotalBytes);
        s.View.CopyFromCPU(ref *(byte*)source.Address, source.Layout.TotalBytes);
        d.View.CopyFromCPU(ref *(byte*)destination.Address, destination.Layout.TotalBytes);
        Run(new DeviceFrame(s.View, source.Layout), new DeviceFrame(d.View, destination.Layout), config, args);
        d.View.CopyToCPU(ref *(byte*)destination.Address, destination.Layout.TotalBytes);
    }
}
