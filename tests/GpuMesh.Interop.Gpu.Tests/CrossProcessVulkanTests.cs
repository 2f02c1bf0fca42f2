using System.Diagnostics;
using System.Net.Sockets;
using GpuMesh.Interop.Gpu.Vulkan;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public sealed class CrossProcessVulkanTests(VulkanFixture fixture) : IClassFixture<VulkanFixture>
{
    [SkippableFact]
    public void OpaqueFdFromAnotherProcessSharesItsDeviceMemory()
    {
        var device = fixture.Device;
        const int size = 256 * 1024;
        const uint seed = 91;
        var socketPath = Path.Combine(Path.GetTempPath(), $"gpumesh-fd-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        using var child = ChildProcess.Start("vk-exporter", socketPath, size.ToString(), seed.ToString());
        try
        {
            VulkanMemoryHandoff handoff;
            var accept = listener.AcceptAsync();
            if (!accept.Wait(TimeSpan.FromSeconds(60)))
                throw new TimeoutException($"exporter process never connected (exited: {child.HasExited}).");
            using (var connection = accept.Result)
                handoff = VulkanMemoryHandoff.Receive(connection);
            Assert.Equal((ulong)size, handoff.Size);
            ChildProcess.WaitForReady(child);

            using var imported = handoff.Import(device);
            using var host = new HostBuffer(size);
            using var destination = VulkanBuffer.ImportHostPointer(device, host.Address, (ulong)host.Length, "result");
            using var pipeline = new XorWordsPipeline(device);
            pipeline.Run(imported.Whole, destination.Range(0, size), XorWordsPipeline.InvertV210Mask);

            var expected = new byte[size];
            Patterns.Fill(expected, seed);
            Assert.Equal(Patterns.XorWords(expected, XorWordsPipeline.InvertV210Mask), host.Span[..size].ToArray());
        }
        finally
        {
            ChildProcess.Stop(child);
            File.Delete(socketPath);
        }
    }

    [SkippableFact]
    public void HandoffFromAnotherDeviceUuidIsRefusedClearly()
    {
        var device = fixture.Device;
        var foreign = new VulkanMemoryHandoff(-1, 4096, 4096, 0, new byte[16], new byte[16]);
        var error = Assert.Throws<VulkanException>(() => foreign.Import(device));
        Assert.Contains("was exported by device", error.Message);
    }
}

/// <summary>Runs this test assembly's own Main in a child process.</summary>
internal static class ChildProcess
{
    public static Process Start(params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    /// <summary>Closes the child's stdin (its signal to finish) and kills it if it does not exit.</summary>
    public static void Stop(Process process)
    {
        if (process.HasExited) return;
        try { process.StandardInput.Close(); } catch (IOException) { }
        if (!process.WaitForExit(20_000)) process.Kill(entireProcessTree: true);
    }

    /// <summary>Waits for the child's "ready" line; kills it and reports its stderr otherwise.</summary>
    public static void WaitForReady(Process process)
    {
        var line = process.StandardOutput.ReadLine();
        if (line == "ready") return;
        process.Kill();
        throw new InvalidOperationException($"child process failed: {line} {process.StandardError.ReadToEnd()}");
    }
}
