namespace GpuMesh.Engine.Timing;

/// <summary>A grain or sample rate as a rational number, with MXL's index/timestamp rounding.</summary>
public readonly record struct MediaRate
{
    public long Numerator { get; }
    public long Denominator { get; }

    public MediaRate(long numerator, long denominator)
    {
        if (numerator <= 0 || denominator <= 0)
            throw new ArgumentOutOfRangeException(nameof(numerator), $"rate {numerator}/{denominator} must be positive");
        long g = Gcd(numerator, denominator);
        Numerator = numerator / g;
        Denominator = denominator / g;
    }

    /// <summary>Grain period in nanoseconds (rounded down).</summary>
    public ulong PeriodNs => (ulong)(1_000_000_000L * Denominator / Numerator);

    public double PeriodMs => 1000.0 * Denominator / Numerator;

    /// <summary>index = floor((ts*num + 5e8*den) / (1e9*den)), 128-bit intermediates.</summary>
    public ulong IndexAt(ulong timestampNs)
    {
        UInt128 n = (UInt128)timestampNs * (ulong)Numerator + (UInt128)500_000_000UL * (ulong)Denominator;
        return (ulong)(n / ((UInt128)1_000_000_000UL * (ulong)Denominator));
    }

    /// <summary>ts = floor((index*den*1e9 + num/2) / num).</summary>
    public ulong TimestampOf(ulong index)
    {
        UInt128 n = (UInt128)index * (ulong)Denominator * 1_000_000_000UL + (ulong)Numerator / 2;
        return (ulong)(n / (ulong)Numerator);
    }

    /// <summary>The first nanosecond at which <paramref name="index"/> is the current index.</summary>
    public ulong IndexStart(ulong index)
    {
        if (index == 0) return 0;
        ulong ts = TimestampOf(index);
        ulong guess = ts - Math.Min(ts, PeriodNs / 2 + 1);
        while (IndexAt(guess) < index) guess++;
        while (guess > 0 && IndexAt(guess - 1) >= index) guess--;
        return guess;
    }

    public static MediaRate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !long.TryParse(parts[0], out long num) || num <= 0)
            throw new FormatException($"rate '{text}' is not of the form N or N/D with positive integers (e.g. 50/1, 30000/1001)");
        long den = 1;
        if (parts.Length == 2 && (!long.TryParse(parts[1], out den) || den <= 0))
            throw new FormatException($"rate '{text}' has an invalid denominator");
        return new MediaRate(num, den);
    }

    public override string ToString() => $"{Numerator}/{Denominator}";

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
