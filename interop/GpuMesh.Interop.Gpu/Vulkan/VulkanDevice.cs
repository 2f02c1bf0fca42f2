using System.Runtime.InteropServices;
using Silk.NET.Core;
using Silk.NET.Vulkan;
using VkSemaphore = Silk.NET.Vulkan.Semaphore;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>A timeline semaphore value to wait for or signal in a submission.</summary>
public readonly record struct SemaphoreValue(VkSemaphore Semaphore, ulong Value);

/// <summary>What a recording callback gets: the command buffer and the ticket its submission will complete.</summary>
public readonly record struct VulkanRecording(CommandBuffer Command, ulong Ticket);

/// <summary>Which physical device to take.</summary>
public sealed record VulkanDeviceOptions
{
    /// <summary>Pick the first device whose name contains this (case-insensitive); null: the first suitable one, discrete GPUs first.</summary>
    public string? DeviceNameContains { get; init; }

    /// <summary>Application name reported to the driver.</summary>
    public string ApplicationName { get; init; } = "GpuMesh";
}

/// <summary>
/// One Vulkan instance + logical device with what grain import needs: VK_EXT_external_memory_host,
/// VK_KHR_external_memory_fd, timeline semaphores (Vulkan 1.2+), one compute+transfer queue.
/// Extension entry points come from vkGetDeviceProcAddr as function pointers.
/// </summary>
public sealed unsafe class VulkanDevice : IDisposable
{
    public const string ExternalMemoryHostExtension = "VK_EXT_external_memory_host";
    public const string ExternalMemoryFdExtension = "VK_KHR_external_memory_fd";
    public const string RequireEnvironmentVariable = "GPUMESH_REQUIRE_VULKAN";

    private readonly Lock _queueLock = new();
    private readonly List<(ulong Ticket, CommandBuffer Command)> _inFlight = new();
    private readonly CommandPool _commandPool;
    private readonly TimelineSemaphore _completion;
    private ulong _lastTicket;
    private bool _disposed;

    internal readonly delegate* unmanaged<Device, ExternalMemoryHandleTypeFlags, void*, MemoryHostPointerPropertiesEXT*, Result> GetMemoryHostPointerPropertiesExt;
    internal readonly delegate* unmanaged<Device, MemoryGetFdInfoKHR*, int*, Result> GetMemoryFdKhr;

    private VulkanDevice(Vk vk, Instance instance, PhysicalDevice physical, uint queueFamily, Device? existingDevice, uint queueIndex)
    {
        Vk = vk;
        Instance = instance;
        PhysicalDevice = physical;
        QueueFamilyIndex = queueFamily;

        var hostProperties = new PhysicalDeviceExternalMemoryHostPropertiesEXT { SType = StructureType.PhysicalDeviceExternalMemoryHostPropertiesExt };
        var idProperties = new PhysicalDeviceIDProperties { SType = StructureType.PhysicalDeviceIDProperties, PNext = &hostProperties };
        var properties2 = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &idProperties };
        vk.GetPhysicalDeviceProperties2(physical, &properties2);
        DeviceName = Marshal.PtrToStringUTF8((nint)properties2.Properties.DeviceName) ?? "?";
        DeviceType = properties2.Properties.DeviceType;
        ApiVersion = properties2.Properties.ApiVersion;
        MinImportedHostPointerAlignment = hostProperties.MinImportedHostPointerAlignment;
        MinStorageBufferOffsetAlignment = properties2.Properties.Limits.MinStorageBufferOffsetAlignment;
        MaxComputeWorkGroupCountX = properties2.Properties.Limits.MaxComputeWorkGroupCount[0];
        DeviceUuid = new ReadOnlySpan<byte>(idProperties.DeviceUuid, 16).ToArray();
        DriverUuid = new ReadOnlySpan<byte>(idProperties.DriverUuid, 16).ToArray();
        vk.GetPhysicalDeviceMemoryProperties(physical, out var memoryProperties);
        MemoryProperties = memoryProperties;

        OwnsDevice = existingDevice is null;
        if (existingDevice is { } existing)
            Device = existing;
        else
            Device = CreateLogicalDevice(vk, physical, queueFamily);
        vk.GetDeviceQueue(Device, queueFamily, queueIndex, out var queue);
        Queue = queue;

        GetMemoryHostPointerPropertiesExt = (delegate* unmanaged<Device, ExternalMemoryHandleTypeFlags, void*, MemoryHostPointerPropertiesEXT*, Result>)
            LoadDeviceFunction("vkGetMemoryHostPointerPropertiesEXT");
        GetMemoryFdKhr = (delegate* unmanaged<Device, MemoryGetFdInfoKHR*, int*, Result>)LoadDeviceFunction("vkGetMemoryFdKHR");

        var poolInfo = new CommandPoolCreateInfo
        {
            SType = StructureType.CommandPoolCreateInfo, QueueFamilyIndex = queueFamily, Flags = CommandPoolCreateFlags.ResetCommandBufferBit,
        };
        Check(vk.CreateCommandPool(Device, &poolInfo, null, out var pool), "vkCreateCommandPool");
        _commandPool = pool;
        _completion = new TimelineSemaphore(this, 0);
    }

    public Vk Vk { get; }

    /// <summary>False for a device wrapped with <see cref="Wrap"/>: Dispose leaves the device and instance alone.</summary>
    public bool OwnsDevice { get; }
    public Instance Instance { get; }
    public PhysicalDevice PhysicalDevice { get; }
    public Device Device { get; }
    public Queue Queue { get; }
    public uint QueueFamilyIndex { get; }
    public string DeviceName { get; }
    public PhysicalDeviceType DeviceType { get; }
    public uint ApiVersion { get; }
    public ulong MinImportedHostPointerAlignment { get; }
    public ulong MinStorageBufferOffsetAlignment { get; }
    public uint MaxComputeWorkGroupCountX { get; }
    public byte[] DeviceUuid { get; }
    public byte[] DriverUuid { get; }
    public PhysicalDeviceMemoryProperties MemoryProperties { get; }

    /// <summary>Ticket of the last completed submission.</summary>
    public ulong CompletedTicket => _completion.Value;

    /// <summary>True when the tests must run Vulkan (CI sets GPUMESH_REQUIRE_VULKAN=1).</summary>
    public static bool IsRequired => Environment.GetEnvironmentVariable(RequireEnvironmentVariable) is "1" or "true";

    private static readonly Lazy<string?> ProbeResult = new(() =>
    {
        try
        {
            using var device = Create();
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    });

    /// <summary>True when a Vulkan device with the needed extensions can be created; otherwise the reason.</summary>
    public static bool IsAvailable(out string reason)
    {
        var failure = ProbeResult.Value;
        reason = failure ?? "Vulkan available";
        return failure is null;
    }

    /// <summary>Creates an instance and a device on the first suitable physical device.</summary>
    public static VulkanDevice Create(VulkanDeviceOptions? options = null)
    {
        options ??= new VulkanDeviceOptions();
        Vk vk;
        try
        {
            vk = Vk.GetApi();
        }
        catch (Exception e) when (e is FileNotFoundException or DllNotFoundException or PlatformNotSupportedException)
        {
            throw new VulkanException($"Vulkan loader (libvulkan.so.1) not found: {e.Message}");
        }

        var appName = (byte*)Marshal.StringToHGlobalAnsi(options.ApplicationName);
        Instance instance;
        try
        {
            var appInfo = new ApplicationInfo
            {
                SType = StructureType.ApplicationInfo, PApplicationName = appName, PEngineName = appName, ApiVersion = Vk.Version12,
            };
            var instanceInfo = new InstanceCreateInfo { SType = StructureType.InstanceCreateInfo, PApplicationInfo = &appInfo };
            var created = vk.CreateInstance(&instanceInfo, null, out instance);
            if (created == Result.ErrorIncompatibleDriver)
                throw new VulkanException("No Vulkan driver (ICD) found: vkCreateInstance returned ErrorIncompatibleDriver (install mesa-vulkan-drivers for lavapipe).");
            Check(created, "vkCreateInstance");
        }
        finally
        {
            Marshal.FreeHGlobal((nint)appName);
        }

        try
        {
            var (physical, family) = SelectPhysicalDevice(vk, instance, options);
            return new VulkanDevice(vk, instance, physical, family, null, 0);
        }
        catch
        {
            vk.DestroyInstance(instance, null);
            throw;
        }
    }

    /// <summary>
    /// Uses a device created by an embedding renderer instead of creating one. The renderer must have enabled
    /// VK_EXT_external_memory_host, VK_KHR_external_memory_fd and the timelineSemaphore feature, and must not
    /// submit to <paramref name="queueIndex"/> of <paramref name="queueFamily"/> concurrently with GpuMesh.
    /// Dispose then destroys only what GpuMesh created, never the device or instance.
    /// </summary>
    public static VulkanDevice Wrap(Vk vk, Instance instance, PhysicalDevice physicalDevice, Device device, uint queueFamily, uint queueIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(vk);
        if (device.Handle == 0) throw new ArgumentException("Device handle is null.", nameof(device));
        return new VulkanDevice(vk, instance, physicalDevice, queueFamily, device, queueIndex);
    }

    private static Device CreateLogicalDevice(Vk vk, PhysicalDevice physical, uint queueFamily)
    {
        var priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo
        {
            SType = StructureType.DeviceQueueCreateInfo, QueueFamilyIndex = queueFamily, QueueCount = 1, PQueuePriorities = &priority,
        };
        var features12 = new PhysicalDeviceVulkan12Features { SType = StructureType.PhysicalDeviceVulkan12Features, TimelineSemaphore = true };
        var extensionNames = new[] { ExternalMemoryHostExtension, ExternalMemoryFdExtension };
        var extensionPointers = stackalloc byte*[extensionNames.Length];
        for (var i = 0; i < extensionNames.Length; i++)
            extensionPointers[i] = (byte*)Marshal.StringToHGlobalAnsi(extensionNames[i]);
        try
        {
            var deviceInfo = new DeviceCreateInfo
            {
                SType = StructureType.DeviceCreateInfo,
                PNext = &features12,
                QueueCreateInfoCount = 1,
                PQueueCreateInfos = &queueInfo,
                EnabledExtensionCount = (uint)extensionNames.Length,
                PpEnabledExtensionNames = extensionPointers,
            };
            Check(vk.CreateDevice(physical, &deviceInfo, null, out var device), "vkCreateDevice");
            return device;
        }
        finally
        {
            for (var i = 0; i < extensionNames.Length; i++)
                Marshal.FreeHGlobal((nint)extensionPointers[i]);
        }
    }

    private static (PhysicalDevice, uint) SelectPhysicalDevice(Vk vk, Instance instance, VulkanDeviceOptions options)
    {
        uint count = 0;
        Check(vk.EnumeratePhysicalDevices(instance, &count, null), "vkEnumeratePhysicalDevices");
        if (count == 0)
            throw new VulkanException("No Vulkan physical device found (install mesa-vulkan-drivers for lavapipe).");
        var devices = new PhysicalDevice[count];
        fixed (PhysicalDevice* pointer = devices)
            Check(vk.EnumeratePhysicalDevices(instance, &count, pointer), "vkEnumeratePhysicalDevices");

        var rejected = new List<string>();
        var candidates = new List<(PhysicalDevice Device, uint Family, PhysicalDeviceType Type)>();
        foreach (var device in devices)
        {
            vk.GetPhysicalDeviceProperties(device, out var properties);
            var name = Marshal.PtrToStringUTF8((nint)properties.DeviceName) ?? "?";
            if (options.DeviceNameContains is { } wanted && !name.Contains(wanted, StringComparison.OrdinalIgnoreCase))
            {
                rejected.Add($"{name}: name does not contain '{wanted}'");
                continue;
            }
            if (properties.ApiVersion < Vk.Version12)
            {
                rejected.Add($"{name}: Vulkan {FormatVersion(properties.ApiVersion)} < 1.2 (timeline semaphores)");
                continue;
            }
            var missing = MissingExtensions(vk, device, ExternalMemoryHostExtension, ExternalMemoryFdExtension);
            if (missing.Count > 0)
            {
                rejected.Add($"{name}: missing {string.Join(", ", missing)}");
                continue;
            }
            var features12 = new PhysicalDeviceVulkan12Features { SType = StructureType.PhysicalDeviceVulkan12Features };
            var features2 = new PhysicalDeviceFeatures2 { SType = StructureType.PhysicalDeviceFeatures2, PNext = &features12 };
            vk.GetPhysicalDeviceFeatures2(device, &features2);
            if (!features12.TimelineSemaphore)
            {
                rejected.Add($"{name}: no timelineSemaphore feature");
                continue;
            }
            var family = FindComputeQueueFamily(vk, device);
            if (family is null)
            {
                rejected.Add($"{name}: no compute queue family");
                continue;
            }
            candidates.Add((device, family.Value, properties.DeviceType));
        }
        if (candidates.Count == 0)
            throw new VulkanException($"No suitable Vulkan device: {string.Join("; ", rejected)}.");
        var best = candidates.OrderBy(c => c.Type switch
        {
            PhysicalDeviceType.DiscreteGpu => 0, PhysicalDeviceType.IntegratedGpu => 1, PhysicalDeviceType.VirtualGpu => 2, _ => 3,
        }).First();
        return (best.Device, best.Family);
    }

    private static List<string> MissingExtensions(Vk vk, PhysicalDevice device, params string[] wanted)
    {
        uint count = 0;
        vk.EnumerateDeviceExtensionProperties(device, (byte*)null, &count, null);
        var properties = new ExtensionProperties[count];
        fixed (ExtensionProperties* pointer = properties)
            vk.EnumerateDeviceExtensionProperties(device, (byte*)null, &count, pointer);
        var present = new HashSet<string>();
        foreach (var property in properties)
            present.Add(Marshal.PtrToStringUTF8((nint)property.ExtensionName) ?? "");
        return wanted.Where(w => !present.Contains(w)).ToList();
    }

    private static uint? FindComputeQueueFamily(Vk vk, PhysicalDevice device)
    {
        uint count = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(device, &count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* pointer = families)
            vk.GetPhysicalDeviceQueueFamilyProperties(device, &count, pointer);
        for (uint i = 0; i < count; i++)
            if ((families[i].QueueFlags & QueueFlags.ComputeBit) != 0)
                return i;
        return null;
    }

    private static string FormatVersion(uint version) => $"{version >> 22}.{(version >> 12) & 0x3ff}.{version & 0xfff}";

    private nint LoadDeviceFunction(string name)
    {
        PfnVoidFunction function = Vk.GetDeviceProcAddr(Device, name);
        var pointer = (nint)function;
        if (pointer == 0)
            throw new VulkanException($"vkGetDeviceProcAddr returned null for {name} on {DeviceName} (is its extension enabled on the device?).");
        return pointer;
    }

    /// <summary>
    /// Index of a memory type allowed by <paramref name="typeBits"/>: one with all <paramref name="preferred"/> flags
    /// and none of <paramref name="avoid"/> first, then one with the preferred flags, then any allowed one.
    /// </summary>
    public uint FindMemoryType(uint typeBits, MemoryPropertyFlags preferred, MemoryPropertyFlags avoid = 0)
    {
        var properties = MemoryProperties;
        int? withPreferred = null, anyAllowed = null;
        for (var i = 0; i < (int)properties.MemoryTypeCount; i++)
        {
            if ((typeBits & (1u << i)) == 0) continue;
            var flags = properties.MemoryTypes[i].PropertyFlags;
            if ((flags & preferred) == preferred)
            {
                if ((flags & avoid) == 0) return (uint)i;
                withPreferred ??= i;
            }
            anyAllowed ??= i;
        }
        return (withPreferred ?? anyAllowed) is { } index
            ? (uint)index
            : throw new VulkanException($"No memory type in bits 0x{typeBits:x} on {DeviceName}.");
    }

    public MemoryPropertyFlags MemoryTypeFlags(uint index) => MemoryProperties.MemoryTypes[(int)index].PropertyFlags;

    /// <summary>
    /// Records commands with <paramref name="record"/> and submits them, waiting for <paramref name="waits"/> and
    /// signalling <paramref name="signals"/> (timeline semaphores). Returns the submission's ticket.
    /// </summary>
    public ulong Submit(Action<VulkanRecording> record, ReadOnlySpan<SemaphoreValue> waits = default, ReadOnlySpan<SemaphoreValue> signals = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RecycleCompleted();
            var ticket = _lastTicket + 1;
            var allocateInfo = new CommandBufferAllocateInfo
            {
                SType = StructureType.CommandBufferAllocateInfo, CommandPool = _commandPool, Level = CommandBufferLevel.Primary, CommandBufferCount = 1,
            };
            Check(Vk.AllocateCommandBuffers(Device, &allocateInfo, out var command), "vkAllocateCommandBuffers");
            try
            {
                var beginInfo = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
                Check(Vk.BeginCommandBuffer(command, &beginInfo), "vkBeginCommandBuffer");
                record(new VulkanRecording(command, ticket));
                Check(Vk.EndCommandBuffer(command), "vkEndCommandBuffer");

                var waitCount = waits.Length;
                var signalCount = signals.Length + 1;
                var waitSemaphores = stackalloc VkSemaphore[Math.Max(waitCount, 1)];
                var waitValues = stackalloc ulong[Math.Max(waitCount, 1)];
                var waitStages = stackalloc PipelineStageFlags[Math.Max(waitCount, 1)];
                for (var i = 0; i < waitCount; i++)
                {
                    waitSemaphores[i] = waits[i].Semaphore;
                    waitValues[i] = waits[i].Value;
                    waitStages[i] = PipelineStageFlags.AllCommandsBit;
                }
                var signalSemaphores = stackalloc VkSemaphore[signalCount];
                var signalValues = stackalloc ulong[signalCount];
                for (var i = 0; i < signals.Length; i++)
                {
                    signalSemaphores[i] = signals[i].Semaphore;
                    signalValues[i] = signals[i].Value;
                }
                signalSemaphores[signals.Length] = _completion.Handle;
                signalValues[signals.Length] = ticket;

                var timelineInfo = new TimelineSemaphoreSubmitInfo
                {
                    SType = StructureType.TimelineSemaphoreSubmitInfo,
                    WaitSemaphoreValueCount = (uint)waitCount,
                    PWaitSemaphoreValues = waitValues,
                    SignalSemaphoreValueCount = (uint)signalCount,
                    PSignalSemaphoreValues = signalValues,
                };
                var submitInfo = new SubmitInfo
                {
                    SType = StructureType.SubmitInfo,
                    PNext = &timelineInfo,
                    WaitSemaphoreCount = (uint)waitCount,
                    PWaitSemaphores = waitSemaphores,
                    PWaitDstStageMask = waitStages,
                    CommandBufferCount = 1,
                    PCommandBuffers = &command,
                    SignalSemaphoreCount = (uint)signalCount,
                    PSignalSemaphores = signalSemaphores,
                };
                Check(Vk.QueueSubmit(Queue, 1, &submitInfo, default), "vkQueueSubmit");
            }
            catch
            {
                Vk.FreeCommandBuffers(Device, _commandPool, 1, &command);
                throw;
            }
            _lastTicket = ticket;
            _inFlight.Add((ticket, command));
            return ticket;
        }
    }

    /// <summary>Waits until submission <paramref name="ticket"/> completed.</summary>
    public void Wait(ulong ticket, TimeSpan? timeout = null)
    {
        if (!_completion.Wait(ticket, timeout ?? TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"Vulkan submission {ticket} on {DeviceName} did not complete within {timeout ?? TimeSpan.FromSeconds(60)}.");
    }

    /// <summary>Waits until every submission so far completed (before releasing buffers they use).</summary>
    public void WaitIdle()
    {
        ulong last;
        lock (_queueLock) last = _lastTicket;
        if (last > 0) Wait(last);
    }

    /// <summary>
    /// vkQueueWaitIdle: also waits until the driver's own submit thread is done with every earlier batch
    /// (Mesa's releases a timeline's wait points after the batch has signalled).
    /// </summary>
    public void WaitQueueIdle()
    {
        lock (_queueLock)
        {
            if (_disposed) return;
            Check(Vk.QueueWaitIdle(Queue), "vkQueueWaitIdle");
        }
    }

    /// <summary>Submits and waits for completion.</summary>
    public void SubmitAndWait(Action<VulkanRecording> record, ReadOnlySpan<SemaphoreValue> waits = default, ReadOnlySpan<SemaphoreValue> signals = default) =>
        Wait(Submit(record, waits, signals));

    /// <summary>A global barrier from <paramref name="source"/> writes to <paramref name="destination"/> accesses.</summary>
    public void RecordBarrier(CommandBuffer command, PipelineStageFlags sourceStage, AccessFlags source, PipelineStageFlags destinationStage, AccessFlags destination)
    {
        var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = source, DstAccessMask = destination };
        Vk.CmdPipelineBarrier(command, sourceStage, destinationStage, 0, 1, &barrier, 0, null, 0, null);
    }

    /// <summary>Makes every transfer and shader write visible to the host (record last, before waiting on the host).</summary>
    public void RecordHostReadBarrier(CommandBuffer command) =>
        RecordBarrier(command, PipelineStageFlags.TransferBit | PipelineStageFlags.ComputeShaderBit, AccessFlags.TransferWriteBit | AccessFlags.ShaderWriteBit,
            PipelineStageFlags.HostBit, AccessFlags.HostReadBit);

    private void RecycleCompleted()
    {
        var completed = _completion.Value;
        for (var i = _inFlight.Count - 1; i >= 0; i--)
        {
            if (_inFlight[i].Ticket > completed) continue;
            var command = _inFlight[i].Command;
            Vk.FreeCommandBuffers(Device, _commandPool, 1, &command);
            _inFlight.RemoveAt(i);
        }
    }

    public static void Check(Result result, string what)
    {
        if (result != Result.Success)
            throw new VulkanException($"{what} failed: {result} ({(int)result})");
    }

    public void Dispose()
    {
        lock (_queueLock)
        {
            if (_disposed) return;
            _disposed = true;
            Vk.DeviceWaitIdle(Device);
            foreach (var (_, command) in _inFlight)
            {
                var handle = command;
                Vk.FreeCommandBuffers(Device, _commandPool, 1, &handle);
            }
            _inFlight.Clear();
            _completion.Dispose();
            Vk.DestroyCommandPool(Device, _commandPool, null);
            if (OwnsDevice)
            {
                Vk.DestroyDevice(Device, null);
                Vk.DestroyInstance(Instance, null);
            }
        }
    }
}

/// <summary>A Vulkan call failed or no suitable device exists.</summary>
public sealed class VulkanException(string message) : Exception(message);
