using Silk.NET.Vulkan;
using VkBuffer = Silk.NET.Vulkan.Buffer;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>Where a <see cref="VulkanBuffer"/>'s memory comes from.</summary>
public enum VulkanMemoryOrigin
{
    /// <summary>Allocated by this device, device-local where possible.</summary>
    Device,
    /// <summary>Allocated by this device and exportable as an opaque fd.</summary>
    DeviceExportable,
    /// <summary>Host memory imported with VK_EXT_external_memory_host (zero copy).</summary>
    HostPointer,
    /// <summary>Imported from an opaque fd exported by another device or process.</summary>
    OpaqueFd,
}

/// <summary>A part of a buffer that a shader binds or a copy reads/writes.</summary>
public readonly record struct VulkanBufferRange(VulkanBuffer Buffer, ulong Offset, ulong Size)
{
    public VkBuffer Handle => Buffer.Handle;
}

/// <summary>A VkBuffer bound to its own VkDeviceMemory (storage + transfer usage).</summary>
public sealed unsafe class VulkanBuffer : IDisposable
{
    private const BufferUsageFlags Usage = BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit;
    private VkBuffer _buffer;
    private DeviceMemory _memory;
    private void* _mapped;

    private VulkanBuffer(VulkanDevice device, VkBuffer buffer, DeviceMemory memory, ulong size, ulong allocationSize, uint memoryType, VulkanMemoryOrigin origin)
    {
        Device = device;
        _buffer = buffer;
        _memory = memory;
        Size = size;
        AllocationSize = allocationSize;
        MemoryTypeIndex = memoryType;
        Origin = origin;
    }

    public VulkanDevice Device { get; }
    public VkBuffer Handle => _buffer.Handle != 0 ? _buffer : throw new ObjectDisposedException(nameof(VulkanBuffer));
    public DeviceMemory Memory => _memory;
    public ulong Size { get; }
    public ulong AllocationSize { get; }
    public uint MemoryTypeIndex { get; }
    public VulkanMemoryOrigin Origin { get; }
    public bool IsHostVisible => (Device.MemoryTypeFlags(MemoryTypeIndex) & MemoryPropertyFlags.HostVisibleBit) != 0;
    public VulkanBufferRange Whole => new(this, 0, Size);
    public VulkanBufferRange Range(ulong offset, ulong size) =>
        offset <= Size && size <= Size - offset
            ? new VulkanBufferRange(this, offset, size)
            : throw new ArgumentOutOfRangeException(nameof(offset), $"Range [{offset}, +{size}) exceeds the buffer of {Size} bytes.");

    /// <summary>A device buffer; <paramref name="exportable"/> allocates it so that <see cref="ExportOpaqueFd"/> works.</summary>
    public static VulkanBuffer Allocate(VulkanDevice device, ulong size, bool exportable = false, bool hostVisible = false)
    {
        if (size == 0) throw new ArgumentOutOfRangeException(nameof(size), "Buffer size must be positive.");
        var handleTypes = exportable ? ExternalMemoryHandleTypeFlags.OpaqueFDBit : ExternalMemoryHandleTypeFlags.None;
        var buffer = CreateBuffer(device, size, handleTypes);
        try
        {
            device.Vk.GetBufferMemoryRequirements(device.Device, buffer, out var requirements);
            var preferred = hostVisible
                ? MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit
                : MemoryPropertyFlags.DeviceLocalBit;
            var avoid = hostVisible ? 0 : MemoryPropertyFlags.HostVisibleBit;
            var memoryType = device.FindMemoryType(requirements.MemoryTypeBits, preferred, avoid);
            if (hostVisible && (device.MemoryTypeFlags(memoryType) & MemoryPropertyFlags.HostVisibleBit) == 0)
                throw new VulkanException($"No host-visible memory type for a {size}-byte buffer on {device.DeviceName}.");
            var exportInfo = new ExportMemoryAllocateInfo { SType = StructureType.ExportMemoryAllocateInfo, HandleTypes = handleTypes };
            var allocateInfo = new MemoryAllocateInfo
            {
                SType = StructureType.MemoryAllocateInfo,
                PNext = exportable ? &exportInfo : null,
                AllocationSize = requirements.Size,
                MemoryTypeIndex = memoryType,
            };
            var memory = AllocateAndBind(device, buffer, &allocateInfo, $"allocate {size} bytes");
            return new VulkanBuffer(device, buffer, memory, size, requirements.Size, memoryType,
                exportable ? VulkanMemoryOrigin.DeviceExportable : VulkanMemoryOrigin.Device);
        }
        catch
        {
            device.Vk.DestroyBuffer(device.Device, buffer, null);
            throw;
        }
    }

    /// <summary>
    /// Imports page-aligned host memory with VK_EXT_external_memory_host (HOST_ALLOCATION handle type). Pointer
    /// and size are checked against minImportedHostPointerAlignment here, because some drivers (lavapipe)
    /// accept misaligned pointers silently. <paramref name="what"/> names the memory in errors.
    /// </summary>
    public static VulkanBuffer ImportHostPointer(VulkanDevice device, nint pointer, ulong size, string what)
    {
        var alignment = device.MinImportedHostPointerAlignment;
        if (pointer == 0)
            throw new GrainImportException($"{what}: host pointer is null.");
        if (size == 0)
            throw new GrainImportException($"{what}: size must be positive.");
        if (alignment == 0 || (ulong)pointer % alignment != 0)
            throw new GrainImportException(
                $"{what}: host pointer 0x{pointer:x} is not aligned to minImportedHostPointerAlignment ({alignment} bytes) of {device.DeviceName}.");
        if (size % alignment != 0)
            throw new GrainImportException(
                $"{what}: size {size} is not a multiple of minImportedHostPointerAlignment ({alignment} bytes) of {device.DeviceName}.");

        const ExternalMemoryHandleTypeFlags handleType = ExternalMemoryHandleTypeFlags.HostAllocationBitExt;
        var hostProperties = new MemoryHostPointerPropertiesEXT { SType = StructureType.MemoryHostPointerPropertiesExt };
        VulkanDevice.Check(device.GetMemoryHostPointerPropertiesExt(device.Device, handleType, (void*)pointer, &hostProperties),
            $"{what}: vkGetMemoryHostPointerPropertiesEXT");
        var buffer = CreateBuffer(device, size, handleType);
        try
        {
            device.Vk.GetBufferMemoryRequirements(device.Device, buffer, out var requirements);
            var allowed = requirements.MemoryTypeBits & hostProperties.MemoryTypeBits;
            if (allowed == 0)
                throw new GrainImportException(
                    $"{what}: no memory type is both allowed for the buffer (0x{requirements.MemoryTypeBits:x}) and for the host pointer (0x{hostProperties.MemoryTypeBits:x}).");
            if (requirements.Size > size)
                throw new GrainImportException($"{what}: the buffer needs {requirements.Size} bytes but the host memory has {size}.");
            var memoryType = device.FindMemoryType(allowed, MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit);
            var importInfo = new ImportMemoryHostPointerInfoEXT
            {
                SType = StructureType.ImportMemoryHostPointerInfoExt, HandleType = handleType, PHostPointer = (void*)pointer,
            };
            var allocateInfo = new MemoryAllocateInfo
            {
                SType = StructureType.MemoryAllocateInfo, PNext = &importInfo, AllocationSize = size, MemoryTypeIndex = memoryType,
            };
            var memory = AllocateAndBind(device, buffer, &allocateInfo, $"{what}: import host pointer");
            return new VulkanBuffer(device, buffer, memory, size, size, memoryType, VulkanMemoryOrigin.HostPointer);
        }
        catch
        {
            device.Vk.DestroyBuffer(device.Device, buffer, null);
            throw;
        }
    }

    /// <summary>
    /// Imports an opaque fd exported by <see cref="ExportOpaqueFd"/> (this or another device/process of the same
    /// physical device). On success Vulkan owns the fd.
    /// </summary>
    public static VulkanBuffer ImportOpaqueFd(VulkanDevice device, int fd, ulong size, ulong allocationSize, uint memoryTypeIndex)
    {
        if (fd < 0) throw new ArgumentOutOfRangeException(nameof(fd), fd, "fd must not be negative.");
        const ExternalMemoryHandleTypeFlags handleType = ExternalMemoryHandleTypeFlags.OpaqueFDBit;
        var buffer = CreateBuffer(device, size, handleType);
        try
        {
            device.Vk.GetBufferMemoryRequirements(device.Device, buffer, out var requirements);
            if ((requirements.MemoryTypeBits & (1u << (int)memoryTypeIndex)) == 0)
                throw new VulkanException($"opaque fd {fd}: memory type {memoryTypeIndex} is not allowed for the buffer (0x{requirements.MemoryTypeBits:x}).");
            if (requirements.Size > allocationSize)
                throw new VulkanException($"opaque fd {fd}: the buffer needs {requirements.Size} bytes, the allocation has {allocationSize}.");
            var importInfo = new ImportMemoryFdInfoKHR { SType = StructureType.ImportMemoryFDInfoKhr, HandleType = handleType, Fd = fd };
            var allocateInfo = new MemoryAllocateInfo
            {
                SType = StructureType.MemoryAllocateInfo, PNext = &importInfo, AllocationSize = allocationSize, MemoryTypeIndex = memoryTypeIndex,
            };
            var memory = AllocateAndBind(device, buffer, &allocateInfo, $"import opaque fd {fd}");
            return new VulkanBuffer(device, buffer, memory, size, allocationSize, memoryTypeIndex, VulkanMemoryOrigin.OpaqueFd);
        }
        catch
        {
            device.Vk.DestroyBuffer(device.Device, buffer, null);
            throw;
        }
    }

    /// <summary>Exports the memory as a new opaque fd (the caller owns it). Only for exportable buffers.</summary>
    public int ExportOpaqueFd()
    {
        if (Origin != VulkanMemoryOrigin.DeviceExportable)
            throw new InvalidOperationException($"Buffer of origin {Origin} was not allocated as exportable.");
        var getInfo = new MemoryGetFdInfoKHR
        {
            SType = StructureType.MemoryGetFDInfoKhr, Memory = _memory, HandleType = ExternalMemoryHandleTypeFlags.OpaqueFDBit,
        };
        int fd;
        VulkanDevice.Check(Device.GetMemoryFdKhr(Device.Device, &getInfo, &fd), "vkGetMemoryFdKHR");
        return fd;
    }

    /// <summary>Maps host-visible memory (once) and returns its bytes.</summary>
    public Span<byte> MapSpan()
    {
        if (!IsHostVisible)
            throw new InvalidOperationException($"Memory type {MemoryTypeIndex} of this buffer is not host visible.");
        if (_mapped == null)
        {
            void* mapped;
            VulkanDevice.Check(Device.Vk.MapMemory(Device.Device, _memory, 0, Vk.WholeSize, 0, &mapped), "vkMapMemory");
            _mapped = mapped;
        }
        return new Span<byte>(_mapped, checked((int)Size));
    }

    private static VkBuffer CreateBuffer(VulkanDevice device, ulong size, ExternalMemoryHandleTypeFlags handleTypes)
    {
        var externalInfo = new ExternalMemoryBufferCreateInfo { SType = StructureType.ExternalMemoryBufferCreateInfo, HandleTypes = handleTypes };
        var createInfo = new BufferCreateInfo
        {
            SType = StructureType.BufferCreateInfo,
            PNext = handleTypes != ExternalMemoryHandleTypeFlags.None ? &externalInfo : null,
            Size = size,
            Usage = Usage,
            SharingMode = SharingMode.Exclusive,
        };
        VulkanDevice.Check(device.Vk.CreateBuffer(device.Device, &createInfo, null, out var buffer), $"vkCreateBuffer({size} bytes)");
        return buffer;
    }

    private static DeviceMemory AllocateAndBind(VulkanDevice device, VkBuffer buffer, MemoryAllocateInfo* allocateInfo, string what)
    {
        VulkanDevice.Check(device.Vk.AllocateMemory(device.Device, allocateInfo, null, out var memory), $"{what}: vkAllocateMemory");
        var bound = device.Vk.BindBufferMemory(device.Device, buffer, memory, 0);
        if (bound != Result.Success)
        {
            device.Vk.FreeMemory(device.Device, memory, null);
            VulkanDevice.Check(bound, $"{what}: vkBindBufferMemory");
        }
        return memory;
    }

    public void Dispose()
    {
        if (_buffer.Handle == 0) return;
        if (_mapped != null) Device.Vk.UnmapMemory(Device.Device, _memory);
        Device.Vk.DestroyBuffer(Device.Device, _buffer, null);
        Device.Vk.FreeMemory(Device.Device, _memory, null);
        _buffer = default;
        _memory = default;
        _mapped = null;
    }
}
