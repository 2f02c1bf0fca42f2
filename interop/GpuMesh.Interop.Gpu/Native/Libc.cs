using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Gpu.Native;

/// <summary>The few libc calls the importers need (page-aligned memory, fds).</summary>
internal static unsafe partial class Libc
{
    public const int ProtRead = 1, ProtWrite = 2;
    public const int MapShared = 1, MapPrivate = 2, MapAnonymous = 0x20;
    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dup(int fd);

    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();
}
