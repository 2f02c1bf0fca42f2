using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Mxl;
using GpuMesh.Engine.Processing;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;
using GpuMesh.Kernels;

namespace GpuMesh.Engine;

public sealed class EngineOptions
{
    /// <summary>auto (CUDA where ILGPU finds a GPU, else SIMD), cuda, simd, ilgpu-cpu, reference.</summary>
    public string Backend { get; init; } = "auto";
    /// <summary>Where custom author functions run: auto (GPU with cuda, else ILGPU's CPU accelerator), same, or a backend name.</summary>
    public string AuthorBackend { get; init; } = "auto";
    public int PipelineDepth { get; init; } = 1;
    public TimeSpan? InputTimeout { get; init; }
    public int MaxBehindGrains { get; init; } = 2;
    public PixelFormat WorkingFormat { get; init; } = PixelFormat.Rgba16;
    public int DegreeOfParallelism { get; init; }
    public ulong? StartIndex { get; init; }
    public ulong? StopIndex { get; init; }
    public Action<GrainReport>? OnGrain { get; init; }
    public IEngineClock? Clock { get; init; }
    public CustomFunctionRegistry? CustomFunctions { get; init; }
}

/// <summary>
/// The embeddable engine: a processing graph bound to MXL flows. Opens a reader per decode node, creates (or opens)
/// a writer per encode node, and runs the timing-aligned scheduler over them.
/// </summary>
public sealed class GraphEngine : IDisposable
{
    private readonly List<MxlGrainSource> _sources = new();
    private readonly List<MxlGrainSink> _sinks = new();
    private readonly GraphProcessor _processor;

    private GraphEngine(ProcessingGraph graph, MxlDomain domain, EngineOptions options)
    {
        Graph = graph;
        Options = options;
        IEngineClock clock = options.Clock ?? TaiClock.Instance;
        try
        {
            var geometry = new List<FrameGeometry>();
            foreach (var d in graph.Decoders)
            {
                MxlGrainSource source;
                try { source = new MxlGrainSource(domain, d.Flow, $"{d.Id} ({d.Flow})", clock); }
                catch (MxlException e) { throw new GraphException(d.Id, "flow", $"cannot open input flow {d.Flow} in '{domain.Path}': {e.Message}"); }
                _sources.Add(source);
                var def = source.Definition;
                if (def.Format != MxlDataFormat.Video)
                    throw new GraphException(d.Id, "flow", $"flow {d.Flow} is {def.MediaType}, a decode node needs video/v210 or video/v210a");
                if (def.IsInterlaced)
                    throw new GraphException(d.Id, "flow", $"flow {d.Flow} is interlaced; the graph processes progressive pictures only");
                geometry.Add(new FrameGeometry(def.FrameWidth, def.FrameHeight, def.HasKey));
            }
            MediaRate rate = graph.Rate ?? _sources[0].Rate;
            string backend = Backends.Resolve(options.Backend == "auto" && graph.Backend != "auto" ? graph.Backend : options.Backend);
            _processor = new GraphProcessor(graph, geometry, new GraphProcessorOptions
            {
                Backend = backend,
                AuthorBackend = Backends.ResolveAuthor(backend, options.AuthorBackend),
                WorkingFormat = options.WorkingFormat,
                CustomFunctions = options.CustomFunctions,
                DegreeOfParallelism = options.DegreeOfParallelism,
            });
            for (int o = 0; o < _processor.OutputCount; o++)
            {
                var e = _processor.Outputs[o];
                var (w, h) = _processor.OutputSize(o);
                string json = FlowDefinitions.Video(e.Flow, e.Label ?? $"gpumesh {e.Id}", w, h, rate.ToRational(), e.WithKey);
                FlowWriter writer;
                try { writer = domain.CreateFlowWriter(json, null, out _); }
                catch (MxlException ex) { throw new GraphException(e.Id, "flow", $"cannot create output flow {e.Flow}: {ex.Message}"); }
                var sink = new MxlGrainSink(writer, $"{e.Id} ({e.Flow})");
                _sinks.Add(sink);
                if (sink.PayloadSize < _processor.OutputLayout(o).TotalBytes || writer.Definition.FrameWidth != w || writer.Definition.FrameHeight != h
                    || writer.Definition.HasKey != e.WithKey || !sink.Rate.Equals(rate))
                    throw new GraphException(e.Id, "flow", $"output flow {e.Flow} already exists as {writer.Definition.MediaType} {writer.Definition.FrameWidth}x{writer.Definition.FrameHeight} @ {sink.Rate}; the graph writes {(e.WithKey ? "video/v210a" : "video/v210")} {w}x{h} @ {rate}");
            }
            Scheduler = new GrainScheduler(clock, _sources, graph.Decoders.Select(d => d.Late).ToArray(), _sinks, _processor, new SchedulerOptions
            {
                InputTimeout = options.InputTimeout,
                PipelineDepth = options.PipelineDepth,
                MaxBehindGrains = options.MaxBehindGrains,
                StartIndex = options.StartIndex,
                StopIndex = options.StopIndex,
                OnGrain = options.OnGrain,
            });
        }
        catch
        {
            DisposeIo();
            _processor?.Dispose();
            throw;
        }
    }

    /// <summary>Opens the graph's flows in <paramref name="domain"/> and prepares the scheduler (does not start it).</summary>
    public static GraphEngine Open(ProcessingGraph graph, MxlDomain domain, EngineOptions? options = null) =>
        new(graph ?? throw new ArgumentNullException(nameof(graph)), domain ?? throw new ArgumentNullException(nameof(domain)), options ?? new EngineOptions());

    public ProcessingGraph Graph { get; }
    public EngineOptions Options { get; }
    public GrainScheduler Scheduler { get; }
    public EngineMetrics Metrics => Scheduler.Metrics;
    public MediaRate Rate => Scheduler.Rate;
    public GraphProcessor Processor => _processor;
    public IReadOnlyList<MxlGrainSource> Sources => _sources;
    public IReadOnlyList<MxlGrainSink> Sinks => _sinks;
    /// <summary>Where the operations run, e.g. "SIMD CPU (Avx2, 2 threads)"; known after the run started.</summary>
    public string BackendDescription => _processor.BackendDescription;

    /// <summary>Runs the graph on blank pictures so the JIT has optimised the kernels before real grains are due.</summary>
    public void Warmup(int grains = 30, TimeSpan? budget = null) => _processor.Warmup(grains, budget);

    /// <summary>Runs until the stop index or cancellation.</summary>
    public void Run(CancellationToken cancellationToken) => Scheduler.Run(cancellationToken);

    private void DisposeIo()
    {
        foreach (var s in _sinks) s.Dispose();
        foreach (var s in _sources) s.Dispose();
        _sinks.Clear();
        _sources.Clear();
    }

    public void Dispose()
    {
        DisposeIo();
        _processor.Dispose();
    }
}
