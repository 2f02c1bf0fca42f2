using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuMesh.Interop.Mxl;

/// <summary>
/// A validated NMOS IS-04 flow definition as MXL accepts it. <see cref="Json"/> keeps the exact text given
/// (written verbatim to flow_def.json).
/// </summary>
public sealed class FlowDefinition
{
    public const string GroupHintTag = "urn:x-nmos:tag:grouphint/v1.0";
    public const int MaxChannelCount = 1024;

    private FlowDefinition(string json) { Json = json; }

    public string Json { get; }
    public Guid Id { get; private init; }
    public MxlDataFormat Format { get; private init; }
    public string Label { get; private init; } = "";
    public IReadOnlyList<string> GroupHints { get; private init; } = [];
    public string MediaType { get; private init; } = "";

    /// <summary>Frame (or data grain) rate as given, gcd-normalised. Discrete flows only.</summary>
    public Rational GrainRate { get; private init; }
    public int FrameWidth { get; private init; }
    public int FrameHeight { get; private init; }
    public InterlaceMode InterlaceMode { get; private init; }

    /// <summary>Audio sample rate, gcd-normalised.</summary>
    public Rational SampleRate { get; private init; }
    public int BitDepth { get; private init; }
    public int ChannelCount { get; private init; }

    public bool IsContinuous => Format == MxlDataFormat.Audio;
    public bool IsInterlaced => InterlaceMode != InterlaceMode.Progressive;
    public bool HasKey => MediaType == "video/v210a";

    /// <summary>The rate stored in the flow header: fields per second for interlaced video, sample rate for audio.</summary>
    public Rational HeaderRate => Format switch
    {
        MxlDataFormat.Audio => SampleRate,
        _ when IsInterlaced => new Rational(GrainRate.Numerator * 2, GrainRate.Denominator).Normalize(),
        _ => GrainRate,
    };

    /// <summary>Lines per grain (a field for interlaced video); 4096 byte-slices for data. Discrete only.</summary>
    public int TotalSlices => Format switch
    {
        MxlDataFormat.Video => IsInterlaced ? FrameHeight / 2 : FrameHeight,
        MxlDataFormat.Data => DataGrainSize,
        _ => 0,
    };

    /// <summary>Bytes per slice per plane: [v210 line, key line (v210a), 0, 0]; [1,0,0,0] for data.</summary>
    public uint[] SliceSizes => Format switch
    {
        MxlDataFormat.Video => [(uint)V210LineBytes(FrameWidth), HasKey ? (uint)KeyLineBytes(FrameWidth) : 0u, 0u, 0u],
        MxlDataFormat.Data => [1u, 0u, 0u, 0u],
        _ => [0u, 0u, 0u, 0u],
    };

    /// <summary>Payload bytes per grain. Discrete only.</summary>
    public int GrainPayloadSize
    {
        get
        {
            uint[] s = SliceSizes;
            return (int)((s[0] + s[1] + s[2] + s[3]) * (uint)TotalSlices);
        }
    }

    /// <summary>Bytes per audio sample word (4 or 8).</summary>
    public int WordSize => BitDepth / 8;

    public const int DataGrainSize = 4096;

    public static int V210LineBytes(int width) => (width + 47) / 48 * 128;

    public static int KeyLineBytes(int width) => (width + 2) / 3 * 4;

    /// <summary>
    /// Parses and validates a flow definition for creating a flow (strict: integers, audio media_type
    /// audio/float32, at most <see cref="MaxChannelCount"/> channels); throws <see cref="MxlFlowDefinitionException"/> naming the field.
    /// </summary>
    public static FlowDefinition Parse(string json) => Parse(json, stored: false);

    /// <summary>
    /// Parses a flow_def.json already stored in a domain (possibly written by MXL itself) as leniently as MXL reads it:
    /// numbers may be written as doubles (1920.0; width, height and rates are truncated like MXL's casts), an audio
    /// flow needs no media_type, and channel_count only has to be a positive integral number. Safety checks
    /// (dimension ranges, positive rates, bit depth 32/64) stay.
    /// </summary>
    public static FlowDefinition ParseStored(string json) => Parse(json, stored: true);

    private static FlowDefinition Parse(string json, bool stored)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MxlFlowDefinitionException("(document)", "not valid JSON: " + e.Message);
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new MxlFlowDefinitionException("(document)", "must be a JSON object");

            Guid id = ParseId(root);
            MxlDataFormat format = RequiredString(root, "format") switch
            {
                "urn:x-nmos:format:video" => MxlDataFormat.Video,
                "urn:x-nmos:format:audio" => MxlDataFormat.Audio,
                "urn:x-nmos:format:data" => MxlDataFormat.Data,
                string other => throw new MxlFlowDefinitionException("format", $"'{other}' is not urn:x-nmos:format:video|audio|data"),
            };
            string label = RequiredString(root, "label");
            if (label.Length == 0) throw new MxlFlowDefinitionException("label", "must not be empty");
            IReadOnlyList<string> hints = ParseGroupHints(root);
            // MXL does not look at an audio flow's media_type; it is only required when creating one.
            string mediaType = stored && format == MxlDataFormat.Audio
                ? (root.TryGetProperty("media_type", out JsonElement mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "audio/float32")
                : RequiredString(root, "media_type");

            switch (format)
            {
                case MxlDataFormat.Video:
                {
                    if (mediaType != "video/v210" && mediaType != "video/v210a")
                        throw new MxlFlowDefinitionException("media_type", $"'{mediaType}' is not video/v210 or video/v210a");
                    Rational rate = ParseRational(root, "grain_rate", stored);
                    int width = RequiredInt(root, "frame_width", 2, 7680, stored);
                    int height = RequiredInt(root, "frame_height", 1, 4320, stored);
                    InterlaceMode mode = InterlaceMode.Progressive;
                    if (root.TryGetProperty("interlace_mode", out JsonElement im))
                    {
                        mode = (im.ValueKind == JsonValueKind.String ? im.GetString() : null) switch
                        {
                            "progressive" => InterlaceMode.Progressive,
                            "interlaced_tff" => InterlaceMode.InterlacedTff,
                            "interlaced_bff" => InterlaceMode.InterlacedBff,
                            _ => throw new MxlFlowDefinitionException("interlace_mode", $"{im.GetRawText()} is not progressive, interlaced_tff or interlaced_bff"),
                        };
                    }
                    if (mode != InterlaceMode.Progressive)
                    {
                        if (height % 2 != 0)
                            throw new MxlFlowDefinitionException("frame_height", $"{height} must be even for interlaced video");
                        if (rate != new Rational(25, 1) && rate != new Rational(30000, 1001))
                            throw new MxlFlowDefinitionException("grain_rate", $"{rate} is not 25/1 or 30000/1001 (the only interlaced rates)");
                    }
                    return new FlowDefinition(json)
                    {
                        Id = id, Format = format, Label = label, GroupHints = hints, MediaType = mediaType,
                        GrainRate = rate, FrameWidth = width, FrameHeight = height, InterlaceMode = mode,
                    };
                }
                case MxlDataFormat.Data:
                {
                    if (mediaType != "video/smpte291")
                        throw new MxlFlowDefinitionException("media_type", $"'{mediaType}' is not video/smpte291");
                    return new FlowDefinition(json)
                    {
                        Id = id, Format = format, Label = label, GroupHints = hints, MediaType = mediaType,
                        GrainRate = ParseRational(root, "grain_rate", stored),
                    };
                }
                default:
                {
                    if (!stored && mediaType != "audio/float32")
                        throw new MxlFlowDefinitionException("media_type", $"'{mediaType}' is not audio/float32");
                    Rational sampleRate = ParseRational(root, "sample_rate", stored);
                    int bitDepth = RequiredInt(root, "bit_depth", 32, 64, stored, integral: true);
                    if (bitDepth != 32 && bitDepth != 64)
                        throw new MxlFlowDefinitionException("bit_depth", $"{bitDepth} is not 32 or 64");
                    int channels = 1;
                    if (root.TryGetProperty("channel_count", out _))
                        channels = RequiredInt(root, "channel_count", 1, stored ? int.MaxValue : MaxChannelCount, stored, integral: true);
                    return new FlowDefinition(json)
                    {
                        Id = id, Format = format, Label = label, GroupHints = hints, MediaType = mediaType,
                        SampleRate = sampleRate, BitDepth = bitDepth, ChannelCount = channels,
                    };
                }
            }
        }
    }

    private static Guid ParseId(JsonElement root)
    {
        string text = RequiredString(root, "id");
        if (!Guid.TryParseExact(text, "D", out Guid id))
            throw new MxlFlowDefinitionException("id", $"'{text}' is not a UUID");
        return id;
    }

    private static string RequiredString(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out JsonElement e))
            throw new MxlFlowDefinitionException(field, "missing");
        if (e.ValueKind != JsonValueKind.String)
            throw new MxlFlowDefinitionException(field, $"must be a string, got {e.ValueKind}");
        return e.GetString()!;
    }

    private static int RequiredInt(JsonElement root, string field, int min, int max, bool stored, bool integral = false)
    {
        if (!root.TryGetProperty(field, out JsonElement e))
            throw new MxlFlowDefinitionException(field, "missing");
        if (e.ValueKind != JsonValueKind.Number)
            throw new MxlFlowDefinitionException(field, $"must be a number, got {e.GetRawText()}");
        long v = NumberValue(e, field, stored, integral);
        if (v < min || v > max)
            throw new MxlFlowDefinitionException(field, $"{e.GetRawText()} is outside {min}..{max}");
        return (int)v;
    }

    /// <summary>
    /// An integer field. Strict: a JSON integer. Stored (MXL reads every number as a double): any number, truncated
    /// toward zero as MXL's casts do, or required to be integral where MXL requires it (bit_depth, channel_count).
    /// Out-of-range doubles map to long.MinValue / MaxValue so the caller's range check names them.
    /// </summary>
    private static long NumberValue(JsonElement e, string field, bool stored, bool integral)
    {
        if (e.TryGetInt64(out long v)) return v;
        if (!stored || !e.TryGetDouble(out double d) || !double.IsFinite(d))
            throw new MxlFlowDefinitionException(field, $"must be an integer, got {e.GetRawText()}");
        if (integral && d != Math.Truncate(d))
            throw new MxlFlowDefinitionException(field, $"must be an integral number, got {e.GetRawText()}");
        double t = Math.Truncate(d);
        return t >= 9.2e18 ? long.MaxValue : t <= -9.2e18 ? long.MinValue : (long)t;
    }

    private static Rational ParseRational(JsonElement root, string field, bool stored)
    {
        if (!root.TryGetProperty(field, out JsonElement e))
            throw new MxlFlowDefinitionException(field, "missing");
        if (e.ValueKind != JsonValueKind.Object)
            throw new MxlFlowDefinitionException(field, "must be an object {numerator, denominator}");
        if (!e.TryGetProperty("numerator", out JsonElement n) || n.ValueKind != JsonValueKind.Number)
            throw new MxlFlowDefinitionException(field + ".numerator", "missing or not an integer");
        long num = NumberValue(n, field + ".numerator", stored, integral: false);
        long den = 1;
        if (e.TryGetProperty("denominator", out JsonElement d))
        {
            if (d.ValueKind != JsonValueKind.Number)
                throw new MxlFlowDefinitionException(field + ".denominator", "not an integer");
            den = NumberValue(d, field + ".denominator", stored, integral: false);
        }
        if (num <= 0) throw new MxlFlowDefinitionException(field + ".numerator", $"{num} must be positive");
        if (den <= 0) throw new MxlFlowDefinitionException(field + ".denominator", $"{den} must be positive");
        return new Rational(num, den).Normalize();
    }

    private static IReadOnlyList<string> ParseGroupHints(JsonElement root)
    {
        const string field = "tags." + GroupHintTag;
        if (!root.TryGetProperty("tags", out JsonElement tags) || tags.ValueKind != JsonValueKind.Object)
            throw new MxlFlowDefinitionException("tags", "missing or not an object");
        if (!tags.TryGetProperty(GroupHintTag, out JsonElement arr) || arr.ValueKind != JsonValueKind.Array)
            throw new MxlFlowDefinitionException(field, "missing or not an array");
        List<string> hints = [];
        foreach (JsonElement h in arr.EnumerateArray())
        {
            if (h.ValueKind != JsonValueKind.String)
                throw new MxlFlowDefinitionException(field, $"entry {h.GetRawText()} is not a string");
            string s = h.GetString()!;
            string[] parts = s.Split(':');
            bool ok = parts.Length is 2 or 3 && parts[0].Length > 0 && parts[1].Length > 0
                      && (parts.Length == 2 || parts[2] is "device" or "node");
            if (!ok)
                throw new MxlFlowDefinitionException(field, $"'{s}' is not <group>:<role>[:device|node]");
            hints.Add(s);
        }
        if (hints.Count == 0) throw new MxlFlowDefinitionException(field, "must not be empty");
        return hints;
    }
}

/// <summary>Builds NMOS flow definitions MXL accepts.</summary>
public static class FlowDefinitions
{
    public static string Video(Guid id, string label, int width, int height, Rational rate, bool withKey,
        InterlaceMode mode = InterlaceMode.Progressive, string group = "gpumesh:video")
    {
        Rational r = rate.Normalize();
        string interlace = mode switch
        {
            InterlaceMode.InterlacedTff => "interlaced_tff",
            InterlaceMode.InterlacedBff => "interlaced_bff",
            _ => "progressive",
        };
        return Build(id, label, "urn:x-nmos:format:video", withKey ? "video/v210a" : "video/v210", group, w =>
        {
            WriteRational(w, "grain_rate", r);
            w.WriteNumber("frame_width", width);
            w.WriteNumber("frame_height", height);
            w.WriteString("interlace_mode", interlace);
            w.WriteString("colorspace", "BT709");
            w.WriteString("transfer_characteristic", "SDR");
            w.WriteStartArray("components");
            int chromaWidth = width / 2;
            int lines = height;
            foreach ((string name, int cw) in new[] { ("Y", width), ("Cb", chromaWidth), ("Cr", chromaWidth) })
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteNumber("width", cw);
                w.WriteNumber("height", lines);
                w.WriteNumber("bit_depth", 10);
                w.WriteEndObject();
            }
            if (withKey)
            {
                w.WriteStartObject();
                w.WriteString("name", "A");
                w.WriteNumber("width", width);
                w.WriteNumber("height", lines);
                w.WriteNumber("bit_depth", 10);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    public static string Data(Guid id, string label, Rational rate, string group = "gpumesh:data")
    {
        Rational r = rate.Normalize();
        return Build(id, label, "urn:x-nmos:format:data", "video/smpte291", group, w => WriteRational(w, "grain_rate", r));
    }

    public static string Audio(Guid id, string label, int sampleRate, int channelCount, int bitDepth = 32,
        string group = "gpumesh:audio")
    {
        return Build(id, label, "urn:x-nmos:format:audio", "audio/float32", group, w =>
        {
            WriteRational(w, "sample_rate", new Rational(sampleRate, 1));
            w.WriteNumber("channel_count", channelCount);
            w.WriteNumber("bit_depth", bitDepth);
        });
    }

    private static void WriteRational(Utf8JsonWriter w, string name, Rational r)
    {
        w.WriteStartObject(name);
        w.WriteNumber("numerator", r.Numerator);
        w.WriteNumber("denominator", r.Denominator);
        w.WriteEndObject();
    }

    private static string Build(Guid id, string label, string format, string mediaType, string group, Action<Utf8JsonWriter> body)
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter w = new(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("$copyright", "GpuMesh");
            w.WriteString("description", label);
            w.WriteString("id", id.ToString("D", CultureInfo.InvariantCulture));
            w.WriteStartObject("tags");
            w.WriteStartArray(FlowDefinition.GroupHintTag);
            w.WriteStringValue(group);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteString("format", format);
            w.WriteString("label", label);
            w.WriteStartArray("parents");
            w.WriteEndArray();
            w.WriteString("media_type", mediaType);
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}

/// <summary>Writer options: commit and sync batch size hints (0 = MXL's default for the flow).</summary>
public sealed record FlowWriterOptions(uint MaxCommitBatchSizeHint = 0, uint MaxSyncBatchSizeHint = 0)
{
    /// <summary>
    /// Parses writer options as MXL does: null or "" = defaults (whitespace only is invalid JSON), each hint any
    /// number >= 1 (truncated to an integer), sync a multiple of commit when both are given.
    /// </summary>
    public static FlowWriterOptions Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return new FlowWriterOptions();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new MxlFlowDefinitionException("(writer options)", "not valid JSON: " + e.Message); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new MxlFlowDefinitionException("(writer options)", "must be a JSON object");
            uint commit = ReadHint(doc.RootElement, "maxCommitBatchSizeHint");
            uint sync = ReadHint(doc.RootElement, "maxSyncBatchSizeHint");
            FlowWriterOptions options = new(commit, sync);
            options.CheckMultiple();
            return options;
        }
    }

    private static uint ReadHint(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e)) return 0;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double v) || !double.IsFinite(v) || v < 1 || v >= 4294967296.0)
            throw new MxlFlowDefinitionException(name, $"{e.GetRawText()} must be a number >= 1 (and below 2^32)");
        return (uint)Math.Truncate(v);
    }

    private void CheckMultiple()
    {
        if (MaxCommitBatchSizeHint != 0 && MaxSyncBatchSizeHint != 0 && MaxSyncBatchSizeHint % MaxCommitBatchSizeHint != 0)
            throw new MxlFlowDefinitionException("maxSyncBatchSizeHint",
                $"{MaxSyncBatchSizeHint} is not a multiple of maxCommitBatchSizeHint {MaxCommitBatchSizeHint}");
    }

    /// <summary>
    /// Applies MXL's defaults (video = lines per grain, data = 4096, audio = rate/100) to each hint independently;
    /// sync must be a multiple of commit only when both hints are given.
    /// </summary>
    internal (uint Commit, uint Sync) Resolve(FlowDefinition def)
    {
        CheckMultiple();
        uint dflt = def.Format switch
        {
            MxlDataFormat.Audio => (uint)Math.Max(1, def.SampleRate.Numerator / def.SampleRate.Denominator / 100),
            _ => (uint)def.TotalSlices,
        };
        uint commit = MaxCommitBatchSizeHint == 0 ? dflt : MaxCommitBatchSizeHint;
        uint sync = MaxSyncBatchSizeHint == 0 ? dflt : MaxSyncBatchSizeHint;
        return (commit, sync);
    }
}
