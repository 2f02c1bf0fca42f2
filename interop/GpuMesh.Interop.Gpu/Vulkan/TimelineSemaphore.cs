using Silk.NET.Vulkan;
using VkSemaphore = Silk.NET.Vulkan.Semaphore;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>
/// A Vulkan timeline semaphore: orders "grain N imported / processed / written" by value, between
/// submissions and the host.
/// </summary>
public sealed unsafe class TimelineSemaphore : IDisposable
{
    private readonly VulkanDevice _device;
    private VkSemaphore _handle;

    public TimelineSemaphore(VulkanDevice device, ulong initialValue = 0)
    {
        _device = device;
        var typeInfo = new SemaphoreTypeCreateInfo
        {
            SType = StructureType.SemaphoreTypeCreateInfo, SemaphoreType = SemaphoreType.Timeline, InitialValue = initialValue,
        };
        var createInfo = new SemaphoreCreateInfo { SType = StructureType.SemaphoreCreateInfo, PNext = &typeInfo };
        VulkanDevice.Check(device.Vk.CreateSemaphore(device.Device, &createInfo, null, out var handle), "vkCreateSemaphore(timeline)");
        _handle = handle;
    }

    public VkSemaphore Handle => _handle.Handle != 0 ? _handle : throw new ObjectDisposedException(nameof(TimelineSemaphore));

    /// <summary>The current counter value.</summary>
    public ulong Value
    {
        get
        {
            ulong value;
            VulkanDevice.Check(_device.Vk.GetSemaphoreCounterValue(_device.Device, Handle, &value), "vkGetSemaphoreCounterValue");
            return value;
        }
    }

    /// <summary>Signals <paramref name="value"/> from the host (must be greater than the current value).</summary>
    public void Signal(ulong value)
    {
        var signalInfo = new SemaphoreSignalInfo { SType = StructureType.SemaphoreSignalInfo, Semaphore = Handle, Value = value };
        VulkanDevice.Check(_device.Vk.SignalSemaphore(_device.Device, &signalInfo), $"vkSignalSemaphore({value})");
    }

    /// <summary>Waits until the counter reaches <paramref name="value"/>; false on timeout.</summary>
    public bool Wait(ulong value, TimeSpan timeout)
    {
        var handle = Handle;
        var waitInfo = new SemaphoreWaitInfo
        {
            SType = StructureType.SemaphoreWaitInfo, SemaphoreCount = 1, PSemaphores = &handle, PValues = &value,
        };
        var nanoseconds = timeout == Timeout.InfiniteTimeSpan ? ulong.MaxValue : (ulong)Math.Max(0, timeout.Ticks) * 100;
        var result = _device.Vk.WaitSemaphores(_device.Device, &waitInfo, nanoseconds);
        if (result == Result.Timeout) return false;
        VulkanDevice.Check(result, $"vkWaitSemaphores({value})");
        return true;
    }

    public SemaphoreValue At(ulong value) => new(Handle, value);

    /// <summary>
    /// Destroys the semaphore once the queue is idle: a host that saw the last value may otherwise destroy it while
    /// Mesa's submit thread still releases its wait points (a use after free that crashed or hung the process).
    /// </summary>
    public void Dispose()
    {
        if (_handle.Handle == 0) return;
        _device.WaitQueueIdle();
        _device.Vk.DestroySemaphore(_device.Device, _handle, null);
        _handle = default;
    }
}
