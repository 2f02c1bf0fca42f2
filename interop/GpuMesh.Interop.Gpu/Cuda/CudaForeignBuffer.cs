using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuMesh.Interop.Gpu.Cuda;

/// <summary>
/// An ILGPU buffer over a device pointer that ILGPU did not allocate (registered host memory or imported
/// external memory). Disposing it runs <c>release</c>, never cuMemFree.
/// </summary>
public sealed class CudaForeignBuffer : MemoryBuffer
{
    private Action? _release;

    public CudaForeignBuffer(CudaAccelerator accelerator, ulong devicePointer, long lengthInBytes, Action? release)
        : base(accelerator, lengthInBytes, 1)
    {
        if (devicePointer == 0)
            throw new ArgumentException("Device pointer must not be null.", nameof(devicePointer));
        NativePtr = (nint)devicePointer;
        _release = release;
    }

    protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
        CudaMemoryBuffer.CudaMemSet((CudaStream)stream, value, targetView);

    protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        CudaMemoryBuffer.CudaCopy((CudaStream)stream, sourceView, targetView);

    protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        CudaMemoryBuffer.CudaCopy((CudaStream)stream, sourceView, targetView);

    protected override void DisposeAcceleratorObject(bool disposing)
    {
        Interlocked.Exchange(ref _release, null)?.Invoke();
        NativePtr = 0;
    }
}
