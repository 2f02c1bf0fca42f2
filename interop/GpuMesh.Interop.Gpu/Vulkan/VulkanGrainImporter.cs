using Silk.NET.Vulkan;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>
/// A grain slot on a Vulkan device. The whole slot mapping is imported as one host-pointer buffer
/// (<see cref="HostBuffer"/>); <see cref="Payload"/> is what shaders bind: the payload inside that buffer
/// (zero copy) or a device-local copy (staged).
/// </summary>
public sealed class VulkanImportedGrain : IImportedGrain
{
    private readonly VulkanDevice _device;
    private int _disposed;

    internal VulkanImportedGrain(VulkanDevice device, GrainMemory grain, ImportMode mode, VulkanBuffer hostBuffer, VulkanBuffer? deviceBuffer)
    {
        _device = device;
        Grain = grain;
        Mode = mode;
        HostBuffer = hostBuffer;
        DeviceBuffer = deviceBuffer;
        HostPayload = hostBuffer.Range((ulong)grain.PayloadOffset, (ulong)grain.PayloadSize);
        Payload = deviceBuffer is null ? HostPayload : deviceBuffer.Range(0, (ulong)grain.PayloadSize);
    }

    public GrainMemory Grain { get; }
    public ImportMode Mode { get; }

    /// <summary>The slot mapping imported with VK_EXT_external_memory_host.</summary>
    public VulkanBuffer HostBuffer { get; }

    /// <summary>Staged mode: the device-local copy; null in zero-copy mode.</summary>
    public VulkanBuffer? DeviceBuffer { get; }

    /// <summary>The payload inside the imported mapping.</summary>
    public VulkanBufferRange HostPayload { get; }

    /// <summary>The VkBuffer range a renderer or shader uses for this grain.</summary>
    public VulkanBufferRange Payload { get; }

    /// <summary>Staged: records the host → device copy followed by a transfer → shader barrier. Zero copy: nothing.</summary>
    public unsafe void RecordUpload(in VulkanRecording recording)
    {
        if (DeviceBuffer is null) return;
        var region = new BufferCopy { SrcOffset = HostPayload.Offset, DstOffset = 0, Size = HostPayload.Size };
        _device.Vk.CmdCopyBuffer(recording.Command, HostBuffer.Handle, DeviceBuffer.Handle, 1, &region);
        _device.RecordBarrier(recording.Command, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit,
            PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit);
    }

    /// <summary>Staged: records a shader → transfer barrier and the device → host copy. Zero copy: nothing.</summary>
    public unsafe void RecordDownload(in VulkanRecording recording)
    {
        if (DeviceBuffer is null) return;
        if (!Grain.Writable)
            throw new GrainImportException($"{Grain.Describe()}: cannot download into a read-only mapping.");
        _device.RecordBarrier(recording.Command, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit,
            AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit, PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
        var region = new BufferCopy { SrcOffset = 0, DstOffset = HostPayload.Offset, Size = HostPayload.Size };
        _device.Vk.CmdCopyBuffer(recording.Command, DeviceBuffer.Handle, HostBuffer.Handle, 1, &region);
    }

    /// <summary>
    /// Records a copy of a rendered frame (<paramref name="source"/>, e.g. a renderer's VkBuffer) into this grain:
    /// into the device copy when staged (then <see cref="RecordDownload"/>), else straight into the mapping.
    /// </summary>
    public unsafe void RecordCopyFrom(in VulkanRecording recording, VulkanBufferRange source)
    {
        if (source.Size != Payload.Size)
            throw new GrainImportException($"{Grain.Describe()}: rendered frame has {source.Size} bytes, the grain payload {Payload.Size}.");
        if (!Grain.Writable && DeviceBuffer is null)
            throw new GrainImportException($"{Grain.Describe()}: cannot write into a read-only mapping.");
        var region = new BufferCopy { SrcOffset = source.Offset, DstOffset = Payload.Offset, Size = source.Size };
        _device.Vk.CmdCopyBuffer(recording.Command, source.Handle, Payload.Handle, 1, &region);
    }

    public void Upload() => _device.SubmitAndWait(RecordUploadThenHostBarrier);

    public void Download() =>
        _device.SubmitAndWait(recording =>
        {
            RecordDownload(recording);
            _device.RecordHostReadBarrier(recording.Command);
        });

    private void RecordUploadThenHostBarrier(VulkanRecording recording) => RecordUpload(recording);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _device.WaitIdle();
        DeviceBuffer?.Dispose();
        HostBuffer.Dispose();
    }
}

/// <summary>
/// Imports grain slots into a Vulkan device: the slot mapping through VK_EXT_external_memory_host
/// (HOST_ALLOCATION; pointer and size aligned to minImportedHostPointerAlignment, checked here), plus a
/// device-local buffer in staged mode. Cached per (flow, slot).
/// </summary>
public sealed class VulkanGrainImporter : IGrainImporter<VulkanImportedGrain>
{
    private readonly GrainSlotCache<VulkanImportedGrain> _cache = new();

    public VulkanGrainImporter(VulkanDevice device, ImportMode mode)
    {
        Device = device ?? throw new ArgumentNullException(nameof(device));
        Mode = mode;
        Name = mode == ImportMode.ZeroCopy ? "vulkan/zero-copy" : "vulkan/staged";
    }

    public VulkanDevice Device { get; }
    public ImportMode Mode { get; }
    public string Name { get; }
    public int CachedSlotCount => _cache.Count;
    public long ImportCount => _cache.ImportCount;

    public VulkanImportedGrain Import(in GrainMemory grain) => _cache.GetOrImport(grain, ImportNew);

    public int ReleaseFlow(Guid flowId) => _cache.ReleaseFlow(flowId);

    private VulkanImportedGrain ImportNew(GrainMemory grain)
    {
        grain.Validate((long)Math.Max(1UL, Device.MinImportedHostPointerAlignment));
        var alignment = Math.Max(1UL, Device.MinStorageBufferOffsetAlignment);
        if ((ulong)grain.PayloadOffset % alignment != 0)
            throw new GrainImportException(
                $"{grain.Describe()}: payload offset {grain.PayloadOffset} is not a multiple of minStorageBufferOffsetAlignment ({alignment}).");
        var host = VulkanBuffer.ImportHostPointer(Device, grain.MappingAddress, (ulong)grain.MappingLength, grain.Describe());
        VulkanBuffer? device = null;
        try
        {
            if (Mode == ImportMode.Staged)
                device = VulkanBuffer.Allocate(Device, (ulong)grain.PayloadSize);
            return new VulkanImportedGrain(Device, grain, Mode, host, device);
        }
        catch
        {
            device?.Dispose();
            host.Dispose();
            throw;
        }
    }

    public void Dispose() => _cache.Dispose();
}
