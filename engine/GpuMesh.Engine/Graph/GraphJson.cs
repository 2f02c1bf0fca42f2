using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Graph;

/// <summary>
/// Loads and writes the JSON form of a processing graph:
/// <code>
/// { "domain": "/dev/shm/studio", "rate": "50/1", "backend": "auto",
///   "nodes": [
///     { "id": "cam1", "type": "decode", "flow": "UUID", "late": "repeat" },
///     { "id": "pip", "type": "scale", "input": "cam2", "width": 640, "height": 360, "filter": "bilinear" },
///     { "id": "mix", "type": "composite", "background": "cam1",
///       "layers": [ { "input": "pip", "x": 1200, "y": 80, "opacity": 0.85 } ] },
///     { "id": "pgm", "type": "encode", "input": "mix", "flow": "UUID", "format": "v210", "label": "programme" } ] }
/// </code>
/// </summary>
public static class GraphJson
{
    public static ProcessingGraph Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GraphException("(file)", "path", $"cannot read graph file '{path}': {e.Message}");
        }
        return Parse(text);
    }

    public static ProcessingGraph Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new GraphException("(graph)", "json", $"not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new GraphException("(graph)", "json", "the top level must be an object");
            MediaRate? rate = null;
            if (root.TryGetProperty("rate", out var r))
            {
                try { rate = MediaRate.Parse(r.ValueKind == JsonValueKind.String ? r.GetString()! : r.GetRawText()); }
                catch (FormatException e) { throw new GraphException("(graph)", "rate", e.Message); }
            }
            string? domain = OptString(root, "(graph)", "domain");
            string backend = OptString(root, "(graph)", "backend") ?? "auto";
            if (!root.TryGetProperty("nodes", out var nodesEl) || nodesEl.ValueKind != JsonValueKind.Array)
                throw new GraphException("(graph)", "nodes", "missing or not an array");
            var nodes = new List<GraphNode>();
            int k = 0;
            foreach (var n in nodesEl.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.Object) throw new GraphException($"nodes[{k}]", "(node)", "must be an object");
                nodes.Add(ParseNode(n, k++));
            }
            return new ProcessingGraph(nodes, rate, domain, backend);
        }
    }

    private static GraphNode ParseNode(JsonElement n, int k)
    {
        string id = OptString(n, $"nodes[{k}]", "id") ?? throw new GraphException($"nodes[{k}]", "id", "missing");
        string type = ReqString(n, id, "type");
        return type switch
        {
            "decode" => new DecodeNode(id, ReqGuid(n, id, "flow"),
                OptString(n, id, "late") is { } late ? Wrap(id, "late", () => LatePolicyText.Parse(late, $"graph node '{id}'")) : LatePolicy.Repeat),
            "scale" => new ScaleNode(id, ReqString(n, id, "input"), ReqInt(n, id, "width"), ReqInt(n, id, "height"),
                ParseFilter(id, OptString(n, id, "filter") ?? "bilinear")),
            "composite" => new CompositeNode(id, ReqString(n, id, "background"), ParseLayers(n, id)),
            "custom" => new CustomNode(id, ReqString(n, id, "input"), ReqString(n, id, "function"), ParseParameters(n, id)),
            "encode" => new EncodeNode(id, ReqString(n, id, "input"), ReqGuid(n, id, "flow"),
                (OptString(n, id, "format") ?? "v210") switch
                {
                    "v210" => false,
                    "v210a" => true,
                    var f => throw new GraphException(id, "format", $"'{f}' is not v210 or v210a"),
                }, OptString(n, id, "label")),
            _ => throw new GraphException(id, "type", $"'{type}' is not one of decode, scale, composite, custom, encode"),
        };
    }

    public static ScaleFilter ParseFilter(string id, string text) => text.ToLowerInvariant() switch
    {
        "bilinear" => ScaleFilter.Bilinear,
        "bicubic" => ScaleFilter.Bicubic,
        "lanczos" or "lanczos3" => ScaleFilter.Lanczos3,
        "area" => ScaleFilter.Area,
        _ => throw new GraphException(id, "filter", $"'{text}' is not one of bilinear, bicubic, lanczos3, area"),
    };

    private static IReadOnlyList<LayerSpec> ParseLayers(JsonElement n, string id)
    {
        if (!n.TryGetProperty("layers", out var arr) || arr.ValueKind != JsonValueKind.Array)
            throw new GraphException(id, "layers", "missing or not an array");
        var layers = new List<LayerSpec>();
        int i = 0;
        foreach (var l in arr.EnumerateArray())
        {
            string where = $"layers[{i}]";
            if (l.ValueKind != JsonValueKind.Object) throw new GraphException(id, where, "must be an object");
            layers.Add(new LayerSpec(
                OptString(l, id, "input", where) ?? throw new GraphException(id, where + ".input", "missing"),
                OptInt(l, id, "x", where) ?? 0, OptInt(l, id, "y", where) ?? 0,
                (float)(OptNumber(l, id, "opacity", where) ?? 1.0),
                OptInt(l, id, "width", where), OptInt(l, id, "height", where)));
            i++;
        }
        return layers;
    }

    private static IReadOnlyDictionary<string, float> ParseParameters(JsonElement n, string id)
    {
        var result = new Dictionary<string, float>(StringComparer.Ordinal);
        if (!n.TryGetProperty("parameters", out var p)) return result;
        if (p.ValueKind != JsonValueKind.Object) throw new GraphException(id, "parameters", "must be an object of numbers");
        foreach (var prop in p.EnumerateObject())
        {
            if (prop.Value.ValueKind != JsonValueKind.Number) throw new GraphException(id, $"parameters.{prop.Name}", "must be a number");
            result[prop.Name] = (float)prop.Value.GetDouble();
        }
        return result;
    }

    private static T Wrap<T>(string id, string field, Func<T> f)
    {
        try { return f(); }
        catch (FormatException e) { throw new GraphException(id, field, e.Message); }
    }

    private static string? OptString(JsonElement e, string id, string name, string? prefix = null)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new GraphException(id, Field(prefix, name), $"must be a string, got {v.ValueKind}");
        return v.GetString();
    }

    private static string ReqString(JsonElement e, string id, string name) =>
        OptString(e, id, name) is { Length: > 0 } s ? s : throw new GraphException(id, name, "missing or empty");

    private static Guid ReqGuid(JsonElement e, string id, string name) =>
        Guid.TryParse(ReqString(e, id, name), out var g) ? g : throw new GraphException(id, name, $"'{e.GetProperty(name).GetString()}' is not a UUID");

    private static double? OptNumber(JsonElement e, string id, string name, string? prefix = null)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new GraphException(id, Field(prefix, name), $"must be a number, got {v.ValueKind}");
        return v.GetDouble();
    }

    private static int? OptInt(JsonElement e, string id, string name, string? prefix = null)
    {
        if (OptNumber(e, id, name, prefix) is not { } d) return null;
        if (d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue) throw new GraphException(id, Field(prefix, name), $"{d} is not an integer");
        return (int)d;
    }

    private static int ReqInt(JsonElement e, string id, string name) =>
        OptInt(e, id, name) ?? throw new GraphException(id, name, "missing");

    private static string Field(string? prefix, string name) => prefix is null ? name : $"{prefix}.{name}";

    /// <summary>The JSON text of a graph (round-trips through <see cref="Parse"/>).</summary>
    public static string Write(ProcessingGraph graph)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            if (graph.Domain != null) w.WriteString("domain", graph.Domain);
            if (graph.Rate is { } rate) w.WriteString("rate", rate.ToString());
            w.WriteString("backend", graph.Backend);
            w.WriteStartArray("nodes");
            foreach (var node in graph.Nodes)
            {
                w.WriteStartObject();
                w.WriteString("id", node.Id);
                w.WriteString("type", node.Kind);
                switch (node)
                {
                    case DecodeNode d:
                        w.WriteString("flow", d.Flow.ToString());
                        w.WriteString("late", d.Late.ToString().ToLowerInvariant());
                        break;
                    case ScaleNode s:
                        w.WriteString("input", s.Input);
                        w.WriteNumber("width", s.Width);
                        w.WriteNumber("height", s.Height);
                        w.WriteString("filter", s.Filter.ToString().ToLowerInvariant());
                        break;
                    case CompositeNode c:
                        w.WriteString("background", c.Background);
                        w.WriteStartArray("layers");
                        foreach (var l in c.Layers)
                        {
                            w.WriteStartObject();
                            w.WriteString("input", l.Input);
                            w.WriteNumber("x", l.X);
                            w.WriteNumber("y", l.Y);
                            w.WriteNumber("opacity", l.Opacity);
                            if (l.Width is { } lw) w.WriteNumber("width", lw);
                            if (l.Height is { } lh) w.WriteNumber("height", lh);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        break;
                    case CustomNode cu:
                        w.WriteString("input", cu.Input);
                        w.WriteString("function", cu.Function);
                        w.WriteStartObject("parameters");
                        foreach (var (key, value) in cu.Parameters) w.WriteNumber(key, value);
                        w.WriteEndObject();
                        break;
                    case EncodeNode e:
                        w.WriteString("input", e.Input);
                        w.WriteString("flow", e.Flow.ToString());
                        w.WriteString("format", e.WithKey ? "v210a" : "v210");
                        if (e.Label != null) w.WriteString("label", e.Label);
                        break;
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    internal static string Invariant(double v) => v.ToString(CultureInfo.InvariantCulture);
}
