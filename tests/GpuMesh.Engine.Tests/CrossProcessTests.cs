using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;
using Xunit;
using Xunit.Abstractions;

namespace GpuMesh.Engine.Tests;

/// <summary>A `dotnet gpumesh.dll ...` child process with its output captured.</summary>
internal sealed class GpuMeshProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();

    public GpuMeshProcess(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "gpumesh.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet gpumesh.dll");
        _p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
        CommandLine = "gpumesh " + string.Join(' ', args);
    }

    public string CommandLine { get; }
    public string Output { get { lock (_out) return _out.ToString(); } }
    public bool HasExited => _p.HasExited;

    /// <summary>SIGKILL: no clean-up at all, as a crash.</summary>
    public void KillHard()
    {
        if (!_p.HasExited) _p.Kill();
        _p.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            _p.Kill();
            throw new TimeoutException($"{CommandLine} did not finish in {timeout.TotalSeconds} s; output:\n{Output}");
        }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public static (int Code, string Output) Run(TimeSpan timeout, params string[] args)
    {
        using var p = new GpuMeshProcess(args);
        int code = p.WaitForExit(timeout);
        return (code, p.Output);
    }

    public void Dispose()
    {
        if (!_p.HasExited) KillHard();
        _p.Dispose();
    }
}

/// <summary>Sources, engine and the verifying reader (this test) in separate processes.</summary>
[Collection("realtime")]
public class CrossProcessTests
{
    private const int W = 192, H = 108;
    private static readonly MediaRate Rate = new(50, 1);
    private readonly ITestOutputHelper _log;

    public CrossProcessTests(ITestOutputHelper log) => _log = log;

    private sealed class Rig : IDisposable
    {
        public readonly TempDomain Tmp = new();
        public readonly Guid A = Guid.NewGuid(), B = Guid.NewGuid(), O = Guid.NewGuid();
        public readonly List<GpuMeshProcess> Processes = new();
        public string GraphPath => Path.Combine(Tmp.Path, "graph.json");

        public Rig() => File.WriteAllText(GraphPath, GraphJson.Write(DemoGraph.Create(W, H, A, B, O)));

        public GpuMeshProcess Source(Guid id, bool key, string duration) => Start("testsrc", "--domain", Tmp.Path, "--flow-id", id.ToString(),
            "--size", $"{W}x{H}", "--rate", "50/1", "--format", key ? "v210a" : "v210", "--pattern", key ? "B" : "A", "--duration", duration);

        public GpuMeshProcess Engine(string duration) => Start("run", GraphPath, "--domain", Tmp.Path, "--duration", duration, "--backend", "simd", "--quiet");

        /// <summary>Both sources, then the engine, each started once the flows it needs exist.</summary>
        public (GpuMeshProcess Background, GpuMeshProcess Engine) StartPipeline(string sourceDuration, string engineDuration)
        {
            var background = Source(A, false, sourceDuration);
            Source(B, true, sourceDuration);
            WaitForFlow(A, TimeSpan.FromSeconds(20));
            WaitForFlow(B, TimeSpan.FromSeconds(20));
            var engine = Engine(engineDuration);
            WaitForFlow(O, TimeSpan.FromSeconds(20));
            return (background, engine);
        }

        public GpuMeshProcess Start(params string[] args)
        {
            var p = new GpuMeshProcess(args);
            Processes.Add(p);
            return p;
        }

        public void WaitForFlow(Guid id, TimeSpan timeout, Func<bool>? active = null)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < timeout)
            {
                if (Tmp.Domain.FlowExists(id))
                {
                    try
                    {
                        using var r = Tmp.Domain.OpenFlowReader(id);
                        if (r.HeadIndex > 0) return;
                    }
                    catch (MxlException) { }
                }
                Thread.Sleep(20);
            }
            throw new TimeoutException($"flow {id} did not appear in {timeout.TotalSeconds} s; processes:\n" +
                                       string.Join("\n", Processes.Select(p => p.CommandLine + ":\n" + p.Output)));
        }

        public void Dispose()
        {
            foreach (var p in Processes) p.Dispose();
            Tmp.Dispose();
        }
    }

    /// <summary>One output grain as the verifying reader saw it: its index and the background index its strip shows.</summary>
    private readonly record struct Seen(ulong Index, ulong Background, bool Invalid, byte[]? Payload);

    /// <summary>Follows the output flow for <paramref name="duration"/>, copying each grain (re-checked after the copy).</summary>
    private static List<Seen> Follow(MxlDomain domain, Guid flow, TimeSpan duration, bool keepPayload, CancellationToken ct = default)
    {
        var seen = new List<Seen>();
        using var r = domain.OpenFlowReader(flow);
        ulong mask = TestPattern.StripMask(W);
        ulong n = r.HeadIndex + 1;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration && !ct.IsCancellationRequested)
        {
            var s = r.GetGrain(n, TimeSpan.FromMilliseconds(100), out GrainView g);
            if (s == MxlStatus.TooLate) { n = r.HeadIndex; continue; }
            if (s == MxlStatus.FlowInvalid) break;
            if (s != MxlStatus.Ok) { if (Rate.IndexAt(TaiClock.Instance.NowNs) > n + 2) n++; continue; }
            byte[] copy = g.Payload.ToArray();
            bool invalid = g.IsInvalid;
            // Stable only while the writer cannot have reopened the slot: head + 1 < n + grainCount.
            if (r.TryGetGrain(n, out _) == MxlStatus.Ok && r.HeadIndex + 1 < n + (ulong)r.GrainCount)
            {
                ulong strip = TestPattern.ReadIndexStrip(copy, W, H);
                ulong bg = n - ((n - strip) & mask);
                seen.Add(new Seen(n, bg, invalid, keepPayload ? copy : null));
            }
            n++;
        }
        return seen;
    }

    /// <summary>True when the grain equals the reference output for its background index (from the strip) and a recent foreground index.</summary>
    private static bool MatchesReference(Seen s, out int bestDiff)
    {
        bestDiff = int.MaxValue;
        // The foreground may have been repeated (late) independently of the background: try its recent grains.
        for (ulong back = 0; back <= 4; back++)
        {
            var expected = ReferencePipeline.DemoOutput(s.Background, s.Index - back, W, H);
            int d = ReferencePipeline.MaxSampleDifference(s.Payload!, expected, out _);
            bestDiff = Math.Min(bestDiff, d);
            if (d <= 1) return true;
        }
        return false;
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith(prefix, StringComparison.Ordinal)) ?? $"(no '{prefix}' line)";

    private static long Count(string line, string word)
    {
        var m = System.Text.RegularExpressions.Regex.Match(line, @"(\d+) " + word);
        return m.Success ? long.Parse(m.Groups[1].Value) : -1;
    }

    [Fact]
    public void EndToEnd_SourcesEngineAndReaderInSeparateProcesses_OutputEqualsScalarReference()
    {
        using var rig = new Rig();
        var (_, engine) = rig.StartPipeline("12s", "4s");
        var seen = Follow(rig.Tmp.Domain, rig.O, TimeSpan.FromSeconds(2.5), keepPayload: true);
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));
        _log.WriteLine(engine.Output);

        var valid = seen.Where(s => !s.Invalid).ToList();
        Assert.True(valid.Count >= 20, $"the reader saw only {valid.Count} valid output grains\n{engine.Output}");
        foreach (var s in valid)
            Assert.True(MatchesReference(s, out int diff), $"output grain {s.Index} (background {s.Background}) differs from the scalar reference by {diff} codes");
        // Most grains are made from the inputs of their own index (timing alignment).
        Assert.True(valid.Count(s => s.Background == s.Index) >= valid.Count * 3 / 4, "output grains are not aligned to their input index");
        Assert.True(Count(Line(engine.Output, "frames"), "committed") > 100, engine.Output);
    }

    [Fact]
    public void KilledSource_EngineRepeatsLastGoodGrain_ThenRecoversWhenTheSourceReturns()
    {
        using var rig = new Rig();
        var (bg, engine) = rig.StartPipeline("30s", "10s");

        List<Seen> seen = new();
        using var stopFollow = new CancellationTokenSource();
        var follower = new Thread(() => seen = Follow(rig.Tmp.Domain, rig.O, TimeSpan.FromSeconds(30), false, stopFollow.Token));
        follower.Start();
        Thread.Sleep(1000);
        bg.KillHard();
        Thread.Sleep(700);
        // The dead writer's flow is garbage: collect it, so the engine's reader finds the flow invalid and must reopen.
        var gc = GpuMeshProcess.Run(TimeSpan.FromSeconds(30), "gc", "--domain", rig.Tmp.Path);
        Assert.Contains("removed 1", gc.Output);
        Thread.Sleep(500);
        rig.Source(rig.A, false, "30s");
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(40)));
        stopFollow.Cancel();
        follower.Join();
        _log.WriteLine(engine.Output);

        string input = Line(engine.Output, "input        background");
        Assert.True(Count(input, "late") + Count(input, "flow-invalid") > 0, input);
        Assert.True(Count(input, "repeated") > 10, input);
        Assert.True(Count(input, "reopened") >= 1, input);
        // The reader saw: fresh grains, then a run of repeats of one last good background grain, then fresh grains again.
        int firstRepeat = seen.FindIndex(s => s.Background < s.Index);
        Assert.True(firstRepeat > 0, "no repeated background grain seen in the output");
        ulong lastGood = seen[firstRepeat].Background;
        int recovered = seen.FindIndex(firstRepeat, s => s.Background == s.Index);
        Assert.True(recovered > firstRepeat, "the output never recovered after the source came back");
        Assert.All(seen.Skip(firstRepeat).Take(recovered - firstRepeat), s => Assert.True(s.Invalid || s.Background == lastGood,
            $"grain {s.Index} during the outage shows background {s.Background}, expected the last good {lastGood}"));
        Assert.True(seen.Skip(recovered).Count(s => s.Background == s.Index) > 10);
    }

    [Fact]
    public void KilledEngine_LeavesNoCorruptGrainReadable_AndGcRemovesItsFlow()
    {
        using var rig = new Rig();
        var (_, engine) = rig.StartPipeline("30s", "60s");
        Thread.Sleep(800);
        engine.KillHard();

        using (var r = rig.Tmp.Domain.OpenFlowReader(rig.O))
        {
            ulong head = r.HeadIndex;
            int gcount = r.GrainCount;
            int checkedGrains = 0;
            for (ulong n = head - (ulong)gcount + 1; n <= head; n++)
            {
                var s = r.TryGetGrain(n, out GrainView g);
                Assert.Equal(MxlStatus.Ok, s);
                Assert.True(g.IsComplete, $"grain {n} is readable but only {g.ValidSlices}/{g.TotalSlices} slices are valid");
                if (g.IsInvalid) continue;
                var copy = new Seen(n, n - ((n - TestPattern.ReadIndexStrip(g.Payload, W, H)) & TestPattern.StripMask(W)), false, g.Payload.ToArray());
                Assert.True(MatchesReference(copy, out int diff), $"grain {n} after the engine was killed differs from the reference by {diff} codes");
                checkedGrains++;
            }
            Assert.True(checkedGrains >= gcount / 2);
            // Whatever the engine had opened but not committed is not readable.
            Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(head + 1, out _));
            Assert.False(rig.Tmp.Domain.IsFlowActive(rig.O));
        }

        var gc = GpuMeshProcess.Run(TimeSpan.FromSeconds(30), "gc", "--domain", rig.Tmp.Path);
        Assert.Equal(0, gc.Code);
        Assert.Contains("removed 1 inactive flow(s), 2 left", gc.Output);
        Assert.False(rig.Tmp.Domain.FlowExists(rig.O));

        var info = GpuMeshProcess.Run(TimeSpan.FromSeconds(30), "info", "--domain", rig.Tmp.Path, "--json");
        Assert.Equal(0, info.Code);
        using var doc = JsonDocument.Parse(info.Output);
        var flows = doc.RootElement.GetProperty("flows").EnumerateArray().ToList();
        Assert.Equal(2, flows.Count);
        Assert.All(flows, f => Assert.True(f.GetProperty("active").GetBoolean()));
        Assert.Contains(flows, f => f.GetProperty("mediaType").GetString() == "video/v210a" && f.GetProperty("width").GetInt32() == W);
    }
}

[Collection("realtime")]
public class DemoCommandTests
{
    [Fact]
    public void Demo_SmallAndShort_RunsVerifiesAndWritesASnapshot()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gpumesh-demo-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string png = Path.Combine(dir, "snap.png");
        string domain = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"gpumesh-demo-test-{Guid.NewGuid():N}");
        try
        {
            var (code, output) = GpuMeshProcess.Run(TimeSpan.FromSeconds(90), "demo", "--duration", "2s", "--size", "192x108",
                "--backend", "simd", "--snapshot", png, "--domain", domain);
            Assert.True(code == 0, output);
            Assert.Contains("backend      SIMD", output);
            Assert.Contains("latency      p50", output);
            Assert.Contains("0 mismatched", output);
            Assert.Matches(@"reader service: [1-9]\d* grains verified", output);
            var bytes = File.ReadAllBytes(png);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.Contains("domain kept", output);
        }
        finally
        {
            Directory.Delete(dir, true);
            if (Directory.Exists(domain)) Directory.Delete(domain, true);
        }
    }
}
