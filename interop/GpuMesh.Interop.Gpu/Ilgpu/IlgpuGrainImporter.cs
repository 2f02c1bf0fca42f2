using System.Runtime.CompilerServices;
using GpuMesh.Interop.Gpu.Cuda;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace GpuMesh.Interop.Gpu.Ilgpu;

/// <summary>A grain slot as an ILGPU view: the payload bytes the kernels take.</summary>
public sealed unsafe class IlgpuImportedGrain : IImportedGrain
{
    private readonly MemoryBuffer _buffer;
    private readonly Action? _release;
    private int _disposed;

    internal IlgpuImportedGrain(GrainMemory grain, ImportMode mode, MemoryBuffer buffer, ArrayView<byte> view, Action? release)
    {
        Grain = grain;
        Mode = mode;
        _buffer = buffer;
        View = view;
        _release = release;
    }

    public GrainMemory Grain { get; }
    public ImportMode Mode { get; }

    /// <summary>The payload in accelerator-visible memory (the mapping itself in zero-copy mode).</summary>
    public ArrayView<byte> View { get; }

    /// <summary>The payload as 32-bit words (v210 words), when the payload is a multiple of 4 bytes.</summary>
    public ArrayView<uint> Words => View.Cast<uint>();

    public void Upload()
    {
        ThrowIfDisposed();
        if (Mode == ImportMode.ZeroCopy) return;
        var accelerator = _buffer.Accelerator;
        accelerator.Bind();
        View.CopyFromCPU(ref Unsafe.AsRef<byte>((void*)Grain.PayloadAddress), Grain.PayloadSize);
    }

    public void Download()
    {
        ThrowIfDisposed();
        var accelerator = _buffer.Accelerator;
        accelerator.Bind();
        if (Mode == ImportMode.ZeroCopy)
        {
            accelerator.Synchronize();
            return;
        }
        if (!Grain.Writable)
            throw new GrainImportException($"{Grain.Describe()}: cannot download into a read-only mapping.");
        View.CopyToCPU(ref Unsafe.AsRef<byte>((void*)Grain.PayloadAddress), Grain.PayloadSize);
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new ObjectDisposedException(nameof(IlgpuImportedGrain), $"{Grain.Describe()} was released.");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _buffer.Accelerator.Bind();
        _buffer.Dispose();
        _release?.Invoke();
    }
}

/// <summary>
/// Imports grain slots into an ILGPU accelerator. Zero copy: on the CPU accelerator the payload is wrapped
/// (CPUMemoryBuffer over the pointer); on CUDA the whole slot mapping is registered once per process
/// (cuMemHostRegister DEVICEMAP, plus READ_ONLY for reader mappings) and its device pointer wrapped.
/// Staged: a device buffer per slot, filled by <see cref="IlgpuImportedGrain.Upload"/>.
/// </summary>
public sealed class IlgpuGrainImporter : IGrainImporter<IlgpuImportedGrain>
{
    private readonly GrainSlotCache<IlgpuImportedGrain> _cache = new();

    public IlgpuGrainImporter(Accelerator accelerator, ImportMode mode)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (mode == ImportMode.ZeroCopy && accelerator is not CPUAccelerator && accelerator is not CudaAccelerator)
            throw new NotSupportedException(
                $"Zero-copy import is available on the CPU and CUDA accelerators, not on {accelerator.AcceleratorType} ({accelerator.Name}); use ImportMode.Staged.");
        Accelerator = accelerator;
        Mode = mode;
        Name = $"ilgpu-{accelerator.AcceleratorType.ToString().ToLowerInvariant()}/{(mode == ImportMode.ZeroCopy ? "zero-copy" : "staged")}";
    }

    public Accelerator Accelerator { get; }
    public ImportMode Mode { get; }
    public string Name { get; }
    public int CachedSlotCount => _cache.Count;

    /// <summary>How many imports were created so far (a cache hit creates none).</summary>
    public long ImportCount => _cache.ImportCount;

    public IlgpuImportedGrain Import(in GrainMemory grain) => _cache.GetOrImport(grain, ImportNew);

    public int ReleaseFlow(Guid flowId) => _cache.ReleaseFlow(flowId);

    private IlgpuImportedGrain ImportNew(GrainMemory grain)
    {
        grain.Validate(HostBuffer.PageSize);
        Accelerator.Bind();
        if (Mode == ImportMode.Staged)
        {
            var staging = Accelerator.Allocate1D<byte>(grain.PayloadSize);
            return new IlgpuImportedGrain(grain, Mode, staging, staging.View, null);
        }
        switch (Accelerator)
        {
            case CPUAccelerator:
            {
                var wrapped = CPUMemoryBuffer.Create(Accelerator, grain.PayloadAddress, grain.PayloadSize, 1);
                return new IlgpuImportedGrain(grain, Mode, wrapped, wrapped.AsRawArrayView(), null);
            }
            case CudaAccelerator cuda:
            {
                var mappingPointer = CudaHostRegistry.Acquire(cuda, grain);
                var address = grain.MappingAddress;
                var buffer = new CudaForeignBuffer(cuda, mappingPointer, grain.MappingLength, null);
                var view = buffer.AsRawArrayView(grain.PayloadOffset, grain.PayloadSize);
                return new IlgpuImportedGrain(grain, Mode, buffer, view, () => CudaHostRegistry.Release(cuda, address));
            }
            default:
                throw new NotSupportedException($"{grain.Describe()}: zero copy is not supported on {Accelerator.AcceleratorType}.");
        }
    }

    public void Dispose() => _cache.Dispose();
}
