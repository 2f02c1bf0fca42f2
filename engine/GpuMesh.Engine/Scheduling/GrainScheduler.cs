using System.Collections.Concurrent;
using System.Diagnostics;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Timing;

namespace GpuMesh.Engine.Scheduling;

public sealed class SchedulerOptions
{
    /// <summary>How long after grain N's timestamp the inputs may arrive (one deadline for all). Default: half a period.</summary>
    public TimeSpan? InputTimeout { get; init; }

    /// <summary>1: import, process and export one grain after the other on one thread. 2 or 3: stages overlap on threads.</summary>
    public int PipelineDepth { get; init; } = 1;

    /// <summary>First index; default: the clock's current index.</summary>
    public ulong? StartIndex { get; init; }

    /// <summary>Stop before this index (exclusive); default: run until cancelled.</summary>
    public ulong? StopIndex { get; init; }

    /// <summary>When the clock is more than this many grains ahead of the schedule, jump to now.</summary>
    public int MaxBehindGrains { get; init; } = 2;

    /// <summary>Called after each output index is settled or the schedule realigned (from the scheduler's stage threads).</summary>
    public Action<GrainReport>? OnGrain { get; init; }
}

/// <summary>
/// Timing-aligned scheduler: for each output index N, waits for grain N (aligned by timestamp) on all inputs with one
/// deadline, applies each input's late policy, runs the processor and commits grain N of every output.
/// Output grains are opened strictly in increasing index order, one at a time, never before index N is the clock's
/// current index: the slot rewritten is always the oldest of the ring, never one inside the readers' window.
/// </summary>
public sealed class GrainScheduler
{
    public const string ImportStage = "import";
    public const string ProcessStage = "process";
    public const string ExportStage = "export";

    private readonly IEngineClock _clock;
    private readonly IReadOnlyList<IGrainSource> _sources;
    private readonly IReadOnlyList<LatePolicy> _policies;
    private readonly IReadOnlyList<IGrainSink> _sinks;
    private readonly IGrainProcessor _processor;
    private readonly SchedulerOptions _options;
    private readonly MediaRate _rate;
    private readonly ulong _timeoutNs;

    // Import-side state (touched by the import stage only).
    private readonly int[] _lastGoodSet;
    private readonly bool[] _needsReopen;

    // Export-side state.
    private ulong? _lastOpened;

    public GrainScheduler(IEngineClock clock, IReadOnlyList<IGrainSource> sources, IReadOnlyList<LatePolicy> policies,
        IReadOnlyList<IGrainSink> sinks, IGrainProcessor processor, SchedulerOptions? options = null)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _sources = sources ?? throw new ArgumentNullException(nameof(sources));
        _policies = policies ?? throw new ArgumentNullException(nameof(policies));
        _sinks = sinks ?? throw new ArgumentNullException(nameof(sinks));
        _processor = processor ?? throw new ArgumentNullException(nameof(processor));
        _options = options ?? new SchedulerOptions();
        if (sources.Count > 32) throw new ArgumentException($"at most 32 inputs, got {sources.Count}", nameof(sources));
        if (policies.Count != sources.Count)
            throw new ArgumentException($"{policies.Count} late policies for {sources.Count} inputs", nameof(policies));
        if (sinks.Count == 0) throw new ArgumentException("the scheduler needs at least one output", nameof(sinks));
        if (processor.InputCount != sources.Count || processor.OutputCount != sinks.Count)
            throw new ArgumentException($"processor takes {processor.InputCount} inputs / {processor.OutputCount} outputs, scheduler has {sources.Count} / {sinks.Count}");
        _rate = sinks[0].Rate;
        for (int s = 1; s < sinks.Count; s++)
            if (sinks[s].Rate != _rate)
                throw new ArgumentException($"output '{sinks[s].Name}' runs at {sinks[s].Rate}, output '{sinks[0].Name}' at {_rate}: all outputs need one rate");
        if (_options.PipelineDepth is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(options), $"PipelineDepth {_options.PipelineDepth} must be 1, 2 or 3");
        _timeoutNs = _options.InputTimeout is { } t ? (ulong)Math.Max(0, t.Ticks * 100) : _rate.PeriodNs / 2;
        _lastGoodSet = Enumerable.Repeat(-1, sources.Count).ToArray();
        _needsReopen = new bool[sources.Count];
        Metrics = new EngineMetrics(sources.Select(s => s.Name),
            new[] { ImportStage, ProcessStage, ExportStage }.Concat(processor.NodeNames));
    }

    public EngineMetrics Metrics { get; }
    public MediaRate Rate => _rate;

    private enum Decision { Valid, Invalid, Skip, Realign }

    private sealed class WorkItem
    {
        public ulong Index;
        public int Set;
        public Decision Decision;
        public uint Missing;
    }

    /// <summary>Runs until <see cref="SchedulerOptions.StopIndex"/> or cancellation. Returns normally when cancelled.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        int depth = _options.PipelineDepth;
        _processor.Prepare(depth, Metrics);
        try
        {
            if (depth == 1) RunSequential(cancellationToken);
            else RunPipelined(depth, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void RunSequential(CancellationToken ct)
    {
        var item = new WorkItem();
        ulong n = _options.StartIndex ?? FirstIndexNotBefore(_clock.NowNs);
        while (!ct.IsCancellationRequested && (_options.StopIndex is not { } stop || n < stop))
        {
            item.Set = 0;
            if (!ImportGrain(ref n, item, ct)) continue;
            if (item.Decision == Decision.Valid) RunProcess(item);
            ExportGrain(item, ct);
            n = item.Index + 1;
        }
    }

    private void RunPipelined(int depth, CancellationToken outer)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        CancellationToken ct = cts.Token;
        using var free = new BlockingCollection<int>();
        using var toProcess = new BlockingCollection<WorkItem>(1);
        using var toExport = new BlockingCollection<WorkItem>(1);
        for (int s = 0; s < depth; s++) free.Add(s);
        Exception? failure = null;

        void Guard(Action body)
        {
            try { body(); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); cts.Cancel(); }
        }

        var importer = new Thread(() => Guard(() =>
        {
            try
            {
                ulong n = _options.StartIndex ?? FirstIndexNotBefore(_clock.NowNs);
                while (!ct.IsCancellationRequested && (_options.StopIndex is not { } stop || n < stop))
                {
                    var item = new WorkItem { Set = free.Take(ct) };
                    if (!ImportGrain(ref n, item, ct)) { free.Add(item.Set); continue; }
                    n = item.Index + 1;
                    if (depth == 2)
                    {
                        if (item.Decision == Decision.Valid) RunProcess(item);
                        toExport.Add(item, ct);
                    }
                    else toProcess.Add(item, ct);
                }
            }
            finally { if (depth == 2) toExport.CompleteAdding(); else toProcess.CompleteAdding(); }
        })) { Name = "gpumesh-import", IsBackground = true };

        var processor = new Thread(() => Guard(() =>
        {
            try
            {
                foreach (var item in toProcess.GetConsumingEnumerable(ct))
                {
                    if (item.Decision == Decision.Valid) RunProcess(item);
                    toExport.Add(item, ct);
                }
            }
            finally { toExport.CompleteAdding(); }
        })) { Name = "gpumesh-process", IsBackground = true };

        var exporter = new Thread(() => Guard(() =>
        {
            foreach (var item in toExport.GetConsumingEnumerable(ct))
            {
                ExportGrain(item, ct);
                free.Add(item.Set);
            }
        })) { Name = "gpumesh-export", IsBackground = true };

        importer.Start();
        if (depth == 3) processor.Start();
        exporter.Start();
        importer.Join();
        if (depth == 3) processor.Join();
        exporter.Join();
        if (failure != null) throw new InvalidOperationException($"scheduler stage failed: {failure.Message}", failure);
    }

    /// <summary>Reads every input for index n into item.Set and decides the outcome. False: realigned, n moved.</summary>
    private bool ImportGrain(ref ulong n, WorkItem item, CancellationToken ct)
    {
        ulong nowIndex = _rate.IndexAt(_clock.NowNs);
        if (nowIndex > n + (ulong)_options.MaxBehindGrains)
        {
            Realign(ref n, nowIndex);
            return false;
        }

        long importNs = 0;
        ulong ts = _rate.TimestampOf(n);
        ulong deadline = ts + _timeoutNs;
        uint missing = 0;
        for (int i = 0; i < _sources.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            IGrainSource source = _sources[i];
            InputMetrics im = Metrics.Inputs[i];
            if (_needsReopen[i])
            {
                if (!source.TryReopen()) { missing |= 1u << i; continue; }
                _needsReopen[i] = false;
                Interlocked.Increment(ref im._reopened);
            }
            ulong inIndex = source.Rate == _rate ? n : LatestIndexAtOrBefore(source.Rate, ts);
            ReadStatus status = source.Read(inIndex, deadline, ct, out InputGrain grain);
            switch (status)
            {
                case ReadStatus.Ok when grain.IsInvalid:
                    Interlocked.Increment(ref im._invalid);
                    missing |= 1u << i;
                    break;
                case ReadStatus.Ok:
                    long t0 = Stopwatch.GetTimestamp();
                    _processor.Import(item.Set, i, grain);
                    importNs += ElapsedNs(t0);
                    Interlocked.Increment(ref im._in);
                    _lastGoodSet[i] = item.Set;
                    break;
                case ReadStatus.TooEarly:
                    Interlocked.Increment(ref im._late);
                    missing |= 1u << i;
                    break;
                case ReadStatus.FlowInvalid:
                    Interlocked.Increment(ref im._flowInvalid);
                    _needsReopen[i] = true;
                    missing |= 1u << i;
                    break;
                case ReadStatus.TooLate:
                    Realign(ref n, Math.Max(n + 1, _rate.IndexAt(_clock.NowNs)));
                    return false;
                default:
                    throw new InvalidOperationException($"input '{source.Name}' index {inIndex}: unknown read status {status}");
            }
        }

        item.Index = n;
        item.Missing = missing;
        long t1 = Stopwatch.GetTimestamp();
        item.Decision = Decide(item.Set, missing);
        Metrics.Stages[ImportStage].Record(importNs + ElapsedNs(t1));
        return true;
    }

    /// <summary>
    /// The first index whose timestamp is not before <paramref name="nowNs"/>: the clock's nearest index may lie up to
    /// half a period in the past, which would make the first grain of a run late before it even started.
    /// </summary>
    public ulong FirstIndexNotBefore(ulong nowNs)
    {
        ulong n = _rate.IndexAt(nowNs);
        return _rate.TimestampOf(n) < nowNs ? n + 1 : n;
    }

    /// <summary>Inputs of another rate: the newest grain whose timestamp is not after the output's timestamp.</summary>
    public static ulong LatestIndexAtOrBefore(MediaRate rate, ulong timestampNs)
    {
        ulong k = rate.IndexAt(timestampNs);
        return k > 0 && rate.TimestampOf(k) > timestampNs ? k - 1 : k;
    }

    private Decision Decide(int set, uint missing)
    {
        if (missing == 0) return Decision.Valid;
        bool invalid = false;
        for (int i = 0; i < _sources.Count; i++)
        {
            if ((missing & (1u << i)) == 0) continue;
            switch (_policies[i])
            {
                case LatePolicy.Skip: return Decision.Skip;
                case LatePolicy.Invalid: invalid = true; break;
                case LatePolicy.Repeat when _lastGoodSet[i] < 0: invalid = true; break;
            }
        }
        if (invalid) return Decision.Invalid;
        for (int i = 0; i < _sources.Count; i++)
        {
            if ((missing & (1u << i)) == 0) continue;
            if (_lastGoodSet[i] != set) _processor.RepeatInput(_lastGoodSet[i], set, i);
            _lastGoodSet[i] = set;
            Interlocked.Increment(ref Metrics.Inputs[i]._repeated);
        }
        return Decision.Valid;
    }

    private void Realign(ref ulong n, ulong target)
    {
        // Indices past the stop index are not this run's to drop.
        if (_options.StopIndex is { } stop && target > stop) target = stop;
        ulong dropped = target - n;
        Interlocked.Increment(ref Metrics._realigned);
        Interlocked.Add(ref Metrics._droppedIndices, (long)dropped);
        _options.OnGrain?.Invoke(new GrainReport(target, GrainOutcome.Realigned, 0, 0, dropped));
        n = target;
    }

    private void RunProcess(WorkItem item)
    {
        long t0 = Stopwatch.GetTimestamp();
        _processor.Process(item.Set);
        Metrics.Stages[ProcessStage].Record(ElapsedNs(t0));
    }

    private void ExportGrain(WorkItem item, CancellationToken ct)
    {
        ulong n = item.Index;
        if (item.Decision == Decision.Skip)
        {
            Interlocked.Increment(ref Metrics._skipped);
            _options.OnGrain?.Invoke(new GrainReport(n, GrainOutcome.Skipped, 0, item.Missing));
            return;
        }
        if (_lastOpened is { } last && n <= last)
            throw new InvalidOperationException($"output index {n} is not after the last written index {last}: refusing to rewrite a slot inside the readers' window");
        // Never write ahead of the clock: the slot rewritten (n - grainCount) must be outside the readers' window.
        _clock.SleepUntil(_rate.IndexStart(n), ct);

        long t0 = Stopwatch.GetTimestamp();
        for (int s = 0; s < _sinks.Count; s++)
        {
            IGrainSink sink = _sinks[s];
            Span<byte> payload = sink.Open(n);
            _lastOpened = n;
            try
            {
                if (item.Decision == Decision.Valid)
                {
                    _processor.Export(item.Set, s, payload);
                    sink.Commit();
                }
                else sink.CommitInvalid();
            }
            catch
            {
                sink.Cancel();
                throw;
            }
        }
        Metrics.Stages[ExportStage].Record(ElapsedNs(t0));
        long latency = (long)_clock.NowNs - (long)_rate.TimestampOf(n);
        Metrics.Latency.Record(latency);
        if (latency > (long)_rate.PeriodNs) Interlocked.Increment(ref Metrics._outLate);
        if (item.Decision == Decision.Valid) Interlocked.Increment(ref Metrics._out);
        else Interlocked.Increment(ref Metrics._outInvalid);
        _options.OnGrain?.Invoke(new GrainReport(n,
            item.Decision == Decision.Valid ? GrainOutcome.Committed : GrainOutcome.CommittedInvalid, latency, item.Missing));
    }

    private static long ElapsedNs(long startTicks) =>
        (long)((Stopwatch.GetTimestamp() - startTicks) * (1e9 / Stopwatch.Frequency));
}
