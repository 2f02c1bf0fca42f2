using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Benchmarks.Latency;

/// <summary>
/// Commit-to-wake latency across processes: this process writes a data flow, a child process blocks in
/// FlowReader.GetGrain (futex wait); the writer stamps CLOCK_MONOTONIC into the grain's user area just before
/// Commit, the reader stamps again when GetGrain returns. Reports percentiles of the difference.
/// </summary>
public static class CommitToWake
{
    public const string ReaderVerb = "latency-reader";
    private static readonly Rational Rate = new(50, 1);

    public static int Run(IReadOnlyList<string> args)
    {
        int count = 2000;
        double gapMs = 2;
        bool realtime = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--count" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) && c > 0:
                    count = c; i++; break;
                case "--gap-ms" when i + 1 < args.Count && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double g) && g > 0:
                    gapMs = g; i++; break;
                case "--rt":
                    realtime = true; break;
                default:
                    throw new ArgumentException($"latency: bad option '{args[i]}' (known: --count N, --gap-ms MS, --rt)");
            }
        }

        string domainPath = Path.Combine("/dev/shm", $"gpumesh-bench-latency-{Environment.ProcessId}");
        try
        {
            using var domain = MxlDomain.Open(domainPath);
            var id = Guid.NewGuid();
            using var writer = domain.CreateFlowWriter(FlowDefinitions.Data(id, "commit-to-wake", Rate), null, out _);
            ulong first = MxlClock.CurrentIndex(Rate);

            var info = ReaderStartInfo(domainPath, id, first, count, realtime);
            using var reader = Process.Start(info) ?? throw new InvalidOperationException("latency: could not start the reader process");
            string? ready = reader.StandardOutput.ReadLine();
            if (ready != "ready")
                throw new InvalidOperationException($"latency: reader process did not start (said '{ready}'): {reader.StandardError.ReadToEnd()}");

            if (realtime) SetRealtime("writer");
            var gap = TimeSpan.FromMilliseconds(gapMs);
            for (int k = 0; k < count; k++)
            {
                Thread.Sleep(gap);
                var grain = writer.OpenGrain(first + (ulong)k);
                BinaryPrimitives.WriteInt64LittleEndian(grain.UserArea, Stopwatch.GetTimestamp());
                writer.CommitAll();
            }

            var latencies = new List<double>(count);
            string? line;
            int missed = 0;
            while ((line = reader.StandardOutput.ReadLine()) != null)
            {
                if (line.StartsWith("missed ", StringComparison.Ordinal)) { missed = int.Parse(line[7..], CultureInfo.InvariantCulture); continue; }
                latencies.Add(double.Parse(line, CultureInfo.InvariantCulture));
            }
            reader.WaitForExit();
            if (reader.ExitCode != 0)
                throw new InvalidOperationException($"latency: reader exited with {reader.ExitCode}: {reader.StandardError.ReadToEnd()}");
            if (latencies.Count == 0) throw new InvalidOperationException("latency: the reader reported no grains");

            latencies.Sort();
            double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
            Console.WriteLine($"commit-to-wake across processes, data flow, {latencies.Count} grains ({missed} missed), one commit every {gapMs} ms, writer thread and reader {(realtime ? "SCHED_FIFO 10" : "SCHED_OTHER")}:");
            Console.WriteLine($"  p50 {P(0.50):0.0} us   p90 {P(0.90):0.0} us   p99 {P(0.99):0.0} us   p99.9 {P(0.999):0.0} us   max {latencies[^1]:0.0} us");
            Console.WriteLine($"  target p99 <= 100 us: {(P(0.99) <= 100 ? "met" : $"MISSED by {P(0.99) / 100:0.00}x")}");
            Console.WriteLine("  MXL SDK reference figure: not measurable here (the MXL SDK is not installed on this machine)");
            return 0;
        }
        finally
        {
            if (Directory.Exists(domainPath)) Directory.Delete(domainPath, recursive: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_setscheduler(int pid, int policy, ref int priority);

    /// <summary>Puts the calling thread under SCHED_FIFO priority 10 (Linux: pid 0 = this thread); needs root.</summary>
    private static void SetRealtime(string who)
    {
        const int SchedFifo = 1;
        int priority = 10;
        if (sched_setscheduler(0, SchedFifo, ref priority) != 0)
            throw new InvalidOperationException($"latency: --rt: sched_setscheduler(SCHED_FIFO) for the {who} failed, errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()} (needs root or CAP_SYS_NICE)");
    }

    /// <summary>The reader child; with <paramref name="realtime"/> it runs under <c>chrt -f 10</c> (SCHED_FIFO; needs root).</summary>
    private static ProcessStartInfo ReaderStartInfo(string domain, Guid id, ulong first, int count, bool realtime)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("latency: cannot find this executable's path");
        string? chrt = realtime ? Peers.PeerProcess.Which("chrt") ?? throw new InvalidOperationException("latency: --rt needs chrt (util-linux)") : null;
        var info = new ProcessStartInfo(chrt ?? exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (chrt != null) { info.ArgumentList.Add("-f"); info.ArgumentList.Add("10"); info.ArgumentList.Add(exe); }
        // Launched as `dotnet GpuMesh.Benchmarks.dll`: pass the assembly again.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") info.ArgumentList.Add(typeof(CommitToWake).Assembly.Location);
        foreach (var a in new[] { ReaderVerb, domain, id.ToString(), first.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>The child: blocks on every grain in turn and prints one latency (µs) per line.</summary>
    public static int RunReader(IReadOnlyList<string> args)
    {
        if (args.Count != 4 || !Guid.TryParse(args[1], out var id)
            || !ulong.TryParse(args[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong first)
            || !int.TryParse(args[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count))
            throw new ArgumentException($"{ReaderVerb}: expected <domain> <flow-id> <first-index> <count>, got {string.Join(' ', args)}");
        using var domain = MxlDomain.Open(args[0], create: false);
        using var reader = domain.OpenFlowReader(id);
        var results = new double[count];
        int got = 0, missed = 0;
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        for (int k = 0; k < count; k++)
        {
            ulong index = first + (ulong)k;
            var status = reader.GetGrain(index, TimeSpan.FromSeconds(5), out var grain);
            long now = Stopwatch.GetTimestamp();
            if (status != MxlStatus.Ok)
            {
                if (status == MxlStatus.TooLate) { missed++; continue; }
                throw new InvalidOperationException($"{ReaderVerb}: flow {id} grain {index}: {status}");
            }
            long stamp = BinaryPrimitives.ReadInt64LittleEndian(grain.UserArea);
            results[got++] = (now - stamp) * 1e6 / Stopwatch.Frequency;
        }
        var output = new System.Text.StringBuilder();
        for (int i = 0; i < got; i++) output.Append(results[i].ToString("0.000", CultureInfo.InvariantCulture)).Append('\n');
        output.Append("missed ").Append(missed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Console.Out.Write(output.ToString());
        return 0;
    }
}
