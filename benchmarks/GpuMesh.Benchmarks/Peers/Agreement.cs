using GpuMesh.Benchmarks.Common;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>
/// How outputs are compared: 8-bit RGBA (alpha optional), v210 10-bit code values, or float RGBA (R, G, B compared,
/// differences scaled to 10-bit code units: |a - b| x 1023).
/// </summary>
public enum CompareKind { Rgb8, Rgba8, V210, RgbFloat }

/// <summary>Tolerance: the 99th percentile and the mean of absolute per-sample differences.</summary>
public readonly record struct Tolerance(int P99, double Mean)
{
    public override string ToString() => $"p99<={P99}, mean<={Mean:0.##}";
}

/// <summary>Per-sample absolute differences between two outputs.</summary>
public readonly record struct Agreement(double Mean, int P99, int Max, long Samples, CompareKind Kind, bool Pass)
{
    public string Unit => Kind switch { CompareKind.V210 => "10-bit", CompareKind.RgbFloat => "x1023", _ => "8-bit" };

    public override string ToString() => $"{(Pass ? "ok" : "DIFFERS")} mean {Mean:0.00} p99 {P99} max {Max} ({Unit})";

    public static Agreement Compare(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, int width, int height,
        CompareKind kind, Tolerance tolerance, string what)
    {
        var histogram = new long[1024];
        long samples = 0;
        if (kind == CompareKind.V210)
        {
            int line = TestFrames.V210LineBytes(width);
            if (expected.Length < line * height || actual.Length < line * height)
                throw new ArgumentException($"{what}: v210 outputs hold {expected.Length} / {actual.Length} bytes, {width}x{height} needs {line * height}");
            var ya = new ushort[width]; var cba = new ushort[width / 2]; var cra = new ushort[width / 2];
            var yb = new ushort[width]; var cbb = new ushort[width / 2]; var crb = new ushort[width / 2];
            for (int y = 0; y < height; y++)
            {
                V210.UnpackLine(expected.Slice(y * line, line), ya, cba, cra);
                V210.UnpackLine(actual.Slice(y * line, line), yb, cbb, crb);
                for (int i = 0; i < width; i++) histogram[Math.Abs(ya[i] - yb[i])]++;
                for (int i = 0; i < width / 2; i++)
                {
                    histogram[Math.Abs(cba[i] - cbb[i])]++;
                    histogram[Math.Abs(cra[i] - crb[i])]++;
                }
                samples += 2L * width;
            }
        }
        else if (kind == CompareKind.RgbFloat)
        {
            int bytes = width * height * 16;
            if (expected.Length < bytes || actual.Length < bytes)
                throw new ArgumentException($"{what}: float RGBA outputs hold {expected.Length} / {actual.Length} bytes, {width}x{height} needs {bytes}");
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(expected[..bytes]);
            var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual[..bytes]);
            for (int p = 0; p < width * height; p++)
                for (int c = 0; c < 3; c++)
                {
                    double d = Math.Abs((double)a[p * 4 + c] - b[p * 4 + c]) * 1023;
                    histogram[double.IsNaN(d) ? 1023 : (int)Math.Min(1023, Math.Round(d))]++;
                }
            samples = (long)width * height * 3;
        }
        else
        {
            int bytes = width * height * 4;
            if (expected.Length < bytes || actual.Length < bytes)
                throw new ArgumentException($"{what}: RGBA outputs hold {expected.Length} / {actual.Length} bytes, {width}x{height} needs {bytes}");
            int channels = kind == CompareKind.Rgba8 ? 4 : 3;
            for (int p = 0; p < width * height; p++)
                for (int c = 0; c < channels; c++)
                    histogram[Math.Abs(expected[p * 4 + c] - actual[p * 4 + c])]++;
            samples = (long)width * height * channels;
        }

        double sum = 0;
        int max = 0, p99 = -1;
        long cumulative = 0;
        for (int d = 0; d < histogram.Length; d++)
        {
            if (histogram[d] == 0) continue;
            sum += (double)d * histogram[d];
            max = d;
            cumulative += histogram[d];
            if (p99 < 0 && cumulative >= samples * 0.99) p99 = d;
        }
        double mean = samples == 0 ? 0 : sum / samples;
        bool pass = samples > 0 && p99 <= tolerance.P99 && mean <= tolerance.Mean;
        return new Agreement(mean, Math.Max(p99, 0), max, samples, kind, pass);
    }
}
