using GpuMesh.Interop.Gpu.Cuda;
using GpuMesh.Interop.Gpu.Vulkan;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

/// <summary>Skip rules: Vulkan tests skip without Vulkan unless GPUMESH_REQUIRE_VULKAN=1 (CI), where they fail.</summary>
internal static class Gate
{
    public static void RequireVulkan()
    {
        if (VulkanDevice.IsAvailable(out var reason)) return;
        if (VulkanDevice.IsRequired)
            throw new InvalidOperationException($"{VulkanDevice.RequireEnvironmentVariable}=1 but Vulkan is not usable: {reason}");
        Skip.If(true, $"no Vulkan: {reason}");
    }

    public static void RequireCuda()
    {
        Skip.IfNot(CudaDriver.IsAvailable(out var reason), reason);
    }
}

/// <summary>One lavapipe device shared by the Vulkan tests of a class (device creation is the slow part).</summary>
public sealed class VulkanFixture : IDisposable
{
    private readonly Lazy<VulkanDevice> _device = new(() => VulkanDevice.Create());

    public VulkanDevice Device
    {
        get
        {
            Gate.RequireVulkan();
            return _device.Value;
        }
    }

    public void Dispose()
    {
        if (_device.IsValueCreated) _device.Value.Dispose();
    }
}

internal static class Patterns
{
    /// <summary>Deterministic, position-dependent bytes so that shifted or partial copies are caught.</summary>
    public static void Fill(Span<byte> target, uint seed)
    {
        var state = seed * 2654435761u + 1;
        for (var i = 0; i < target.Length; i++)
        {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5;
            target[i] = (byte)(state ^ (uint)i);
        }
    }

    /// <summary>Expected result of the xor-words shader/kernel.</summary>
    public static byte[] XorWords(ReadOnlySpan<byte> source, uint mask)
    {
        var result = source.ToArray();
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(result.AsSpan());
        for (var i = 0; i < words.Length; i++) words[i] ^= mask;
        return result;
    }
}
