using System.Diagnostics;
using GpuMesh.Benchmarks.Common;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>Wall and CPU seconds one peer invocation took.</summary>
public readonly record struct ProcessCost(double WallSeconds, double CpuSeconds);

/// <summary>Runs a peer tool (ffmpeg, gst-launch-1.0) and measures it.</summary>
public static class PeerProcess
{
    private static readonly object RunLock = new();

    /// <summary>Finds an executable on PATH; null when it is not installed.</summary>
    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Runs the tool to completion; throws naming the step and the tool's stderr tail on failure.</summary>
    public static ProcessCost Run(string step, string exe, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        // Children's CPU time is read as a before/after delta of RUSAGE_CHILDREN: one child at a time.
        lock (RunLock)
        {
            var info = new ProcessStartInfo(exe)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var a in args) info.ArgumentList.Add(a);
            if (env != null) foreach (var (k, v) in env) info.Environment[k] = v;

            double cpuBefore = NativeTime.ChildrenCpuSeconds();
            var wall = Stopwatch.StartNew();
            using var process = Process.Start(info)
                ?? throw new InvalidOperationException($"{step}: could not start {exe}");
            var stderrTask = process.StandardError.ReadToEndAsync();
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            process.WaitForExit();
            wall.Stop();
            string stderr = stderrTask.Result;
            _ = stdoutTask.Result;
            double cpu = NativeTime.ChildrenCpuSeconds() - cpuBefore;
            if (process.ExitCode != 0)
            {
                string tail = stderr.Length > 1500 ? stderr[^1500..] : stderr;
                throw new InvalidOperationException(
                    $"{step}: {Path.GetFileName(exe)} exited with {process.ExitCode}\n  command: {exe} {string.Join(' ', args)}\n  stderr: {tail}");
            }
            return new ProcessCost(wall.Elapsed.TotalSeconds, cpu);
        }
    }

    public static string CommandLine(string exe, IReadOnlyList<string> args) =>
        Path.GetFileName(exe) + " " + string.Join(' ', args.Select(a => a.Contains(' ') || a.Contains('(') || a.Contains('[') ? $"'{a}'" : a));
}
