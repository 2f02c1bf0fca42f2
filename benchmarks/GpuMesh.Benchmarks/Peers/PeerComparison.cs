using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuMesh.Benchmarks.Common;

namespace GpuMesh.Benchmarks.Peers;

public sealed record PeerOptions
{
    public string WorkDirectory { get; init; } = $"/dev/shm/gpumesh-bench-peers-{Environment.ProcessId}";
    public int LoopsHd { get; init; } = 25;
    public int LoopsUhd { get; init; } = 20;
    public int Repeats { get; init; } = 3;
    public HashSet<PeerOp>? Only { get; init; }
    public string? MarkdownPath { get; init; }

    public static PeerOptions Parse(IReadOnlyList<string> args)
    {
        var options = new PeerOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"peers: option {args[i]} needs a value");
            switch (args[i])
            {
                case "--quick": options = options with { LoopsHd = 6, LoopsUhd = 4, Repeats = 1 }; break;
                case "--loops-hd": options = options with { LoopsHd = ParsePositive(Next(), "--loops-hd") }; break;
                case "--loops-uhd": options = options with { LoopsUhd = ParsePositive(Next(), "--loops-uhd") }; break;
                case "--repeats": options = options with { Repeats = ParsePositive(Next(), "--repeats") }; break;
                case "--dir": options = options with { WorkDirectory = Next() }; break;
                case "--markdown": options = options with { MarkdownPath = Next() }; break;
                case "--only":
                    var set = new HashSet<PeerOp>();
                    foreach (var name in Next().Split(',', StringSplitOptions.RemoveEmptyEntries))
                        set.Add(Enum.TryParse<PeerOp>(name, true, out var op) ? op
                            : throw new ArgumentException($"peers: --only {name}: unknown operation; known: {string.Join(", ", Enum.GetNames<PeerOp>())}"));
                    options = options with { Only = set };
                    break;
                default: throw new ArgumentException($"peers: unknown option {args[i]} (known: --quick --loops-hd N --loops-uhd N --repeats N --dir PATH --markdown FILE --only OP[,OP])");
            }
        }
        return options;
    }

    private static int ParsePositive(string text, string option) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value : throw new ArgumentException($"peers: {option} must be a positive integer, got '{text}'");
}

/// <summary>Per-frame figures of one implementation of one operation (CPU ms and wall ms), or why there are none.</summary>
public sealed record Measurement(string Who, double CpuMs, double WallMs, Agreement? Agreement, string? Error, string Note, string? Command)
{
    public bool Ok => Error == null;
}

/// <summary>
/// The side-by-side comparison: same raw frames in /dev/shm, one thread for everyone, pass-through subtracted,
/// outputs cross-checked, and a single-thread memcpy floor from the same run.
/// </summary>
public static class PeerComparison
{
    public static int Run(PeerOptions options)
    {
        var log = Console.Out;
        log.WriteLine($"peers: work directory {options.WorkDirectory}; {options.LoopsHd} passes (1080p) / {options.LoopsUhd} (2160p) per run, best of {options.Repeats}");
        using var suite = new PeerSuite(options.WorkDirectory);
        if (suite.FFmpeg == null) log.WriteLine("peers: ffmpeg NOT INSTALLED (apt-get install ffmpeg): FFmpeg and zimg columns are missing, not measured");
        if (suite.GstLaunch == null) log.WriteLine("peers: gst-launch-1.0 NOT INSTALLED (apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good): GStreamer column is missing");

        var floor = MemoryFloor.Measure();
        log.WriteLine($"peers: memcpy floor {floor.BytesPerSecond / 1e9:0.0} GB/s (1 thread, {floor.BlockBytes >> 20} MiB block, CPU time; wall {floor.WallBytesPerSecond / 1e9:0.0} GB/s)");

        var results = new List<(OpCase Case, Measurement GpuMesh, List<Measurement> Peers)>();
        foreach (var opCase in suite.Cases(options.LoopsHd, options.LoopsUhd))
        {
            if (options.Only != null && !options.Only.Contains(opCase.Op)) continue;
            log.WriteLine($"== {opCase.Title}: {opCase.TotalFrames} frames per run");
            Measurement gpuMesh;
            byte[]? reference;
            try
            {
                (gpuMesh, reference) = MeasureGpuMesh(opCase, options.Repeats);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                (gpuMesh, reference) = (new Measurement("GpuMesh", double.NaN, double.NaN, null, $"{opCase.Title}: {e.GetType().Name}: {e.Message}", "", null), null);
            }
            log.WriteLine($"   GpuMesh: {Format(gpuMesh)}");
            var peers = new List<Measurement>();
            foreach (var peer in opCase.Peers)
            {
                var m = MeasurePeer(opCase, peer, reference, options);
                log.WriteLine($"   {peer.Peer}: {Format(m)}");
                peers.Add(m);
            }
            results.Add((opCase, gpuMesh, peers));
        }

        string table = Table(results, floor, suite);
        log.WriteLine();
        log.WriteLine(table);
        if (options.MarkdownPath != null) File.WriteAllText(options.MarkdownPath, table);
        return results.Any(r => !r.GpuMesh.Ok) ? 2 : 0;
    }

    private static string Format(Measurement m) =>
        m.Ok ? $"{m.CpuMs:0.000} ms/frame CPU ({m.WallMs:0.000} wall){(m.Agreement is { } a ? $", vs GpuMesh {a}" : "")}" : $"n/a: {m.Error}";

    private static (Measurement, byte[]?) MeasureGpuMesh(OpCase opCase, int repeats)
    {
        IMeasuredOp op;
        try
        {
            op = GpuMeshOps.Create(opCase.Op, opCase.Inputs);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (new Measurement("GpuMesh", double.NaN, double.NaN, null, $"{opCase.Title}: could not set up: {e.Message}", "", null), null);
        }
        using (op)
        {
            op.Run(0);
            byte[] reference = op.Output.ToArray();
            // Warm up until the JIT has tiered up: at least 60 calls and 0.5 s.
            var warm = Stopwatch.StartNew();
            int calls = 0;
            for (int i = 1; (i < 60 || warm.Elapsed.TotalSeconds < 0.5) && warm.Elapsed.TotalSeconds < 8; i++, calls++) op.Run(i);
            // Same frame count as the peers, but a slow build is capped at about 4 s per repeat (per-frame figures either way).
            double perFrame = warm.Elapsed.TotalSeconds / Math.Max(calls, 1);
            int frames = Math.Clamp((int)(4.0 / Math.Max(perFrame, 1e-6)), opCase.FramesPerLoop, opCase.TotalFrames);
            double bestCpu = double.MaxValue, bestWall = double.MaxValue;
            for (int r = 0; r < Math.Max(repeats, 2); r++)
            {
                double cpu0 = NativeTime.ThreadCpuSeconds();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < frames; i++) op.Run(i);
                double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                double cpu = NativeTime.ThreadCpuSeconds() - cpu0;
                bestCpu = Math.Min(bestCpu, cpu);
                bestWall = Math.Min(bestWall, wall);
            }
            return (new Measurement("GpuMesh", bestCpu / frames * 1e3, bestWall / frames * 1e3, null, null, op.Implementation, null), reference);
        }
    }

    private static Measurement MeasurePeer(OpCase opCase, PeerCase peer, byte[]? reference, PeerOptions options)
    {
        int frames = opCase.TotalFrames;
        var timedArgs = peer.Timed(opCase.Loops);
        var passArgs = peer.PassThrough(opCase.Loops);
        string command = PeerProcess.CommandLine(peer.Exe, timedArgs);
        try
        {
            Agreement? agreement = null;
            if (reference != null)
            {
                string dumpPath = Path.Combine(options.WorkDirectory, $"dump_{opCase.Op}_{peer.Peer.Split(' ')[0]}.raw");
                try
                {
                    PeerProcess.Run($"{opCase.Title} / {peer.Peer} / output dump", peer.Exe, peer.Dump(dumpPath), peer.Environment);
                    byte[] dumped = File.ReadAllBytes(dumpPath);
                    byte[] comparable = peer.Decode?.Invoke(dumped) ?? dumped;
                    agreement = Agreement.Compare(comparable, reference, opCase.OutWidth, opCase.OutHeight, peer.Compare, opCase.Tolerance,
                        $"{opCase.Title} / {peer.Peer}");
                }
                finally
                {
                    File.Delete(dumpPath);
                }
            }

            double timedCpu = double.MaxValue, timedWall = double.MaxValue, passCpu = double.MaxValue, passWall = double.MaxValue;
            for (int r = 0; r < options.Repeats; r++)
            {
                var timed = PeerProcess.Run($"{opCase.Title} / {peer.Peer} / timed", peer.Exe, timedArgs, peer.Environment);
                var pass = PeerProcess.Run($"{opCase.Title} / {peer.Peer} / pass-through", peer.Exe, passArgs, peer.Environment);
                timedCpu = Math.Min(timedCpu, timed.CpuSeconds);
                timedWall = Math.Min(timedWall, timed.WallSeconds);
                passCpu = Math.Min(passCpu, pass.CpuSeconds);
                passWall = Math.Min(passWall, pass.WallSeconds);
            }
            return new Measurement(peer.Peer, (timedCpu - passCpu) / frames * 1e3, (timedWall - passWall) / frames * 1e3,
                agreement, null, peer.Note, command);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException or System.ComponentModel.Win32Exception)
        {
            return new Measurement(peer.Peer, double.NaN, double.NaN, null, e.Message, peer.Note, command);
        }
    }

    /// <summary>Date, CPU model, core count and peer versions, for the report.</summary>
    private static string MachineInfo(PeerSuite suite)
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        string Version(string? exe, string args, string fallback)
        {
            if (exe == null) return fallback;
            try
            {
                var info = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var p = Process.Start(info)!;
                string first = p.StandardOutput.ReadLine() ?? "";
                p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                int copyright = first.IndexOf(" Copyright", StringComparison.Ordinal);
                return (copyright > 0 ? first[..copyright] : first).Trim();
            }
            catch (System.ComponentModel.Win32Exception) { return fallback; }
        }
        string zimg = Version(PeerProcess.Which("dpkg-query"), "-W -f=${Version} libzimg2", "zimg version unknown");
        return $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {cpu}, {Environment.ProcessorCount} cores (shared machine), .NET {Environment.Version}; "
            + $"{Version(suite.FFmpeg, "-hide_banner -version", "ffmpeg not installed")}; zimg {zimg}; {Version(suite.GstLaunch, "--version", "gst-launch-1.0 not installed")}.";
    }

    private static string Ratio(double r) => r.ToString(Math.Abs(r) < 1 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "x";

    private static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Table(List<(OpCase Case, Measurement GpuMesh, List<Measurement> Peers)> results, MemoryFloor floor, PeerSuite suite)
    {
        string[] peerNames = { "FFmpeg swscale", "zimg (zscale)", "GStreamer" };
        var sb = new StringBuilder();
        sb.AppendLine(MachineInfo(suite));
        sb.AppendLine();
        sb.AppendLine("ms per frame, CPU time of one thread, pass-through subtracted; ratio = peer / GpuMesh (higher = GpuMesh faster).");
        sb.AppendLine($"Memory floor: single-thread memcpy {floor.BytesPerSecond / 1e9:0.0} GB/s; floor(op) = (bytes in + bytes out) / that rate.");
        sb.AppendLine();
        sb.AppendLine("| operation | GpuMesh | FFmpeg swscale | zimg (zscale) | GStreamer | memory floor | GpuMesh / floor | target | met |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (opCase, gm, peers) in results)
        {
            double floorMs = floor.FloorMs(opCase.BytesIn, opCase.BytesOut);
            var cells = new List<string> { opCase.Title, gm.Ok ? Ms(gm.CpuMs) : "n/a" };
            double bestPeer = double.NaN;
            foreach (var name in peerNames)
            {
                var m = peers.FirstOrDefault(p => p.Who == name);
                if (m == null)
                {
                    bool installed = name == "GStreamer" ? suite.GstLaunch != null : suite.FFmpeg != null;
                    cells.Add(installed ? "-" : "not installed"); // "-": the peer has no such operation (zimg alpha-over, GStreamer float RGB)
                    continue;
                }
                if (!m.Ok) { cells.Add("failed"); continue; }
                if (double.IsNaN(bestPeer) || m.CpuMs < bestPeer) bestPeer = m.CpuMs;
                string ratio = gm.Ok && gm.CpuMs > 0 ? $" ({Ratio(m.CpuMs / gm.CpuMs)})" : "";
                string agree = m.Agreement is { Pass: false } ? " !" : "";
                cells.Add(Ms(m.CpuMs) + ratio + agree);
            }
            cells.Add(Ms(floorMs));
            cells.Add(gm.Ok ? $"{gm.CpuMs / floorMs:0.00}x" : "-");
            double target = double.IsNaN(bestPeer) ? 1.2 * floorMs : Math.Max(bestPeer / 3, 1.2 * floorMs);
            cells.Add(Ms(target));
            cells.Add(!gm.Ok ? "-" : gm.CpuMs <= target ? "yes" : $"no, {gm.CpuMs / target:0.0}x over");
            sb.AppendLine("| " + string.Join(" | ", cells) + " |");
        }
        sb.AppendLine();
        sb.AppendLine("Target: at least 3x faster than the best peer, or within 1.2x of the memory floor, whichever is slower. `!` = outputs differ beyond the tolerance. "
            + "Best peer = fastest of the three columns; extra variants (swscale's accurate flags) are in the detail table only.");
        sb.AppendLine();
        sb.AppendLine("Agreement with GpuMesh's output (first frame; absolute differences per sample) and wall-clock figures:");
        sb.AppendLine();
        sb.AppendLine("| operation | implementation | ms/frame wall | agreement vs GpuMesh | tolerance | note |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var (opCase, gm, peers) in results)
        {
            sb.AppendLine($"| {opCase.Title} | GpuMesh | {Ms(gm.WallMs)} | (reference) | | {(gm.Ok ? gm.Note : gm.Error)} |");
            foreach (var m in peers)
                sb.AppendLine($"| {opCase.Title} | {m.Who} | {Ms(m.WallMs)} | {(m.Agreement?.ToString() ?? "-")} | {opCase.Tolerance} | {(m.Ok ? m.Note : m.Error!.Split('\n')[0])} |");
        }
        sb.AppendLine();
        sb.AppendLine("Peer commands (timed run; the pass-through run reads the same files with no filter, no v210 decode/encode and no conversion element):");
        sb.AppendLine();
        foreach (var (opCase, _, peers) in results)
            foreach (var m in peers.Where(p => p.Command != null))
                sb.AppendLine($"- {opCase.Title}, {m.Who}: `{m.Command!.Replace(suite.Directory, "$DIR")}`");
        return sb.ToString();
    }
}
