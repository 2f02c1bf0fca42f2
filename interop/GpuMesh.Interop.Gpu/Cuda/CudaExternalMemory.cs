using ILGPU.Runtime.Cuda;

namespace GpuMesh.Interop.Gpu.Cuda;

/// <summary>
/// Memory exported by another API (e.g. a Vulkan opaque fd) imported into CUDA and exposed as an ILGPU buffer.
/// On success CUDA owns the fd; on failure the caller still owns it.
/// </summary>
public sealed unsafe class CudaExternalMemory : IDisposable
{
    private nint _handle;

    private CudaExternalMemory(CudaAccelerator accelerator, nint handle, ulong devicePointer, long size)
    {
        Accelerator = accelerator;
        _handle = handle;
        Size = size;
        Buffer = new CudaForeignBuffer(accelerator, devicePointer, size, () => CudaDriver.cuMemFree(devicePointer));
    }

    public CudaAccelerator Accelerator { get; }
    public long Size { get; }

    /// <summary>The whole allocation as an ILGPU buffer (byte elements).</summary>
    public CudaForeignBuffer Buffer { get; }

    /// <summary>Imports an opaque fd (VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT) of <paramref name="size"/> bytes.</summary>
    public static CudaExternalMemory ImportOpaqueFd(CudaAccelerator accelerator, int fd, long size, bool dedicated)
    {
        if (fd < 0) throw new ArgumentOutOfRangeException(nameof(fd), fd, "External memory fd must not be negative.");
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "External memory size must be positive.");
        accelerator.Bind();
        var handleDesc = new CudaExternalMemoryHandleDesc
        {
            Type = CudaExternalMemoryHandleType.OpaqueFd,
            Fd = fd,
            Size = (ulong)size,
            Flags = dedicated ? CudaDriver.ExternalMemoryDedicated : 0,
        };
        CudaDriver.Check(CudaDriver.cuImportExternalMemory(out var handle, &handleDesc), $"cuImportExternalMemory(fd {fd}, {size} bytes)");
        var bufferDesc = new CudaExternalMemoryBufferDesc { Offset = 0, Size = (ulong)size };
        var mapped = CudaDriver.cuExternalMemoryGetMappedBuffer(out var devicePointer, handle, &bufferDesc);
        if (mapped != CudaResult.Success)
        {
            CudaDriver.cuDestroyExternalMemory(handle);
            CudaDriver.Check(mapped, $"cuExternalMemoryGetMappedBuffer(fd {fd}, {size} bytes)");
        }
        return new CudaExternalMemory(accelerator, handle, devicePointer, size);
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0) return;
        Accelerator.Bind();
        Buffer.Dispose();
        CudaDriver.cuDestroyExternalMemory(handle);
    }
}
