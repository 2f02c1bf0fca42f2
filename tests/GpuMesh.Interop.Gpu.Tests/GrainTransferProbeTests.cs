using GpuMesh.Interop.Gpu.Benchmarking;
using GpuMesh.Interop.Gpu.Vulkan;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public class GrainTransferProbeTests
{
    [SkippableTheory]
    [InlineData(GrainTransferKind.Memcpy)]
    [InlineData(GrainTransferKind.IlgpuCpuZeroCopy)]
    [InlineData(GrainTransferKind.IlgpuCpuStaged)]
    [InlineData(GrainTransferKind.VulkanZeroCopy)]
    [InlineData(GrainTransferKind.VulkanStaged)]
    [InlineData(GrainTransferKind.CudaZeroCopy)]
    [InlineData(GrainTransferKind.CudaStaged)]
    public void EveryPathImportsAndRoundTripsAGrainUnchanged(GrainTransferKind kind)
    {
        if (kind is GrainTransferKind.VulkanZeroCopy or GrainTransferKind.VulkanStaged)
            Gate.RequireVulkan();
        if (kind is GrainTransferKind.CudaZeroCopy or GrainTransferKind.CudaStaged)
            Gate.RequireCuda();
        Assert.True(GrainTransferProbe.IsSupported(kind, out var reason), reason);

        using var probe = GrainTransferProbe.Create(kind, 1920, 4);
        Assert.Equal(5120 * 4, probe.PayloadBytes);
        Patterns.Fill(probe.Payload, 61);
        var expected = probe.Payload.ToArray();
        probe.Import();
        probe.Upload();
        probe.RoundTrip();
        probe.Import();
        probe.RoundTrip();
        Assert.Equal(expected, probe.Payload.ToArray());
        Assert.False(string.IsNullOrEmpty(probe.DeviceName));
    }

    [Fact]
    public void VulkanSupportIsReportedWithAReason()
    {
        var supported = GrainTransferProbe.IsSupported(GrainTransferKind.VulkanStaged, out var reason);
        Assert.Equal(VulkanDevice.IsAvailable(out var direct), supported);
        Assert.Equal(direct, reason);
    }
}
