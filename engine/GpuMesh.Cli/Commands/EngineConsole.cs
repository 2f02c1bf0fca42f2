using System.Globalization;
using System.Text;
using GpuMesh.Engine;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Scheduling;

namespace GpuMesh.Cli.Commands;

/// <summary>Live status line and end-of-run summary of an engine run.</summary>
internal static class EngineConsole
{
    /// <summary>Prints the status every 0.5 s (one line rewritten on a terminal, a line per 2 s when redirected) until cancelled.</summary>
    public static Thread StartStatus(Func<string> line, CancellationToken ct)
    {
        var t = new Thread(() =>
        {
            bool tty = !Console.IsOutputRedirected;
            int lastLength = 0;
            while (!ct.WaitHandle.WaitOne(tty ? 500 : 2000))
            {
                string s = line();
                if (tty)
                {
                    Console.Write("\r" + s.PadRight(lastLength));
                    lastLength = s.Length;
                }
                else Console.WriteLine(s);
            }
            if (tty && lastLength > 0) Console.Write("\r" + new string(' ', lastLength) + "\r");
        }) { IsBackground = true, Name = "gpumesh-status" };
        t.Start();
        return t;
    }

    public static string Summary(GraphEngine engine, TimeSpan elapsed)
    {
        EngineMetrics m = engine.Metrics;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        double period = engine.Rate.PeriodMs;
        var lat = m.Latency.Summary();
        sb.AppendLine($"backend      {engine.BackendDescription}, working format {engine.Options.WorkingFormat}, pipeline depth {engine.Options.PipelineDepth}");
        sb.AppendLine(string.Create(inv, $"run          {elapsed.TotalSeconds:F1} s at {engine.Rate} ({period:F2} ms per grain)"));
        sb.AppendLine($"frames       {m.Out} committed, {m.OutInvalid} invalid, {m.Skipped} skipped, {m.OutLate} later than one period, {m.Realigned} realignments ({m.DroppedIndices} indices dropped)");
        foreach (var i in m.Inputs)
            sb.AppendLine($"input        {i.Name}: {i.In} in, {i.Late} late, {i.Invalid} invalid, {i.Repeated} repeated, {i.FlowInvalid} flow-invalid, {i.Reopened} reopened");
        sb.AppendLine(string.Create(inv, $"latency      p50 {lat.P50Ms:F2} ms, p99 {lat.P99Ms:F2} ms, max {lat.MaxMs:F2} ms (commit time - grain timestamp; p99 is {lat.P99Ms / period:F2} grain periods)"));
        long lateInputs = m.Inputs.Sum(i => i.Late);
        bool realTime = m.OutLate == 0 && m.DroppedIndices == 0 && lateInputs == 0 && lat.P99Ns < (long)engine.Rate.PeriodNs;
        sb.AppendLine(realTime
            ? $"verdict      real time: every grain committed within one period, no late input, p99 latency under one period"
            : $"verdict      NOT real time: {m.OutLate} grains committed later than one period, {m.DroppedIndices} indices dropped, {lateInputs} late inputs (load average now {LoadAverage()})");
        sb.AppendLine("stage times  (ms per grain: p50 / p99 / max)");
        foreach (var (name, rec) in m.Stages)
        {
            var s = rec.Summary();
            if (s.Count == 0) continue;
            sb.AppendLine(string.Create(inv, $"  {name,-22} {s.P50Ms,7:F2} / {s.P99Ms,7:F2} / {s.MaxMs,7:F2}"));
        }
        return sb.ToString();
    }

    /// <summary>The 1-minute load average (Linux), to judge timings on a shared machine.</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }

    public static string Status(GraphEngine engine, string? extra = null) =>
        engine.Metrics.StatusLine() + (extra is null ? "" : " | " + extra);
}
