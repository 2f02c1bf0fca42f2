using System.Diagnostics;
using System.Runtime.InteropServices;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>The hand-written struct stat / statfs offsets agree with the kernel's view.</summary>
public class NativeTests
{
    [Fact]
    public void StatFieldsMatchTheFileSystem()
    {
        using TempDomain d = new();
        string file = Path.Combine(d.Path, "f");
        File.WriteAllBytes(file, new byte[12345]);
        Native.FileStat st = Native.TryStat(file)!.Value;
        Assert.Equal(12345, st.Size);
        Assert.Equal(1ul, st.LinkCount);
        ProcessStartInfo psi = new("stat", ["-c", "%i %h", file]) { RedirectStandardOutput = true };
        using (Process p = Process.Start(psi)!)
        {
            string[] parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
            p.WaitForExit();
            Assert.Equal(ulong.Parse(parts[0]), st.Inode);
        }
        using (Process ln = Process.Start("ln", [file, file + ".link"])!) ln.WaitForExit();
        Assert.Equal(2ul, Native.TryStat(file)!.Value.LinkCount);
        Assert.Null(Native.TryStat(file + ".missing"));
        long atimeNs = (long)(File.GetLastAccessTimeUtc(file) - DateTime.UnixEpoch).Ticks * 100;
        Assert.InRange(st.AtimeNs - atimeNs, -1_000, 1_000);
        Assert.Equal(Native.TMPFS_MAGIC, Native.FileSystemType(d.Path));
    }

    [Fact]
    public void FutexSyscallNumberMatchesTheArchitecture()
    {
        long expected = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 98 : 202;
        Assert.Equal(expected, Native.SysFutex);
    }

    [Fact]
    public unsafe void FutexWaitReturnsAtOnceWhenTheValueDiffersAndTimesOut()
    {
        uint word = 5;
        Stopwatch sw = Stopwatch.StartNew();
        Assert.Equal(Native.EAGAIN, Native.FutexWait(&word, 4, 1_000_000_000));
        Assert.True(sw.ElapsedMilliseconds < 500);
        sw.Restart();
        Assert.Equal(Native.ETIMEDOUT, Native.FutexWait(&word, 5, 20_000_000));
        Assert.True(sw.ElapsedMilliseconds >= 15);
    }
}
