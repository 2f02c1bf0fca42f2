using ILGPU;
using ILGPU.Runtime;

namespace GpuMesh.Kernels;

/// <summary>Runs the ILGPU kernels on one accelerator; loads (compiles) each kernel once and keeps scratch buffers.</summary>
internal sealed unsafe class IlgpuKernels : IHostKernels, IDisposable
{
    readonly Accelerator _acc;
    readonly object _gate = new();
    readonly Dictionary<string, Delegate> _kernels = new();
    readonly Dictionary<int, MemoryBuffer1D<byte, Stride1D.Dense>> _staging = new();
    readonly List<IDisposable> _owned = new();
    MemoryBuffer1D<float, Stride1D.Dense>? _canvas;
    readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _layerScratch = new MemoryBuffer1D<float, Stride1D.Dense>?[64];

    public IlgpuKernels(Accelerator accelerator) { _acc = accelerator; }

    public Accelerator Accelerator => _acc;

    /// <summary>Load (compile) a kernel now; a compile failure clears the context's caches and raises KernelCompilationException.</summary>
    public T Load<T>(string name, Func<Accelerator, T> loader) where T : Delegate
    {
        lock (_gate)
        {
            if (_kernels.TryGetValue(name, out var d)) return (T)d;
            T k;
            try { k = loader(_acc); }
            catch (Exception ex) when (ex is not KernelCompilationException)
            {
                _acc.Context.ClearCache(ClearCacheMode.Everything);
                throw new KernelCompilationException(name, ex);
            }
            _kernels[name] = k;
            return k;
        }
    }

    Action<Index1D, KernelFrame, KernelFrame, DecodeCoefficients> DecodeKernel =>
        Load("gpumesh.decode", a => a.LoadAutoGroupedStreamKernel<Index1D, KernelFrame, KernelFrame, DecodeCoefficients>(IlgpuKernelBodies.Decode));
    Action<Index1D, KernelFrame, KernelFrame, EncodeCoefficients> EncodeKernel =>
        Load("gpumesh.encode", a => a.LoadAutoGroupedStreamKernel<Index1D, KernelFrame, KernelFrame, EncodeCoefficients>(IlgpuKernelBodies.Encode));
    Action<Index1D, KernelFrame, KernelFrame, ArrayView<int>, ArrayView<float>, int, ArrayView<int>, ArrayView<float>, int> ScaleKernel =>
        Load("gpumesh.scale", a => a.LoadAutoGroupedStreamKernel<Index1D, KernelFrame, KernelFrame, ArrayView<int>, ArrayView<float>, int, ArrayView<int>, ArrayView<float>, int>(IlgpuKernelBodies.Scale));
    Action<Index1D, KernelFrame, ArrayView<float>, int> CanvasLoadKernel =>
        Load("gpumesh.canvas-load", a => a.LoadAutoGroupedStreamKernel<Index1D, KernelFrame, ArrayView<float>, int>(IlgpuKernelBodies.CanvasLoad));
    Action<Index1D, ArrayView<float>, KernelFrame, int> CanvasStoreKernel =>
        Load("gpumesh.canvas-store", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, KernelFrame, int>(IlgpuKernelBodies.CanvasStore));

    public Action<Index1D, ArrayView<float>, int, int, KernelFrame, LayerParams, int, TBlend> BlendKernel<TBlend>() where TBlend : struct, IBlendFunction =>
        Load("gpumesh.blend:" + typeof(TBlend).FullName,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, int, KernelFrame, LayerParams, int, TBlend>(IlgpuKernelBodies.CanvasBlend<TBlend>));

    public Action<Index1D, KernelFrame, KernelFrame, TFunc> ApplyKernel<TFunc>() where TFunc : struct, IPixelFunction =>
        Load("gpumesh.apply:" + typeof(TFunc).FullName,
            a => a.LoadAutoGroupedStreamKernel<Index1D, KernelFrame, KernelFrame, TFunc>(IlgpuKernelBodies.Apply<TFunc>));

    // ---- device frames ----

    public void Decode(in DeviceFrame src, in DeviceFrame dst, in ColorSpec spec)
    {
        var c = DecodeCoefficients.Create(spec, dst.Format, src.Format == PixelFormat.V210a);
        DecodeKernel(src.Height, new KernelFrame(src.View, src.Layout), new KernelFrame(dst.View, dst.Layout), c);
        _acc.Synchronize();
    }

    public void Encode(in DeviceFrame src, in DeviceFrame dst, in ColorSpec spec)
    {
        var c = EncodeCoefficients.Create(spec, src.Format);
        EncodeKernel(src.Height, new KernelFrame(src.View, src.Layout), new KernelFrame(dst.View, dst.Layout), c);
        _acc.Synchronize();
    }

    public void Scale(in DeviceFrame src, in DeviceFrame dst, ScaleFilter filter, RectI roi)
    {
        ScaleInto(new KernelFrame(src.View, src.Layout), new KernelFrame(dst.View, dst.Layout), filter, roi);
        _acc.Synchronize();
    }

    void ScaleInto(KernelFrame src, KernelFrame dst, ScaleFilter filter, RectI roi)
    {
        var ax = ScaleAxis.Create(filter, roi.X, roi.Width, dst.Width);
        var ay = ScaleAxis.Create(filter, roi.Y, roi.Height, dst.Height);
        var ix = _acc.Allocate1D(ax.Index); var wx = _acc.Allocate1D(ax.Weight);
        var iy = _acc.Allocate1D(ay.Index); var wy = _acc.Allocate1D(ay.Weight);
        try
        {
            ScaleKernel(dst.Height, src, dst, ix.View, wx.View, ax.Taps, iy.View, wy.View, ay.Taps);
            _acc.Synchronize();
        }
        finally { ix.Dispose(); wx.Dispose(); iy.Dispose(); wy.Dispose(); }
    }

    public void Composite<TBlend>(in DeviceFrame background, ReadOnlySpan<DeviceCompositeLayer> layers, in DeviceFrame dst, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        int w = dst.Width, h = dst.Height;
        long need = (long)w * h * 4;
        if (_canvas is null || _canvas.Length < need) { _canvas?.Dispose(); _canvas = _acc.Allocate1D<float>(need); }
        var canvas = _canvas.View.SubView(0, need);
        CanvasLoadKernel(h, new KernelFrame(background.View, background.Layout), canvas, alpha == AlphaMode.Straight ? 1 : 0);
        var blendKernel = BlendKernel<TBlend>();
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            var crop = l.Crop ?? new RectI(0, 0, l.Source.Width, l.Source.Height);
            KernelFrame lf;
            if (crop.Width == l.Destination.Width && crop.Height == l.Destination.Height)
            {
                int bpp = PixelFormats.RgbaBytesPerPixel(l.Source.Format);
                long off = (long)crop.Y * l.Source.Layout.Pitch + (long)crop.X * bpp;
                lf = new KernelFrame(l.Source.View.SubView(off, l.Source.View.Length - off), l.Source.Layout with { Width = crop.Width, Height = crop.Height });
            }
            else
            {
                long n = (long)l.Destination.Width * l.Destination.Height * 4;
                var slot = _layerScratch[i % _layerScratch.Length];
                if (slot is null || slot.Length < n) { slot?.Dispose(); slot = _acc.Allocate1D<float>(n); _layerScratch[i % _layerScratch.Length] = slot; }
                var layout = FrameLayout.RgbaFloat(l.Destination.Width, l.Destination.Height);
                lf = new KernelFrame(slot.View.SubView(0, n).AsContiguous().Cast<byte>(), layout);
                ScaleInto(new KernelFrame(l.Source.View, l.Source.Layout), lf, l.Filter, crop);
            }
            var p = new LayerParams { X = l.Destination.X, Y = l.Destination.Y, Width = l.Destination.Width, Height = l.Destination.Height, Opacity = l.Opacity, Premultiplied = l.Alpha == AlphaMode.Premultiplied ? 1 : 0 };
            int first = Math.Max(0, p.Y), last = Math.Min(h, p.Y + p.Height);
            if (last > first && p.X < w && p.X + p.Width > 0) blendKernel(last - first, canvas, w, h, lf, p, first, blend);
        }
        CanvasStoreKernel(h, canvas, new KernelFrame(dst.View, dst.Layout), alpha == AlphaMode.Straight ? 1 : 0);
        _acc.Synchronize();
    }

    public void Apply<TFunc>(in DeviceFrame src, in DeviceFrame dst, TFunc func) where TFunc : struct, IPixelFunction
    {
        ApplyKernel<TFunc>()(src.Height, new KernelFrame(src.View, src.Layout), new KernelFrame(dst.View, dst.Layout), func);
        _acc.Synchronize();
    }

    // ---- host frames: staged through accelerator buffers ----

    ArrayView<byte> Stage(int slot, long bytes)
    {
        if (!_staging.TryGetValue(slot, out var b) || b.Length < bytes)
        {
            b?.Dispose();
            b = _acc.Allocate1D<byte>(Math.Max(bytes, 1));
            _staging[slot] = b;
        }
        return b.View.SubView(0, bytes);
    }

    DeviceFrame Upload(int slot, in HostFrame f)
    {
        var v = Stage(slot, f.Layout.TotalBytes);
        v.CopyFromCPU(ref *(byte*)f.Address, f.Layout.TotalBytes);
        return new DeviceFrame(v, f.Layout);
    }

    DeviceFrame Target(int slot, in HostFrame f) => Upload(slot, f); // keeps bytes the kernel does not write (padding)

    static void Download(in DeviceFrame d, in HostFrame f) => d.View.CopyToCPU(ref *(byte*)f.Address, f.Layout.TotalBytes);

    public void Decode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        var s = Upload(0, src); var d = Target(1, dst);
        Decode(s, d, spec); Download(d, dst);
    }

    public void Encode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        var s = Upload(0, src); var d = Target(1, dst);
        Encode(s, d, spec); Download(d, dst);
    }

    public void Scale(in HostFrame src, in HostFrame dst, ScaleFilter filter, RectI roi)
    {
        var s = Upload(0, src); var d = Target(1, dst);
        Scale(s, d, filter, roi); Download(d, dst);
    }

    public void Composite<TBlend>(in HostFrame background, ReadOnlySpan<CompositeLayer> layers, in HostFrame dst, AlphaMode alpha, TBlend blend)
        where TBlend : struct, IBlendFunction
    {
        var bg = Upload(0, background); var d = Target(1, dst);
        var dl = new DeviceCompositeLayer[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            var l = layers[i];
            dl[i] = new DeviceCompositeLayer(Upload(2 + i, l.Source), l.Destination, l.Opacity, l.Alpha, l.Filter, l.Crop);
        }
        Composite(bg, dl, d, alpha, blend); Download(d, dst);
    }

    public void Apply<TFunc>(in HostFrame src, in HostFrame dst, TFunc func) where TFunc : struct, IPixelFunction
    {
        var s = Upload(0, src); var d = Target(1, dst);
        Apply(s, d, func); Download(d, dst);
    }

    public void Track(IDisposable d) => _owned.Add(d);

    public void Dispose()
    {
        foreach (var b in _staging.Values) b.Dispose();
        _staging.Clear();
        _canvas?.Dispose();
        foreach (var b in _layerScratch) b?.Dispose();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
    }
}
