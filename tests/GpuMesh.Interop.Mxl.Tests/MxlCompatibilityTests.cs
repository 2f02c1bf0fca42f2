using System.Text.Json.Nodes;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>Behaviour checked against the MXL sources (dmf-mxl/mxl): what MXL writes must be readable here.</summary>
public class MxlCompatibilityTests
{
    private static readonly Guid Id = Guid.Parse("0b1f4c9e-6f1e-4f43-9b38-3c2a6a0d7e11");

    private static string Mutate(string json, Action<JsonObject> change)
    {
        JsonObject o = JsonNode.Parse(json)!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    /// <summary>An audio definition the way MXL accepts it: no media_type, every number a double.</summary>
    private static string MxlStyleAudio(Guid id, double channels) => Mutate(Defs.Audio(id, channels: 2), o =>
    {
        o.Remove("media_type");
        o["sample_rate"] = JsonNode.Parse("{\"numerator\": 48000.0, \"denominator\": 1.0}");
        o["bit_depth"] = JsonNode.Parse("32.0");
        o["channel_count"] = JsonNode.Parse(channels.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture));
    });

    [Fact]
    public void StoredDefinitionsAreParsedAsLenientlyAsMxlWhileCreationStaysStrict()
    {
        string video = Mutate(Defs.Video(Id, 1920, 1080), o =>
        {
            o["frame_width"] = JsonNode.Parse("1920.0");
            o["frame_height"] = JsonNode.Parse("1080.7"); // MXL casts: truncated
            o["grain_rate"] = JsonNode.Parse("{\"numerator\": 50.0, \"denominator\": 1.0}");
        });
        FlowDefinition v = FlowDefinition.ParseStored(video);
        Assert.Equal((1920, 1080, new Rational(50, 1)), (v.FrameWidth, v.FrameHeight, v.GrainRate));
        Assert.Equal("grain_rate.numerator", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(video)).Field);

        string audio = MxlStyleAudio(Id, 2000);
        FlowDefinition a = FlowDefinition.ParseStored(audio);
        Assert.Equal((2000, 32, new Rational(48000, 1)), (a.ChannelCount, a.BitDepth, a.SampleRate));
        Assert.Equal("audio/float32", a.MediaType);
        Assert.Equal("media_type", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(audio)).Field);
        string withType = Mutate(audio, o => o["media_type"] = "audio/L24"); // MXL ignores an audio media_type
        Assert.Equal("audio/L24", FlowDefinition.ParseStored(withType).MediaType);
        Assert.Equal("media_type", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(withType)).Field);

        // What MXL itself rejects stays rejected.
        Assert.Equal("channel_count", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.ParseStored(MxlStyleAudio(Id, 2.5))).Field);
        Assert.Equal("channel_count", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.ParseStored(MxlStyleAudio(Id, 0))).Field);
        Assert.Equal("bit_depth", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.ParseStored(Mutate(audio, o => o["bit_depth"] = JsonNode.Parse("32.5")))).Field);
        Assert.Equal("frame_width", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.ParseStored(Mutate(video, o => o["frame_width"] = JsonNode.Parse("1e300")))).Field);
        Assert.Equal("frame_width", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.ParseStored(Mutate(video, o => o["frame_width"] = "1920"))).Field);
    }

    [Fact]
    public void FlowsWhoseStoredDefinitionMxlWroteCanBeReadAndJoined()
    {
        using TempDomain d = new();
        Guid audioId = Guid.NewGuid(), videoId = Guid.NewGuid();
        using ContinuousFlowWriter aw = d.Domain.CreateContinuousFlowWriter(Defs.Audio(audioId, channels: 2), null, out _);
        using FlowWriter vw = d.Domain.CreateFlowWriter(Defs.Video(videoId, 64, 8), null, out _);
        // Replace the definitions by the variants MXL accepts and stores verbatim.
        File.WriteAllText(d.FlowFile(audioId, "flow_def.json"), MxlStyleAudio(audioId, 2));
        File.WriteAllText(d.FlowFile(videoId, "flow_def.json"), Mutate(Defs.Video(videoId, 64, 8), o =>
        {
            o["frame_width"] = JsonNode.Parse("64.0");
            o["frame_height"] = JsonNode.Parse("8.0");
        }));

        aw.WriteSamples<float>(1000, [[1f, 2f], [3f, 4f]]);
        using ContinuousFlowReader ar = d.Domain.OpenContinuousFlowReader(audioId);
        Assert.Equal(MxlStatus.Ok, ar.TryGetSamples(1000, 2, out SampleView s));
        float[] got = new float[2];
        s.CopyTo<float>(1, got);
        Assert.Equal([3f, 4f], got);
        Assert.Equal(2u, d.Domain.GetFlowInfo(audioId).ChannelCount);

        vw.OpenGrain(7).Payload.Fill(9);
        vw.CommitAll();
        using FlowReader vr = d.Domain.OpenFlowReader(videoId);
        Assert.Equal(MxlStatus.Ok, vr.TryGetGrain(7, out GrainView g));
        Assert.Equal(9, g.Payload[0]);

        // A second writer with a strict definition joins the existing flows.
        using ContinuousFlowWriter aw2 = d.Domain.CreateContinuousFlowWriter(Defs.Audio(audioId, channels: 2), null, out bool createdA);
        using FlowWriter vw2 = d.Domain.CreateFlowWriter(Defs.Video(videoId, 64, 8), null, out bool createdV);
        Assert.False(createdA);
        Assert.False(createdV);
    }

    [Fact]
    public void FlowsWithMoreThan1024ChannelsAreReadable()
    {
        using TempDomain d = new(historyNs: 10_000_000);
        Guid id = Guid.NewGuid();
        // Creating from JSON keeps the 1024 cap; a flow MXL made with more channels is still readable.
        Assert.Throws<MxlFlowDefinitionException>(() => d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 1100), null, out _));
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(FlowDefinition.ParseStored(MxlStyleAudio(id, 1100)), null, out _);
        float[][] samples = [.. Enumerable.Range(0, 1100).Select(c => new[] { c * 1f, c + 0.5f })];
        w.WriteSamples<float>(600, samples);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        Assert.Equal(1100, r.ChannelCount);
        Assert.Equal(MxlStatus.Ok, r.TryGetSamples(600, 2, out SampleView v));
        float[] got = new float[2];
        v.CopyTo<float>(1099, got);
        Assert.Equal([1099f, 1099.5f], got);
    }

    [Fact]
    public void WriterOptionHintsDefaultIndependentlyAsInMxl()
    {
        using TempDomain d = new();
        static (uint Commit, uint Sync) Hints(TempDomain d, string? options)
        {
            using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(Guid.NewGuid(), 64, 8), options, out _);
            FlowInfo i = w.Info;
            return (i.MaxCommitBatchSizeHint, i.MaxSyncBatchSizeHint);
        }
        Assert.Equal((8u, 8u), Hints(d, null));
        Assert.Equal((8u, 8u), Hints(d, ""));
        Assert.Equal((8u, 4u), Hints(d, "{\"maxSyncBatchSizeHint\": 4}")); // commit takes the default, no multiple check
        Assert.Equal((3u, 8u), Hints(d, "{\"maxCommitBatchSizeHint\": 3}")); // sync keeps the default
        Assert.Equal((2u, 6u), Hints(d, "{\"maxCommitBatchSizeHint\": 2.9, \"maxSyncBatchSizeHint\": 6.0}")); // numbers, truncated
        Assert.Equal("maxSyncBatchSizeHint", Assert.Throws<MxlFlowDefinitionException>(() =>
            Hints(d, "{\"maxCommitBatchSizeHint\": 3, \"maxSyncBatchSizeHint\": 8}")).Field);
        Assert.Equal("maxCommitBatchSizeHint", Assert.Throws<MxlFlowDefinitionException>(() =>
            Hints(d, "{\"maxCommitBatchSizeHint\": 0.5}")).Field);
        Assert.Equal("(writer options)", Assert.Throws<MxlFlowDefinitionException>(() => Hints(d, "   ")).Field);

        // Continuous: the stored hints drive signalling; a joining writer takes them from the header as MXL does.
        Guid audio = Guid.NewGuid();
        using ContinuousFlowWriter a = d.Domain.CreateContinuousFlowWriter(Defs.Audio(audio), "{\"maxCommitBatchSizeHint\": 960}", out _);
        Assert.Equal((960u, 480u), (a.MaxCommitBatchSize, a.MaxSyncBatchSize));
        using ContinuousFlowWriter a2 = d.Domain.CreateContinuousFlowWriter(Defs.Audio(audio), null, out _);
        Assert.Equal((960u, 480u), (a2.MaxCommitBatchSize, a2.MaxSyncBatchSize));
    }

    [Fact]
    public void ContinuousWriterSignalsAtMxlsBatchBoundaries()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 1),
            "{\"maxCommitBatchSizeHint\": 480, \"maxSyncBatchSizeHint\": 960}", out _);
        using ContinuousFlowReader r = d.Domain.OpenContinuousFlowReader(id);
        List<ulong> signalled = [];
        uint before = r.GetInfo().SyncCounter;
        float[][] batch = [new float[480]];
        for (ulong index = 480; index <= 3840; index += 480)
        {
            w.WriteSamples<float>(index, batch);
            uint now = r.GetInfo().SyncCounter;
            if (now != before) signalled.Add(index);
            before = now;
        }
        // MXL signals early only when index % sync > sync - commit (strictly), i.e. never for aligned commits here.
        Assert.Equal(new ulong[] { 960, 1920, 2880, 3840 }, signalled);
    }

    [Fact]
    public void MinValidSlicesZeroAndMaxValueBothMeanAllSlices()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 64, 8), null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        w.OpenGrain(5);
        w.Commit(4);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(5, out _)); // 0 = all (this API; MXL's C API reads 0 as "any")
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(5, out _, ushort.MaxValue)); // MXL's MXL_GRAIN_VALID_SLICES_ALL
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(5, out GrainView partial, 4));
        Assert.Equal(4, partial.ValidSlices);
        w.CommitAll();
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(5, out _, ushort.MaxValue));
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(5, out _));
    }

    [Fact]
    public void OptionsJsonHistoryMayBeAnyNumberAtLeastOne()
    {
        using TempDomain d = new();
        string options = Path.Combine(d.Path, "options.json");
        File.WriteAllText(options, "{\"urn:x-mxl:option:history_duration/v1.0\": 4e8}");
        MxlDomain a = MxlDomain.Open(d.Path);
        Assert.Equal(400_000_000ul, a.HistoryDurationNs);
        Assert.Empty(a.Warnings);
        File.WriteAllText(options, "{\"urn:x-mxl:option:history_duration/v1.0\": 150000000.75}");
        Assert.Equal(150_000_000ul, MxlDomain.Open(d.Path).HistoryDurationNs);
        File.WriteAllText(options, "{\"urn:x-mxl:option:history_duration/v1.0\": 0.5}");
        MxlDomain c = MxlDomain.Open(d.Path);
        Assert.Equal(FlowLayout.DefaultHistoryDurationNs, c.HistoryDurationNs);
        Assert.Single(c.Warnings);
    }

    [Fact]
    public void GarbageCollectionSkipsFlowDirectoriesWithoutADataFile()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string dir = d.Domain.FlowDirectory(id);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "flow_def.json"), Defs.Video(id));
        Assert.Equal(0, d.Domain.CollectGarbage());
        Assert.True(Directory.Exists(dir)); // MXL leaves it alone too
        Assert.False(d.Domain.IsFlowActive(id));
    }

    [Fact]
    public void GrainSizeBeyondIntRangeIsCorruptEvenInsideAHugeFile()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Data(id, 5, 1), null, out _); // 200 ms at 5/1: one slot
        Assert.Equal(1, w.GrainCount);
        w.OpenGrain(3).Payload.Fill(1);
        w.CommitAll();
        string grain = d.FlowFile(id, "grains", "data.0");
        using (FileStream fs = new(grain, FileMode.Open, FileAccess.Write))
            fs.SetLength(FlowLayout.GrainHeaderSize + 2_300_000_000L); // sparse: costs no memory
        using FlowReader r = d.Domain.OpenFlowReader(id);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(3, out _));
        using (FileStream fs = new(grain, FileMode.Open, FileAccess.Write))
        {
            fs.Seek(FlowLayout.GrainPayloadSizeOffset, SeekOrigin.Begin);
            fs.Write(BitConverter.GetBytes(0x8800_0000u));
        }
        var e = Assert.Throws<MxlFlowCorruptException>(() => r.TryGetGrain(3, out _));
        Assert.Equal("grains/data.0.grainSize", e.Field);
    }
}
