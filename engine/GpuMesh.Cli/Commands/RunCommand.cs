using System.CommandLine;
using System.Diagnostics;
using GpuMesh.Engine;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Processing;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var graphFile = new Argument<string>("GRAPH.json") { Description = "processing graph (see README: decode, scale, composite, custom, encode nodes)" };
        var domain = new Option<string?>("--domain") { Description = $"MXL domain (default: the graph's \"domain\", else {CliParse.DefaultDomain})" };
        var duration = CliParse.DurationOption("0", "how long to run; 0 = until Ctrl+C or SIGTERM");
        var backend = DemoCommand.BackendOption();
        var pipeline = DemoCommand.PipelineOption();
        var working = DemoCommand.WorkingFormatOption("rgba16");
        var quiet = new Option<bool>("--quiet") { Description = "no live status line" };
        var author = new Option<string>("--author-backend")
        {
            Description = "where custom (author) functions run: auto (the GPU with cuda, else ILGPU's CPU accelerator: correct but slow), same (as --backend), simd, reference, ilgpu-cpu, cuda",
            DefaultValueFactory = _ => "auto",
        }.AcceptOnlyFromAmong(Backends.Names.Append("same").ToArray());
        var cmd = new Command("run", "Run a processing graph against existing flows (e.g. written by MXL's own tools) until stopped.")
        {
            graphFile, domain, duration, backend, author, pipeline, working, quiet,
        };
        cmd.SetAction(parse =>
        {
            ProcessingGraph graph = GraphJson.Load(parse.GetValue(graphFile)!);
            string path = parse.GetValue(domain) ?? graph.Domain ?? CliParse.DefaultDomain;
            if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"domain '{path}' does not exist");
            using var d = MxlDomain.Open(path, create: false);
            using var cts = TestsrcCommand.CancelOnSignals();
            TimeSpan dur = parse.Get(duration);
            using var engine = GraphEngine.Open(graph, d, new EngineOptions
            {
                Backend = parse.GetValue(backend)!,
                AuthorBackend = parse.GetValue(author)!,
                PipelineDepth = parse.GetValue(pipeline),
                WorkingFormat = parse.Get(working),
            });
            engine.Warmup();
            Console.WriteLine($"gpumesh run: {graph.Decoders.Count} input(s), {graph.Encoders.Count} output(s) at {engine.Rate} in {d.Path}");
            if (dur > TimeSpan.Zero) cts.CancelAfter(dur);
            var sw = Stopwatch.StartNew();
            using var statusStop = new CancellationTokenSource();
            Thread? status = parse.GetValue(quiet) ? null : EngineConsole.StartStatus(() => EngineConsole.Status(engine), statusStop.Token);
            engine.Run(cts.Token);
            statusStop.Cancel();
            status?.Join();
            Console.WriteLine();
            Console.Write(EngineConsole.Summary(engine, sw.Elapsed));
            foreach (var s in engine.Sources)
                if (s.LastError != null) Console.WriteLine($"last input problem: {s.LastError}");
            return 0;
        });
        return cmd;
    }
}
