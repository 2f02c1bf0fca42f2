using System.Diagnostics;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class DiscreteFlowTests
{
    private static void WriteGrain(FlowWriter w, ulong index, byte value)
    {
        GrainWriteAccess g = w.OpenGrain(index);
        g.Payload.Fill(value);
        w.CommitAll();
    }

    [Fact]
    public void CommittedGrainRoundTripsZeroCopy()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 96, 6), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        Assert.Equal(w.GrainCount, r.GrainCount);
        Assert.Equal(Defs.Video(id, 96, 6), r.FlowDefinitionJson);
        GrainWriteAccess a = w.OpenGrain(500);
        for (int i = 0; i < a.Size; i++) a.Payload[i] = (byte)(i * 7);
        w.CommitAll();
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(500, out GrainView g));
        Assert.Equal(500ul, g.Index);
        Assert.Equal(a.Slot, g.Slot);
        Assert.Equal(6, g.ValidSlices);
        Assert.Equal(6, g.TotalSlices);
        Assert.True(g.IsComplete);
        Assert.False(g.IsInvalid);
        Assert.Equal(256 * 6, g.Size);
        Assert.Equal(0, g.PayloadAddress % 4096);
        for (int i = 0; i < g.Size; i++) Assert.Equal((byte)(i * 7), g.Payload[i]);
        // Zero copy: the view points into the slot's mapping.
        SlotMapping m = r.GetSlotMapping(g.Slot);
        Assert.Equal(m.BaseAddress + 8192, g.PayloadAddress);
        Assert.False(m.Writable);
        Assert.Equal(0, m.BaseAddress % 4096);
        Assert.Equal(0, m.Length % 4096);
        FlowInfo info = r.GetInfo();
        Assert.Equal(500ul, info.HeadIndex);
        Assert.Equal(1u, info.SyncCounter);
        Assert.Equal(new Rational(50, 1), info.GrainRate);
        Assert.Equal(96, info.Width);
    }

    [Fact]
    public void PartialCommitsAreVisibleSliceBySlice()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 64, 10), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        w.OpenGrain(77);
        w.Commit(4);
        Assert.True(w.HasOpenGrain);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(77, out _));
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(77, out GrainView g, minValidSlices: 4));
        Assert.Equal(4, g.ValidSlices);
        Assert.False(g.IsComplete);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(77, out _, minValidSlices: 5));
        Assert.Throws<ArgumentException>(() => w.Commit(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Commit(11));
        Assert.Throws<ArgumentException>(() => w.Commit(78, 5));
        w.Commit(77, 9);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(77, out g, minValidSlices: 9));
        w.Commit(10);
        Assert.False(w.HasOpenGrain);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(77, out g));
        Assert.True(g.IsComplete);
        Assert.Equal(3u, r.GetInfo().SyncCounter); // each partial commit signals
        var e = Assert.Throws<InvalidOperationException>(() => w.Commit(10));
        Assert.Contains(id.ToString(), e.Message);
    }

    [Fact]
    public void InvalidFlagRoundTripsAndLetsTheRingMoveOn()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Data(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        w.OpenGrain(10);
        w.CommitInvalid();
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(10, out GrainView g));
        Assert.True(g.IsInvalid);
        Assert.Equal(1u, g.Flags);
        WriteGrain(w, 11, 3);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(11, out g));
        Assert.False(g.IsInvalid);
        Assert.Equal(4096, g.Size);
        Assert.Equal(3, g.Payload[4095]);
    }

    [Fact]
    public void CancelPublishesNothingAndOneGrainAtATime()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        w.OpenGrain(5);
        var e = Assert.Throws<InvalidOperationException>(() => w.OpenGrain(6));
        Assert.Contains("grain 5", e.Message);
        Assert.Equal(5ul, w.OpenGrain(5).Index); // reopening the open grain is allowed
        w.Cancel();
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(5, out _));
        Assert.Equal(0ul, r.HeadIndex);
        Assert.Equal(0u, r.GetInfo().SyncCounter);
    }

    [Fact]
    public void TooEarlyAndTooLateBoundaries()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        int n = w.GrainCount;
        Assert.Equal(10, n);
        ulong head = 1000;
        for (ulong i = head - (ulong)n - 3; i <= head; i++) WriteGrain(w, i, (byte)i);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(head + 1, out _));
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(head + 100, out _));
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(head, out GrainView g));
        Assert.Equal((byte)head, g.Payload[0]);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(head - (ulong)n + 1, out g)); // oldest readable
        Assert.Equal((byte)(head - (ulong)n + 1), g.Payload[0]);
        Assert.Equal(MxlStatus.TooLate, r.TryGetGrain(head - (ulong)n, out _)); // exactly head - grainCount
        Assert.Equal(MxlStatus.TooLate, r.TryGetGrain(0, out _));
    }

    [Fact]
    public void HeadMovingBackwardsKeepsStatusesConsistent()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        WriteGrain(w, 100, 1);
        // As MXL: a grain at or before the last committed one is an invalid argument, so the head never moves back.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => w.OpenGrain(95));
        Assert.Contains(id.ToString(), e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => w.OpenGrain(100));
        Assert.False(w.HasOpenGrain);
        Assert.Equal(100ul, r.HeadIndex);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(100, out GrainView g));
        Assert.Equal(1, g.Payload[0]);
        WriteGrain(w, 101, 2);
        Assert.Equal(101ul, r.HeadIndex);
    }

    [Fact]
    public void GrainInsideTheWindowThatWasNeverOpenedIsTooLateNotTooEarly()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        WriteGrain(w, 100, 1); // the first grain: slots of 91..99 still hold index 0
        Assert.Equal(MxlStatus.TooLate, r.TryGetGrain(94, out _));
        // An MXL 1.2 writer that jumps ahead without marking the skipped grains leaves their slots with older indices.
        WriteGrain(w, 101, 2);
        SlotMapping slot = w.GetSlotMapping((int)(103 % (ulong)w.GrainCount));
        WriteGrain(w, 104, 4); // marks 102 and 103 INVALID ...
        unsafe { *(ulong*)(slot.BaseAddress + FlowLayout.GrainIndexOffset) = 93; } // ... undo it for 103, as MXL 1.2 would
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Equal(MxlStatus.TooLate, r.GetGrain(103, TimeSpan.FromSeconds(5), out _)); // no wait for a grain that cannot come
        Assert.True(sw.ElapsedMilliseconds < 2000, $"waited {sw.ElapsedMilliseconds} ms");
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(102, out GrainView skipped));
        Assert.True(skipped.IsInvalid);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(105, out _));
    }

    [Fact]
    public void TimedOutReadReportsTooEarlyAfterTheTimeout()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Equal(MxlStatus.TooEarly, r.GetGrain(1, TimeSpan.FromMilliseconds(80), out _));
        Assert.True(sw.ElapsedMilliseconds >= 75, $"returned after {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void BlockingReadIsWokenByCommitInThisProcess()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        (MxlStatus Status, byte Value) result = default;
        Thread reader = new(() =>
        {
            MxlStatus s = r.GetGrain(42, TimeSpan.FromSeconds(10), out GrainView g);
            result = (s, s == MxlStatus.Ok ? g.Payload[0] : (byte)0);
        });
        reader.Start();
        Thread.Sleep(50);
        WriteGrain(w, 41, 1); // wakes the reader, which goes back to sleep
        Thread.Sleep(20);
        Assert.True(reader.IsAlive);
        WriteGrain(w, 42, 9);
        Assert.True(reader.Join(5000));
        Assert.Equal((MxlStatus.Ok, (byte)9), result);
    }

    [Fact]
    public void FlowInvalidAfterWriterReleased()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        WriteGrain(w, 1, 1);
        Assert.True(r.IsFlowValid());
        w.Dispose();
        Assert.False(d.Domain.FlowExists(id)); // last writer removes the flow
        Assert.False(r.IsFlowValid());
        Assert.Equal(MxlStatus.FlowInvalid, r.GetGrain(2, TimeSpan.FromMilliseconds(20), out _));
        Assert.Equal(MxlStatus.FlowInvalid, r.TryGetGrain(2, out _));
        // Data already there stays readable from the mapping.
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(1, out _));
    }

    [Fact]
    public void FlowInvalidAfterFlowRecreatedUnderSameId()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        w.Dispose();
        using FlowWriter w2 = d.Domain.CreateFlowWriter(Defs.Video(id), null, out bool created);
        Assert.True(created);
        Assert.True(d.Domain.FlowExists(id));
        WriteGrain(w2, 5, 5);
        Assert.Equal(MxlStatus.FlowInvalid, r.GetGrain(6, TimeSpan.FromMilliseconds(20), out _));
        using FlowReader r2 = d.Domain.OpenFlowReader(id);
        Assert.Equal(MxlStatus.Ok, r2.TryGetGrain(5, out _));
    }

    [Fact]
    public void SecondWriterOpensAndFlowSurvivesUntilLastWriter()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        FlowWriter a = d.Domain.CreateFlowWriter(Defs.Video(id), null, out bool createdA);
        FlowWriter b = d.Domain.CreateFlowWriter(Defs.Video(id), null, out bool createdB);
        Assert.True(createdA);
        Assert.False(createdB);
        Assert.True(d.Domain.IsFlowActive(id));
        WriteGrain(b, 3, 3);
        using (FlowReader r = d.Domain.OpenFlowReader(id))
            Assert.Equal(MxlStatus.Ok, r.TryGetGrain(3, out _));
        a.Dispose();
        Assert.True(d.Domain.FlowExists(id));
        Assert.True(d.Domain.IsFlowActive(id));
        b.Dispose();
        Assert.False(d.Domain.FlowExists(id));
        Assert.False(d.Domain.IsFlowActive(id));
    }

    [Fact]
    public void ConcurrentCreatorsEndWithExactlyOneCreator()
    {
        using TempDomain d = new();
        for (int round = 0; round < 5; round++)
        {
            Guid id = Guid.NewGuid();
            string json = Defs.Video(id);
            const int creators = 8;
            using Barrier barrier = new(creators);
            var results = new (FlowWriter Writer, bool Created)[creators];
            Thread[] threads = Enumerable.Range(0, creators).Select(i => new Thread(() =>
            {
                barrier.SignalAndWait();
                FlowWriter w = d.Domain.CreateFlowWriter(json, null, out bool created);
                results[i] = (w, created);
            })).ToArray();
            foreach (Thread t in threads) t.Start();
            foreach (Thread t in threads) Assert.True(t.Join(20_000));
            Assert.Equal(1, results.Count(r => r.Created));
            Assert.Equal([id], d.Domain.ListFlows());
            Assert.Empty(Directory.GetDirectories(d.Path, ".mxl-tmp-*"));
            foreach (var r in results) r.Writer.Dispose();
            Assert.False(d.Domain.FlowExists(id));
        }
    }

    [Fact]
    public void ReaderTouchesAccessFileAndWriterRecordsLastReadTime()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        ulong created = w.Info.LastReadTime;
        Assert.NotEqual(0ul, created); // set at creation, as MXL does
        WriteGrain(w, 1, 1);
        ulong before = MxlClock.NowTai();
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(1, out _));
        Stopwatch sw = Stopwatch.StartNew();
        while (w.Info.LastReadTime == created && sw.ElapsedMilliseconds < 3000) Thread.Sleep(5);
        ulong last = w.Info.LastReadTime;
        // The writer stores the TAI time at which it handles the access event.
        Assert.InRange(last, before, MxlClock.NowTai());
    }

    [Fact]
    public void LastReadTimeIsTheEventTimeNotTheAccessFilesAtime()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        ulong created = w.Info.LastReadTime;
        Thread.Sleep(2);
        ulong before = MxlClock.NowTai();
        // Any access event counts as a read, whatever atime the file ends up with (MXL stores "now").
        File.SetLastAccessTimeUtc(d.FlowFile(id, "access"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Stopwatch sw = Stopwatch.StartNew();
        while (w.Info.LastReadTime == created && sw.ElapsedMilliseconds < 3000) Thread.Sleep(5);
        Assert.InRange(w.Info.LastReadTime, before, MxlClock.NowTai());
    }

    [Fact]
    public void MisuseThrowsNamingTheFlow()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        FlowReader r = d.Domain.OpenFlowReader(id);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.GetSlotMapping(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.GetSlotMapping(-1));
        var e = Assert.Throws<MxlException>(() => d.Domain.OpenContinuousFlowReader(id));
        Assert.Contains(id.ToString(), e.Message);
        r.Dispose();
        w.Dispose();
        var ode = Assert.Throws<ObjectDisposedException>(() => r.TryGetGrain(1, out _));
        Assert.Contains(id.ToString(), ode.Message);
        ode = Assert.Throws<ObjectDisposedException>(() => w.OpenGrain(1));
        Assert.Contains(id.ToString(), ode.Message);
        var nf = Assert.Throws<MxlException>(() => d.Domain.OpenFlowReader(Guid.NewGuid()));
        Assert.Equal(MxlStatus.FlowNotFound, nf.Status);
    }

    [Fact]
    public void DisposingAReaderWhileAReadBlocksEndsTheReadCleanly()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        FlowReader r = d.Domain.OpenFlowReader(id);
        Exception? error = null;
        Thread reader = new(() =>
        {
            try { r.GetGrain(5, TimeSpan.FromSeconds(30), out _); }
            catch (Exception e) { error = e; }
        });
        reader.Start();
        Thread.Sleep(50);
        Stopwatch sw = Stopwatch.StartNew();
        r.Dispose();
        Assert.True(reader.Join(5000));
        Assert.True(sw.ElapsedMilliseconds < 5000);
        Assert.IsType<ObjectDisposedException>(error);
        Assert.Contains(id.ToString(), error!.Message);
    }

    [Fact]
    public void AccessTimesReachEveryWriterOfEveryFlow()
    {
        using TempDomain d = new();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        using FlowWriter wa1 = d.Domain.CreateFlowWriter(Defs.Video(a), null, out _);
        FlowWriter wa2 = d.Domain.CreateFlowWriter(Defs.Video(a), null, out _); // same inode: same inotify watch
        using FlowWriter wb = d.Domain.CreateFlowWriter(Defs.Data(b), null, out _);
        WriteGrain(wa1, 1, 1);
        WriteGrain(wb, 1, 1);
        using FlowReader ra = d.Domain.OpenFlowReader(a);
        using FlowReader rb = d.Domain.OpenFlowReader(b);
        static ulong WaitForRead(FlowWriter w, ulong after)
        {
            Stopwatch sw = Stopwatch.StartNew();
            while (w.Info.LastReadTime <= after && sw.ElapsedMilliseconds < 3000) Thread.Sleep(2);
            return w.Info.LastReadTime;
        }
        ulong createdA = wa1.Info.LastReadTime, createdB = wb.Info.LastReadTime;
        Assert.Equal(MxlStatus.Ok, ra.TryGetGrain(1, out _));
        ulong t1 = WaitForRead(wa1, createdA);
        Assert.True(t1 > createdA);
        Assert.Equal(createdB, wb.Info.LastReadTime); // flow b not read yet
        wa2.Dispose(); // removes one of the two watchers of flow a
        Thread.Sleep(15); // atime has coarse (jiffy) resolution
        Assert.Equal(MxlStatus.Ok, ra.TryGetGrain(1, out _));
        Assert.True(WaitForRead(wa1, t1) > t1);
        Assert.Equal(MxlStatus.Ok, rb.TryGetGrain(1, out _));
        Assert.True(WaitForRead(wb, createdB) > createdB);
    }

    [Fact]
    public void SkippedGrainsAreMarkedInvalidAndOpenGrainRetiresTheSlot()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        for (ulong i = 100; i <= 110; i++) WriteGrain(w, i, (byte)i);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(101, out _));
        // Opening 111 reuses slot 1: the grain it held (101) is gone at once.
        w.OpenGrain(111);
        Assert.Equal(MxlStatus.TooLate, r.TryGetGrain(101, out _));
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(111, out _));
        w.CommitAll();
        // Skip 112..114: readers of the skipped grains get them flagged INVALID instead of waiting.
        WriteGrain(w, 115, 115);
        for (ulong i = 112; i <= 114; i++)
        {
            Assert.Equal(MxlStatus.Ok, r.GetGrain(i, TimeSpan.FromSeconds(5), out GrainView g));
            Assert.True(g.IsInvalid);
            Assert.Equal(i, g.Index);
        }
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(115, out GrainView ok));
        Assert.False(ok.IsInvalid);
        Assert.Equal(115, ok.Payload[0]);
        // A jump of more than the ring invalidates each slot once.
        WriteGrain(w, 1000, 1);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(995, out GrainView far));
        Assert.True(far.IsInvalid);
        Assert.Equal(MxlStatus.TooLate, r.TryGetGrain(990, out _));
    }
}
