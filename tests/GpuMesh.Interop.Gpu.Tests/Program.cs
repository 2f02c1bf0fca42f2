using System.Net.Sockets;
using GpuMesh.Interop.Gpu.Vulkan;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Interop.Gpu.Tests;

/// <summary>
/// Entry point of the test assembly when run as a child process (`dotnet GpuMesh.Interop.Gpu.Tests.dll writer ...`):
/// an MXL writer in another process for the cross-process import tests. The test runner never calls it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["writer", var domainPath, var flowText, var widthText, var heightText, var firstText, var countText, var seedText])
            return RunWriter(domainPath, Guid.Parse(flowText), int.Parse(widthText), int.Parse(heightText),
                ulong.Parse(firstText), int.Parse(countText), uint.Parse(seedText));
        if (args is ["vk-exporter", var socketPath, var sizeText, var seedText2])
            return RunVulkanExporter(socketPath, int.Parse(sizeText), uint.Parse(seedText2));
        Console.Error.WriteLine("usage: writer <domain> <flow-id> <width> <height> <first-index> <count> <seed>");
        Console.Error.WriteLine("       vk-exporter <unix-socket> <size> <seed>");
        return 2;
    }

    /// <summary>Writes grains first..first+count-1 with <see cref="ChildWriter.Pattern"/>, says "ready", and keeps the flow alive until stdin closes.</summary>
    private static int RunWriter(string domainPath, Guid flowId, int width, int height, ulong first, int count, uint seed)
    {
        using var domain = MxlDomain.Open(domainPath);
        using var writer = domain.CreateFlowWriter(FlowDefinitions.Video(flowId, "gpu import source", width, height, new Rational(50, 1), false));
        for (var i = 0; i < count; i++)
        {
            var index = first + (ulong)i;
            var access = writer.OpenGrain(index);
            ChildWriter.Pattern(access.Payload, seed, index);
            writer.CommitAll();
        }
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    /// <summary>Fills exportable device memory with a pattern, sends its opaque fd over the socket, waits for stdin to close.</summary>
    private static unsafe int RunVulkanExporter(string socketPath, int size, uint seed)
    {
        using var device = VulkanDevice.Create();
        using var shared = VulkanBuffer.Allocate(device, (ulong)size, exportable: true);
        using (var staging = new HostBuffer(size))
        {
            Patterns.Fill(staging.Span[..size], seed);
            using var source = VulkanBuffer.ImportHostPointer(device, staging.Address, (ulong)staging.Length, "exporter staging");
            device.SubmitAndWait(r =>
            {
                var region = new Silk.NET.Vulkan.BufferCopy { Size = (ulong)size };
                device.Vk.CmdCopyBuffer(r.Command, source.Handle, shared.Handle, 1, &region);
                device.RecordHostReadBarrier(r.Command);
            });
        }
        var handoff = VulkanMemoryHandoff.Export(shared);
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            handoff.Send(socket);
        }
        handoff.CloseFd(); // the receiver has its own copy
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }
}

internal static class ChildWriter
{
    /// <summary>The payload the writer process puts in grain <paramref name="index"/>.</summary>
    public static void Pattern(Span<byte> payload, uint seed, ulong index) => Patterns.Fill(payload, seed + (uint)index * 7919);
}
