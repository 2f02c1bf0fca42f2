using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class ContinuousFlowTests
{
    // Sample value = absolute index (+ channel × 1e6), so any misplacement is caught. Exact in float below 2^24.
    private static float Value(ulong k, int channel) => k + (ulong)channel * 1_000_000;

    private static void WriteBatch(ContinuousFlowWriter w, ulong index, int count)
    {
        SampleWriteAccess a = w.OpenSamples(index, count);
        Assert.Equal(count, a.FirstFragmentLength + a.SecondFragmentLength);
        for (int c = 0; c < a.ChannelCount; c++)
        {
            Span<float> f0 = a.GetFragment<float>(c, 0);
            Span<float> f1 = a.GetFragment<float>(c, 1);
            ulong first = index - (ulong)count + 1;
            for (int i = 0; i < f0.Length; i++) f0[i] = Value(first + (ulong)i, c);
            for (int i = 0; i < f1.Length; i++) f1[i] = Value(first + (ulong)(f0.Length + i), c);
        }
        w.Commit();
    }

    private static void CheckWindow(SampleView v, ulong index, int count)
    {
        Assert.Equal(index, v.Index);
        Assert.Equal(count, v.Count);
        float[] buf = new float[count];
        for (int c = 0; c < v.ChannelCount; c++)
        {
            v.CopyTo<float>(c, buf);
            ulong first = index - (ulong)count + 1;
            for (int i = 0; i < count; i++)
            {
                if (buf[i] != Value(first + (ulong)i, c))
                    Assert.Fail($"channel {c} sample {first + (ulong)i}: {buf[i]}");
            }
        }
    }

    [Theory]
    [InlineData(480, 480)]
    [InlineData(256, 1000)]
    [InlineData(1000, 333)]
    [InlineData(4000, 4000)]
    public void RoundTripsAcrossTheRingWrap(int writeBatch, int readBatch)
    {
        using TempDomain d = new(historyNs: 100_000_000); // 48 kHz float32: 9 216 samples
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 3), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        Assert.Equal(10240u, w.BufferLength);
        Assert.Equal(5120, r.MaxReadLength);
        ulong written = 1_000_000 - 7; // odd start: windows straddle the ring end at varying places
        ulong read = written;
        bool wrapped = false;
        for (int round = 0; round < 60; round++)
        {
            written += (ulong)writeBatch;
            WriteBatch(w, written, writeBatch);
            while (read + (ulong)readBatch <= written)
            {
                read += (ulong)readBatch;
                Assert.Equal(MxlStatus.Ok, r.TryGetSamples(read, readBatch, out SampleView v));
                wrapped |= v.SecondFragmentLength > 0;
                CheckWindow(v, read, readBatch);
            }
        }
        Assert.True(wrapped, "no read window wrapped the ring");
        Assert.Equal(written, r.HeadIndex);
    }

    [Fact]
    public void SampleKLivesAtRingOffsetKMinusOne()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2), null, out _);
        uint len = w.BufferLength;
        ulong index = 10 * (ulong)len + 5; // samples index-9 .. index; sample k at (k-1) % len
        WriteBatch(w, index, 10);
        byte[] raw = File.ReadAllBytes(Path.Combine(w.FlowDirectory, "channels"));
        for (ulong k = index - 9; k <= index; k++)
        {
            for (int c = 0; c < 2; c++)
            {
                long offset = (c * (long)len + (long)((k - 1) % len)) * 4;
                Assert.Equal(Value(k, c), BitConverter.ToSingle(raw, (int)offset));
            }
        }
        // A window that ends right after the wrap: two fragments.
        SampleWriteAccess a = w.OpenSamples(11 * (ulong)len + 2, 6);
        Assert.Equal(4, a.FirstFragmentLength);
        Assert.Equal(2, a.SecondFragmentLength);
        w.Cancel();
    }

    [Fact]
    public void TooEarlyAndTooLateBoundaries()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 1), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        ulong half = w.BufferLength / 2;
        ulong head = 50_000;
        for (ulong i = head - 6200; i < head; i += 100) WriteBatch(w, i + 100, 100);
        Assert.True(6200 > 2 * half);
        Assert.Equal(head, r.HeadIndex);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetSamples(head + 1, 10, out _));
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(head, 10, out SampleView v));
        CheckWindow(v, head, 10);
        // index - count >= head - bufferLength/2 is readable; one less is too late.
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(head - half + 10, 10, out v));
        CheckWindow(v, head - half + 10, 10);
        Assert.Equal(MxlStatus.TooLate, r.TryGetSamples(head - half + 9, 10, out _));
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(head, (int)half, out v));
        CheckWindow(v, head, (int)half);
        Assert.Equal(MxlStatus.TooLate, r.TryGetSamples(head - 1, (int)half, out _));
    }

    [Fact]
    public void MoreThanHalfTheBufferIsAnInvalidArgument()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        int half = (int)(w.BufferLength / 2);
        Assert.Equal(half, w.MaxSamplesPerCall);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => w.OpenSamples(1_000_000, half + 1));
        Assert.Contains(id.ToString(), e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => w.OpenSamples(1_000_000, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.TryGetSamples(1_000_000, half + 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.GetSamples(1_000_000, half + 1, TimeSpan.Zero, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.OpenSamples(5, 10)); // before sample 1
        w.OpenSamples(1_000_000, half).GetFragment(0, 0).Clear();
        Assert.Throws<InvalidOperationException>(() => w.OpenSamples(1_000_001, 1));
        w.Commit();
        Assert.Throws<InvalidOperationException>(() => w.Commit());
    }

    [Fact]
    public void SixtyFourBitSamplesAndConvenienceWriter()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2, bitDepth: 64), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        Assert.Equal(8, r.WordSize);
        double[][] samples = [[1.5, 2.5, 3.5], [-1, -2, -3]];
        w.WriteSamples<double>(300, samples);
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(300, 3, out SampleView v));
        double[] got = new double[3];
        v.CopyTo<double>(1, got);
        Assert.Equal(samples[1], got);
        Assert.Throws<ArgumentException>(() => v.GetFragment<float>(0, 0));
    }

    [Fact]
    public void SignalsOnlyAtSyncBatchBoundaries()
    {
        using TempDomain d = new(historyNs: 100_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 1),
            "{\"maxCommitBatchSizeHint\": 48, \"maxSyncBatchSizeHint\": 480}", out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        uint Counter() => r.GetInfo().SyncCounter;
        ulong index = 48_000; // a multiple of 480
        WriteBatch(w, index, 48);
        Assert.Equal(1u, Counter()); // the first commit enters a new batch
        uint before = Counter();
        List<ulong> signalled = [];
        for (int i = 0; i < 30; i++)
        {
            index += 48;
            WriteBatch(w, index, 48);
            if (Counter() != before)
            {
                signalled.Add(index);
                before = Counter();
            }
        }
        // Aligned commits signal exactly when the head reaches each sync boundary.
        Assert.Equal(new ulong[] { 48_480, 48_960, 49_440 }, signalled);

        // Unaligned commits: signalled early, once the head is within a commit batch of the next boundary.
        signalled.Clear();
        index += 20;
        for (int i = 0; i < 20; i++)
        {
            index += 48;
            WriteBatch(w, index, 48);
            if (Counter() != before)
            {
                signalled.Add(index);
                before = Counter();
            }
        }
        Assert.All(signalled, s => Assert.True(s % 480 > 432 || s % 480 < 48, $"signalled at {s} ({s % 480} into its batch)"));
        Assert.InRange(signalled.Count, 1, 2);
        // The head moving backwards does not signal.
        WriteBatch(w, index - 2000, 48);
        Assert.Equal(before, Counter());
        FlowInfo info = r.GetInfo();
        Assert.NotEqual(0ul, info.LastReadTime);
        Assert.Equal(info.LastWriteTime, info.LastReadTime); // continuous flows keep both at the creation time
    }

    [Fact]
    public void BlockingReadWokenByEachCommitBatchFromAnotherProcess()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string json = Defs.Audio(id, channels: 2);
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(json, null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        ulong start = 480_000;
        const int batches = 6;
        using Peer peer = new("audio", d.Path, Defs.WriteTemp(d, json), start.ToString(), "480", batches.ToString(), "40");
        peer.WaitForLine("ready");
        peer.Send("go");
        for (int b = 1; b <= batches; b++)
        {
            ulong index = start + (ulong)(480 * b);
            Assert.Equal(MxlStatus.Ok, r.GetSamples(index, 480, TimeSpan.FromSeconds(15), out SampleView v));
            CheckWindow(v, index, 480);
        }
        Assert.Equal(0, peer.WaitForExit());
    }

    [Fact]
    public void TimeoutIsTooEarlyAndRecreatedFlowIsInvalid()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        Assert.Equal(MxlStatus.TooEarly, r.GetSamples(1000, 10, TimeSpan.FromMilliseconds(30), out _));
        w.Dispose();
        Assert.False(d.Domain.FlowExists(id));
        using ContinuousFlowWriter w2 = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id), null, out bool created);
        Assert.True(created);
        WriteBatch(w2, 2000, 10);
        Assert.Equal(MxlStatus.FlowInvalid, r.GetSamples(2000 + 10, 10, TimeSpan.FromMilliseconds(20), out _));
        Assert.Equal(MxlStatus.FlowInvalid, r.TryGetSamples(5000, 10, out _));
        using ContinuousFlowWriter w3 = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id), null, out created);
        Assert.False(created);
    }

    [Fact]
    public void WriteUntilFillsEverySampleExactlyOnce()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2), null, out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        int half = (int)(w.BufferLength / 2);
        void Fill(int channel, ulong first, Span<float> dest)
        {
            for (int i = 0; i < dest.Length; i++) dest[i] = Value(first + (ulong)i, channel);
        }
        ulong index = 100_000;
        Assert.Equal(half, w.WriteUntil<float>(index, Fill)); // first call: half a buffer
        Assert.Equal(index, r.HeadIndex);
        Assert.Equal(0, w.WriteUntil<float>(index, Fill));
        Assert.Equal(0, w.WriteUntil<float>(index - 5, Fill));
        Assert.Equal(1234, w.WriteUntil<float>(index + 1234, Fill)); // several commits of at most 480
        index += 1234;
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(index, half, out SampleView v));
        CheckWindow(v, index, half);
        Assert.Equal(half, w.WriteUntil<float>(index + 100_000, Fill)); // a stall: restart half a buffer back
        Assert.Throws<ArgumentException>(() => w.WriteUntil<double>(index + 200_000, (_, _, _) => { }));
    }

    [Fact]
    public void AudioToneIsSampleAccurateAndContinuous()
    {
        Rational rate = new(48000, 1);
        float[] whole = new float[1000];
        AudioTone.Sine(whole, 123, 1000, rate, 0.5f);
        for (int i = 0; i < whole.Length; i++)
            Assert.Equal(0.5 * Math.Sin(2 * Math.PI * 1000 * (123 + i) / 48000.0), whole[i], 5);
        float[] split = new float[1000];
        AudioTone.Sine(split.AsSpan(0, 333), 123, 1000, rate, 0.5f);
        AudioTone.Sine(split.AsSpan(333), 123 + 333, 1000, rate, 0.5f);
        Assert.Equal(whole, split);
        // Huge absolute indices (TAI sample numbers) keep the exact phase: 48 samples per 1 kHz period.
        float[] far = new float[96];
        ulong k = 81_000_000_000_000_000; // a multiple of 48
        AudioTone.Sine(far, k, 1000, rate, 0.5f);
        for (int i = 0; i < far.Length; i++) Assert.Equal(0.5 * Math.Sin(2 * Math.PI * (i % 48) / 48.0), far[i], 5);
    }
}
