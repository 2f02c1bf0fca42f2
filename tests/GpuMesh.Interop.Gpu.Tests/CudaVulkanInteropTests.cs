using GpuMesh.Interop.Gpu.Cuda;
using GpuMesh.Interop.Gpu.Vulkan;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

/// <summary>Runs only where CUDA and a Vulkan driver for the same GPU exist (skips with "no CUDA device" elsewhere).</summary>
public class CudaVulkanInteropTests
{
    [SkippableFact]
    public unsafe void VulkanOpaqueFdIsImportedIntoCudaAndProcessedByAnIlgpuKernel()
    {
        Gate.RequireCuda();
        Gate.RequireVulkan();
        using var vulkan = VulkanDevice.Create();
        Skip.If(vulkan.DeviceType != Silk.NET.Vulkan.PhysicalDeviceType.DiscreteGpu, $"Vulkan device {vulkan.DeviceName} is not a GPU that CUDA can share");
        const int size = 1 << 20;
        using var host = new HostBuffer(size);
        Patterns.Fill(host.Span, 71);
        using var shared = VulkanBuffer.Allocate(vulkan, size, exportable: true);
        using (var source = VulkanBuffer.ImportHostPointer(vulkan, host.Address, size, "input"))
            vulkan.SubmitAndWait(r =>
            {
                var region = new Silk.NET.Vulkan.BufferCopy { Size = size };
                vulkan.Vk.CmdCopyBuffer(r.Command, source.Handle, shared.Handle, 1, &region);
                vulkan.RecordHostReadBarrier(r.Command);
            });

        using var context = Context.Create(b => b.Cuda());
        using var accelerator = context.CreateCudaAccelerator(0);
        var handoff = VulkanMemoryHandoff.Export(shared);
        CudaExternalMemory external;
        try
        {
            external = CudaExternalMemory.ImportOpaqueFd(accelerator, handoff.Fd, (long)handoff.AllocationSize, dedicated: false);
        }
        catch
        {
            handoff.CloseFd();
            throw;
        }
        using (external)
        {
            var words = external.Buffer.AsRawArrayView(0, size).Cast<uint>();
            using var result = accelerator.Allocate1D<uint>(size / 4);
            var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, uint>(
                (i, s, d, mask) => d[i] = s[i] ^ mask);
            kernel(size / 4, words, result.View, XorWordsPipeline.InvertV210Mask);
            accelerator.Synchronize();
            var actual = result.GetAsArray1D();
            var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(Patterns.XorWords(host.Span, XorWordsPipeline.InvertV210Mask)).ToArray();
            Assert.Equal(expected, actual);
        }
    }
}
