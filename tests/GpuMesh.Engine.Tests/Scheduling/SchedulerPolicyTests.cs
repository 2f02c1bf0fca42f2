using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using Xunit;

namespace GpuMesh.Engine.Tests.Scheduling;

public class SchedulerPolicyTests
{
    private static readonly MediaRate Rate50 = new(50, 1);
    private const ulong Start = 1000;

    private sealed class Rig
    {
        public readonly VirtualClock Clock = new(Rate50.TimestampOf(Start) - 5_000_000);
        public readonly List<FakeSource> Sources = new();
        public readonly FakeSink Sink;
        public readonly List<GrainReport> Reports = new();
        public FakeProcessor Processor = null!;
        public GrainScheduler Scheduler = null!;

        public Rig(int inputs, MediaRate? inputRate = null)
        {
            for (int i = 0; i < inputs; i++) Sources.Add(new FakeSource($"in{i}", Clock, inputRate ?? Rate50));
            Sink = new FakeSink("out", Clock, Rate50);
        }

        public Rig Run(LatePolicy[] policies, ulong count, int depth = 1, int maxBehind = 4, Func<ulong[], TimeSpan>? processingTime = null)
        {
            Processor = new FakeProcessor(Sources.Count, 1, Clock, processingTime);
            Scheduler = new GrainScheduler(Clock, Sources, policies, new[] { Sink }, Processor, new SchedulerOptions
            {
                StartIndex = Start,
                StopIndex = Start + count,
                PipelineDepth = depth,
                MaxBehindGrains = maxBehind,
                OnGrain = r => { lock (Reports) Reports.Add(r); },
            });
            Scheduler.Run(CancellationToken.None);
            Assert.Empty(Sink.Violations);
            return this;
        }
    }

    [Fact]
    public void OnTimeInputs_EveryIndexCommittedWithItsOwnGrains()
    {
        var rig = new Rig(2).Run(new[] { LatePolicy.Repeat, LatePolicy.Repeat }, 20);
        Assert.Equal(20, rig.Sink.Commits.Count);
        for (int k = 0; k < 20; k++)
        {
            var c = rig.Sink.Commits[k];
            Assert.Equal(Start + (ulong)k, c.Index);
            Assert.False(c.Invalid);
            Assert.Equal(new[] { c.Index, c.Index }, c.Inputs);
        }
        var m = rig.Scheduler.Metrics;
        Assert.Equal(20, m.Out);
        Assert.Equal(0, m.Late);
        Assert.Equal(0, m.OutLate);
        Assert.Equal(20, m.Inputs[0].In);
        Assert.Equal(20, m.Inputs[1].In);
        // Inputs arrive 1 ms after their timestamp, processing takes no virtual time: latency is exactly 1 ms.
        var lat = m.Latency.Summary();
        Assert.Equal(1_000_000, lat.P50Ns);
        Assert.Equal(1_000_000, lat.MaxNs);
    }

    [Fact]
    public void LateInput_RepeatPolicy_UsesLastGoodGrain()
    {
        var rig = new Rig(2);
        rig.Sources[1].Dropped.UnionWith(new ulong[] { Start + 5, Start + 6 });
        rig.Run(new[] { LatePolicy.Invalid, LatePolicy.Repeat }, 10);
        Assert.Equal(10, rig.Sink.Commits.Count);
        var c5 = rig.Sink.Commits[5];
        Assert.Equal(Start + 5, c5.Index);
        Assert.False(c5.Invalid);
        Assert.Equal(new[] { Start + 5, Start + 4 }, c5.Inputs);
        Assert.Equal(new[] { Start + 6, Start + 4 }, rig.Sink.Commits[6].Inputs);
        Assert.Equal(new[] { Start + 7, Start + 7 }, rig.Sink.Commits[7].Inputs);
        var m = rig.Scheduler.Metrics;
        Assert.Equal(2, m.Inputs[1].Late);
        Assert.Equal(2, m.Inputs[1].Repeated);
        Assert.Equal(0, m.Inputs[0].Late);
        // The late grain waited for the whole deadline (half a period): latency 10 ms for those two.
        Assert.Equal(10_000_000, m.Latency.Summary().MaxNs);
        Assert.Equal(GrainOutcome.Committed, rig.Reports.Single(r => r.Index == Start + 5).Outcome);
        Assert.Equal(2u, rig.Reports.Single(r => r.Index == Start + 5).MissingInputs);
    }

    [Fact]
    public void LateInput_InvalidPolicy_CommitsInvalidGrain()
    {
        var rig = new Rig(2);
        rig.Sources[0].Dropped.Add(Start + 3);
        rig.Run(new[] { LatePolicy.Invalid, LatePolicy.Repeat }, 6);
        Assert.Equal(6, rig.Sink.Commits.Count);
        Assert.True(rig.Sink.Commits[3].Invalid);
        Assert.Equal(Start + 3, rig.Sink.Commits[3].Index);
        Assert.False(rig.Sink.Commits[4].Invalid);
        Assert.Equal(1, rig.Scheduler.Metrics.OutInvalid);
        Assert.Equal(5, rig.Scheduler.Metrics.Out);
        Assert.Equal(5, rig.Processor.Processed);
    }

    [Fact]
    public void LateInput_SkipPolicy_WritesNoGrainForThatIndex()
    {
        var rig = new Rig(2);
        rig.Sources[1].Dropped.Add(Start + 2);
        rig.Run(new[] { LatePolicy.Repeat, LatePolicy.Skip }, 5);
        Assert.Equal(new[] { Start, Start + 1, Start + 3, Start + 4 }, rig.Sink.Commits.Select(c => c.Index));
        Assert.Equal(1, rig.Scheduler.Metrics.Skipped);
        Assert.Equal(GrainOutcome.Skipped, rig.Reports.Single(r => r.Index == Start + 2).Outcome);
    }

    [Fact]
    public void SkipWinsOverInvalidAndRepeat_WhenSeveralInputsAreLate()
    {
        var rig = new Rig(3);
        foreach (var s in rig.Sources) s.Dropped.Add(Start + 1);
        rig.Run(new[] { LatePolicy.Repeat, LatePolicy.Invalid, LatePolicy.Skip }, 3);
        Assert.Equal(new[] { Start, Start + 2 }, rig.Sink.Commits.Select(c => c.Index));
    }

    [Fact]
    public void RepeatPolicy_BeforeAnyGoodGrain_CommitsInvalid()
    {
        var rig = new Rig(1);
        rig.Sources[0].Dropped.UnionWith(new ulong[] { Start, Start + 1 });
        rig.Run(new[] { LatePolicy.Repeat }, 4);
        Assert.Equal(new[] { true, true, false, false }, rig.Sink.Commits.Select(c => c.Invalid));
        Assert.Equal(0, rig.Scheduler.Metrics.Inputs[0].Repeated);
    }

    [Fact]
    public void InputFlaggedInvalid_CountsAsInvalidAndFollowsPolicy()
    {
        var rig = new Rig(1);
        rig.Sources[0].FlaggedInvalid.Add(Start + 2);
        rig.Run(new[] { LatePolicy.Repeat }, 4);
        Assert.Equal(new[] { Start + 1 }, rig.Sink.Commits[2].Inputs);
        Assert.Equal(1, rig.Scheduler.Metrics.Inputs[0].Invalid);
        Assert.Equal(0, rig.Scheduler.Metrics.Inputs[0].Late);
        Assert.Equal(1, rig.Scheduler.Metrics.Inputs[0].Repeated);
    }

    [Fact]
    public void OneDeadlineForAllInputs_ALateInputDoesNotExtendTheWaitForTheNext()
    {
        var rig = new Rig(2);
        // Input 0 misses index 1; input 1's grain 1 arrives 8 ms after its timestamp, inside the 10 ms deadline.
        rig.Sources[0].Dropped.Add(Start + 1);
        rig.Sources[1].DelayNs = 8_000_000;
        rig.Run(new[] { LatePolicy.Repeat, LatePolicy.Repeat }, 3);
        Assert.Equal(new[] { Start, Start + 1 }, rig.Sink.Commits[1].Inputs);
        // Had each input its own timeout, latency of index 1 would be 10 ms + 8 ms.
        Assert.Equal(10_000_000, rig.Reports.Single(r => r.Index == Start + 1).LatencyNs);
    }

    [Fact]
    public void TooLate_RealignsToTheClocksCurrentIndex()
    {
        var rig = new Rig(1);
        // Processing of index Start+3 stalls for 15 periods: grain Start+4 has left the 10-grain ring by then.
        rig.Run(new[] { LatePolicy.Repeat }, 30, maxBehind: 1000,
            processingTime: inputs => inputs[0] == Start + 3 ? TimeSpan.FromMilliseconds(300) : TimeSpan.Zero);
        var realign = Assert.Single(rig.Reports, r => r.Outcome == GrainOutcome.Realigned);
        ulong expected = Rate50.IndexAt(Rate50.TimestampOf(Start + 3) + 1_000_000 + 300_000_000);
        Assert.Equal(expected, realign.Index);
        Assert.Equal(expected - (Start + 4), realign.Dropped);
        Assert.Equal(1, rig.Scheduler.Metrics.Realigned);
        Assert.Equal(1, rig.Scheduler.Metrics.OutLate);
        // After realignment every grain is read on time again and committed in order.
        var after = rig.Sink.Commits.Where(c => c.Index >= expected).ToList();
        Assert.Equal(Enumerable.Range(0, (int)(Start + 30 - expected)).Select(k => expected + (ulong)k), after.Select(c => c.Index));
        Assert.All(after, c => Assert.Equal(c.Index, c.Inputs[0]));
    }

    [Fact]
    public void FallingBehind_BeyondMaxBehind_JumpsToNow()
    {
        var rig = new Rig(1);
        rig.Run(new[] { LatePolicy.Repeat }, 40, maxBehind: 2,
            processingTime: inputs => inputs[0] == Start + 5 ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero);
        var realign = Assert.Single(rig.Reports, r => r.Outcome == GrainOutcome.Realigned);
        Assert.True(realign.Index > Start + 6);
        Assert.Equal(0, rig.Scheduler.Metrics.Late);
        Assert.Equal(realign.Dropped, (ulong)rig.Scheduler.Metrics.DroppedIndices);
    }

    [Fact]
    public void FlowInvalid_FollowsLatePolicyThenReopensWhenTheFlowReturns()
    {
        var rig = new Rig(2);
        var flaky = rig.Sources[1];
        // The flow disappears while index Start+4 is read and comes back from Start+8 on.
        var processor = new List<ulong>();
        rig.Run(new[] { LatePolicy.Invalid, LatePolicy.Repeat }, 12, processingTime: inputs =>
        {
            if (inputs[0] == Start + 3) flaky.Gone = true;
            if (inputs[0] == Start + 7) flaky.Gone = false;
            return TimeSpan.Zero;
        });
        Assert.Equal(12, rig.Sink.Commits.Count);
        Assert.All(rig.Sink.Commits, c => Assert.False(c.Invalid));
        for (ulong k = 4; k <= 7; k++) Assert.Equal(new[] { Start + k, Start + 3 }, rig.Sink.Commits[(int)k].Inputs);
        Assert.Equal(new[] { Start + 8, Start + 8 }, rig.Sink.Commits[8].Inputs);
        var m = rig.Scheduler.Metrics.Inputs[1];
        Assert.Equal(1, m.FlowInvalid);
        Assert.Equal(1, m.Reopened);
        Assert.Equal(4, m.Repeated);
        Assert.Equal(4, flaky.ReopenAttempts);
    }

    [Fact]
    public void InputsOfAnotherRate_AreAlignedByTimestamp()
    {
        var rig = new Rig(1, new MediaRate(25, 1));
        rig.Run(new[] { LatePolicy.Repeat }, 8);
        // Output index n at 50/1 has timestamp n*20 ms; the newest 25/1 grain at or before it is n/2 (rounded down).
        Assert.Equal(Enumerable.Range(0, 8).Select(k => (Start + (ulong)k) / 2),
            rig.Sink.Commits.Select(c => c.Inputs[0]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Pipelined_NeverWritesASlotInsideTheReadersWindow_AndKeepsGrainsInOrder(int depth)
    {
        var rig = new Rig(2);
        var rnd = new Random(42);
        for (int k = 0; k < 300; k++)
            if (rnd.Next(10) == 0) rig.Sources[rnd.Next(2)].Dropped.Add(Start + (ulong)k);
        rig.Sources[0].Dropped.Remove(Start);
        rig.Sources[1].Dropped.Remove(Start);
        rig.Run(new[] { LatePolicy.Repeat, LatePolicy.Repeat }, 300, depth: depth,
            processingTime: _ => TimeSpan.FromMilliseconds(3));
        Assert.Equal(300, rig.Sink.Commits.Count);
        Assert.Equal(Enumerable.Range(0, 300).Select(k => Start + (ulong)k), rig.Sink.Commits.Select(c => c.Index));
        // Repeat across buffer sets picks the newest good grain of each input.
        for (int k = 0; k < 300; k++)
        {
            var c = rig.Sink.Commits[k];
            for (int i = 0; i < 2; i++)
            {
                ulong expect = c.Index;
                while (rig.Sources[i].Dropped.Contains(expect)) expect--;
                Assert.Equal(expect, c.Inputs[i]);
            }
        }
    }

    [Fact]
    public void SeveralOutputs_AllReceiveEveryGrain()
    {
        var clock = new VirtualClock(Rate50.TimestampOf(Start));
        var src = new FakeSource("in", clock, Rate50);
        var a = new FakeSink("a", clock, Rate50);
        var b = new FakeSink("b", clock, Rate50);
        var s = new GrainScheduler(clock, new[] { src }, new[] { LatePolicy.Repeat }, new[] { a, b }, new FakeProcessor(1, 2),
            new SchedulerOptions { StartIndex = Start, StopIndex = Start + 5 });
        s.Run(CancellationToken.None);
        Assert.Equal(5, a.Commits.Count);
        Assert.Equal(a.Commits.Select(c => c.Index), b.Commits.Select(c => c.Index));
    }

    [Theory]
    [InlineData(0L, 0UL)]            // exactly on a grain timestamp: that grain
    [InlineData(1_000_000L, 1UL)]    // 1 ms after it (nearest index still the same one): the next grain
    [InlineData(-1_000_000L, 0UL)]   // 1 ms before it (nearest index rounds up): that grain
    [InlineData(-11_000_000L, 0UL)]  // 11 ms before it (the nearest index is the previous grain, 9 ms in the past): this grain
    public void DefaultStart_IsTheFirstGrainWhoseTimestampIsNotInThePast(long offsetNs, ulong expectedAfterStart)
    {
        ulong now = (ulong)((long)Rate50.TimestampOf(Start) + offsetNs);
        var clock = new VirtualClock(now);
        var src = new FakeSource("in", clock, Rate50);
        var sink = new FakeSink("out", clock, Rate50);
        var s = new GrainScheduler(clock, new[] { src }, new[] { LatePolicy.Repeat }, new[] { sink }, new FakeProcessor(1),
            new SchedulerOptions { StopIndex = Start + 3 });
        ulong first = s.FirstIndexNotBefore(now);
        Assert.True(Rate50.TimestampOf(first) >= now);
        Assert.True(Rate50.TimestampOf(first) - now < Rate50.PeriodNs);
        Assert.Equal(Start + expectedAfterStart, first);
        s.Run(CancellationToken.None);
        Assert.Equal(first, sink.Commits[0].Index);
    }

    [Fact]
    public void MismatchedConfiguration_IsRejectedWithClearMessage()
    {
        var clock = new VirtualClock(0);
        var src = new FakeSource("cam1", clock, Rate50);
        var sink = new FakeSink("pgm", clock, Rate50);
        var e = Assert.Throws<ArgumentException>(() => new GrainScheduler(clock, new[] { src }, Array.Empty<LatePolicy>(), new[] { sink }, new FakeProcessor(1)));
        Assert.Contains("1 inputs", e.Message);
        var other = new FakeSink("aux", clock, new MediaRate(25, 1));
        e = Assert.Throws<ArgumentException>(() => new GrainScheduler(clock, new[] { src }, new[] { LatePolicy.Skip }, new IGrainSink[] { sink, other }, new FakeProcessor(1, 2)));
        Assert.Contains("aux", e.Message);
    }
}
