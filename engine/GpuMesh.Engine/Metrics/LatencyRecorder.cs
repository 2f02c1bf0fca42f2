namespace GpuMesh.Engine.Metrics;

/// <summary>Thread-safe store of duration samples (nanoseconds, may be negative) with percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly object _gate = new();
    private readonly long[] _recent;
    private readonly List<long> _all = new();
    private readonly int _maxAll;
    private int _recentNext;
    private int _recentCount;
    private long _count;
    private long _sum;
    private long _max = long.MinValue;

    public LatencyRecorder(int recentWindow = 250, int maxSamples = 4_000_000)
    {
        _recent = new long[recentWindow];
        _maxAll = maxSamples;
    }

    public void Record(long ns)
    {
        lock (_gate)
        {
            _count++;
            _sum += ns;
            if (ns > _max) _max = ns;
            if (_all.Count < _maxAll) _all.Add(ns);
            _recent[_recentNext] = ns;
            _recentNext = (_recentNext + 1) % _recent.Length;
            if (_recentCount < _recent.Length) _recentCount++;
        }
    }

    public LatencySummary Summary() { lock (_gate) return Summarize(_all.ToArray(), _count, _sum, _max); }

    public LatencySummary RecentSummary()
    {
        lock (_gate)
        {
            long[] copy = new long[_recentCount];
            Array.Copy(_recent, copy, _recentCount);
            long max = _recentCount == 0 ? 0 : copy.Max();
            return Summarize(copy, _recentCount, copy.Sum(), max);
        }
    }

    private static LatencySummary Summarize(long[] samples, long count, long sum, long max)
    {
        if (samples.Length == 0) return new LatencySummary(0, 0, 0, 0, 0, 0);
        Array.Sort(samples);
        return new LatencySummary(count, Percentile(samples, 0.50), Percentile(samples, 0.99), max, (double)sum / Math.Max(1, count), samples[0]);
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static long Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Percentiles in nanoseconds.</summary>
public readonly record struct LatencySummary(long Count, long P50Ns, long P99Ns, long MaxNs, double MeanNs, long MinNs)
{
    public double P50Ms => P50Ns / 1e6;
    public double P99Ms => P99Ns / 1e6;
    public double MaxMs => MaxNs / 1e6;
    public double MeanMs => MeanNs / 1e6;
}
