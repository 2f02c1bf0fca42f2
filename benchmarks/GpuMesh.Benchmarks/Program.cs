using BenchmarkDotNet.Running;
using GpuMesh.Benchmarks.Peers;

namespace GpuMesh.Benchmarks;

/// <summary>
/// Entry point. BenchmarkDotNet suites by default (<c>--job quick|full</c>, then BenchmarkSwitcher arguments such as
/// <c>--filter</c> or <c>--anyCategories kernels</c>); <c>peers</c> runs the side-by-side comparison, <c>floor</c>
/// prints the memcpy floor, <c>latency</c> measures MXL commit-to-wake across processes.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length > 0)
            {
                switch (args[0])
                {
                    case "peers":
                        return PeerComparison.Run(PeerOptions.Parse(args[1..]));
                    case "floor":
                        var floor = MemoryFloor.Measure();
                        Console.WriteLine($"memcpy, 1 thread, {floor.BlockBytes >> 20} MiB: {floor.BytesPerSecond / 1e9:0.00} GB/s (CPU time), {floor.WallBytesPerSecond / 1e9:0.00} GB/s (wall)");
                        return 0;
                    case "latency":
                        return Latency.CommitToWake.Run(args[1..]);
                    case Latency.CommitToWake.ReaderVerb:
                        return Latency.CommitToWake.RunReader(args[1..]);
                }
            }
            var (config, rest) = BenchConfigs.FromArgs(args);
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 64;
        }
    }
}
