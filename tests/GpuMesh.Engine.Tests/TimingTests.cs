using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Timing;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class TimingTests
{
    [Theory]
    [InlineData(50, 1)]
    [InlineData(30000, 1001)]
    [InlineData(60000, 1001)]
    [InlineData(48000, 1)]
    public void IndexTimestampRoundTrip(long num, long den)
    {
        var rate = new MediaRate(num, den);
        ulong baseIndex = rate.IndexAt(1_700_000_000UL * 1_000_000_000UL);
        for (ulong i = baseIndex; i < baseIndex + 20_000; i++)
        {
            Assert.Equal(i, rate.IndexAt(rate.TimestampOf(i)));
            ulong start = rate.IndexStart(i);
            Assert.Equal(i, rate.IndexAt(start));
            Assert.Equal(i - 1, rate.IndexAt(start - 1));
        }
    }

    [Fact]
    public void RoundsHalfUp()
    {
        var rate = new MediaRate(50, 1);
        Assert.Equal(0UL, rate.IndexAt(9_999_999));
        Assert.Equal(1UL, rate.IndexAt(10_000_000));
        Assert.Equal(20_000_000UL, rate.TimestampOf(1));
        Assert.Equal(20_000_000UL, rate.PeriodNs);
        Assert.Equal(new MediaRate(25, 1), MediaRate.Parse("50/2"));
        Assert.Equal(new MediaRate(30000, 1001), MediaRate.Parse("30000/1001"));
        Assert.Throws<FormatException>(() => MediaRate.Parse("fifty"));
        Assert.Throws<FormatException>(() => MediaRate.Parse("50/0"));
    }

    [Fact]
    public void TaiClockIsCloseToRealtimeOrOffsetBySeconds()
    {
        long tai = (long)TaiClock.Instance.NowNs;
        long utc = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        Assert.InRange(Math.Abs(tai - utc), 0, 60_000_000_000L);
    }

    [Fact]
    public void Percentiles_NearestRank()
    {
        var r = new LatencyRecorder();
        for (int i = 1; i <= 100; i++) r.Record(i);
        var s = r.Summary();
        Assert.Equal(50, s.P50Ns);
        Assert.Equal(99, s.P99Ns);
        Assert.Equal(100, s.MaxNs);
        Assert.Equal(100, s.Count);
    }
}
