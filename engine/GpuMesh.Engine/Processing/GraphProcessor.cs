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
    private EngineMetrics? _metrics;
    private CompositeLayer[] _layerScratch = Array.Empty<CompositeLayer>();

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
        _nodeNames = graph.Ordered.Select(NodeStageName).ToArray();
    }

    public static string NodeStageName(GraphNode n) => $"{n.Kind} {n.Id}";

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
        _metrics = metrics;
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
        for (int s = 0; s < bufferSets; s++)
        {
            _sets[s] = new Dictionary<string, nint>(StringComparer.Ordinal);
            foreach (var (id, layout) in _layouts)
            {
                nint p = (nint)NativeMemory.AlignedAlloc((nuint)layout.TotalBytes, 64);
                new Span<byte>((void*)p, checked((int)layout.TotalBytes)).Clear();
                _sets[s][id] = p;
            }
        }
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
        _importKernels!.Convert(new HostFrame(grain.Address, grain.Length, layout), Frame(set, _decoders[input].Id), _options.Color);
        Record(_decoders[input], t0);
    }

    public void RepeatInput(int fromSet, int toSet, int input)
    {
        string id = _decoders[input].Id;
        long bytes = _layouts[id].TotalBytes;
        Buffer.MemoryCopy((void*)_sets[fromSet][id], (void*)_sets[toSet][id], bytes, bytes);
    }

    public void Process(int set)
    {
        foreach (var node in _processNodes)
        {
            long t0 = Stopwatch.GetTimestamp();
            switch (node)
            {
                case ScaleNode s:
                    _processKernels!.Scale(Frame(set, s.Input), Frame(set, s.Id), s.Filter);
                    break;
                case CompositeNode c:
                    if (_layerScratch.Length < c.Layers.Count) _layerScratch = new CompositeLayer[c.Layers.Count];
                    for (int i = 0; i < c.Layers.Count; i++)
                    {
                        var l = c.Layers[i];
                        var src = Frame(set, l.Input);
                        _layerScratch[i] = new CompositeLayer(src, new RectI(l.X, l.Y, l.Width ?? src.Width, l.Height ?? src.Height), l.Opacity);
                    }
                    _processKernels!.Composite(Frame(set, c.Background), _layerScratch.AsSpan(0, c.Layers.Count), Frame(set, c.Id));
                    break;
                case CustomNode cu:
                    _custom[cu.Id].Run(_authorKernels!, Frame(set, cu.Input), Frame(set, cu.Id), cu.Parameters);
                    break;
            }
            Record(node, t0);
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
        Record(_encoders[output], t0);
    }

    private void Record(GraphNode node, long t0)
    {
        if (_metrics?.Stages.TryGetValue(NodeStageName(node), out var r) == true)
            r.Record((long)((Stopwatch.GetTimestamp() - t0) * (1e9 / Stopwatch.Frequency)));
    }

    private void FreeBuffers()
    {
        foreach (var set in _sets)
            foreach (var p in set.Values) NativeMemory.AlignedFree((void*)p);
        _sets = Array.Empty<Dictionary<string, nint>>();
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
