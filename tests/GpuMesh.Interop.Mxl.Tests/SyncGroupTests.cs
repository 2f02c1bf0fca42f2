using System.Diagnostics;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class SyncGroupTests
{
    [Fact]
    public void ReturnsOnlyWhenEveryMemberHasDataAtTheTimestamp()
    {
        using TempDomain d = new();
        Guid vid = Guid.NewGuid(), anc = Guid.NewGuid(), aud = Guid.NewGuid();
        using FlowWriter video = d.Domain.CreateFlowWriter(Defs.Video(vid, 64, 10), null, out _);
        using FlowWriter data = d.Domain.CreateFlowWriter(Defs.Data(anc, 60000, 1001), null, out _);
        using ContinuousFlowWriter audio = d.Domain.CreateContinuousFlowWriter(Defs.Audio(aud), null, out _);
        using FlowReader rv = d.Domain.OpenFlowReader(vid);
        using FlowReader rd = d.Domain.OpenFlowReader(anc);
        using ContinuousFlowReader ra = d.Domain.OpenContinuousFlowReader(aud);
        FlowSyncGroup group = new FlowSyncGroup().Add(rv, minValidSlices: 5).Add(rd).Add(ra, 480);
        Assert.Equal(3, group.Count);

        ulong t = MxlClock.IndexToTimestamp(new Rational(50, 1), 90_000_000_000); // any fixed TAI time
        ulong vi = group.IndexAt(0, t), di = group.IndexAt(1, t), ai = group.IndexAt(2, t);
        Assert.Equal(90_000_000_000ul, vi);
        Assert.Equal(MxlClock.TimestampToIndex(new Rational(60000, 1001), t), di);
        Assert.Equal(MxlClock.TimestampToIndex(new Rational(48000, 1), t), ai);

        MxlStatus status = MxlStatus.Unknown;
        int failed = -2;
        Stopwatch sw = Stopwatch.StartNew();
        Thread waiter = new(() => status = group.WaitForDataAt(t, TimeSpan.FromSeconds(10), out failed));
        waiter.Start();
        video.OpenGrain(vi);
        video.Commit(5); // enough for this member (5 of 10 lines)
        data.OpenGrain(di);
        data.CommitAll();
        Thread.Sleep(60);
        Assert.True(waiter.IsAlive); // audio still missing
        audio.OpenSamples(ai, 480);
        audio.Commit();
        Assert.True(waiter.Join(5000));
        Assert.Equal(MxlStatus.Ok, status);
        Assert.Equal(-1, failed);
        Assert.True(sw.ElapsedMilliseconds >= 50);
    }

    [Fact]
    public void TimesOutCleanlyNamingTheMissingMember()
    {
        using TempDomain d = new();
        Guid vid = Guid.NewGuid(), aud = Guid.NewGuid();
        using FlowWriter video = d.Domain.CreateFlowWriter(Defs.Video(vid), null, out _);
        using ContinuousFlowWriter audio = d.Domain.CreateContinuousFlowWriter(Defs.Audio(aud), null, out _);
        using FlowReader rv = d.Domain.OpenFlowReader(vid);
        using ContinuousFlowReader ra = d.Domain.OpenContinuousFlowReader(aud);
        FlowSyncGroup group = new FlowSyncGroup().Add(ra, 100).Add(rv);
        ulong t = MxlClock.NowTai();
        audio.OpenSamples(group.IndexAt(0, t), 100);
        audio.Commit();
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Equal(MxlStatus.TooEarly, group.WaitForDataAt(t, TimeSpan.FromMilliseconds(100), out int failed));
        Assert.Equal(1, failed);
        Assert.InRange(sw.ElapsedMilliseconds, 90, 5000);
        // Far in the past: the audio member reports TooLate first.
        video.OpenGrain(group.IndexAt(1, t));
        video.CommitAll();
        Assert.Equal(MxlStatus.Ok, group.WaitForDataAt(t, TimeSpan.Zero, out failed));
        Assert.Equal(MxlStatus.TooLate, group.WaitForDataAt(t - 10_000_000_000, TimeSpan.Zero, out failed));
        Assert.Equal(0, failed);
        Assert.Throws<ArgumentOutOfRangeException>(() => group.Add(ra, ra.MaxReadLength + 1));
    }

    [Fact]
    public void LateMembersAreAwaitedFirstAndMembersCanBeUpdatedOrRemoved()
    {
        using TempDomain d = new();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        using FlowWriter wa = d.Domain.CreateFlowWriter(Defs.Video(a), null, out _);
        using FlowWriter wb = d.Domain.CreateFlowWriter(Defs.Video(b), null, out _);
        using FlowReader ra = d.Domain.OpenFlowReader(a);
        using FlowReader rb = d.Domain.OpenFlowReader(b);
        FlowSyncGroup group = new FlowSyncGroup().Add(ra).Add(rb).Add(ra, minValidSlices: 2);
        Assert.Equal(2, group.Count); // re-adding updates
        Rational rate = new(50, 1);
        ulong index = MxlClock.CurrentIndex(rate) - 2; // already in the past: any wait measures a delay
        ulong t = MxlClock.IndexToTimestamp(rate, index);
        wa.OpenGrain(index);
        wa.Commit(2);
        Thread late = new(() =>
        {
            Thread.Sleep(400); // long enough for the group to be blocked on b even on a loaded machine
            wb.OpenGrain(index);
            wb.CommitAll();
        });
        late.Start();
        Assert.Equal(MxlStatus.Ok, group.WaitForDataAt(t, TimeSpan.FromSeconds(5), out int failed));
        late.Join();
        Assert.Equal(-1, failed);
        // b was late: it now comes first, and a failure still names it by the order it was added (1).
        Assert.Equal(MxlStatus.TooEarly, group.WaitForDataAt(t + 20_000_000, TimeSpan.FromMilliseconds(10), out failed));
        Assert.Equal(1, failed);
        Assert.True(group.Remove(rb));
        Assert.False(group.Remove(rb));
        Assert.Equal(1, group.Count);
        Assert.Equal(MxlStatus.TooEarly, group.WaitForDataAt(t + 20_000_000, TimeSpan.Zero, out failed));
        Assert.Equal(0, failed);
    }
}
