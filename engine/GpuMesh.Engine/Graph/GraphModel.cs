using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using GpuMesh.Kernels;

namespace GpuMesh.Engine.Graph;

/// <summary>A node of a processing graph. Ids are unique; inputs name other nodes by id.</summary>
public abstract record GraphNode(string Id)
{
    public abstract IReadOnlyList<string> Inputs { get; }
    public abstract string Kind { get; }
}

/// <summary>Reads a v210/v210a flow and decodes it to the working RGBA format.</summary>
public sealed record DecodeNode(string Id, Guid Flow, LatePolicy Late = LatePolicy.Repeat) : GraphNode(Id)
{
    public override IReadOnlyList<string> Inputs => Array.Empty<string>();
    public override string Kind => "decode";
}

/// <summary>Resamples its input to Width x Height.</summary>
public sealed record ScaleNode(string Id, string Input, int Width, int Height, ScaleFilter Filter = ScaleFilter.Bilinear) : GraphNode(Id)
{
    public override IReadOnlyList<string> Inputs => new[] { Input };
    public override string Kind => "scale";
}

/// <summary>One layer over the composite's background: top-left at (X, Y), optionally resized, with opacity.</summary>
public sealed record LayerSpec(string Input, int X, int Y, float Opacity = 1f, int? Width = null, int? Height = null);

/// <summary>Alpha-over of layers (in order) on a background; the output has the background's size.</summary>
public sealed record CompositeNode(string Id, string Background, IReadOnlyList<LayerSpec> Layers) : GraphNode(Id)
{
    public override IReadOnlyList<string> Inputs => new[] { Background }.Concat(Layers.Select(l => l.Input)).ToArray();
    public override string Kind => "composite";
}

/// <summary>Runs a registered author function (per-pixel) on its input.</summary>
public sealed record CustomNode(string Id, string Input, string Function, IReadOnlyDictionary<string, float> Parameters) : GraphNode(Id)
{
    public override IReadOnlyList<string> Inputs => new[] { Input };
    public override string Kind => "custom";
}

/// <summary>Encodes its input to v210 (or v210a with key) into an output flow, created if missing.</summary>
public sealed record EncodeNode(string Id, string Input, Guid Flow, bool WithKey = false, string? Label = null) : GraphNode(Id)
{
    public override IReadOnlyList<string> Inputs => new[] { Input };
    public override string Kind => "encode";
}

/// <summary>A validated processing graph: decode nodes (inputs) through operations to encode nodes (outputs).</summary>
public sealed class ProcessingGraph
{
    public ProcessingGraph(IEnumerable<GraphNode> nodes, MediaRate? rate = null, string? domain = null, string backend = "auto")
    {
        Nodes = nodes?.ToArray() ?? throw new ArgumentNullException(nameof(nodes));
        Rate = rate;
        Domain = domain;
        Backend = backend;
        Ordered = Validate(Nodes);
    }

    public IReadOnlyList<GraphNode> Nodes { get; }
    /// <summary>The scheduler's rate; default: the first input flow's rate.</summary>
    public MediaRate? Rate { get; }
    public string? Domain { get; }
    public string Backend { get; }
    /// <summary>Nodes in dependency order.</summary>
    public IReadOnlyList<GraphNode> Ordered { get; }
    public IReadOnlyList<DecodeNode> Decoders => Nodes.OfType<DecodeNode>().ToArray();
    public IReadOnlyList<EncodeNode> Encoders => Nodes.OfType<EncodeNode>().ToArray();

    public GraphNode this[string id] => Nodes.FirstOrDefault(n => n.Id == id) ?? throw new KeyNotFoundException($"graph has no node '{id}'");

    private static IReadOnlyList<GraphNode> Validate(IReadOnlyList<GraphNode> nodes)
    {
        var byId = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (string.IsNullOrWhiteSpace(n.Id)) throw new GraphException("(unnamed)", "id", "every node needs a non-empty id");
            if (!byId.TryAdd(n.Id, n)) throw new GraphException(n.Id, "id", "duplicate node id");
        }
        foreach (var n in nodes)
        {
            foreach (var input in n.Inputs)
            {
                if (!byId.TryGetValue(input, out var src)) throw new GraphException(n.Id, "input", $"refers to unknown node '{input}'");
                if (src is EncodeNode) throw new GraphException(n.Id, "input", $"'{input}' is an encode node (an output); it cannot feed another node");
            }
            switch (n)
            {
                case ScaleNode s when s.Width < 2 || s.Height < 1 || s.Width > 7680 || s.Height > 4320:
                    throw new GraphException(n.Id, "width/height", $"{s.Width}x{s.Height} is outside 2x1..7680x4320");
                case CompositeNode c:
                    for (int i = 0; i < c.Layers.Count; i++)
                    {
                        var l = c.Layers[i];
                        if (!(l.Opacity >= 0f && l.Opacity <= 1f)) throw new GraphException(n.Id, $"layers[{i}].opacity", $"{l.Opacity} is outside 0..1");
                        if (l.Width is < 1 || l.Height is < 1) throw new GraphException(n.Id, $"layers[{i}].width/height", "must be positive");
                    }
                    break;
            }
        }
        if (!nodes.OfType<DecodeNode>().Any()) throw new GraphException("(graph)", "nodes", "needs at least one decode node (an input flow)");
        if (!nodes.OfType<EncodeNode>().Any()) throw new GraphException("(graph)", "nodes", "needs at least one encode node (an output flow)");
        var flows = new HashSet<Guid>();
        foreach (var e in nodes.OfType<EncodeNode>())
            if (!flows.Add(e.Flow)) throw new GraphException(e.Id, "flow", $"flow {e.Flow} is written by two encode nodes");
        foreach (var d in nodes.OfType<DecodeNode>())
            if (nodes.OfType<EncodeNode>().Any(e => e.Flow == d.Flow)) throw new GraphException(d.Id, "flow", $"flow {d.Flow} is both read and written by this graph");

        // Topological order (Kahn); a leftover node sits on a cycle.
        var ordered = new List<GraphNode>();
        var done = new HashSet<string>();
        while (ordered.Count < nodes.Count)
        {
            var ready = nodes.Where(n => !done.Contains(n.Id) && n.Inputs.All(done.Contains)).ToList();
            if (ready.Count == 0)
            {
                var stuck = nodes.First(n => !done.Contains(n.Id));
                throw new GraphException(stuck.Id, "input", "the graph has a cycle through this node");
            }
            foreach (var r in ready) { ordered.Add(r); done.Add(r.Id); }
        }
        return ordered;
    }
}

/// <summary>A graph that cannot run; names the node and the field.</summary>
public sealed class GraphException : Exception
{
    public GraphException(string node, string field, string message)
        : base($"graph node '{node}', field '{field}': {message}")
    {
        Node = node;
        Field = field;
    }

    public string Node { get; }
    public string Field { get; }
}
