using GpuMesh.Interop.Gpu.Cuda;
using GpuMesh.Interop.Gpu.Ilgpu;
using GpuMesh.Interop.Gpu.Vulkan;
using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace GpuMesh.Interop.Gpu.Benchmarking;

/// <summary>The import paths a benchmark can compare.</summary>
public enum GrainTransferKind
{
    /// <summary>Plain memcpy of the payload into another host buffer (the baseline).</summary>
    Memcpy,
    IlgpuCpuZeroCopy,
    IlgpuCpuStaged,
    VulkanZeroCopy,
    VulkanStaged,
    CudaZeroCopy,
    CudaStaged,
}

/// <summary>
/// One v210 grain slot (8192-byte header + payload, like an MXL grain file) and one import path, for
/// benchmarks: <see cref="Import"/> measures the cold import of a slot (registration, host-pointer import),
/// <see cref="Upload"/> the per-grain transfer (staged: the copy into device memory; zero copy: nothing to copy,
/// only the device synchronisation), <see cref="RoundTrip"/> upload plus download, and for
/// <see cref="GrainTransferKind.Memcpy"/> all three are one memcpy of the payload.
/// </summary>
public sealed unsafe class GrainTransferProbe : IDisposable
{
    private const int HeaderBytes = 8192;
    private readonly HostBuffer _grainFile;
    private readonly HostBuffer? _copyTarget;
    private readonly Context? _context;
    private readonly ILGPU.Runtime.Accelerator? _accelerator;
    private readonly VulkanDevice? _vulkan;
    private readonly IGrainImporter<IImportedGrain>? _importer;
    private readonly Guid _flow = Guid.NewGuid();
    private IImportedGrain? _imported;

    private GrainTransferProbe(GrainTransferKind kind, int width, int height)
    {
        if (width < 2 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"Frame {width}x{height} is too small.");
        Kind = kind;
        PayloadBytes = (width + 47) / 48 * 128 * height;
        _grainFile = new HostBuffer(HeaderBytes + PayloadBytes);
        _grainFile.Span.Slice(HeaderBytes, PayloadBytes).Fill(0x5A);
        try
        {
            switch (kind)
            {
                case GrainTransferKind.Memcpy:
                    _copyTarget = new HostBuffer(PayloadBytes);
                    break;
                case GrainTransferKind.IlgpuCpuZeroCopy or GrainTransferKind.IlgpuCpuStaged:
                    _context = Context.Create(b => b.CPU());
                    _accelerator = _context.CreateCPUAccelerator(0);
                    _importer = new IlgpuGrainImporter(_accelerator, kind == GrainTransferKind.IlgpuCpuZeroCopy ? ImportMode.ZeroCopy : ImportMode.Staged);
                    break;
                case GrainTransferKind.CudaZeroCopy or GrainTransferKind.CudaStaged:
                    if (!CudaDriver.IsAvailable(out var reason)) throw new NotSupportedException(reason);
                    _context = Context.Create(b => b.Cuda());
                    _accelerator = _context.CreateCudaAccelerator(0);
                    _importer = new IlgpuGrainImporter(_accelerator, kind == GrainTransferKind.CudaZeroCopy ? ImportMode.ZeroCopy : ImportMode.Staged);
                    break;
                case GrainTransferKind.VulkanZeroCopy or GrainTransferKind.VulkanStaged:
                    _vulkan = VulkanDevice.Create();
                    _importer = new VulkanGrainImporter(_vulkan, kind == GrainTransferKind.VulkanZeroCopy ? ImportMode.ZeroCopy : ImportMode.Staged);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown transfer kind.");
            }
            if (_importer is not null)
                _imported = _importer.Import(Grain);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Creates a probe for a <paramref name="width"/>x<paramref name="height"/> v210 grain.</summary>
    public static GrainTransferProbe Create(GrainTransferKind kind, int width, int height) => new(kind, width, height);

    /// <summary>Whether <paramref name="kind"/> can run on this machine, and why not.</summary>
    public static bool IsSupported(GrainTransferKind kind, out string reason)
    {
        switch (kind)
        {
            case GrainTransferKind.CudaZeroCopy or GrainTransferKind.CudaStaged:
                return CudaDriver.IsAvailable(out reason);
            case GrainTransferKind.VulkanZeroCopy or GrainTransferKind.VulkanStaged:
                return VulkanDevice.IsAvailable(out reason);
            default:
                reason = "always available";
                return true;
        }
    }

    public GrainTransferKind Kind { get; }

    /// <summary>Payload bytes of one grain.</summary>
    public int PayloadBytes { get; }

    /// <summary>The device (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)", "CPU accelerator"), for reports.</summary>
    public string DeviceName => _vulkan?.DeviceName ?? _accelerator?.Name ?? "host memcpy";

    /// <summary>The host payload (to fill before, or check after, a transfer).</summary>
    public Span<byte> Payload => _grainFile.Span.Slice(HeaderBytes, PayloadBytes);

    private GrainMemory Grain => _grainFile.AsGrain(_flow, 0, HeaderBytes, PayloadBytes, writable: true);

    /// <summary>Releases the slot and imports it again (cold import cost).</summary>
    public void Import()
    {
        if (_importer is null)
        {
            Memcpy();
            return;
        }
        _importer.ReleaseFlow(_flow);
        _imported = _importer.Import(Grain);
    }

    /// <summary>The per-grain transfer into the device.</summary>
    public void Upload()
    {
        if (_imported is null)
        {
            Memcpy();
            return;
        }
        _imported.Upload();
        if (_imported.Mode == ImportMode.ZeroCopy) _accelerator?.Synchronize();
    }

    /// <summary>Upload and download (an output grain written by the device).</summary>
    public void RoundTrip()
    {
        if (_imported is null)
        {
            Memcpy();
            return;
        }
        _imported.Upload();
        _imported.Download();
    }

    private void Memcpy()
    {
        var source = (void*)(_grainFile.Address + HeaderBytes);
        Buffer.MemoryCopy(source, (void*)_copyTarget!.Address, _copyTarget.Length, PayloadBytes);
    }

    public void Dispose()
    {
        _importer?.Dispose();
        _vulkan?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
        _copyTarget?.Dispose();
        _grainFile.Dispose();
    }
}
