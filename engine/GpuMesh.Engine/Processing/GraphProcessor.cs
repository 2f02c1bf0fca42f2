using System.Diagnostics;
using System.Runtime.InteropServices;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Processing;

/// <summary>Size of an input flow's pictures and whether they carry a key plane (v210a).</summary>
public readonly record struct FrameGeometry(int Width, int Height, bool HasKey);

public sealed class GraphProcessorOptions
{
    /// <summary>Backend of the built-in operations: simd, reference, ilgpu-cpu or cuda (already resolved).</summary>
    public string Backend { get; init; } = "simd";
    /// <summary>Backend of custom (author) functions, already resolved.</summary>
    public string AuthorBackend { get; init; } = "ilgpu-cpu";
    /// <summary>RGBA format the graph works in between decode and encode.</summary>
    public PixelFormat WorkingFormat { get; init; } = PixelFormat.Rgba16;
    public ColorSpec Color { get; init; } = ColorSpec.Default;
    public CustomFunctionRegistry? CustomFunctions { get; init; }
    /// <summary>Threads each SIMD operation spreads rows over (0 = all cores).</summary>
    public int DegreeOfParallelism { get; init; }
}

/// <summary>
/// Runs a <see cref="ProcessingGraph"/> per grain: decode nodes in the import stage (straight from the input grain's
/// mapping), scale / composite / custom nodes in the process stage, encode nodes in the export stage (straight into the
/// output grain's payload). Each stage has its own kernel instance, so stages may run on different threads.
/// </summary>
public sealed unsafe class GraphProcessor : IGrainProcessor, IDisposable
{
    private readonly ProcessingGraph _graph;
    private readonly GraphProcessorOptions _options;
    private readonly Dictionary<string, FrameLayout> _layouts = new(StringComparer.Ordinal);
    private readonly DecodeNode[] _decoders;
    private readonly EncodeNode[] _encoders;
    private readonly FrameGeometry[] _inputGeometry;
    private readonly GraphNode[] _processNodes;
    private readonly Dictionary<string, CustomFunction> _custom = new(StringComparer.Ordinal);
    private readonly string[] _nodeNames;
    private FrameKernels? _importKernels, _processKernels, _exportKernels, _authorKernels;
    private Dictionary<string, nint>[] _sets = Array.Empty<Dictionary<string, nint>>();
    // Per-node timing recorders, looked up once in Prepare (no string building per grain).
    private LatencyRecorder?[] _decodeTimes = Array.Empty<LatencyRecorder?>();
    private LatencyRecorder?[] _processTimes = Array.Empty<LatencyRecorder?>();
    private LatencyRecorder?[] _encodeTimes = Array.Empty<LatencyRecorder?>();
    private CompositeLayer[] _layerScratch = Array.Empty<CompositeLayer>();
    // Decode nodes read only by scale nodes decode only the rows those scales sample (null = every row).
    private readonly RowRun[]?[] _decodeRows;
    // Composites whose background has no other reader blend in place, over the layers' bounding box only.
    private readonly Dictionary<string, InPlaceComposite> _inPlace = new(StringComparer.Ordinal);
    // Nodes that write into another node's buffer (an in-place composite -> its background).
    private readonly Dictionary<string, string> _sharedBuffer = new(StringComparer.Ordinal);
    // Per set and input: the background pixels under an in-place composite's box as decoded, and whether the box
    // was blended over since (a repeated input must not show the previous grain's layers twice).
    private nint[][] _underlay = Array.Empty<nint[]>();
    private bool[][] _boxDirty = Array.Empty<bool[]>();

    /// <summary>Rows First, First + Stride, ... (Count of them) of a picture.</summary>
    private readonly record struct RowRun(int First, int Stride, int Count);

    private sealed class InPlaceComposite(RectI box, int decodeInput)
    {
        public RectI Box { get; } = box;
        /// <summary>Index of the decode node that is the background, or -1 (a process node, recomputed every grain).</summary>
        public int DecodeInput { get; } = decodeInput;
    }

    public GraphProcessor(ProcessingGraph graph, IReadOnlyList<FrameGeometry> inputGeometry, GraphProcessorOptions? options = null)
    {
        _graph = graph ?? throw new ArgumentNullException(nameof(graph));
        _options = options ?? new GraphProcessorOptions();
        if (!PixelFormats.IsRgba(_options.WorkingFormat))
            throw new ArgumentException($"working format {_options.WorkingFormat} is not an RGBA format");
        _decoders = graph.Decoders.ToArray();
        _encoders = graph.Encoders.ToArray();
        if (inputGeometry.Count != _decoders.Length)
            throw new ArgumentException($"{inputGeometry.Count} input geometries for {_decoders.Length} decode nodes");
        _inputGeometry = inputGeometry.ToArray();
        for (int i = 0; i < _decoders.Length; i++)
        {
            var g = _inputGeometry[i];
            if (g.Width < 2 || g.Height < 1) throw new GraphException(_decoders[i].Id, "flow", $"input picture {g.Width}x{g.Height} is too small");
            _layouts[_decoders[i].Id] = FrameLayout.Create(_options.WorkingFormat, g.Width, g.Height);
        }
        var registry = _options.CustomFunctions ?? CustomFunctionRegistry.CreateDefault();
        foreach (var node in graph.Ordered)
        {
            switch (node)
            {
                case ScaleNode s:
                    _layouts[s.Id] = FrameLayout.Create(_options.WorkingFormat, s.Width, s.Height);
                    break;
                case CompositeNode c:
                    var bg = _layouts[c.Background];
                    _layouts[c.Id] = FrameLayout.Create(_options.WorkingFormat, bg.Width, bg.Height);
                    break;
                case CustomNode cu:
                    try { _custom[cu.Id] = registry.Get(cu.Function); }
                    catch (KeyNotFoundException e) { throw new GraphException(cu.Id, "function", e.Message); }
                    var src = _layouts[cu.Input];
                    _layouts[cu.Id] = FrameLayout.Create(_options.WorkingFormat, src.Width, src.Height);
                    break;
            }
        }
        _processNodes = graph.Ordered.Where(n => n is not DecodeNode and not EncodeNode).ToArray();
        var readers = new Dictionary<string, List<GraphNode>>(StringComparer.Ordinal);
        foreach (var node in graph.Ordered)
            foreach (var input in node.Inputs)
            {
                if (!readers.TryGetValue(input, out var list)) readers[input] = list = new List<GraphNode>();
                list.Add(node);
            }
        _decodeRows = new RowRun[]?[_decoders.Length];
        for (int i = 0; i < _decoders.Length; i++)
            _decodeRows[i] = readers.TryGetValue(_decoders[i].Id, out var r) ? RowsSampled(r, _inputGeometry[i].Height) : null;
        foreach (var c in graph.Ordered.OfType<CompositeNode>())
        {
            if (readers[c.Background].Count != 1 || _sharedBuffer.ContainsKey(c.Background)) continue;
            var box = LayerBox(c);
            if (box.Width < 1 || box.Height < 1) continue;
            _inPlace[c.Id] = new InPlaceComposite(box, Array.FindIndex(_decoders, d => d.Id == c.Background));
            _sharedBuffer[c.Id] = c.Background;
        }
        _nodeNames = graph.Ordered.Select(NodeStageName).ToArray();
    }

    public static string NodeStageName(GraphNode n) => $"{n.Kind} {n.Id}";

    /// <summary>
    /// Rows of a decoded picture that its readers use, when every reader is a scale node (the rows with a non-zero
    /// vertical tap); null when some reader needs the whole picture.
    /// </summary>
    private static RowRun[]? RowsSampled(List<GraphNode> readers, int height)
    {
        var used = new bool[height];
        foreach (var node in readers)
        {
            if (node is not ScaleNode s) return null;
            var axis = ScaleAxis.Create(s.Filter, 0, height, s.Height);
            for (int t = 0; t < axis.Index.Length; t++)
                if (axis.Weight[t] != 0f) used[axis.Index[t] - axis.SourceOffset] = true;
        }
        if (Array.TrueForAll(used, u => u)) return null;
        // Cover the used rows with the fewest strided runs: for each stride, chain the used rows of each residue class.
        List<RowRun>? best = null;
        for (int stride = 1; stride <= Math.Min(MaxRowStride, height); stride++)
        {
            var runs = new List<RowRun>();
            for (int row = 0; row < height; row++)
            {
                if (!used[row] || (row >= stride && used[row - stride])) continue;   // not the start of a chain
                int count = 1;
                while (row + count * stride < height && used[row + count * stride]) count++;
                runs.Add(new RowRun(row, stride, count));
            }
            if (best is null || runs.Count < best.Count) best = runs;
        }
        // Many small runs cost more in calls than decoding every row.
        return best!.Count <= MaxRowRuns ? best.ToArray() : null;
    }

    private const int MaxRowStride = 64, MaxRowRuns = 32;

    /// <summary>Bounding box of a composite's layers on its canvas (empty when no layer is on the canvas).</summary>
    private RectI LayerBox(CompositeNode c)
    {
        var canvas = _layouts[c.Background];
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = int.MinValue, y1 = int.MinValue;
        foreach (var l in c.Layers)
        {
            var src = _layouts[l.Input];
            long lx0 = Math.Max(0, l.X), ly0 = Math.Max(0, l.Y);
            long lx1 = Math.Min(canvas.Width, (long)l.X + (l.Width ?? src.Width)), ly1 = Math.Min(canvas.Height, (long)l.Y + (l.Height ?? src.Height));
            if (lx1 <= lx0 || ly1 <= ly0) continue;
            x0 = Math.Min(x0, (int)lx0); y0 = Math.Min(y0, (int)ly0);
            x1 = Math.Max(x1, (int)lx1); y1 = Math.Max(y1, (int)ly1);
        }
        return x1 > x0 && y1 > y0 ? new RectI(x0, y0, x1 - x0, y1 - y0) : default;
    }

    public int InputCount => _decoders.Length;
    public int OutputCount => _encoders.Length;
    public IReadOnlyList<string> NodeNames => _nodeNames;
    public IReadOnlyList<DecodeNode> Inputs => _decoders;
    public IReadOnlyList<EncodeNode> Outputs => _encoders;
    public string BackendDescription => _processKernels?.Description ?? _options.Backend;

    /// <summary>Picture size an encode node writes.</summary>
    public (int Width, int Height) OutputSize(int output)
    {
        var l = _layouts[_encoders[output].Input];
        return (l.Width, l.Height);
    }

    /// <summary>The v210 / v210a layout of input <paramref name="input"/>'s grains.</summary>
    public FrameLayout InputLayout(int input) =>
        _inputGeometry[input].HasKey ? FrameLayout.V210a(_inputGeometry[input].Width, _inputGeometry[input].Height)
                                     : FrameLayout.V210(_inputGeometry[input].Width, _inputGeometry[input].Height);

    public FrameLayout OutputLayout(int output)
    {
        var (w, h) = OutputSize(output);
        return _encoders[output].WithKey ? FrameLayout.V210a(w, h) : FrameLayout.V210(w, h);
    }

    public void Prepare(int bufferSets, EngineMetrics metrics)
    {
        if (bufferSets < 1) throw new ArgumentOutOfRangeException(nameof(bufferSets), $"{bufferSets} buffer sets: need at least one");
        LatencyRecorder? TimesOf(GraphNode n) => metrics.Stages.TryGetValue(NodeStageName(n), out var r) ? r : null;
        _decodeTimes = _decoders.Select(TimesOf).ToArray();
        _processTimes = _processNodes.Select(TimesOf).ToArray();
        _encodeTimes = _encoders.Select(TimesOf).ToArray();
        if (_processKernels == null)
        {
            _processKernels = Backends.Create(_options.Backend);
            _processKernels.DegreeOfParallelism = _options.DegreeOfParallelism;
            _importKernels = _exportKernels = _processKernels;
            if (_custom.Count > 0)
            {
                _authorKernels = _options.AuthorBackend == _options.Backend ? _processKernels : Backends.Create(_options.AuthorBackend);
                foreach (var (id, fn) in _custom)
                {
                    try { fn.Register(_authorKernels); }
                    catch (Exception e) when (e is KernelCompilationException or NotSupportedException or InvalidOperationException)
                    {
                        throw new GraphException(id, "function", $"custom function '{fn.Name}' does not compile for {_authorKernels.Description}: {e.Message}");
                    }
                }
            }
        }
        // Stages on their own threads need their own kernel instances (a FrameKernels is not thread-safe).
        if (bufferSets > 1 && _importKernels == _processKernels)
        {
            _importKernels = Backends.Create(_options.Backend);
            _exportKernels = Backends.Create(_options.Backend);
            _importKernels.DegreeOfParallelism = _exportKernels.DegreeOfParallelism = _options.DegreeOfParallelism;
        }
        FreeBuffers();
        _sets = new Dictionary<string, nint>[bufferSets];
        _underlay = new nint[bufferSets][];
        _boxDirty = new bool[bufferSets][];
        for (int s = 0; s < bufferSets; s++)
        {
            _sets[s] = new Dictionary<string, nint>(StringComparer.Ordinal);
            foreach (var (id, layout) in _layouts)
                if (!_sharedBuffer.ContainsKey(id)) _sets[s][id] = Allocate(layout.TotalBytes);
            foreach (var (id, owner) in _sharedBuffer) _sets[s][id] = _sets[s][owner];
            _underlay[s] = new nint[_decoders.Length];
            _boxDirty[s] = new bool[_decoders.Length];
            foreach (var ip in _inPlace.Values)
                if (ip.DecodeInput >= 0)
                    _underlay[s][ip.DecodeInput] = Allocate((long)ip.Box.Width * ip.Box.Height * PixelFormats.RgbaBytesPerPixel(_options.WorkingFormat));
        }
    }

    private static nint Allocate(long bytes)
    {
        nint p = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        new Span<byte>((void*)p, checked((int)bytes)).Clear();
        return p;
    }

    /// <summary>
    /// Runs the whole graph <paramref name="grains"/> times on blank pictures (one buffer set) so that the JIT has
    /// optimised every kernel before the first real grain is due (stops early after <paramref name="budget"/>,
    /// default 2 s: custom functions on ILGPU's CPU accelerator are slow). Call before the scheduler runs.
    /// </summary>
    public void Warmup(int grains, TimeSpan? budget = null)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan limit = budget ?? TimeSpan.FromSeconds(2);
        Prepare(1, new EngineMetrics(_decoders.Select(d => d.Id), _nodeNames));
        var inputs = new nint[_decoders.Length];
        try
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                long bytes = InputLayout(i).TotalBytes;
                inputs[i] = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                new Span<byte>((void*)inputs[i], checked((int)bytes)).Clear();
            }
            var outputs = Enumerable.Range(0, OutputCount).Select(o => new byte[OutputLayout(o).TotalBytes]).ToArray();
            for (int g = 0; g < grains && clock.Elapsed < limit; g++)
            {
                for (int i = 0; i < inputs.Length; i++)
                    Import(0, i, new InputGrain((ulong)g, inputs[i], checked((int)InputLayout(i).TotalBytes), false, 1, 1));
                Process(0);
                for (int o = 0; o < outputs.Length; o++) Export(0, o, outputs[o]);
            }
        }
        finally
        {
            foreach (var p in inputs) if (p != 0) NativeMemory.AlignedFree((void*)p);
        }
    }

    private HostFrame Frame(int set, string node)
    {
        var l = _layouts[node];
        return new HostFrame(_sets[set][node], l.TotalBytes, l);
    }

    public void Import(int set, int input, in InputGrain grain)
    {
        long t0 = Stopwatch.GetTimestamp();
        var layout = InputLayout(input);
        if (grain.Length < layout.TotalBytes)
            throw new InvalidOperationException($"input '{_decoders[input].Id}' grain {grain.Index}: payload of {grain.Length} bytes is smaller than the {layout} picture ({layout.TotalBytes} bytes)");
        var picture = Frame(set, _decoders[input].Id);
        if (_decodeRows[input] is { } runs)
            foreach (var run in runs) DecodeRows(new HostFrame(grain.Address, grain.Length, layout), picture, run);
        else _importKernels!.Convert(new HostFrame(grain.Address, grain.Length, layout), picture, _options.Color);
        if (_underlay.Length > 0 && _underlay[set][input] != 0)
        {
            var box = UnderlayBox(input);
            CopyBox(picture.Crop(box), _underlay[set][input], toUnderlay: true);
            _boxDirty[set][input] = false;
        }
        Record(_decodeTimes[input], t0);
    }

    /// <summary>Decodes rows run.First, +Stride, ... of a v210 / v210a picture into the same rows of an RGBA picture.</summary>
    private void DecodeRows(in HostFrame source, in HostFrame picture, RowRun run)
    {
        var sl = source.Layout;
        var dl = picture.Layout;
        long srcOffset = (long)run.First * sl.Pitch, dstOffset = (long)run.First * dl.Pitch;
        int srcPitch = checked(run.Stride * sl.Pitch), dstPitch = checked(run.Stride * dl.Pitch);
        long lastRow = (long)(run.Count - 1) * srcPitch;
        FrameLayout sub;
        if (sl.Format == PixelFormat.V210a)
        {
            long keyOffset = sl.Plane1Offset + (long)run.First * sl.Plane1Pitch - srcOffset;
            int keyPitch = checked(run.Stride * sl.Plane1Pitch);
            sub = FrameLayout.CreatePlanar(sl.Format, sl.Width, run.Count, srcPitch, keyOffset, keyPitch);
            sub = sub with { TotalBytes = Math.Max(lastRow + sl.Pitch, keyOffset + (long)(run.Count - 1) * keyPitch + sl.Plane1Pitch) };
        }
        else sub = FrameLayout.Create(sl.Format, sl.Width, run.Count, srcPitch) with { TotalBytes = lastRow + sl.Pitch };
        var rows = FrameLayout.Create(dl.Format, dl.Width, run.Count, dstPitch) with
        {
            TotalBytes = (long)(run.Count - 1) * dstPitch + (long)dl.Width * PixelFormats.RgbaBytesPerPixel(dl.Format),
        };
        _importKernels!.Convert(new HostFrame(source.Address + (nint)srcOffset, source.Length - srcOffset, sub),
            new HostFrame(picture.Address + (nint)dstOffset, picture.Length - dstOffset, rows), _options.Color);
    }

    private RectI UnderlayBox(int input)
    {
        foreach (var ip in _inPlace.Values) if (ip.DecodeInput == input) return ip.Box;
        throw new InvalidOperationException($"input '{_decoders[input].Id}' has no in-place composite");
    }

    /// <summary>Copies a cropped region to (or from) a dense buffer of its size.</summary>
    private static void CopyBox(in HostFrame region, nint dense, bool toUnderlay)
    {
        int rowBytes = region.Width * PixelFormats.RgbaBytesPerPixel(region.Format);
        for (int y = 0; y < region.Height; y++)
        {
            byte* framed = (byte*)region.Address + (long)y * region.Layout.Pitch;
            byte* packed = (byte*)dense + (long)y * rowBytes;
            if (toUnderlay) Buffer.MemoryCopy(framed, packed, rowBytes, rowBytes);
            else Buffer.MemoryCopy(packed, framed, rowBytes, rowBytes);
        }
    }

    public void RepeatInput(int fromSet, int toSet, int input)
    {
        string id = _decoders[input].Id;
        long bytes = _layouts[id].TotalBytes;
        Buffer.MemoryCopy((void*)_sets[fromSet][id], (void*)_sets[toSet][id], bytes, bytes);
        if (_underlay.Length > 0 && _underlay[fromSet][input] != 0)
        {
            // The source set's box may hold (or be receiving) its composite: take the decoded pixels from its underlay.
            var box = UnderlayBox(input);
            long boxBytes = (long)box.Width * box.Height * PixelFormats.RgbaBytesPerPixel(_options.WorkingFormat);
            Buffer.MemoryCopy((void*)_underlay[fromSet][input], (void*)_underlay[toSet][input], boxBytes, boxBytes);
            CopyBox(Frame(toSet, id).Crop(box), _underlay[toSet][input], toUnderlay: false);
            _boxDirty[toSet][input] = false;
        }
    }

    public void Process(int set)
    {
        for (int k = 0; k < _processNodes.Length; k++)
        {
            var node = _processNodes[k];
            long t0 = Stopwatch.GetTimestamp();
            switch (node)
            {
                case ScaleNode s:
                    _processKernels!.Scale(Frame(set, s.Input), Frame(set, s.Id), s.Filter);
                    break;
                case CompositeNode c:
                    if (_layerScratch.Length < c.Layers.Count) _layerScratch = new CompositeLayer[c.Layers.Count];
                    _inPlace.TryGetValue(c.Id, out var inPlace);
                    // In place: the canvas is the background's buffer, and only the layers' box is blended.
                    int dx = inPlace?.Box.X ?? 0, dy = inPlace?.Box.Y ?? 0;
                    for (int i = 0; i < c.Layers.Count; i++)
                    {
                        var l = c.Layers[i];
                        var src = Frame(set, l.Input);
                        _layerScratch[i] = new CompositeLayer(src, new RectI(l.X - dx, l.Y - dy, l.Width ?? src.Width, l.Height ?? src.Height), l.Opacity);
                    }
                    if (inPlace is null)
                        _processKernels!.Composite(Frame(set, c.Background), _layerScratch.AsSpan(0, c.Layers.Count), Frame(set, c.Id));
                    else
                    {
                        var region = Frame(set, c.Background).Crop(inPlace.Box);
                        int input = inPlace.DecodeInput;
                        if (input >= 0 && _boxDirty[set][input]) CopyBox(region, _underlay[set][input], toUnderlay: false);
                        _processKernels!.Composite(region, _layerScratch.AsSpan(0, c.Layers.Count), region);
                        if (input >= 0) _boxDirty[set][input] = true;
                    }
                    break;
                case CustomNode cu:
                    _custom[cu.Id].Run(_authorKernels!, Frame(set, cu.Input), Frame(set, cu.Id), cu.Parameters);
                    break;
            }
            Record(_processTimes[k], t0);
        }
    }

    public void Export(int set, int output, Span<byte> payload)
    {
        long t0 = Stopwatch.GetTimestamp();
        var layout = OutputLayout(output);
        if (payload.Length < layout.TotalBytes)
            throw new InvalidOperationException($"output '{_encoders[output].Id}': grain payload of {payload.Length} bytes is smaller than the {layout} picture ({layout.TotalBytes} bytes)");
        fixed (byte* p = payload)
            _exportKernels!.Convert(Frame(set, _encoders[output].Input), new HostFrame(p, payload.Length, layout), _options.Color);
        Record(_encodeTimes[output], t0);
    }

    private static void Record(LatencyRecorder? times, long t0) =>
        times?.Record((long)((Stopwatch.GetTimestamp() - t0) * (1e9 / Stopwatch.Frequency)));

    private void FreeBuffers()
    {
        foreach (var set in _sets)
            foreach (var (id, p) in set)
                if (!_sharedBuffer.ContainsKey(id)) NativeMemory.AlignedFree((void*)p);
        foreach (var set in _underlay)
            foreach (var p in set)
                if (p != 0) NativeMemory.AlignedFree((void*)p);
        _sets = Array.Empty<Dictionary<string, nint>>();
        _underlay = Array.Empty<nint[]>();
        _boxDirty = Array.Empty<bool[]>();
    }

    public void Dispose()
    {
        FreeBuffers();
        if (_authorKernels != null && _authorKernels != _processKernels) _authorKernels.Dispose();
        if (_importKernels != _processKernels) _importKernels?.Dispose();
        if (_exportKernels != _processKernels) _exportKernels?.Dispose();
        _processKernels?.Dispose();
        _importKernels = _exportKernels = _processKernels = _authorKernels = null;
    }
}
