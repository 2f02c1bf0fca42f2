using System.Diagnostics;
using System.Runtime.InteropServices;
using GpuMesh.Benchmarks.Common;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>Single-thread memcpy rate: the floor any frame operation that reads its input and writes its output must pay.</summary>
public sealed unsafe class MemoryFloor
{
    /// <summary>Bytes copied per second (each byte counted once), best of the repeats, on CPU time.</summary>
    public double BytesPerSecond { get; }

    /// <summary>Same, on wall time.</summary>
    public double WallBytesPerSecond { get; }

    public long BlockBytes { get; }

    private MemoryFloor(double cpuRate, double wallRate, long blockBytes)
    {
        BytesPerSecond = cpuRate;
        WallBytesPerSecond = wallRate;
        BlockBytes = blockBytes;
    }

    /// <summary>Copies a block far larger than the caches, on the calling thread, and keeps the best rate.</summary>
    public static MemoryFloor Measure(long blockBytes = 256L << 20, int repeats = 7)
    {
        if (blockBytes < 1 << 20) throw new ArgumentOutOfRangeException(nameof(blockBytes), blockBytes, "memcpy floor block must be at least 1 MiB");
        byte* src = (byte*)NativeMemory.AlignedAlloc((nuint)blockBytes, 4096);
        byte* dst = (byte*)NativeMemory.AlignedAlloc((nuint)blockBytes, 4096);
        try
        {
            // Touch every page first so page faults are not timed.
            new Span<byte>(src, (int)Math.Min(blockBytes, int.MaxValue)).Fill(0x5A);
            new Span<byte>(dst, (int)Math.Min(blockBytes, int.MaxValue)).Clear();
            double bestCpu = double.MaxValue, bestWall = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                double cpu0 = NativeTime.ThreadCpuSeconds();
                long t0 = Stopwatch.GetTimestamp();
                Buffer.MemoryCopy(src, dst, blockBytes, blockBytes);
                double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                double cpu = NativeTime.ThreadCpuSeconds() - cpu0;
                bestCpu = Math.Min(bestCpu, cpu);
                bestWall = Math.Min(bestWall, wall);
            }
            return new MemoryFloor(blockBytes / bestCpu, blockBytes / bestWall, blockBytes);
        }
        finally
        {
            NativeMemory.AlignedFree(src);
            NativeMemory.AlignedFree(dst);
        }
    }

    /// <summary>Floor for an operation that reads <paramref name="bytesIn"/> and writes <paramref name="bytesOut"/>, in ms.</summary>
    public double FloorMs(long bytesIn, long bytesOut) => (bytesIn + bytesOut) / BytesPerSecond * 1e3;
}
