namespace GpuMesh.Interop.Mxl;

/// <summary>
/// TAI time (nanoseconds since the SMPTE ST 2059 / PTP epoch) and MXL's index/timestamp conversion.
/// CLOCK_TAI equals CLOCK_REALTIME when no PTP daemon has set the kernel's TAI offset; see <see cref="TaiOffsetNs"/>.
/// </summary>
public static class MxlClock
{
    /// <summary>The undefined index that MXL returns for zero rates.</summary>
    public const ulong UndefinedIndex = ulong.MaxValue;

    private const ulong NsPerSecond = 1_000_000_000UL;

    /// <summary>Current TAI time in nanoseconds.</summary>
    public static ulong NowTai() => (ulong)Native.ClockNs(Native.CLOCK_TAI);

    /// <summary>CLOCK_TAI − CLOCK_REALTIME in nanoseconds (≈ 37 s with PTP, 0 when the kernel offset is unset).</summary>
    public static long TaiOffsetNs()
    {
        long tai = Native.ClockNs(Native.CLOCK_TAI);
        long real = Native.ClockNs(Native.CLOCK_REALTIME);
        return (long)Math.Round((tai - real) / 1e6) * 1_000_000;
    }

    /// <summary>index = ⌊(ts·num + 5e8·den) / (1e9·den)⌋; <see cref="UndefinedIndex"/> for a zero/negative rate.</summary>
    public static ulong TimestampToIndex(Rational rate, ulong timestampNs)
    {
        if (rate.Numerator <= 0 || rate.Denominator <= 0) return UndefinedIndex;
        UInt128 num = (ulong)rate.Numerator, den = (ulong)rate.Denominator;
        UInt128 result = ((UInt128)timestampNs * num + 500_000_000UL * den) / (NsPerSecond * den);
        return result > ulong.MaxValue ? UndefinedIndex : (ulong)result;
    }

    /// <summary>ts = ⌊(index·den·1e9 + num/2) / num⌋; <see cref="UndefinedIndex"/> for a zero/negative rate.</summary>
    public static ulong IndexToTimestamp(Rational rate, ulong index)
    {
        if (rate.Numerator <= 0 || rate.Denominator <= 0) return UndefinedIndex;
        UInt128 num = (ulong)rate.Numerator, den = (ulong)rate.Denominator;
        UInt128 result = ((UInt128)index * den * NsPerSecond + num / 2) / num;
        return result > ulong.MaxValue ? UndefinedIndex : (ulong)result;
    }

    /// <summary>The index of the grain (or sample) whose period contains now.</summary>
    public static ulong CurrentIndex(Rational rate) => TimestampToIndex(rate, NowTai());

    /// <summary>Nanoseconds from now until the timestamp of <paramref name="index"/> (negative when past).</summary>
    public static long NsUntilIndex(ulong index, Rational rate)
    {
        ulong ts = IndexToTimestamp(rate, index);
        if (ts == UndefinedIndex) throw new ArgumentException($"rate {rate} is not a valid rate", nameof(rate));
        return (long)(ts - NowTai());
    }

    /// <summary>Sleeps until the timestamp of <paramref name="index"/> on the TAI clock.</summary>
    public static void SleepUntilIndex(ulong index, Rational rate, CancellationToken cancellationToken = default)
    {
        ulong target = IndexToTimestamp(rate, index);
        if (target == UndefinedIndex) throw new ArgumentException($"rate {rate} is not a valid rate", nameof(rate));
        SleepUntilTimestamp(target, cancellationToken);
    }

    /// <summary>Sleeps until a TAI timestamp; cancellable in the coarse part, precise at the end.</summary>
    public static void SleepUntilTimestamp(ulong taiNs, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long remaining = (long)(taiNs - NowTai());
            if (remaining <= 0) return;
            if (remaining > 3_000_000)
            {
                // Coarse, cancellable part; wake about 2 ms early.
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromTicks((remaining - 2_000_000) / 100));
                continue;
            }
            if (!Native.SleepUntilTai((long)taiNs))
            {
                while ((long)(taiNs - NowTai()) > 0) Thread.SpinWait(20);
            }
            return;
        }
    }
}
