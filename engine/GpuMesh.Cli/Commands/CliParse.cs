using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using GpuMesh.Engine.Timing;

namespace GpuMesh.Cli.Commands;

/// <summary>Parsers and shared options of the gpumesh commands.</summary>
internal static class CliParse
{
    public const string DefaultDomain = "/dev/shm/gpumesh";

    /// <summary>"10s", "500ms", "2m", "1h" or plain seconds ("2.5").</summary>
    public static TimeSpan Duration(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        (string num, double scale) = t.EndsWith("ms") ? (t[..^2], 1e-3) : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0) : t.EndsWith('h') ? (t[..^1], 3600.0) : (t, 1.0);
        if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || double.IsInfinity(v))
            throw new FormatException($"duration '{text}' is not like 10s, 500ms, 2m or 1h");
        return TimeSpan.FromSeconds(v * scale);
    }

    /// <summary>"1920x1080".</summary>
    public static (int Width, int Height) Size(string text)
    {
        string[] p = text.ToLowerInvariant().Split('x');
        if (p.Length != 2 || !int.TryParse(p[0], out int w) || !int.TryParse(p[1], out int h) || w < 6 || h < 8 || w > 7680 || h > 4320)
            throw new FormatException($"size '{text}' is not WIDTHxHEIGHT between 6x8 and 7680x4320 (e.g. 1920x1080)");
        return (w, h);
    }

    /// <summary>A text option parsed (and validated at parse time) by <paramref name="parse"/>; help shows the text default.</summary>
    public static Option<T> Parsed<T>(string name, string description, Func<string, T> parse, string? defaultText, string? helpName = null)
    {
        var o = new Option<T>(name)
        {
            Description = description + (defaultText != null ? $" [default: {defaultText}]" : ""),
            HelpName = helpName ?? name.TrimStart('-'),
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : defaultText ?? "";
                try { return parse(text); }
                catch (FormatException e) { r.AddError($"{name}: {e.Message}"); return default!; }
            },
        };
        if (defaultText != null) Defaults.AddOrUpdate(o, parse(defaultText)!);
        return o;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, object> Defaults = new();

    /// <summary>The option's value, or its default when it was not given (defaults of parsed options are not shown by type).</summary>
    public static T Get<T>(this ParseResult parse, Option<T> option) =>
        parse.GetResult(option) is { Tokens.Count: > 0 } || !Defaults.TryGetValue(option, out var d) ? parse.GetValue(option)! : (T)d;

    public static Option<TimeSpan> DurationOption(string defaultText, string description) =>
        Parsed("--duration", description + " (e.g. 10s, 500ms, 2m)", Duration, defaultText, "time");

    public static Option<MediaRate> RateOption(string defaultText) =>
        Parsed("--rate", "grain rate, N/D (e.g. 50/1, 30000/1001)", MediaRate.Parse, defaultText, "N/D");

    public static Option<(int Width, int Height)> SizeOption(string defaultText) =>
        Parsed("--size", "frame size", Size, defaultText, "WxH");

    public static Option<string> DomainOption(string? defaultDomain = DefaultDomain, string? description = null) => new("--domain")
    {
        Description = description ?? "MXL domain directory (normally on tmpfs)",
        DefaultValueFactory = _ => defaultDomain ?? DefaultDomain,
    };

    public static Option<Guid> FlowOption(string name, string description, bool required) => new(name)
    {
        Description = description,
        Required = required,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (Guid.TryParse(text, out Guid g)) return g;
            r.AddError($"{name}: '{text}' is not a UUID");
            return Guid.Empty;
        },
    };

    public static string Ms(double ns) => (ns / 1e6).ToString("F2", CultureInfo.InvariantCulture);
}
