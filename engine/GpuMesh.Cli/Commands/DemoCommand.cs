using System.CommandLine;
using System.Diagnostics;
using GpuMesh.Engine;
using GpuMesh.Engine.Graph;
using GpuMesh.Engine.Processing;
using GpuMesh.Engine.Services;
using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;
using GpuMesh.Kernels;

namespace GpuMesh.Cli.Commands;

internal static class DemoCommand
{
    public static Option<string> BackendOption() => new Option<string>("--backend")
    {
        Description = "where the operations run: auto (CUDA where ILGPU finds a GPU, else SIMD CPU), cuda, simd, ilgpu-cpu, reference",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong(Backends.Names);

    public static Option<int> PipelineOption() => new("--pipeline")
    {
        Description = "1: import, process, export one grain after the other; 2 or 3: overlap consecutive grains on threads",
        DefaultValueFactory = _ => 1,
        Validators = { r => { if (r.GetValueOrDefault<int>() is < 1 or > 3) r.AddError("--pipeline must be 1, 2 or 3"); } },
    };

    public static Option<PixelFormat> WorkingFormatOption(string defaultText) => CliParse.Parsed("--working-format",
        "RGBA format between decode and encode: rgba16 (keeps 10-bit precision), rgba8 (about 1.5x faster on CPUs, 8-bit precision), half, float",
        t => t.ToLowerInvariant() switch
        {
            "rgba16" => PixelFormat.Rgba16,
            "rgba8" => PixelFormat.Rgba8,
            "half" or "rgbahalf" => PixelFormat.RgbaHalf,
            "float" or "rgbafloat" => PixelFormat.RgbaFloat,
            _ => throw new FormatException($"'{t}' is not rgba16, rgba8, half or float"),
        }, defaultText);

    public static Command Create()
    {
        var duration = CliParse.DurationOption("10s", "how long the engine runs");
        var size = CliParse.SizeOption("1920x1080");
        var rate = CliParse.RateOption("50/1");
        var backend = BackendOption();
        var domain = new Option<string?>("--domain") { Description = "MXL domain to use (default: a new /dev/shm/gpumesh-demo-PID, removed at the end)" };
        var keep = new Option<bool>("--keep-domain") { Description = "leave the domain and its files in place at the end (flows are released)" };
        var pipeline = PipelineOption();
        // The demo favours real time on a 2-core CPU; `run` defaults to rgba16.
        var working = WorkingFormatOption("rgba8");
        var snapshot = new Option<string>("--snapshot") { Description = "PNG file for a snapshot of the last output grain ('' for none)", DefaultValueFactory = _ => "gpumesh-demo.png" };
        var cmd = new Command("demo", "The main job: two moving test sources (v210, and v210a with key) -> decode, picture-in-picture scale, " +
                                      "composite with opacity, encode v210 -> output flow, verified live by a CPU reader service.")
        {
            duration, size, rate, backend, domain, keep, pipeline, working, snapshot,
        };
        cmd.SetAction(parse => Run(parse.Get(duration), parse.Get(size), parse.Get(rate), parse.GetValue(backend)!,
            parse.GetValue(domain), parse.GetValue(keep), parse.GetValue(pipeline), parse.Get(working), parse.GetValue(snapshot)!));
        return cmd;
    }

    private static int Run(TimeSpan duration, (int Width, int Height) size, MediaRate rate, string backend, string? domainPath, bool keep,
        int pipeline, PixelFormat working, string snapshotPath)
    {
        var (w, h) = size;
        bool ownDomain = domainPath is null;
        string shm = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        domainPath ??= Path.Combine(shm, $"gpumesh-demo-{Environment.ProcessId}");
        using var cts = TestsrcCommand.CancelOnSignals();
        var domain = MxlDomain.Open(domainPath);
        Console.WriteLine($"gpumesh demo: domain {domain.Path}{(domain.IsOnTmpfs ? "" : " (not tmpfs!)")}, {w}x{h} @ {rate}, {duration.TotalSeconds:F0} s");
        if (MxlClock.TaiOffsetNs() == 0) Console.WriteLine("note: CLOCK_TAI equals CLOCK_REALTIME here (no PTP daemon set the TAI offset)");
        if (double.TryParse(EngineConsole.LoadAverage(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load)
            && load > Environment.ProcessorCount * 0.5)
            Console.WriteLine($"note: load average {load:F1} on {Environment.ProcessorCount} cores before the start: other work competes for the CPU, timings will suffer");
        domain.CollectGarbage();

        var threads = new List<Thread>();
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        TestSource? bg = null, fg = null;
        GraphEngine? engine = null;
        StripVerifier? verifier = null;
        int exit = 0;
        try
        {
            bg = new TestSource(domain, DemoGraph.BackgroundFlow, w, h, rate, withKey: false, 'A', "demo background (v210)");
            fg = new TestSource(domain, DemoGraph.ForegroundFlow, w, h, rate, withKey: true, 'B', "demo foreground (v210a)");
            foreach (var src in new[] { bg, fg })
            {
                var s = src;
                var t = new Thread(() => s.Run(stopAll.Token)) { Name = $"testsrc-{s.Variant}", IsBackground = true };
                t.Start();
                threads.Add(t);
            }
            engine = GraphEngine.Open(DemoGraph.Create(w, h), domain, new EngineOptions
            {
                Backend = backend,
                PipelineDepth = pipeline,
                WorkingFormat = working,
            });
            // The reader service starts first, so its own start-up (JIT, mapping) is over before the first output grain.
            verifier = new StripVerifier(domain, DemoGraph.OutputFlow);
            var v = verifier;
            var vt = new Thread(() => v.Run(stopAll.Token)) { Name = "reader-service", IsBackground = true };
            vt.Start();
            threads.Add(vt);
            Console.WriteLine("warming up (JIT) ...");
            engine.Warmup();

            Console.WriteLine($"flows: background {DemoGraph.BackgroundFlow}, foreground {DemoGraph.ForegroundFlow} (key), output {DemoGraph.OutputFlow}");
            var sw = Stopwatch.StartNew();
            var e = engine;
            var status = EngineConsole.StartStatus(() => EngineConsole.Status(e, $"verified {v.Verified}") + $" | {sw.Elapsed.TotalSeconds:F0}/{duration.TotalSeconds:F0} s", stopAll.Token);
            using (var runFor = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
            {
                runFor.CancelAfter(duration);
                engine.Run(runFor.Token);
            }
            sw.Stop();
            // Let the reader service see the last grains.
            Thread.Sleep(TimeSpan.FromTicks((long)(rate.PeriodNs / 100) * 2));
            stopAll.Cancel();
            status.Join();
            foreach (var t in threads) t.Join(TimeSpan.FromSeconds(2));

            Console.WriteLine();
            Console.Write(EngineConsole.Summary(engine, sw.Elapsed));
            Console.WriteLine($"sources      background {bg.Written} grains written, foreground {fg.Written} ({bg.Skipped + fg.Skipped} skipped for being late)");
            Console.WriteLine(verifier.Summary());
            if (verifier.Mismatched > 0) exit = 3;
            if (!string.IsNullOrEmpty(snapshotPath))
            {
                ulong head = engine.Sinks[0].Writer.HeadIndex;
                SnapshotCommand.Write(domain, DemoGraph.OutputFlow, head, snapshotPath);
                Console.WriteLine($"snapshot     {Path.GetFullPath(snapshotPath)} (output grain {head})");
            }
        }
        finally
        {
            stopAll.Cancel();
            foreach (var t in threads) t.Join(TimeSpan.FromSeconds(2));
            verifier?.Dispose();
            engine?.Dispose();
            bg?.Dispose();
            fg?.Dispose();
            domain.Dispose();
            if (ownDomain && !keep)
            {
                try { Directory.Delete(domainPath, recursive: true); }
                catch (IOException ex) { Console.Error.WriteLine($"warning: could not remove {domainPath}: {ex.Message}"); }
            }
            else Console.WriteLine($"domain kept: {domainPath} (try: gpumesh info --domain {domainPath})");
        }
        return exit;
    }
}
