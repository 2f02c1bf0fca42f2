using System.CommandLine;
using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Cli.Commands;

internal static class TestsrcCommand
{
    public static Command Create()
    {
        var domain = CliParse.DomainOption();
        var flowId = CliParse.FlowOption("--flow-id", "UUID of the flow to write (created if missing)", required: true);
        var size = CliParse.SizeOption("1920x1080");
        var rate = CliParse.RateOption("50/1");
        var format = new Option<string>("--format") { Description = "v210, or v210a (with a key plane)", DefaultValueFactory = _ => "v210" };
        format.AcceptOnlyFromAmong("v210", "v210a");
        var pattern = new Option<string>("--pattern") { Description = "A (bars scrolling left) or B (reversed bars scrolling right)", DefaultValueFactory = _ => "A" };
        pattern.AcceptOnlyFromAmong("A", "B");
        var duration = CliParse.DurationOption("10s", "how long to write; 0 = until Ctrl+C or SIGTERM");
        var label = new Option<string?>("--label") { Description = "flow label (NMOS)" };
        var cmd = new Command("testsrc", "Write a moving colour-bar test pattern into a flow in real time, one grain per grain period, aligned to the TAI clock.")
        {
            domain, flowId, size, rate, format, pattern, duration, label,
        };
        cmd.SetAction(parse =>
        {
            var (w, h) = parse.Get(size);
            MediaRate r = parse.Get(rate);
            TimeSpan d = parse.Get(duration);
            using var dom = MxlDomain.Open(parse.GetValue(domain)!);
            using var src = new TestSource(dom, parse.GetValue(flowId), w, h, r, parse.GetValue(format) == "v210a", parse.GetValue(pattern)![0],
                parse.GetValue(label));
            using var cts = CancelOnSignals();
            if (d > TimeSpan.Zero) cts.CancelAfter(d);
            Console.Error.WriteLine($"testsrc: writing flow {src.FlowId} ({w}x{h} {(src.WithKey ? "v210a" : "v210")} @ {r}) in {dom.Path}" +
                                    (d > TimeSpan.Zero ? $" for {d.TotalSeconds:F1} s" : " until stopped"));
            src.Run(cts.Token);
            Console.Error.WriteLine($"testsrc: wrote {src.Written} grains, skipped {src.Skipped}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Cancelled by Ctrl+C or SIGTERM (the process then finishes cleanly and releases its flows).</summary>
    public static CancellationTokenSource CancelOnSignals()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; TryCancel(cts); };
        Registrations.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            TryCancel(cts);
        }));
        return cts;
    }

    // Kept alive: a collected registration stops handling the signal.
    private static readonly List<IDisposable> Registrations = new();

    private static void TryCancel(CancellationTokenSource cts)
    {
        try { cts.Cancel(); } catch (ObjectDisposedException) { }
    }
}
