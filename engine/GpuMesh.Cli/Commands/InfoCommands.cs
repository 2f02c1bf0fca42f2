using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Cli.Commands;

internal static class InfoCommands
{
    public static Command Info()
    {
        var domain = CliParse.DomainOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object (for scripts) instead of a table" };
        var cmd = new Command("info", "List a domain's flows: format, size, rate, head index, age of the head grain, active or not.")
        {
            domain, json,
        };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(domain)!;
            if (!Directory.Exists(path))
            {
                Console.Error.WriteLine($"gpumesh info: domain '{path}' does not exist");
                return 2;
            }
            using var d = MxlDomain.Open(path, create: false);
            var report = Collect(d);
            Console.Write(parse.GetValue(json) ? ToJson(d, report) : ToTable(d, report));
            return 0;
        });
        return cmd;
    }

    public static Command Gc()
    {
        var domain = CliParse.DomainOption();
        var cmd = new Command("gc", "Remove the flows of a domain whose writer is gone (no process holds their lock).") { domain };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(domain)!;
            if (!Directory.Exists(path))
            {
                Console.Error.WriteLine($"gpumesh gc: domain '{path}' does not exist");
                return 2;
            }
            using var d = MxlDomain.Open(path, create: false);
            int before = d.ListFlows().Count;
            int removed = d.CollectGarbage();
            Console.WriteLine($"domain {d.Path}: removed {removed} inactive flow(s), {before - removed} left");
            return 0;
        });
        return cmd;
    }

    internal sealed record FlowRow(Guid Id, FlowInfo? Info, bool Active, ulong NowTai, string? Error)
    {
        public double? HeadAgeMs => Info is { GrainRate.IsValid: true } i
            ? ((long)NowTai - (long)MxlClock.IndexToTimestamp(i.GrainRate, i.HeadIndex)) / 1e6 : null;
    }

    internal static List<FlowRow> Collect(MxlDomain d)
    {
        var rows = new List<FlowRow>();
        foreach (Guid id in d.ListFlows())
        {
            bool active = false;
            try { active = d.IsFlowActive(id); } catch (MxlException) { }
            try
            {
                FlowInfo info = d.GetFlowInfo(id);
                rows.Add(new FlowRow(id, info, active, MxlClock.NowTai(), null));
            }
            catch (Exception e) when (e is MxlException or IOException)
            {
                rows.Add(new FlowRow(id, null, active, MxlClock.NowTai(), e.Message));
            }
        }
        return rows;
    }

    private static string ClockNote()
    {
        long off = MxlClock.TaiOffsetNs();
        return off == 0
            ? "CLOCK_TAI equals CLOCK_REALTIME: no PTP daemon has set the kernel's TAI offset, timestamps are UTC-based (37 s behind true TAI)"
            : $"CLOCK_TAI is {off / 1e9:F3} s ahead of CLOCK_REALTIME";
    }

    private static string ToTable(MxlDomain d, List<FlowRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"domain {d.Path} ({(d.IsOnTmpfs ? "tmpfs" : "NOT tmpfs: grains go through the page cache of a real file system")}), history {d.HistoryDurationNs / 1e6:F0} ms, {rows.Count} flow(s)");
        sb.AppendLine("clock: " + ClockNote());
        if (rows.Count == 0) return sb.ToString();
        sb.AppendLine($"{"FLOW",-36}  {"MEDIA TYPE",-14} {"SIZE",-10} {"RATE",-11} {"GRAINS",6} {"HEAD",14} {"HEAD AGE",12}  {"ACTIVE",-6} LABEL");
        foreach (var r in rows)
        {
            if (r.Info is not { } i)
            {
                sb.AppendLine($"{r.Id,-36}  error: {r.Error}");
                continue;
            }
            string size = i.IsContinuous ? $"{i.ChannelCount} ch" : i.Format == MxlDataFormat.Video ? $"{i.Width}x{i.Height}" : $"{i.GrainPayloadSize} B";
            string grains = i.IsContinuous ? i.BufferLength.ToString(CultureInfo.InvariantCulture) : i.GrainCount.ToString(CultureInfo.InvariantCulture);
            string age = r.HeadAgeMs is { } a ? $"{a:F1} ms" : "-";
            sb.AppendLine($"{r.Id,-36}  {i.MediaType,-14} {size,-10} {i.GrainRate,-11} {grains,6} {i.HeadIndex,14} {age,12}  {(r.Active ? "yes" : "no"),-6} {i.Label}");
        }
        return sb.ToString();
    }

    private static string ToJson(MxlDomain d, List<FlowRow> rows)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("domain", d.Path);
            w.WriteBoolean("tmpfs", d.IsOnTmpfs);
            w.WriteNumber("historyDurationNs", d.HistoryDurationNs);
            w.WriteNumber("nowTai", MxlClock.NowTai());
            w.WriteNumber("taiOffsetNs", MxlClock.TaiOffsetNs());
            w.WriteBoolean("taiEqualsRealtime", MxlClock.TaiOffsetNs() == 0);
            w.WriteStartArray("flows");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id.ToString());
                w.WriteBoolean("active", r.Active);
                if (r.Info is { } i)
                {
                    w.WriteString("label", i.Label);
                    w.WriteString("format", i.Format.ToString().ToLowerInvariant());
                    w.WriteString("mediaType", i.MediaType);
                    if (i.Format == MxlDataFormat.Video) { w.WriteNumber("width", i.Width); w.WriteNumber("height", i.Height); }
                    w.WriteString("rate", i.GrainRate.ToString());
                    if (i.IsContinuous) { w.WriteNumber("channelCount", i.ChannelCount); w.WriteNumber("bufferLength", i.BufferLength); }
                    else { w.WriteNumber("grainCount", i.GrainCount); w.WriteNumber("grainPayloadSize", i.GrainPayloadSize); }
                    w.WriteNumber("headIndex", i.HeadIndex);
                    if (r.HeadAgeMs is { } a) w.WriteNumber("headAgeMs", Math.Round(a, 3));
                    w.WriteNumber("lastWriteTime", i.LastWriteTime);
                    w.WriteNumber("lastReadTime", i.LastReadTime);
                }
                else w.WriteString("error", r.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + Environment.NewLine;
    }
}
