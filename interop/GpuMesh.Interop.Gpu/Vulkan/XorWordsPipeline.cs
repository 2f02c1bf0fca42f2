using GpuMesh.Interop.Gpu.Vulkan.Shaders;
using Silk.NET.Vulkan;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>
/// The compute shader that processes a grain on Vulkan: dst[i] = src[i] ^ mask over 32-bit words
/// (mask 0x3FFFFFFF inverts every 10-bit v210 component). Source and destination may be host-imported grains,
/// device-local buffers or imported fds.
/// </summary>
public sealed unsafe class XorWordsPipeline : IDisposable
{
    /// <summary>Inverts every 10-bit component of v210 words.</summary>
    public const uint InvertV210Mask = 0x3FFF_FFFF;
    private const uint LocalSize = 256;
    private const uint MaxSetsPerPool = 64;

    private readonly VulkanDevice _device;
    private readonly ShaderModule _module;
    private readonly DescriptorSetLayout _setLayout;
    private readonly PipelineLayout _layout;
    private readonly Pipeline _pipeline;
    private readonly List<(ulong Ticket, DescriptorPool Pool)> _retiredPools = new();
    private readonly Lock _lock = new();
    private DescriptorPool _pool;
    private ulong _poolLastTicket;
    private uint _poolUsed;
    private bool _disposed;

    public XorWordsPipeline(VulkanDevice device)
    {
        _device = device;
        var vk = device.Vk;
        fixed (uint* code = SpirvShaders.XorWords)
        {
            var moduleInfo = new ShaderModuleCreateInfo
            {
                SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)(SpirvShaders.XorWords.Length * sizeof(uint)), PCode = code,
            };
            VulkanDevice.Check(vk.CreateShaderModule(device.Device, &moduleInfo, null, out _module), "vkCreateShaderModule(xor_words)");
        }
        var bindings = stackalloc DescriptorSetLayoutBinding[2];
        for (uint i = 0; i < 2; i++)
            bindings[i] = new DescriptorSetLayoutBinding
            {
                Binding = i, DescriptorType = DescriptorType.StorageBuffer, DescriptorCount = 1, StageFlags = ShaderStageFlags.ComputeBit,
            };
        var setLayoutInfo = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = 2, PBindings = bindings };
        VulkanDevice.Check(vk.CreateDescriptorSetLayout(device.Device, &setLayoutInfo, null, out _setLayout), "vkCreateDescriptorSetLayout");
        var pushRange = new PushConstantRange { StageFlags = ShaderStageFlags.ComputeBit, Offset = 0, Size = 8 };
        var setLayout = _setLayout;
        var layoutInfo = new PipelineLayoutCreateInfo
        {
            SType = StructureType.PipelineLayoutCreateInfo, SetLayoutCount = 1, PSetLayouts = &setLayout, PushConstantRangeCount = 1, PPushConstantRanges = &pushRange,
        };
        VulkanDevice.Check(vk.CreatePipelineLayout(device.Device, &layoutInfo, null, out _layout), "vkCreatePipelineLayout");
        var entry = stackalloc byte[] { (byte)'m', (byte)'a', (byte)'i', (byte)'n', 0 };
        var pipelineInfo = new ComputePipelineCreateInfo
        {
            SType = StructureType.ComputePipelineCreateInfo,
            Stage = new PipelineShaderStageCreateInfo
            {
                SType = StructureType.PipelineShaderStageCreateInfo, Stage = ShaderStageFlags.ComputeBit, Module = _module, PName = entry,
            },
            Layout = _layout,
        };
        VulkanDevice.Check(vk.CreateComputePipelines(device.Device, default, 1, &pipelineInfo, null, out _pipeline), "vkCreateComputePipelines(xor_words)");
        _pool = CreatePool();
    }

    /// <summary>
    /// Records the dispatch over <paramref name="source"/> into <paramref name="destination"/> (same size, a multiple
    /// of 4 bytes, offsets aligned to minStorageBufferOffsetAlignment). Add barriers around it as needed.
    /// </summary>
    public void Record(in VulkanRecording recording, VulkanBufferRange source, VulkanBufferRange destination, uint mask)
    {
        if (source.Size != destination.Size)
            throw new ArgumentException($"Source ({source.Size} bytes) and destination ({destination.Size} bytes) differ in size.");
        if (source.Size % 4 != 0 || source.Size == 0)
            throw new ArgumentException($"Range size {source.Size} must be a positive multiple of 4 bytes.");
        var alignment = Math.Max(1UL, _device.MinStorageBufferOffsetAlignment);
        if (source.Offset % alignment != 0 || destination.Offset % alignment != 0)
            throw new ArgumentException(
                $"Offsets {source.Offset} and {destination.Offset} must be multiples of minStorageBufferOffsetAlignment ({alignment}).");
        var words = source.Size / 4;
        if (words > uint.MaxValue)
            throw new ArgumentException($"Range of {source.Size} bytes is too large for one dispatch.");

        var set = AllocateSet(recording.Ticket);
        var infos = stackalloc DescriptorBufferInfo[2];
        infos[0] = new DescriptorBufferInfo { Buffer = source.Handle, Offset = source.Offset, Range = source.Size };
        infos[1] = new DescriptorBufferInfo { Buffer = destination.Handle, Offset = destination.Offset, Range = destination.Size };
        var writes = stackalloc WriteDescriptorSet[2];
        for (uint i = 0; i < 2; i++)
            writes[i] = new WriteDescriptorSet
            {
                SType = StructureType.WriteDescriptorSet, DstSet = set, DstBinding = i, DescriptorCount = 1,
                DescriptorType = DescriptorType.StorageBuffer, PBufferInfo = &infos[i],
            };
        var vk = _device.Vk;
        vk.UpdateDescriptorSets(_device.Device, 2, writes, 0, null);
        vk.CmdBindPipeline(recording.Command, PipelineBindPoint.Compute, _pipeline);
        vk.CmdBindDescriptorSets(recording.Command, PipelineBindPoint.Compute, _layout, 0, 1, &set, 0, null);
        var constants = stackalloc uint[2] { (uint)words, mask };
        vk.CmdPushConstants(recording.Command, _layout, ShaderStageFlags.ComputeBit, 0, 8, constants);
        var groups = (uint)Math.Min((words + LocalSize - 1) / LocalSize, Math.Min(65535u, _device.MaxComputeWorkGroupCountX));
        vk.CmdDispatch(recording.Command, Math.Max(groups, 1), 1, 1);
    }

    /// <summary>Runs the shader once and waits: the simplest way to process one grain.</summary>
    public void Run(VulkanBufferRange source, VulkanBufferRange destination, uint mask) =>
        _device.SubmitAndWait(recording =>
        {
            Record(recording, source, destination, mask);
            _device.RecordHostReadBarrier(recording.Command);
        });

    private DescriptorSet AllocateSet(ulong ticket)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Pools are recycled whole once every submission that used them completed.
            var completed = _device.CompletedTicket;
            for (var i = _retiredPools.Count - 1; i >= 0; i--)
            {
                if (_retiredPools[i].Ticket > completed) continue;
                _device.Vk.DestroyDescriptorPool(_device.Device, _retiredPools[i].Pool, null);
                _retiredPools.RemoveAt(i);
            }
            if (_poolUsed == MaxSetsPerPool)
            {
                _retiredPools.Add((_poolLastTicket, _pool));
                _pool = CreatePool();
                _poolUsed = 0;
            }
            var setLayout = _setLayout;
            var allocateInfo = new DescriptorSetAllocateInfo
            {
                SType = StructureType.DescriptorSetAllocateInfo, DescriptorPool = _pool, DescriptorSetCount = 1, PSetLayouts = &setLayout,
            };
            VulkanDevice.Check(_device.Vk.AllocateDescriptorSets(_device.Device, &allocateInfo, out var set), "vkAllocateDescriptorSets");
            _poolUsed++;
            _poolLastTicket = Math.Max(_poolLastTicket, ticket);
            return set;
        }
    }

    private DescriptorPool CreatePool()
    {
        var size = new DescriptorPoolSize { Type = DescriptorType.StorageBuffer, DescriptorCount = MaxSetsPerPool * 2 };
        var poolInfo = new DescriptorPoolCreateInfo { SType = StructureType.DescriptorPoolCreateInfo, MaxSets = MaxSetsPerPool, PoolSizeCount = 1, PPoolSizes = &size };
        VulkanDevice.Check(_device.Vk.CreateDescriptorPool(_device.Device, &poolInfo, null, out var pool), "vkCreateDescriptorPool");
        return pool;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _device.WaitIdle();
            var vk = _device.Vk;
            foreach (var (_, pool) in _retiredPools) vk.DestroyDescriptorPool(_device.Device, pool, null);
            vk.DestroyDescriptorPool(_device.Device, _pool, null);
            vk.DestroyPipeline(_device.Device, _pipeline, null);
            vk.DestroyPipelineLayout(_device.Device, _layout, null);
            vk.DestroyDescriptorSetLayout(_device.Device, _setLayout, null);
            vk.DestroyShaderModule(_device.Device, _module, null);
        }
    }
}
