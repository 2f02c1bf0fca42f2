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
        var audio = new Option<int>("--audio")
        {
            Description = "also write an audio/float32 48 kHz flow with this many channels (a sine per channel: 440 Hz x channel number, " +
                          "sample-accurate to the TAI clock); 0 = no audio",
            DefaultValueFactory = _ => 0,
        };
        audio.Validators.Add(r =>
        {
            int n = r.GetValueOrDefault<int>();
            if (n < 0 || n > 64) r.AddError($"--audio: {n} channels is outside 0..64");
        });
        var audioFlowId = CliParse.FlowOption("--audio-flow-id", "UUID of the audio flow (default: derived from --flow-id, printed at start)", required: false);
        var cmd = new Command("testsrc", "Write a moving colour-bar test pattern into a flow in real time, one grain per grain period, aligned to the TAI clock.")
        {
            domain, flowId, size, rate, format, pattern, duration, label, audio, audioFlowId,
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
            int channels = parse.GetValue(audio);
            Task<long>? audioTask = null;
            if (channels > 0)
            {
                Guid audioId = parse.GetResult(audioFlowId) is null ? DeriveAudioFlowId(src.FlowId) : parse.GetValue(audioFlowId);
                audioTask = Task.Run(() => RunTone(dom, audioId, channels, parse.GetValue(label), cts.Token));
            }
            src.Run(cts.Token);
            cts.Cancel();
            Console.Error.WriteLine($"testsrc: wrote {src.Written} grains, skipped {src.Skipped}");
            if (audioTask is not null) Console.Error.WriteLine($"testsrc: wrote {audioTask.GetAwaiter().GetResult()} audio samples per channel");
            return 0;
        });
        return cmd;
    }

    /// <summary>The audio flow id that goes with a video flow when none is given: the video id with its last byte inverted.</summary>
    public static Guid DeriveAudioFlowId(Guid videoFlowId)
    {
        Span<byte> b = stackalloc byte[16];
        videoFlowId.TryWriteBytes(b, bigEndian: true, out _);
        b[15] ^= 0xFF;
        return new Guid(b, bigEndian: true);
    }

    /// <summary>Writes a sine per channel (440 Hz x channel number) into an audio flow up to the TAI clock's sample index, every 5 ms.</summary>
    public static long RunTone(MxlDomain domain, Guid id, int channels, string? label, CancellationToken ct)
    {
        string json = FlowDefinitions.Audio(id, label ?? "gpumesh test tone", 48000, channels);
        using ContinuousFlowWriter writer = domain.CreateContinuousFlowWriter(json, null, out _);
        Rational rate = writer.SampleRate;
        Console.Error.WriteLine($"testsrc: writing audio flow {id} ({channels} ch float32 @ 48000 Hz, ring {writer.BufferLength} samples)");
        long written = 0;
        SampleFill<float> tone = (ch, first, dest) => AudioTone.Sine(dest, first, 440L * (ch + 1), rate);
        while (!ct.IsCancellationRequested)
        {
            written += writer.WriteUntil(MxlClock.CurrentIndex(rate), tone);
            ct.WaitHandle.WaitOne(5);
        }
        return written;
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
