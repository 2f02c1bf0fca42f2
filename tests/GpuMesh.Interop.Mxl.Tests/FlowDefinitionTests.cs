using System.Text.Json.Nodes;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class FlowDefinitionTests
{
    private static readonly Guid Id = Guid.Parse("5fbec3b1-1b0f-417d-9059-8b94a47197ed");

    private static string Mutate(string json, Action<JsonObject> change)
    {
        JsonObject o = JsonNode.Parse(json)!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    public static TheoryData<string, string, string> BadVideo => new()
    {
        // name, json mutation kind, expected field
        { "missing id", "id:remove", "id" },
        { "bad id", "id:not-a-uuid", "id" },
        { "bad format", "format:urn:x-nmos:format:mux", "format" },
        { "empty label", "label:", "label" },
        { "missing label", "label:remove", "label" },
        { "bad media type", "media_type:video/raw", "media_type" },
        { "width too small", "frame_width:1", "frame_width" },
        { "width too big", "frame_width:7681", "frame_width" },
        { "height zero", "frame_height:0", "frame_height" },
        { "height too big", "frame_height:4321", "frame_height" },
        { "width not a number", "frame_width:\"1920\"", "frame_width" },
        { "interlace mode", "interlace_mode:psf", "interlace_mode" },
        { "missing rate", "grain_rate:remove", "grain_rate" },
        { "zero rate", "grain_rate:{\"numerator\":0,\"denominator\":1}", "grain_rate.numerator" },
        { "negative denominator", "grain_rate:{\"numerator\":50,\"denominator\":-1}", "grain_rate.denominator" },
        { "no tags", "tags:remove", "tags" },
        { "no group hint", "tags:{}", "tags.urn:x-nmos:tag:grouphint/v1.0" },
        { "empty group hint", "tags:{\"urn:x-nmos:tag:grouphint/v1.0\":[]}", "tags.urn:x-nmos:tag:grouphint/v1.0" },
        { "bad group hint", "tags:{\"urn:x-nmos:tag:grouphint/v1.0\":[\"justgroup\"]}", "tags.urn:x-nmos:tag:grouphint/v1.0" },
        { "bad group scope", "tags:{\"urn:x-nmos:tag:grouphint/v1.0\":[\"g:r:planet\"]}", "tags.urn:x-nmos:tag:grouphint/v1.0" },
    };

    [Theory]
    [MemberData(nameof(BadVideo))]
    public void BadVideoFieldIsRejectedNamingTheField(string name, string mutation, string field)
    {
        string json = Defs.Video(Id, 1920, 1080);
        int colon = mutation.IndexOf(':');
        string key = mutation[..colon], value = mutation[(colon + 1)..];
        string bad = Mutate(json, o =>
        {
            if (value == "remove") o.Remove(key);
            else if (value.Length > 0 && (value.StartsWith('{') || value.StartsWith('"') || char.IsDigit(value[0]) || value[0] == '-')) o[key] = JsonNode.Parse(value);
            else o[key] = value;
        });
        var e = Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(bad));
        Assert.True(e.Field == field, $"{name}: expected field {field}, got {e.Field} ({e.Message})");
        Assert.Contains(field, e.Message);
        Assert.Equal(MxlStatus.InvalidArg, e.Status);
    }

    [Fact]
    public void InterlacedRulesAreEnforced()
    {
        var e = Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(Defs.Video(Id, 1920, 1081, 25, 1, mode: InterlaceMode.InterlacedTff)));
        Assert.Equal("frame_height", e.Field);
        e = Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse(Defs.Video(Id, 1920, 1080, 50, 1, mode: InterlaceMode.InterlacedTff)));
        Assert.Equal("grain_rate", e.Field);
        FlowDefinition ok = FlowDefinition.Parse(Defs.Video(Id, 1920, 1080, 30000, 1001, mode: InterlaceMode.InterlacedBff));
        Assert.Equal(InterlaceMode.InterlacedBff, ok.InterlaceMode);
        Assert.Equal(540, ok.TotalSlices);
    }

    [Fact]
    public void RatesAreGcdNormalisedAndDenominatorDefaultsToOne()
    {
        string json = Mutate(Defs.Video(Id), o => o["grain_rate"] = JsonNode.Parse("{\"numerator\":100,\"denominator\":2}"));
        Assert.Equal(new Rational(50, 1), FlowDefinition.Parse(json).GrainRate);
        json = Mutate(Defs.Video(Id), o => o["grain_rate"] = JsonNode.Parse("{\"numerator\":60000,\"denominator\":2002}"));
        Assert.Equal(new Rational(30000, 1001), FlowDefinition.Parse(json).GrainRate);
        json = Mutate(Defs.Video(Id), o => o["grain_rate"] = JsonNode.Parse("{\"numerator\":25}"));
        Assert.Equal(new Rational(25, 1), FlowDefinition.Parse(json).GrainRate);
        json = Mutate(Defs.Audio(Id), o => o["sample_rate"] = JsonNode.Parse("{\"numerator\":96000,\"denominator\":2}"));
        Assert.Equal(new Rational(48000, 1), FlowDefinition.Parse(json).SampleRate);
    }

    [Fact]
    public void DataAndAudioFieldsAreValidated()
    {
        Assert.Equal("media_type", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Data(Id), o => o["media_type"] = "video/v210"))).Field);
        Assert.Equal("grain_rate", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Data(Id), o => o.Remove("grain_rate")))).Field);
        Assert.Equal("bit_depth", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o["bit_depth"] = 48))).Field);
        Assert.Equal("bit_depth", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o["bit_depth"] = 24))).Field);
        Assert.Equal("media_type", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o["media_type"] = "audio/L24"))).Field);
        Assert.Equal("sample_rate", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o.Remove("sample_rate")))).Field);
        Assert.Equal("channel_count", Assert.Throws<MxlFlowDefinitionException>(() =>
            FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o["channel_count"] = 0))).Field);
        FlowDefinition oneChannel = FlowDefinition.Parse(Mutate(Defs.Audio(Id), o => o.Remove("channel_count")));
        Assert.Equal(1, oneChannel.ChannelCount);
        Assert.Equal("(document)", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse("{not json")).Field);
        Assert.Equal("(document)", Assert.Throws<MxlFlowDefinitionException>(() => FlowDefinition.Parse("[1]")).Field);
    }

    [Fact]
    public void BuiltDefinitionsRoundTrip()
    {
        FlowDefinition v = FlowDefinition.Parse(FlowDefinitions.Video(Id, "cam 1", 1920, 1080, new Rational(50, 1), true, group: "studio:cam1"));
        Assert.Equal(Id, v.Id);
        Assert.Equal(MxlDataFormat.Video, v.Format);
        Assert.Equal("cam 1", v.Label);
        Assert.Equal(["studio:cam1"], v.GroupHints);
        Assert.Equal("video/v210a", v.MediaType);
        Assert.Equal(1920, v.FrameWidth);
        Assert.Equal(1080, v.FrameHeight);
        FlowDefinition a = FlowDefinition.Parse(FlowDefinitions.Audio(Id, "mic", 48000, 8, 64));
        Assert.Equal(8, a.ChannelCount);
        Assert.Equal(64, a.BitDepth);
        Assert.Equal(8, a.WordSize);
        FlowDefinition d = FlowDefinition.Parse(FlowDefinitions.Data(Id, "anc", new Rational(60000, 1001)));
        Assert.Equal(MxlDataFormat.Data, d.Format);
        Assert.Equal(4096, d.GrainPayloadSize);
    }

    [Fact]
    public void DomainRejectsWrongWriterKind()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        Assert.Throws<MxlException>(() => d.Domain.CreateFlowWriter(Defs.Audio(id), null, out _));
        Assert.Throws<MxlException>(() => d.Domain.CreateContinuousFlowWriter(Defs.Video(id), null, out _));
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out _);
        // Same id as audio: the existing flow is discrete.
        var e = Assert.Throws<MxlException>(() => d.Domain.CreateContinuousFlowWriter(Defs.Audio(id), null, out _));
        Assert.Contains("discrete", e.Message);
        // Same id, different size: conflict.
        e = Assert.Throws<MxlException>(() => d.Domain.CreateFlowWriter(Defs.Video(id, 128, 8), null, out _));
        Assert.Equal(MxlStatus.Conflict, e.Status);
    }
}
