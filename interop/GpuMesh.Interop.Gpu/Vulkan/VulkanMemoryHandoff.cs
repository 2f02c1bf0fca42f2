using System.Buffers.Binary;
using System.Net.Sockets;
using GpuMesh.Interop.Gpu.Native;

namespace GpuMesh.Interop.Gpu.Vulkan;

/// <summary>
/// What another process needs to import an exported buffer: the opaque fd plus size, allocation size, memory
/// type and the exporting device's UUIDs (import is only valid on the same physical device and driver).
/// </summary>
public sealed record VulkanMemoryHandoff(int Fd, ulong Size, ulong AllocationSize, uint MemoryTypeIndex, byte[] DeviceUuid, byte[] DriverUuid)
{
    private const uint Magic = 0x474D_4844; // "GMHD"
    private const int MessageLength = 4 + 8 + 8 + 4 + 16 + 16;

    /// <summary>Exports <paramref name="buffer"/> (allocated exportable) as a new fd.</summary>
    public static VulkanMemoryHandoff Export(VulkanBuffer buffer) =>
        new(buffer.ExportOpaqueFd(), buffer.Size, buffer.AllocationSize, buffer.MemoryTypeIndex, buffer.Device.DeviceUuid, buffer.Device.DriverUuid);

    /// <summary>Imports the memory into <paramref name="device"/> (Vulkan takes the fd on success).</summary>
    public VulkanBuffer Import(VulkanDevice device)
    {
        if (!device.DeviceUuid.AsSpan().SequenceEqual(DeviceUuid) || !device.DriverUuid.AsSpan().SequenceEqual(DriverUuid))
            throw new VulkanException(
                $"Opaque fd {Fd} was exported by device {Convert.ToHexString(DeviceUuid)} / driver {Convert.ToHexString(DriverUuid)}; " +
                $"{device.DeviceName} is {Convert.ToHexString(device.DeviceUuid)} / {Convert.ToHexString(device.DriverUuid)}.");
        return VulkanBuffer.ImportOpaqueFd(device, Fd, Size, AllocationSize, MemoryTypeIndex);
    }

    /// <summary>Sends the handoff over a connected Unix socket (the fd travels as SCM_RIGHTS).</summary>
    public void Send(Socket socket)
    {
        Span<byte> message = stackalloc byte[MessageLength];
        BinaryPrimitives.WriteUInt32LittleEndian(message, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(message[4..], Size);
        BinaryPrimitives.WriteUInt64LittleEndian(message[12..], AllocationSize);
        BinaryPrimitives.WriteUInt32LittleEndian(message[20..], MemoryTypeIndex);
        DeviceUuid.CopyTo(message[24..]);
        DriverUuid.CopyTo(message[40..]);
        FdPassing.Send(socket, Fd, message);
    }

    /// <summary>Receives a handoff; the message is untrusted and checked before use.</summary>
    public static VulkanMemoryHandoff Receive(Socket socket)
    {
        Span<byte> message = stackalloc byte[MessageLength + 1];
        var fd = FdPassing.Receive(socket, message, out var length);
        try
        {
            if (length != MessageLength || BinaryPrimitives.ReadUInt32LittleEndian(message) != Magic)
                throw new IOException($"Memory handoff message has {length} bytes or a wrong magic (expected {MessageLength} bytes).");
            var size = BinaryPrimitives.ReadUInt64LittleEndian(message[4..]);
            var allocationSize = BinaryPrimitives.ReadUInt64LittleEndian(message[12..]);
            if (size == 0 || allocationSize < size)
                throw new IOException($"Memory handoff: size {size} / allocation size {allocationSize} are inconsistent.");
            return new VulkanMemoryHandoff(fd, size, allocationSize, BinaryPrimitives.ReadUInt32LittleEndian(message[20..]),
                message.Slice(24, 16).ToArray(), message.Slice(40, 16).ToArray());
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Closes the fd when it was not imported.</summary>
    public void CloseFd() => Libc.close(Fd);
}
