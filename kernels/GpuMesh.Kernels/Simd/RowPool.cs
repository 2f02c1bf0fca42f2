namespace GpuMesh.Kernels;

/// <summary>Work over a range of rows; an instance is reused call after call (no allocation per frame).</summary>
internal abstract class RowJob
{
    public abstract void Run(int firstRow, int endRow);
}

/// <summary>
/// Spreads rows over persistent worker threads in contiguous chunks (so per-thread caches of source rows stay useful).
/// Allocation-free per call. One job at a time process-wide; the caller's thread works too.
/// </summary>
internal static class RowPool
{
    static readonly object RunGate = new();
    static readonly object Gate = new();
    static readonly List<Thread> Workers = new();
    static RowJob? _job;
    static int _rows, _chunks, _nextChunk, _acks;
    static long _generation;
    static readonly ManualResetEventSlim Done = new(false);
    static Exception? _error;

    public static void Run(RowJob job, int rows, int degreeOfParallelism)
    {
        int chunks = Math.Min(degreeOfParallelism, Math.Max(1, rows / 8));
        if (chunks <= 1) { job.Run(0, rows); return; }
        lock (RunGate)
        {
            EnsureWorkers(chunks - 1);
            Done.Reset();
            _error = null;
            _job = job; _rows = rows; _chunks = chunks; _nextChunk = 0; _acks = Workers.Count + 1;
            lock (Gate) { _generation++; Monitor.PulseAll(Gate); }
            Work();
            Acknowledge();
            Done.Wait(); // every worker has acknowledged this generation: none can touch the next one late
            _job = null;
            if (_error is { } e) throw new AggregateException("a SIMD row job failed", e);
        }
    }

    static void Work()
    {
        var job = _job!;
        while (true)
        {
            int c = Interlocked.Increment(ref _nextChunk) - 1;
            if (c >= _chunks) return;
            int y0 = (int)((long)_rows * c / _chunks), y1 = (int)((long)_rows * (c + 1) / _chunks);
            try { job.Run(y0, y1); }
            catch (Exception e) { _error ??= e; }
        }
    }

    static void Acknowledge()
    {
        if (Interlocked.Decrement(ref _acks) == 0) Done.Set();
    }

    static void EnsureWorkers(int count)
    {
        while (Workers.Count < count)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"gpumesh-rows-{Workers.Count + 1}" };
            Workers.Add(t);
            t.Start();
        }
    }

    static void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            lock (Gate)
            {
                while (_generation == seen) Monitor.Wait(Gate);
                seen = _generation;
            }
            Work();
            Acknowledge();
        }
    }
}
