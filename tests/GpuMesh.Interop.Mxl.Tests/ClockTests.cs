using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class ClockTests
{
    [Fact]
    public void RoundTripHoldsForTenMillionIndicesAt30000Over1001()
    {
        Rational rate = new(30000, 1001);
        ulong start = MxlClock.CurrentIndex(rate) - 5_000_000;
        for (ulong i = start; i < start + 10_000_000; i++)
        {
            ulong ts = MxlClock.IndexToTimestamp(rate, i);
            ulong back = MxlClock.TimestampToIndex(rate, ts);
            if (back != i) Assert.Fail($"index {i} → ts {ts} → index {back}");
        }
        // Also from 0, where small values show rounding mistakes.
        for (ulong i = 0; i < 100_000; i++)
            Assert.Equal(i, MxlClock.TimestampToIndex(rate, MxlClock.IndexToTimestamp(rate, i)));
    }

    [Fact]
    public void RoundingIsHalfUpNotFloor()
    {
        Rational fifty = new(50, 1);
        Assert.Equal(0ul, MxlClock.TimestampToIndex(fifty, 9_999_999));
        Assert.Equal(1ul, MxlClock.TimestampToIndex(fifty, 10_000_000)); // half a period rounds up
        Assert.Equal(1ul, MxlClock.TimestampToIndex(fifty, 20_000_000));
        Assert.Equal(1ul, MxlClock.TimestampToIndex(fifty, 29_999_999));
        Assert.Equal(2ul, MxlClock.TimestampToIndex(fifty, 30_000_000));
        Assert.Equal(20_000_000ul, MxlClock.IndexToTimestamp(fifty, 1));
        Rational ntsc = new(30000, 1001);
        Assert.Equal(33_366_667ul, MxlClock.IndexToTimestamp(ntsc, 1)); // 33 366 666.67 rounded
        Assert.Equal(1ul, MxlClock.TimestampToIndex(ntsc, 33_366_667));
        Assert.Equal(20_833ul, MxlClock.IndexToTimestamp(new Rational(48000, 1), 1));
    }

    [Fact]
    public void LargeValuesUse128BitIntermediates()
    {
        Rational rate = new(60000, 1001);
        ulong ts = 0x7FFF_FFFF_FFFF_FFFFul; // far future; ts * num overflows 64 bits
        ulong index = MxlClock.TimestampToIndex(rate, ts);
        Assert.Equal((ulong)(((System.Numerics.BigInteger)ts * 60000 + 500_000_000UL * 1001) / (1_000_000_000UL * 1001)), index);
        Assert.Equal(index, MxlClock.TimestampToIndex(rate, MxlClock.IndexToTimestamp(rate, index)));
    }

    [Fact]
    public void ZeroRateGivesUndefinedIndex()
    {
        Assert.Equal(MxlClock.UndefinedIndex, MxlClock.TimestampToIndex(new Rational(0, 1), 123));
        Assert.Equal(MxlClock.UndefinedIndex, MxlClock.TimestampToIndex(new Rational(50, 0), 123));
        Assert.Equal(MxlClock.UndefinedIndex, MxlClock.IndexToTimestamp(new Rational(0, 1), 5));
        Assert.Throws<ArgumentException>(() => MxlClock.NsUntilIndex(1, new Rational(0, 0)));
    }

    [Fact]
    public void NowIsTaiAndSleepUntilIndexWakesOnTime()
    {
        ulong now = MxlClock.NowTai();
        long unixNs = (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        // CLOCK_TAI is CLOCK_REALTIME plus the kernel's TAI offset (0 or ~37 s).
        Assert.InRange((long)now - unixNs, -1_000_000_000L, 40_000_000_000L);
        Assert.Equal(0, MxlClock.TaiOffsetNs() % 1_000_000);

        Rational rate = new(100, 1);
        ulong before = MxlClock.NowTai();
        ulong target = MxlClock.TimestampToIndex(rate, before) + 3;
        // Index periods are centred on their timestamps: 3 periods ahead is 25..35 ms away.
        Assert.InRange((long)(MxlClock.IndexToTimestamp(rate, target) - before), 25_000_000L, 35_000_000L);
        Assert.True(MxlClock.NsUntilIndex(target, rate) <= 35_000_000L);
        MxlClock.SleepUntilIndex(target, rate);
        ulong woke = MxlClock.NowTai();
        Assert.True(woke >= MxlClock.IndexToTimestamp(rate, target));
        Assert.True(MxlClock.NsUntilIndex(target, rate) <= 0);
        Assert.True(MxlClock.TimestampToIndex(rate, woke) >= target);
    }

    [Fact]
    public void SleepIsCancellable()
    {
        using CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(30));
        Rational rate = new(1, 1);
        ulong far = MxlClock.CurrentIndex(rate) + 100;
        Assert.ThrowsAny<OperationCanceledException>(() => MxlClock.SleepUntilIndex(far, rate, cts.Token));
    }

    [Fact]
    public void RationalParsesAndNormalises()
    {
        Assert.Equal(new Rational(30000, 1001), Rational.Parse("30000/1001"));
        Assert.Equal(new Rational(48000, 1), Rational.Parse("48000"));
        Assert.Equal(new Rational(25, 1), new Rational(50, 2).Normalize());
        Assert.Throws<FormatException>(() => Rational.Parse("50/0"));
        Assert.Throws<FormatException>(() => Rational.Parse("fast"));
    }
}
