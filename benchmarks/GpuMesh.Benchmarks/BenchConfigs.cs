using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace GpuMesh.Benchmarks;

/// <summary>Benchmark categories (use with <c>--anyCategories</c>).</summary>
public static class Categories
{
    public const string MediaPlane = "mediaplane";
    public const string Kernels = "kernels";
    public const string Importers = "importers";
    public const string EndToEnd = "endtoend";
}

/// <summary>The quick job (few iterations, for a shared 2-core machine) and the full job (BenchmarkDotNet defaults, for reports).</summary>
public static class BenchConfigs
{
    public static IConfig Quick() => Base(Job.Default
        .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("quick"));

    public static IConfig Full() => Base(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("full"));

    private static IConfig Base(Job job)
    {
        string root = Environment.GetEnvironmentVariable("GPUMESH_ARTIFACTS") is { Length: > 0 } a ? a : Path.Combine(Environment.CurrentDirectory, "artifacts");
        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(CategoriesColumn.Default)
            .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
            .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(root, "benchmark-results"))
            .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithTimeUnit(Perfolizer.Horology.TimeUnit.Microsecond))
            .WithOptions(ConfigOptions.JoinSummary);
    }

    /// <summary>Takes <c>--job quick|full</c> off the arguments (default quick) and returns the rest for BenchmarkSwitcher.</summary>
    public static (IConfig Config, string[] Remaining) FromArgs(string[] args)
    {
        var rest = new List<string>();
        IConfig config = Quick();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--job" && i + 1 < args.Length && args[i + 1] is "quick" or "full")
            {
                config = args[++i] == "full" ? Full() : Quick();
                continue;
            }
            rest.Add(args[i]);
        }
        return (config, rest.ToArray());
    }
}
