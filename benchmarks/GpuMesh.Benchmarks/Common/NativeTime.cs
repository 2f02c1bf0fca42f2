using System.Runtime.InteropServices;

namespace GpuMesh.Benchmarks.Common;

/// <summary>CPU-time clocks from libc: this thread's CPU time, and the CPU time of reaped child processes.</summary>
public static unsafe class NativeTime
{
    private const int ClockThreadCpuTimeId = 3;
    private const int RusageChildren = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal { public long Seconds; public long Microseconds; }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public TimeVal UserTime;
        public TimeVal SystemTime;
        public fixed long Rest[14];
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clockId, TimeSpec* time);

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, RUsage* usage);

    /// <summary>CPU time consumed by the calling thread, in seconds.</summary>
    public static double ThreadCpuSeconds()
    {
        TimeSpec ts;
        if (clock_gettime(ClockThreadCpuTimeId, &ts) != 0)
            throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed, errno {Marshal.GetLastPInvokeError()}");
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    /// <summary>User + system CPU time of all terminated and reaped children, in seconds.</summary>
    public static double ChildrenCpuSeconds()
    {
        RUsage usage;
        if (getrusage(RusageChildren, &usage) != 0)
            throw new InvalidOperationException($"getrusage(RUSAGE_CHILDREN) failed, errno {Marshal.GetLastPInvokeError()}");
        return usage.UserTime.Seconds + usage.UserTime.Microseconds * 1e-6
             + usage.SystemTime.Seconds + usage.SystemTime.Microseconds * 1e-6;
    }
}
