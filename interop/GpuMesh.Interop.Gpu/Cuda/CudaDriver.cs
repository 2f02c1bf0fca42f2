using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Gpu.Cuda;

/// <summary>CUresult values this layer reports by name (others are printed as numbers).</summary>
public enum CudaResult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    Deinitialized = 4,
    NoDevice = 100,
    InvalidDevice = 101,
    InvalidContext = 201,
    NotMapped = 211,
    InvalidHandle = 400,
    NotSupported = 801,
    HostMemoryAlreadyRegistered = 712,
    HostMemoryNotRegistered = 713,
    OperatingSystem = 304,
}

/// <summary>CUexternalMemoryHandleType.</summary>
public enum CudaExternalMemoryHandleType
{
    OpaqueFd = 1,
    OpaqueWin32 = 2,
    OpaqueWin32Kmt = 3,
    D3D12Heap = 4,
    D3D12Resource = 5,
    D3D11Resource = 6,
    D3D11ResourceKmt = 7,
    NvSciBuf = 8,
}

/// <summary>cuMemHostRegister flags.</summary>
[Flags]
public enum CudaHostRegisterFlags : uint
{
    None = 0,
    Portable = 0x01,
    DeviceMap = 0x02,
    IoMemory = 0x04,
    ReadOnly = 0x08,
}

/// <summary>CUDA_EXTERNAL_MEMORY_HANDLE_DESC (64-bit layout: 104 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 104)]
public unsafe struct CudaExternalMemoryHandleDesc
{
    [FieldOffset(0)] public CudaExternalMemoryHandleType Type;
    /// <summary>handle.fd (union member).</summary>
    [FieldOffset(8)] public int Fd;
    /// <summary>handle.win32.handle (union member).</summary>
    [FieldOffset(8)] public nint Win32Handle;
    /// <summary>handle.win32.name (union member).</summary>
    [FieldOffset(16)] public nint Win32Name;
    [FieldOffset(24)] public ulong Size;
    /// <summary>CUDA_EXTERNAL_MEMORY_DEDICATED = 1.</summary>
    [FieldOffset(32)] public uint Flags;
    [FieldOffset(36)] public fixed uint Reserved[16];
}

/// <summary>CUDA_EXTERNAL_MEMORY_BUFFER_DESC (88 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
public unsafe struct CudaExternalMemoryBufferDesc
{
    [FieldOffset(0)] public ulong Offset;
    [FieldOffset(8)] public ulong Size;
    [FieldOffset(16)] public uint Flags;
    [FieldOffset(20)] public fixed uint Reserved[16];
}

/// <summary>Own P/Invoke of the CUDA driver API (libcuda.so.1): only what grain import needs.</summary>
public static unsafe partial class CudaDriver
{
    public const string Library = "libcuda.so.1";
    public const uint ExternalMemoryDedicated = 1;

    [LibraryImport(Library)] public static partial CudaResult cuInit(uint flags);
    [LibraryImport(Library)] public static partial CudaResult cuDriverGetVersion(out int version);
    [LibraryImport(Library)] public static partial CudaResult cuDeviceGetCount(out int count);
    [LibraryImport(Library)] public static partial CudaResult cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library, EntryPoint = "cuCtxCreate_v2")] public static partial CudaResult cuCtxCreate(out nint context, uint flags, int device);
    [LibraryImport(Library, EntryPoint = "cuCtxDestroy_v2")] public static partial CudaResult cuCtxDestroy(nint context);
    [LibraryImport(Library)] public static partial CudaResult cuCtxGetCurrent(out nint context);
    [LibraryImport(Library)] public static partial CudaResult cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial CudaResult cuCtxSynchronize();
    [LibraryImport(Library, EntryPoint = "cuMemHostRegister_v2")] public static partial CudaResult cuMemHostRegister(nint address, nuint byteSize, CudaHostRegisterFlags flags);
    [LibraryImport(Library)] public static partial CudaResult cuMemHostUnregister(nint address);
    [LibraryImport(Library, EntryPoint = "cuMemHostGetDevicePointer_v2")] public static partial CudaResult cuMemHostGetDevicePointer(out ulong devicePointer, nint hostPointer, uint flags);
    [LibraryImport(Library)] public static partial CudaResult cuImportExternalMemory(out nint externalMemory, CudaExternalMemoryHandleDesc* desc);
    [LibraryImport(Library)] public static partial CudaResult cuExternalMemoryGetMappedBuffer(out ulong devicePointer, nint externalMemory, CudaExternalMemoryBufferDesc* desc);
    [LibraryImport(Library)] public static partial CudaResult cuDestroyExternalMemory(nint externalMemory);
    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")] public static partial CudaResult cuMemFree(ulong devicePointer);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoH_v2")] public static partial CudaResult cuMemcpyDtoH(nint destination, ulong source, nuint byteCount);
    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoD_v2")] public static partial CudaResult cuMemcpyHtoD(ulong destination, nint source, nuint byteCount);
    [LibraryImport(Library)] public static partial CudaResult cuGetErrorName(CudaResult error, out nint name);

    private static readonly Lazy<(bool Ok, string Reason, int Devices)> Probe = new(ProbeDriver);

    /// <summary>True when libcuda loads, cuInit succeeds and at least one device exists.</summary>
    public static bool IsAvailable(out string reason)
    {
        var probe = Probe.Value;
        reason = probe.Reason;
        return probe.Ok;
    }

    private static (bool, string, int) ProbeDriver()
    {
        try
        {
            var init = cuInit(0);
            if (init != CudaResult.Success)
                return (false, $"no CUDA device (cuInit: {Describe(init)})", 0);
            var count = cuDeviceGetCount(out var devices);
            if (count != CudaResult.Success || devices == 0)
                return (false, "no CUDA device (cuDeviceGetCount returned 0 devices)", 0);
            return (true, $"{devices} CUDA device(s)", devices);
        }
        catch (DllNotFoundException)
        {
            return (false, $"no CUDA device ({Library} not found)", 0);
        }
        catch (EntryPointNotFoundException e)
        {
            return (false, $"no CUDA device (driver too old: {e.Message})", 0);
        }
    }

    /// <summary>Throws with <paramref name="what"/> and the CUDA error name unless <paramref name="result"/> is success.</summary>
    public static void Check(CudaResult result, string what)
    {
        if (result != CudaResult.Success)
            throw new GrainImportException($"{what} failed: {Describe(result)}");
    }

    public static string Describe(CudaResult result)
    {
        try
        {
            if (cuGetErrorName(result, out var name) == CudaResult.Success && name != 0)
                return $"{Marshal.PtrToStringUTF8(name)} ({(int)result})";
        }
        catch (DllNotFoundException) { }
        return Enum.IsDefined(result) ? $"{result} ({(int)result})" : $"CUresult {(int)result}";
    }
}
