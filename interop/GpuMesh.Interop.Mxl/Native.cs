using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Mxl;

/// <summary>libc entry points used by the media plane (Linux, x86-64 and arm64).</summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MAP_POPULATE = 0x8000;

    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EEXIST = 17;
    public const int ENOTEMPTY = 39;
    public const int ETIMEDOUT = 110;
    public const int ENOENT = 2;

    public const int AT_FDCWD = -100;
    public const uint RENAME_NOREPLACE = 1;

    public const int FUTEX_WAIT = 0;
    public const int FUTEX_WAKE = 1;

    public const int CLOCK_REALTIME = 0;
    public const int CLOCK_TAI = 11;
    public const int TIMER_ABSTIME = 1;

    public const long UTIME_NOW = (1L << 30) - 1;
    public const long UTIME_OMIT = (1L << 30) - 2;

    public const uint IN_ATTRIB = 0x4;
    public const uint IN_ACCESS = 0x1;
    public const int IN_CLOEXEC = 0x80000;

    public const long TMPFS_MAGIC = 0x01021994;

    // struct stat offsets are the same on x86-64 and arm64 (generic) for these fields.
    private const int StatBufferSize = 256;
    private const int StatInoOffset = 8;
    private const int StatSizeOffset = 48;
    private const int StatAtimeOffset = 72;

    public static readonly long SysFutex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => throw new PlatformNotSupportedException("futex syscall number unknown for " + RuntimeInformation.ProcessArchitecture),
    };

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint addr, nuint length);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall6(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport(Libc, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport(Libc, EntryPoint = "mkdtemp", SetLastError = true)]
    private static partial nint Mkdtemp(byte* template);

    [LibraryImport(Libc, EntryPoint = "posix_fallocate")]
    public static partial int PosixFallocate(int fd, long offset, long length);

    [LibraryImport(Libc, EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, byte* statBuffer);

    [LibraryImport(Libc, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* statBuffer);

    [LibraryImport(Libc, EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statfs(string path, byte* buffer);

    [LibraryImport(Libc, EntryPoint = "futimens", SetLastError = true)]
    private static partial int Futimens(int fd, Timespec* times);

    [LibraryImport(Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGettime(int clockId, Timespec* ts);

    [LibraryImport(Libc, EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clockId, int flags, Timespec* request, Timespec* remain);

    [LibraryImport(Libc, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chmod(string path, uint mode);

    [LibraryImport(Libc, EntryPoint = "inotify_init1", SetLastError = true)]
    public static partial int InotifyInit1(int flags);

    [LibraryImport(Libc, EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport(Libc, EntryPoint = "inotify_rm_watch", SetLastError = true)]
    public static partial int InotifyRmWatch(int fd, int watch);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);


    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static string ErrnoText(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>Shared (not private) futex wait: works across processes mapping the same file.</summary>
    public static int FutexWait(uint* address, uint expected, long timeoutNs)
    {
        Timespec ts = new() { Seconds = timeoutNs / 1_000_000_000, Nanoseconds = timeoutNs % 1_000_000_000 };
        long r = Syscall6(SysFutex, (nint)address, FUTEX_WAIT, (nint)expected, (nint)(&ts), 0, 0);
        return r < 0 ? LastErrno : 0;
    }

    public static void FutexWakeAll(uint* address)
    {
        Syscall6(SysFutex, (nint)address, FUTEX_WAKE, int.MaxValue, 0, 0, 0);
    }

    public static string MakeTempDirectory(string template)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(template + "\0");
        fixed (byte* p = bytes)
        {
            if (Mkdtemp(p) == 0)
                throw new IOException($"mkdtemp('{template}') failed: {ErrnoText(LastErrno)}");
        }
        return System.Text.Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }

    public readonly record struct FileStat(ulong Inode, long Size, long AtimeNs, ulong LinkCount);

    // st_nlink: 8 bytes at 16 on x86-64; 4 bytes at 20 on arm64 (after a 4-byte st_mode).
    private static readonly bool NlinkIs64At16 = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    private static FileStat Decode(byte* buf) => new(
        *(ulong*)(buf + StatInoOffset),
        *(long*)(buf + StatSizeOffset),
        *(long*)(buf + StatAtimeOffset) * 1_000_000_000L + *(long*)(buf + StatAtimeOffset + 8),
        NlinkIs64At16 ? *(ulong*)(buf + 16) : *(uint*)(buf + 20));

    public static FileStat FStat(int fd, string pathForErrors)
    {
        byte* buf = stackalloc byte[StatBufferSize];
        if (Fstat(fd, buf) != 0)
            throw new IOException($"fstat('{pathForErrors}') failed: {ErrnoText(LastErrno)}");
        return Decode(buf);
    }

    /// <summary>stat(2) of a path; null when it does not exist (or cannot be read).</summary>
    public static FileStat? TryStat(string path)
    {
        byte* buf = stackalloc byte[StatBufferSize];
        return Stat(path, buf) == 0 ? Decode(buf) : null;
    }

    public static long? FileSystemType(string path)
    {
        byte* buf = stackalloc byte[256];
        return Statfs(path, buf) == 0 ? *(long*)buf : null;
    }

    /// <summary>Sets the access time of a file to now, leaving its modification time alone.</summary>
    public static bool TouchAccessTime(int fd)
    {
        Timespec* times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = 0, Nanoseconds = UTIME_NOW };
        times[1] = new Timespec { Seconds = 0, Nanoseconds = UTIME_OMIT };
        return Futimens(fd, times) == 0;
    }

    public static long ClockNs(int clockId)
    {
        Timespec ts;
        if (ClockGettime(clockId, &ts) != 0)
            throw new IOException($"clock_gettime({clockId}) failed: {ErrnoText(LastErrno)}");
        return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
    }

    /// <summary>Sleeps until an absolute CLOCK_TAI time; false when the kernel refuses the clock.</summary>
    public static bool SleepUntilTai(long taiNs)
    {
        Timespec ts = new() { Seconds = taiNs / 1_000_000_000, Nanoseconds = taiNs % 1_000_000_000 };
        while (true)
        {
            int r = ClockNanosleep(CLOCK_TAI, TIMER_ABSTIME, &ts, null);
            if (r == 0) return true;
            if (r != EINTR) return false;
        }
    }
}
