using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Services;
using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Engine.Tests;

/// <summary>A fresh MXL domain under /dev/shm, removed afterwards.</summary>
internal sealed class TempDomain : IDisposable
{
    public TempDomain()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, $"gpumesh-test-{Guid.NewGuid():N}");
        Domain = MxlDomain.Open(Path);
    }

    public string Path { get; }
    public MxlDomain Domain { get; }

    public void Dispose()
    {
        Domain.Dispose();
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[Collection("realtime")]
public class MxlEngineTests
{
    private const int W = 192, H = 108;
    private static readonly MediaRate Rate = new(50, 1);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Engine_RunsTheDemoGraphOnMxlFlows_InRealTime_VerifiedByAConcurrentReader(int pipelineDepth)
    {
        using var tmp = new TempDomain();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), o = Guid.NewGuid();
        using var bg = new TestSource(tmp.Domain, a, W, H, Rate, false, 'A');
        using var fg = new TestSource(tmp.Domain, b, W, H, Rate, true, 'B');
        using var stop = new CancellationTokenSource();
        var threads = new[] { new Thread(() => bg.Run(stop.Token)), new Thread(() => fg.Run(stop.Token)) };
        foreach (var t in threads) t.Start();
        try
        {
            ulong start = Rate.IndexAt(TaiClock.Instance.NowNs) + 3;
            using var engine = GraphEngine.Open(DemoGraph.Create(W, H, a, b, o), tmp.Domain, new EngineOptions
            {
                Backend = "simd",
                PipelineDepth = pipelineDepth,
                StartIndex = start,
                StopIndex = start + 60,
                InputTimeout = TimeSpan.FromMilliseconds(15),
            });
            // Warm-up prepares one buffer set; the pipelined run then needs its own kernels per stage thread.
            engine.Warmup(3);
            using var verifier = new StripVerifier(tmp.Domain, o);
            // A second reader that reads once and then stops: it must never hold the writer back.
            using var idle = tmp.Domain.OpenFlowReader(o);
            var vt = new Thread(() => verifier.Run(stop.Token));
            vt.Start();
            engine.Run(CancellationToken.None);
            Thread.Sleep(60);
            stop.Cancel();
            vt.Join();

            var m = engine.Metrics;
            Assert.Equal(60, m.Out + m.OutInvalid + m.Skipped + (long)m.DroppedIndices);
            Assert.True(m.Out >= 30, $"only {m.Out} grains committed: {m.StatusLine()}");
            Assert.Equal(0, verifier.Mismatched);
            Assert.True(verifier.Verified >= 20, verifier.Summary());
            Assert.InRange(engine.Sinks[0].Writer.HeadIndex, start + 30, start + 59);
            Assert.Contains("SIMD", engine.BackendDescription);
            Assert.True(m.Stage("decode background").Summary().Count >= 30);
        }
        finally
        {
            stop.Cancel();
            foreach (var t in threads) t.Join();
        }
    }

    [Fact]
    public void MissingInputFlow_IsAGraphErrorNamingTheNode()
    {
        using var tmp = new TempDomain();
        var e = Assert.Throws<GraphException>(() => GraphEngine.Open(DemoGraph.Create(W, H, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()), tmp.Domain));
        Assert.Equal("background", e.Node);
        Assert.Equal("flow", e.Field);
    }

    [Fact]
    public void ExistingOutputFlowOfAnotherSize_IsAGraphErrorNamingTheNode()
    {
        using var tmp = new TempDomain();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), o = Guid.NewGuid();
        using var bg = new TestSource(tmp.Domain, a, W, H, Rate, false, 'A');
        using var fg = new TestSource(tmp.Domain, b, W, H, Rate, true, 'B');
        using var other = tmp.Domain.CreateFlowWriter(FlowDefinitions.Video(o, "other", 96, 54, new Rational(50, 1), false), null, out _);
        var e = Assert.Throws<GraphException>(() => GraphEngine.Open(DemoGraph.Create(W, H, a, b, o), tmp.Domain, new EngineOptions { Backend = "simd" }));
        Assert.Equal("program", e.Node);
        Assert.Contains("96x54", e.Message);
    }

    [Fact]
    public void StripVerifier_TellsOwnIndexFromRepeatsAndMismatches()
    {
        using var tmp = new TempDomain();
        Guid id = Guid.NewGuid();
        using var writer = tmp.Domain.CreateFlowWriter(FlowDefinitions.Video(id, "strip", W, H, new Rational(50, 1), false), null, out _);
        void Put(ulong index, ulong shows, bool invalid = false)
        {
            var g = writer.OpenGrain(index);
            TestPattern.Write('A', shows, W, H, false, g.Payload);
            if (invalid) writer.CommitInvalid(); else writer.CommitAll();
        }
        using var v = new StripVerifier(tmp.Domain, id);
        Put(100, 100);
        Assert.Equal(MxlStatus.Ok, v.Check(100, TimeSpan.Zero));
        Put(101, 98);
        v.Check(101, TimeSpan.Zero);
        Put(102, 107);
        v.Check(102, TimeSpan.Zero);
        Put(103, 0, invalid: true);
        v.Check(103, TimeSpan.Zero);
        Assert.Equal(MxlStatus.TooEarly, v.Check(104, TimeSpan.Zero));
        Assert.Equal((1, 1, 1, 1), (v.Verified, v.Repeated, v.Mismatched, v.Invalid));
        Assert.Contains("grain 102", v.FirstProblem);
    }
}
