using System.Diagnostics;
using GpuMesh.Interop.Gpu.Vulkan;
using GpuMesh.Interop.Gpu.Vulkan.Shaders;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public sealed class VulkanTests(VulkanFixture fixture) : IClassFixture<VulkanFixture>
{
    private const int PayloadOffset = 8192;
    private const int PayloadSize = 1920 / 48 * 128 * 16; // 16 lines of 1080p v210
    private const uint Invert = XorWordsPipeline.InvertV210Mask;

    [SkippableFact]
    public void DeviceHasTheImportCapabilities()
    {
        var device = fixture.Device;
        Assert.True(device.MinImportedHostPointerAlignment is > 0 and <= 65536);
        Assert.True(device.ApiVersion >= Silk.NET.Vulkan.Vk.Version12);
        Assert.Equal(16, device.DeviceUuid.Length);
        Assert.False(string.IsNullOrWhiteSpace(device.DeviceName));
    }

    [SkippableTheory]
    [InlineData(ImportMode.ZeroCopy)]
    [InlineData(ImportMode.Staged)]
    public void ComputeShaderProcessesAnImportedGrainIntoAnOutputGrain(ImportMode mode)
    {
        var device = fixture.Device;
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 11);
        input.SetReadOnly(true); // like a reader's PROT_READ mapping
        using var importer = new VulkanGrainImporter(device, mode);
        using var pipeline = new XorWordsPipeline(device);
        var flow = Guid.NewGuid();
        var source = importer.Import(input.AsGrain(flow, 0, PayloadOffset, PayloadSize, writable: false));
        var destination = importer.Import(output.AsGrain(flow, 1, PayloadOffset, PayloadSize));
        Assert.Equal(mode == ImportMode.Staged, source.DeviceBuffer is not null);

        device.SubmitAndWait(recording =>
        {
            source.RecordUpload(recording);
            pipeline.Record(recording, source.Payload, destination.Payload, Invert);
            destination.RecordDownload(recording);
            device.RecordHostReadBarrier(recording.Command);
        });

        Assert.Equal(Patterns.XorWords(input.Span.Slice(PayloadOffset, PayloadSize), Invert), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        Assert.True(output.Span[..PayloadOffset].IndexOfAnyExcept((byte)0) < 0, "grain header untouched");
        Assert.True(output.Span[(PayloadOffset + PayloadSize)..].IndexOfAnyExcept((byte)0) < 0, "bytes past the payload untouched");
    }

    [SkippableFact]
    public void CpuWritesAfterImportAreSeenByTheNextDispatch()
    {
        var device = fixture.Device;
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        using var importer = new VulkanGrainImporter(device, ImportMode.ZeroCopy);
        using var pipeline = new XorWordsPipeline(device);
        var flow = Guid.NewGuid();
        for (uint round = 0; round < 3; round++)
        {
            Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 100 + round);
            var source = importer.Import(input.AsGrain(flow, 0, PayloadOffset, PayloadSize, writable: false));
            var destination = importer.Import(output.AsGrain(flow, 1, PayloadOffset, PayloadSize));
            pipeline.Run(source.Payload, destination.Payload, round);
            Assert.Equal(Patterns.XorWords(input.Span.Slice(PayloadOffset, PayloadSize), round), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        }
        Assert.Equal(2, importer.ImportCount); // imported once per slot, reused for every round
    }

    [SkippableFact]
    public void MisalignedPointersAndSizesAreRejectedBeforeReachingTheDriver()
    {
        var device = fixture.Device;
        var alignment = (long)device.MinImportedHostPointerAlignment;
        using var memory = new HostBuffer(8 * alignment);
        var flow = Guid.NewGuid();
        using var importer = new VulkanGrainImporter(device, ImportMode.ZeroCopy);

        var shifted = new GrainMemory(flow, 4, memory.Address + 256, 4 * alignment, 0, 1024, true);
        var error = Assert.Throws<GrainImportException>(() => importer.Import(shifted));
        Assert.Contains($"flow {flow} slot 4", error.Message);
        Assert.Contains("not aligned", error.Message);

        var shortSize = new GrainMemory(flow, 5, memory.Address, 4 * alignment - 100, 0, 1024, true);
        error = Assert.Throws<GrainImportException>(() => importer.Import(shortSize));
        Assert.Contains($"flow {flow} slot 5", error.Message);
        Assert.Contains("not a multiple", error.Message);

        error = Assert.Throws<GrainImportException>(() => VulkanBuffer.ImportHostPointer(device, memory.Address + 64, (ulong)alignment, "raw import"));
        Assert.Contains("minImportedHostPointerAlignment", error.Message);
        error = Assert.Throws<GrainImportException>(() => VulkanBuffer.ImportHostPointer(device, memory.Address, (ulong)alignment + 4, "raw import"));
        Assert.Contains("not a multiple of minImportedHostPointerAlignment", error.Message);
        Assert.Equal(0, importer.CachedSlotCount);
    }

    [SkippableFact]
    public void OpaqueFdExportedByOneDeviceIsImportedByAnother()
    {
        var exporter = fixture.Device;
        using var importerDevice = VulkanDevice.Create();
        Assert.Equal(exporter.DeviceUuid, importerDevice.DeviceUuid);
        const int size = 64 * 1024;
        using var hostIn = new HostBuffer(size);
        using var hostOut = new HostBuffer(size);
        Patterns.Fill(hostIn.Span, 21);

        using var shared = VulkanBuffer.Allocate(exporter, size, exportable: true);
        using (var sourceOnExporter = VulkanBuffer.ImportHostPointer(exporter, hostIn.Address, size, "input"))
            exporter.SubmitAndWait(recording => Copy(exporter, recording, sourceOnExporter.Whole, shared.Whole));

        var fd = shared.ExportOpaqueFd();
        Assert.True(fd >= 0);
        using var imported = VulkanBuffer.ImportOpaqueFd(importerDevice, fd, size, shared.AllocationSize, shared.MemoryTypeIndex);
        using var pipeline = new XorWordsPipeline(importerDevice);
        using var destination = VulkanBuffer.ImportHostPointer(importerDevice, hostOut.Address, size, "output");
        pipeline.Run(imported.Whole, destination.Whole, Invert);

        Assert.Equal(Patterns.XorWords(hostIn.Span, Invert), hostOut.Span.ToArray());
    }

    [SkippableFact]
    public void TimelineSemaphoreOrdersImportProcessAndWrite()
    {
        var device = fixture.Device;
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        using var importer = new VulkanGrainImporter(device, ImportMode.Staged);
        using var pipeline = new XorWordsPipeline(device);
        using var timeline = new TimelineSemaphore(device);
        var flow = Guid.NewGuid();
        var source = importer.Import(input.AsGrain(flow, 0, PayloadOffset, PayloadSize, writable: false));
        var destination = importer.Import(output.AsGrain(flow, 1, PayloadOffset, PayloadSize));
        const ulong grainWritten = 1, imported = 2, processed = 3, downloaded = 4;

        // Queue all three stages first; each waits for the previous value, the first for the host's "grain written".
        var t1 = device.Submit(r => source.RecordUpload(r), [timeline.At(grainWritten)], [timeline.At(imported)]);
        var t2 = device.Submit(r => pipeline.Record(r, source.Payload, destination.Payload, Invert), [timeline.At(imported)], [timeline.At(processed)]);
        var t3 = device.Submit(r =>
        {
            destination.RecordDownload(r);
            device.RecordHostReadBarrier(r.Command);
        }, [timeline.At(processed)], [timeline.At(downloaded)]);
        Assert.True(t1 < t2 && t2 < t3);

        Thread.Sleep(50);
        Assert.Equal(0UL, timeline.Value); // nothing may run before the grain is written
        Assert.True(output.Span.IndexOfAnyExcept((byte)0) < 0);

        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 31); // the "writer" fills the grain...
        timeline.Signal(grainWritten);                                    // ...and says so
        Assert.True(timeline.Wait(downloaded, TimeSpan.FromSeconds(30)));
        device.Wait(t3);
        Assert.Equal(downloaded, timeline.Value);
        Assert.Equal(Patterns.XorWords(input.Span.Slice(PayloadOffset, PayloadSize), Invert), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
    }

    [SkippableFact]
    public void TimelineSemaphoreCanBeDisposedRightAfterTheHostSawItsLastValue()
    {
        // Mesa's queue thread releases a timeline's wait points after the batch has signalled; destroying the
        // semaphore as soon as the host sees the value must still be safe (it once crashed or hung the process).
        var device = fixture.Device;
        for (var i = 0; i < 2000; i++)
        {
            using var timeline = new TimelineSemaphore(device);
            // A wait that precedes its signal (Mesa then submits from a thread), then a GPU-to-GPU wait and signal.
            device.Submit(_ => { }, [timeline.At(1)], [timeline.At(2)]);
            device.Submit(_ => { }, [timeline.At(2)], [timeline.At(3)]);
            timeline.Signal(1);
            Assert.True(timeline.Wait(3, TimeSpan.FromSeconds(30)), $"iteration {i}: value 3 not reached");
        }
        device.WaitIdle();
    }

    [SkippableFact]
    public void RenderedFrameIsHandedBackAsAnOutputGrain()
    {
        var device = fixture.Device;
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        using var importer = new VulkanGrainImporter(device, ImportMode.Staged);
        using var rendered = VulkanBuffer.Allocate(device, PayloadSize, hostVisible: true);
        var frame = new byte[PayloadSize];
        Patterns.Fill(frame, 41);
        frame.CopyTo(rendered.MapSpan());
        var grain = importer.Import(output.AsGrain(Guid.NewGuid(), 3, PayloadOffset, PayloadSize));
        device.SubmitAndWait(r =>
        {
            grain.RecordCopyFrom(r, rendered.Whole);
            grain.RecordDownload(r);
            device.RecordHostReadBarrier(r.Command);
        });
        Assert.Equal(frame, output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
    }

    [SkippableFact]
    public void ManyDispatchesRecycleDescriptorPools()
    {
        var device = fixture.Device;
        const int size = 4096;
        using var input = new HostBuffer(size);
        using var output = new HostBuffer(size);
        Patterns.Fill(input.Span, 51);
        using var source = VulkanBuffer.ImportHostPointer(device, input.Address, size, "input");
        using var destination = VulkanBuffer.ImportHostPointer(device, output.Address, size, "output");
        using var pipeline = new XorWordsPipeline(device);
        // 200 dispatches in batches of 50 per submission: more descriptor sets than one pool holds (64).
        for (uint batch = 0; batch < 4; batch++)
            device.SubmitAndWait(r =>
            {
                for (uint i = 0; i < 50; i++)
                {
                    pipeline.Record(r, source.Whole, destination.Whole, batch * 50 + i);
                    device.RecordBarrier(r.Command, Silk.NET.Vulkan.PipelineStageFlags.ComputeShaderBit, Silk.NET.Vulkan.AccessFlags.ShaderWriteBit,
                        Silk.NET.Vulkan.PipelineStageFlags.ComputeShaderBit, Silk.NET.Vulkan.AccessFlags.ShaderWriteBit);
                }
                device.RecordHostReadBarrier(r.Command);
            });
        Assert.Equal(Patterns.XorWords(input.Span, 199), output.Span.ToArray());
    }

    [SkippableFact]
    public void RendererOwnedDeviceCanBeWrappedAndIsNotDestroyedByGpuMesh()
    {
        var owner = fixture.Device;
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 81);
        var flow = Guid.NewGuid();
        using (var wrapped = VulkanDevice.Wrap(owner.Vk, owner.Instance, owner.PhysicalDevice, owner.Device, owner.QueueFamilyIndex))
        {
            Assert.False(wrapped.OwnsDevice);
            using var importer = new VulkanGrainImporter(wrapped, ImportMode.ZeroCopy);
            using var pipeline = new XorWordsPipeline(wrapped);
            var source = importer.Import(input.AsGrain(flow, 0, PayloadOffset, PayloadSize, writable: false));
            var destination = importer.Import(output.AsGrain(flow, 1, PayloadOffset, PayloadSize));
            pipeline.Run(source.Payload, destination.Payload, Invert);
        }
        Assert.Equal(Patterns.XorWords(input.Span.Slice(PayloadOffset, PayloadSize), Invert), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        // The owner's device still works after the wrapper was disposed.
        using var again = new XorWordsPipeline(owner);
        using var hostIn = VulkanBuffer.ImportHostPointer(owner, input.Address, (ulong)input.Length, "input");
        using var hostOut = VulkanBuffer.ImportHostPointer(owner, output.Address, (ulong)output.Length, "output");
        again.Run(hostIn.Range(PayloadOffset, PayloadSize), hostOut.Range(PayloadOffset, PayloadSize), 0);
        Assert.Equal(input.Span.ToArray(), output.Span.ToArray());
    }

    [SkippableFact]
    public void UnknownDeviceNameIsRefusedWithTheReasons()
    {
        Gate.RequireVulkan();
        var error = Assert.Throws<VulkanException>(() => VulkanDevice.Create(new VulkanDeviceOptions { DeviceNameContains = "no-such-gpu-xyz" }));
        Assert.Contains("No suitable Vulkan device", error.Message);
        Assert.Contains("does not contain 'no-such-gpu-xyz'", error.Message);
    }

    [SkippableFact]
    public void CheckedInSpirvMatchesTheGlslSource()
    {
        Gate.RequireVulkan();
        var glslang = new[] { "/usr/bin/glslangValidator", "/usr/local/bin/glslangValidator" }.FirstOrDefault(File.Exists);
        Skip.If(glslang is null, "glslangValidator not installed (Debian: glslang-tools)");
        var source = Path.Combine(AppContext.BaseDirectory, "Shaders", "xor_words.comp");
        var spirv = Path.GetTempFileName();
        try
        {
            using (var process = Process.Start(new ProcessStartInfo(glslang!, ["-V", "--target-env", "vulkan1.2", "-o", spirv, source])
                   { RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd());
            }
            var compiled = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(File.ReadAllBytes(spirv)).ToArray();
            Assert.Equal(compiled, SpirvShaders.XorWords);
        }
        finally
        {
            File.Delete(spirv);
        }
    }

    private static unsafe void Copy(VulkanDevice device, VulkanRecording recording, VulkanBufferRange source, VulkanBufferRange destination)
    {
        var region = new Silk.NET.Vulkan.BufferCopy { SrcOffset = source.Offset, DstOffset = destination.Offset, Size = source.Size };
        device.Vk.CmdCopyBuffer(recording.Command, source.Handle, destination.Handle, 1, &region);
        device.RecordHostReadBarrier(recording.Command);
    }
}
