using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;
using GpuMesh.Kernels;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class GraphJsonTests
{
    private const string A = "11111111-1111-1111-1111-111111111111";
    private const string B = "22222222-2222-2222-2222-222222222222";
    private const string O = "33333333-3333-3333-3333-333333333333";

    private static string Graph(string nodes, string extra = "") => $$"""{ {{extra}} "nodes": [ {{nodes}} ] }""";

    private static readonly string Good = Graph($$"""
        { "id": "cam1", "type": "decode", "flow": "{{A}}", "late": "invalid" },
        { "id": "cam2", "type": "decode", "flow": "{{B}}" },
        { "id": "pip", "type": "scale", "input": "cam2", "width": 640, "height": 360, "filter": "lanczos3" },
        { "id": "warm", "type": "custom", "input": "pip", "function": "tint", "parameters": { "r": 1, "amount": 0.2 } },
        { "id": "mix", "type": "composite", "background": "cam1", "layers": [ { "input": "warm", "x": 1200, "y": 80, "opacity": 0.85 } ] },
        { "id": "pgm", "type": "encode", "input": "mix", "flow": "{{O}}", "format": "v210a", "label": "programme" }
        """, "\"rate\": \"30000/1001\", \"domain\": \"/dev/shm/x\", \"backend\": \"simd\",");

    [Fact]
    public void Parses_AllNodeKinds_InDependencyOrder()
    {
        var g = GraphJson.Parse(Good);
        Assert.Equal(new MediaRate(30000, 1001), g.Rate);
        Assert.Equal("/dev/shm/x", g.Domain);
        Assert.Equal("simd", g.Backend);
        Assert.Equal(LatePolicy.Invalid, ((DecodeNode)g["cam1"]).Late);
        Assert.Equal(LatePolicy.Repeat, ((DecodeNode)g["cam2"]).Late);
        Assert.Equal(ScaleFilter.Lanczos3, ((ScaleNode)g["pip"]).Filter);
        Assert.Equal(0.2f, ((CustomNode)g["warm"]).Parameters["amount"]);
        var mix = (CompositeNode)g["mix"];
        Assert.Equal(new LayerSpec("warm", 1200, 80, 0.85f), mix.Layers[0]);
        Assert.True(((EncodeNode)g["pgm"]).WithKey);
        var order = g.Ordered.Select(n => n.Id).ToList();
        Assert.True(order.IndexOf("pip") > order.IndexOf("cam2"));
        Assert.True(order.IndexOf("mix") > order.IndexOf("warm"));
        Assert.Equal("pgm", order[^1]);
    }

    [Fact]
    public void WriteThenParse_RoundTrips()
    {
        var g = GraphJson.Parse(Good);
        var again = GraphJson.Parse(GraphJson.Write(g));
        Assert.Equal(g.Nodes.Count, again.Nodes.Count);
        Assert.Equal(g.Rate, again.Rate);
        foreach (var n in g.Nodes)
        {
            var m = again[n.Id];
            Assert.Equal(n.Kind, m.Kind);
            Assert.Equal(n.Inputs, m.Inputs);
        }
        Assert.Equal(((CompositeNode)g["mix"]).Layers, ((CompositeNode)again["mix"]).Layers);
    }

    [Fact]
    public void DemoGraph_IsValid() => Assert.Equal(5, DemoGraph.Create(1920, 1080).Ordered.Count);

    [Theory]
    [InlineData("""{ "id": "x", "type": "decode" }""", "x", "flow")]
    [InlineData("""{ "id": "x", "type": "decode", "flow": "nope" }""", "x", "flow")]
    [InlineData("""{ "id": "x", "type": "decode", "flow": "11111111-1111-1111-1111-111111111111", "late": "later" }""", "x", "late")]
    [InlineData("""{ "id": "x", "type": "blur", "input": "a" }""", "x", "type")]
    [InlineData("""{ "type": "decode" }""", "nodes[1]", "id")]
    [InlineData("""{ "id": "s", "type": "scale", "input": "a", "width": 0, "height": 10 }""", "s", "width/height")]
    [InlineData("""{ "id": "s", "type": "scale", "input": "a", "width": 10.5, "height": 10 }""", "s", "width")]
    [InlineData("""{ "id": "s", "type": "scale", "input": "a", "width": 10, "height": 10, "filter": "sinc" }""", "s", "filter")]
    [InlineData("""{ "id": "c", "type": "composite", "background": "a", "layers": [ { "input": "a", "opacity": 2 } ] }""", "c", "layers[0].opacity")]
    [InlineData("""{ "id": "c", "type": "composite", "background": "a", "layers": [ { "x": 1 } ] }""", "c", "layers[0].input")]
    [InlineData("""{ "id": "e", "type": "encode", "input": "a", "flow": "33333333-3333-3333-3333-333333333333", "format": "h264" }""", "e", "format")]
    [InlineData("""{ "id": "e", "type": "encode", "input": "ghost", "flow": "33333333-3333-3333-3333-333333333333" }""", "e", "input")]
    public void BadNode_IsRejected_NamingNodeAndField(string node, string expectNode, string expectField)
    {
        string json = Graph($$"""{ "id": "a", "type": "decode", "flow": "{{A}}" }, {{node}}, { "id": "out", "type": "encode", "input": "a", "flow": "{{B}}" }""");
        var e = Assert.Throws<GraphException>(() => GraphJson.Parse(json));
        Assert.Equal(expectNode, e.Node);
        Assert.Equal(expectField, e.Field);
        Assert.Contains(expectNode, e.Message);
    }

    [Fact]
    public void StructuralErrors_AreRejected()
    {
        Assert.Equal("id", Assert.Throws<GraphException>(() => GraphJson.Parse(Graph(
            $$"""{ "id": "a", "type": "decode", "flow": "{{A}}" }, { "id": "a", "type": "encode", "input": "a", "flow": "{{O}}" }"""))).Field);
        var cycle = Assert.Throws<GraphException>(() => GraphJson.Parse(Graph($$"""
            { "id": "a", "type": "decode", "flow": "{{A}}" },
            { "id": "s1", "type": "scale", "input": "s2", "width": 8, "height": 8 },
            { "id": "s2", "type": "scale", "input": "s1", "width": 8, "height": 8 },
            { "id": "o", "type": "encode", "input": "a", "flow": "{{O}}" }
            """)));
        Assert.Contains("cycle", cycle.Message);
        Assert.Contains("encode", Assert.Throws<GraphException>(() => GraphJson.Parse(Graph($$"""{ "id": "a", "type": "decode", "flow": "{{A}}" }"""))).Message);
        Assert.Contains("both read and written", Assert.Throws<GraphException>(() => GraphJson.Parse(Graph(
            $$"""{ "id": "a", "type": "decode", "flow": "{{A}}" }, { "id": "o", "type": "encode", "input": "a", "flow": "{{A}}" }"""))).Message);
        Assert.Equal("json", Assert.Throws<GraphException>(() => GraphJson.Parse("{ nodes: ")).Field);
        Assert.Equal("rate", Assert.Throws<GraphException>(() => GraphJson.Parse(Graph("", "\"rate\": \"fast\","))).Field);
        Assert.Equal("path", Assert.Throws<GraphException>(() => GraphJson.Load("/nonexistent/graph.json")).Field);
    }
}
