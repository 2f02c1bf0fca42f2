namespace GpuMesh.Kernels;

/// <summary>
/// Precomputed resampling taps for one axis: for destination coordinate d and tap t, the absolute source coordinate
/// Index[d*Taps+t] (clamped into the source window: edges replicate) and its weight (weights of one d sum to 1).
/// </summary>
public sealed class ScaleAxis
{
    public ScaleFilter Filter { get; }
    public int SourceOffset { get; }
    public int SourceLength { get; }
    public int DestinationLength { get; }
    public int Taps { get; }
    public int[] Index { get; }
    public float[] Weight { get; }

    ScaleAxis(ScaleFilter filter, int srcOffset, int srcLength, int dstLength, int taps)
    {
        Filter = filter; SourceOffset = srcOffset; SourceLength = srcLength; DestinationLength = dstLength; Taps = taps;
        Index = new int[dstLength * taps];
        Weight = new float[dstLength * taps];
    }

    public bool Matches(ScaleFilter filter, int srcOffset, int srcLength, int dstLength) =>
        Filter == filter && SourceOffset == srcOffset && SourceLength == srcLength && DestinationLength == dstLength;

    public static double Support(ScaleFilter f) => f switch
    {
        ScaleFilter.Bilinear => 1,
        ScaleFilter.Bicubic => 2,
        ScaleFilter.Lanczos3 => 3,
        ScaleFilter.Area => 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unknown scale filter"),
    };

    /// <summary>Filter kernel value at distance x (in destination-scaled source pixels).</summary>
    public static double Kernel(ScaleFilter f, double x)
    {
        x = Math.Abs(x);
        switch (f)
        {
            case ScaleFilter.Bilinear: return x < 1 ? 1 - x : 0;
            case ScaleFilter.Bicubic:
                if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
                if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
                return 0;
            case ScaleFilter.Lanczos3:
                if (x < 1e-9) return 1;
                if (x >= 3) return 0;
                double px = Math.PI * x;
                return 3 * Math.Sin(px) * Math.Sin(px / 3) / (px * px);
            default: throw new ArgumentOutOfRangeException(nameof(f), f, "no point kernel for this filter");
        }
    }

    /// <summary>
    /// Taps for mapping source window [srcOffset, srcOffset+srcLength) onto dstLength pixels (pixel centres aligned).
    /// Bilinear is the 2-tap GPU-texture filter (not widened); bicubic and Lanczos-3 widen by the downscale factor;
    /// area integrates the box each destination pixel covers.
    /// </summary>
    public static ScaleAxis Create(ScaleFilter filter, int srcOffset, int srcLength, int dstLength)
    {
        if (srcLength < 1) throw new ArgumentOutOfRangeException(nameof(srcLength), srcLength, "source length must be positive");
        if (dstLength < 1) throw new ArgumentOutOfRangeException(nameof(dstLength), dstLength, "destination length must be positive");
        double ratio = (double)srcLength / dstLength;
        var w = new double[64];
        var idx = new int[64];
        if (filter == ScaleFilter.Area)
        {
            int taps = (int)Math.Ceiling(ratio) + 1;
            var axis = new ScaleAxis(filter, srcOffset, srcLength, dstLength, taps);
            if (w.Length < taps) { w = new double[taps]; idx = new int[taps]; }
            for (int d = 0; d < dstLength; d++)
            {
                double lo = d * ratio, hi = (d + 1) * ratio;
                int first = (int)Math.Floor(lo);
                double sum = 0;
                for (int t = 0; t < taps; t++)
                {
                    int i = first + t;
                    double ov = Math.Min(hi, i + 1) - Math.Max(lo, i);
                    w[t] = ov > 0 ? ov : 0;
                    idx[t] = Math.Clamp(i, 0, srcLength - 1);
                    sum += w[t];
                }
                Fill(axis, d, w, idx, sum, srcOffset);
            }
            return axis;
        }
        double scale = filter == ScaleFilter.Bilinear ? 1 : Math.Max(1, ratio);
        double support = Support(filter) * scale;
        int n = Math.Max(1, (int)Math.Ceiling(2 * support));
        var ax = new ScaleAxis(filter, srcOffset, srcLength, dstLength, n);
        if (w.Length < n) { w = new double[n]; idx = new int[n]; }
        for (int d = 0; d < dstLength; d++)
        {
            double centre = (d + 0.5) * ratio - 0.5;
            int first = (int)Math.Floor(centre - support) + 1;
            double sum = 0;
            for (int t = 0; t < n; t++)
            {
                int i = first + t;
                w[t] = Kernel(filter, (i - centre) / scale);
                idx[t] = Math.Clamp(i, 0, srcLength - 1);
                sum += w[t];
            }
            Fill(ax, d, w, idx, sum, srcOffset);
        }
        return ax;
    }

    static void Fill(ScaleAxis axis, int d, double[] w, int[] idx, double sum, int srcOffset)
    {
        int n = axis.Taps;
        if (Math.Abs(sum) < 1e-12) { sum = 1; w[0] = 1; for (int t = 1; t < n; t++) w[t] = 0; }
        for (int t = 0; t < n; t++)
        {
            axis.Weight[d * n + t] = (float)(w[t] / sum);
            axis.Index[d * n + t] = idx[t] + srcOffset;
        }
    }
}
