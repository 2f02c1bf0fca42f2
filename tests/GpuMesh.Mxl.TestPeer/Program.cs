// Helper process for the MXL cross-process tests. Each mode prints "ready" once its flow is open.
using System.Diagnostics;
using GpuMesh.Interop.Mxl;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: peer <mode> <domain> <flow-def-file> [args...]");
    return 2;
}
string mode = args[0];
using MxlDomain domain = MxlDomain.Open(args[1]);
string json = File.ReadAllText(args[2]);

switch (mode)
{
    case "hold":
    {
        // Create the flow and hold it until killed; with "go", create only after a line on stdin.
        if (args.Length > 3 && args[3] == "go")
        {
            Console.WriteLine("waiting");
            Console.ReadLine();
        }
        using FlowWriter writer = domain.CreateFlowWriter(json, null, out bool created);
        Console.WriteLine(created ? "ready created" : "ready opened");
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }
    case "commit":
    {
        // commit <domain> <def> <index> <delayMs> [validSlices]: open the existing flow, wait, commit one grain.
        ulong index = ulong.Parse(args[3]);
        int delayMs = int.Parse(args[4]);
        using FlowWriter writer = domain.CreateFlowWriter(json, null, out _);
        Console.WriteLine("ready");
        Console.ReadLine(); // "go"
        Thread.Sleep(delayMs);
        GrainWriteAccess g = writer.OpenGrain(index);
        g.Payload.Fill((byte)(index & 0xFF));
        if (args.Length > 5) writer.Commit(ushort.Parse(args[5]));
        else writer.CommitAll();
        Console.WriteLine("committed");
        return 0;
    }
    case "audio":
    {
        // audio <domain> <def> <firstIndex> <batch> <batches> <delayMs>: commit batches, sample value = absolute index.
        ulong index = ulong.Parse(args[3]);
        int batch = int.Parse(args[4]);
        int batches = int.Parse(args[5]);
        int delayMs = int.Parse(args[6]);
        using ContinuousFlowWriter writer = domain.CreateContinuousFlowWriter(json, null, out _);
        Console.WriteLine("ready");
        Console.ReadLine(); // "go"
        for (int b = 0; b < batches; b++)
        {
            Thread.Sleep(delayMs);
            index += (ulong)batch;
            SampleWriteAccess w = writer.OpenSamples(index, batch);
            for (int c = 0; c < w.ChannelCount; c++)
            {
                for (int f = 0; f < 2; f++)
                {
                    Span<float> s = w.GetFragment<float>(c, f);
                    ulong first = index - (ulong)batch + 1 + (f == 0 ? 0UL : (ulong)w.FirstFragmentLength);
                    for (int i = 0; i < s.Length; i++) s[i] = first + (ulong)i + (ulong)c * 1_000_000;
                }
            }
            writer.Commit();
            Console.WriteLine($"committed {index}");
        }
        return 0;
    }
    case "pong":
    {
        // pong <domain> <def> <replyFlowDefFile> <count>: for each grain i of the flow, commit grain i in the reply flow
        // (commit-to-wake round trips for latency measurement).
        string replyJson = File.ReadAllText(args[3]);
        int count = int.Parse(args[4]);
        FlowDefinition def = FlowDefinition.Parse(json);
        using FlowWriter reply = domain.CreateFlowWriter(replyJson, null, out _);
        using FlowReader reader = domain.OpenFlowReader(def.Id);
        Console.WriteLine("ready");
        for (int i = 1; i <= count; i++)
        {
            MxlStatus s = reader.GetGrain((ulong)i, TimeSpan.FromSeconds(5), out _);
            if (s != MxlStatus.Ok)
            {
                Console.WriteLine($"error {s} at {i}");
                return 1;
            }
            reply.OpenGrain((ulong)i);
            reply.CommitAll();
        }
        return 0;
    }
    case "latency-writer":
    {
        // latency-writer <domain> <def> <count> <periodUs>: commit grains 1..count, TAI commit time in the user area.
        int count = int.Parse(args[3]);
        int periodUs = int.Parse(args[4]);
        using FlowWriter writer = domain.CreateFlowWriter(json, null, out _);
        Console.WriteLine("ready");
        Console.ReadLine(); // "go": the reader is waiting
        Stopwatch clock = Stopwatch.StartNew();
        for (int i = 1; i <= count; i++)
        {
            long due = (long)i * periodUs * Stopwatch.Frequency / 1_000_000;
            while (clock.ElapsedTicks < due) Thread.Sleep(0);
            GrainWriteAccess g = writer.OpenGrain((ulong)i);
            g.Payload[0] = (byte)i;
            BitConverter.TryWriteBytes(g.UserArea, MxlClock.NowTai());
            writer.CommitAll();
        }
        Console.ReadLine(); // "done": keep the flow until the reader finished
        return 0;
    }
    case "latency-reader":
    {
        // latency-reader <domain> <def> <count>: blocking reads; prints commit-to-wake latency percentiles.
        int count = int.Parse(args[3]);
        FlowDefinition def = FlowDefinition.Parse(json);
        using FlowReader reader = domain.OpenFlowReader(def.Id);
        Console.WriteLine("ready");
        double[] us = new double[count];
        for (int i = 1; i <= count; i++)
        {
            MxlStatus s = reader.GetGrain((ulong)i, TimeSpan.FromSeconds(5), out GrainView g);
            ulong woke = MxlClock.NowTai();
            if (s != MxlStatus.Ok)
            {
                Console.WriteLine($"error {s} at {i}");
                return 1;
            }
            us[i - 1] = (woke - BitConverter.ToUInt64(g.UserArea)) / 1000.0;
        }
        int warm = Math.Min(count / 10, 100); // JIT and page faults of the first grains
        double[] steady = us[warm..];
        Array.Sort(steady);
        Console.WriteLine($"commit-to-wake n={steady.Length} (after {warm} warm-up) p50={Pct(steady, 50):F1}us p90={Pct(steady, 90):F1}us p99={Pct(steady, 99):F1}us max={steady[^1]:F1}us");
        return 0;
    }
    case "overhead":
    {
        // overhead <domain> <def> <iterations>: in-process cost of OpenGrain+CommitAll and TryGetGrain.
        int n = int.Parse(args[3]);
        FlowDefinition def = FlowDefinition.Parse(json);
        using FlowWriter writer = domain.CreateFlowWriter(json, null, out _);
        using FlowReader reader = domain.OpenFlowReader(def.Id);
        for (int round = 0; round < 2; round++)
        {
            Stopwatch sw = Stopwatch.StartNew();
            for (int i = 1; i <= n; i++)
            {
                writer.OpenGrain((ulong)(round * n + i));
                writer.CommitAll();
            }
            double commitNs = sw.Elapsed.TotalNanoseconds / n;
            ulong head = writer.HeadIndex;
            sw.Restart();
            for (int i = 0; i < n; i++) reader.TryGetGrain(head - (ulong)(i % 4), out _);
            double getNs = sw.Elapsed.TotalNanoseconds / n;
            sw.Restart();
            for (int i = 0; i < n; i++) reader.TryGetGrain(head + 1, out _);
            double earlyNs = sw.Elapsed.TotalNanoseconds / n;
            if (round == 1)
                Console.WriteLine($"open+commit {commitNs:F0} ns, get (ok) {getNs:F0} ns, get (too early) {earlyNs:F0} ns, n={n}");
        }
        return 0;
    }
    default:
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
}

static double Pct(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p / 100))];
