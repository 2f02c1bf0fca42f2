using System.Diagnostics;
using GpuMesh.Interop.Gpu.Ilgpu;
using GpuMesh.Interop.Gpu.Mxl;
using GpuMesh.Interop.Gpu.Vulkan;
using GpuMesh.Interop.Mxl;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public sealed class MxlImportTests(VulkanFixture fixture) : IClassFixture<VulkanFixture>, IDisposable
{
    private const int Width = 1280, Height = 720;
    private const uint Invert = XorWordsPipeline.InvertV210Mask;
    private readonly string _domainPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"gpumesh-gpu-test-{Guid.NewGuid():N}");

    [SkippableTheory]
    [InlineData(ImportMode.ZeroCopy)]
    [InlineData(ImportMode.Staged)]
    public void GrainFromWriterProcessIsProcessedByShaderAndCommittedToAnOutputFlow(ImportMode mode)
    {
        var device = fixture.Device;
        var inputId = Guid.NewGuid();
        var outputId = Guid.NewGuid();
        const ulong first = 5000;
        const uint count = 4;
        const uint seed = 77;
        using var child = StartWriterProcess(inputId, first, count, seed);
        try
        {
            RunPipeline(device, mode, child, inputId, outputId, first, count, seed);
        }
        finally
        {
            ChildProcess.Stop(child);
        }
    }

    private void RunPipeline(VulkanDevice device, ImportMode mode, Process child, Guid inputId, Guid outputId, ulong first, uint count, uint seed)
    {
        using var domain = MxlDomain.Open(_domainPath);
        using var importer = new VulkanGrainImporter(device, mode);
        using var pipeline = new XorWordsPipeline(device);
        using var input = new ImportingFlowReader<VulkanImportedGrain>(domain.OpenFlowReader(inputId), importer, ownsReader: true);
        using var output = new ImportingFlowWriter<VulkanImportedGrain>(
            domain.CreateFlowWriter(FlowDefinitions.Video(outputId, "gpu import result", Width, Height, new Rational(50, 1), false)), importer, ownsWriter: true);
        using var check = domain.OpenFlowReader(outputId);

        for (var index = first; index < first + count; index++)
        {
            Assert.Equal(MxlStatus.Ok, input.TryImport(index, TimeSpan.FromSeconds(5), out var view, out var source));
            Assert.NotNull(source);
            Assert.Equal(view.Slot, source!.Grain.Slot);
            var destination = output.OpenGrain(index, out var access);
            device.SubmitAndWait(r =>
            {
                source.RecordUpload(r);
                pipeline.Record(r, source.Payload, destination.Payload, Invert);
                destination.RecordDownload(r);
                device.RecordHostReadBarrier(r.Command);
            });
            output.Commit();

            Assert.Equal(MxlStatus.Ok, check.GetGrain(index, TimeSpan.FromSeconds(1), out var result));
            var expected = new byte[view.Size];
            ChildWriter.Pattern(expected, seed, index);
            Assert.Equal(expected, view.Payload.ToArray()); // the reader saw the other process' bytes
            Assert.Equal(Patterns.XorWords(expected, Invert), result.Payload.ToArray());
            Assert.Equal(access.Slot, result.Slot);
        }
        // Slots were imported once each: 4 input slots + 4 output slots.
        Assert.Equal(2L * count, importer.ImportCount);

        // The writer process goes away: the flow is deleted, the next read reports FlowInvalid and releases the imports.
        child.StandardInput.Close();
        Assert.True(child.WaitForExit(20_000), "writer process did not exit");
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(MxlStatus.FlowInvalid, input.TryImport(first + count, TimeSpan.FromMilliseconds(50), out _, out var none));
        Assert.Null(none);
        Assert.Equal((int)count, importer.CachedSlotCount); // only the output flow's slots remain
    }

    [Fact]
    public void IlgpuCpuZeroCopyProcessesTheGrainInPlace()
    {
        var inputId = Guid.NewGuid();
        var outputId = Guid.NewGuid();
        using var domain = MxlDomain.Open(_domainPath);
        using var writer = domain.CreateFlowWriter(FlowDefinitions.Video(inputId, "cpu source", 96, 8, new Rational(50, 1), false));
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, uint>(
            (i, source, destination, mask) => destination[i] = source[i] ^ mask);
        using var importer = new IlgpuGrainImporter(accelerator, ImportMode.ZeroCopy);
        using var input = new ImportingFlowReader<IlgpuImportedGrain>(domain.OpenFlowReader(inputId), importer, ownsReader: true);
        using var output = new ImportingFlowWriter<IlgpuImportedGrain>(
            domain.CreateFlowWriter(FlowDefinitions.Video(outputId, "cpu result", 96, 8, new Rational(50, 1), false)), importer, ownsWriter: true);
        using var check = domain.OpenFlowReader(outputId);

        for (ulong index = 10; index < 13; index++)
        {
            var access = writer.OpenGrain(index);
            ChildWriter.Pattern(access.Payload, 5, index);
            writer.CommitAll();

            Assert.Equal(MxlStatus.Ok, input.TryImport(index, TimeSpan.FromSeconds(1), out var view, out var source));
            var destination = output.OpenGrain(index, out _);
            kernel((int)source!.Words.Length, source.Words, destination.Words, Invert);
            accelerator.Synchronize();
            output.Commit();

            Assert.Equal(MxlStatus.Ok, check.TryGetGrain(index, out var result));
            Assert.Equal(Patterns.XorWords(view.Payload, Invert), result.Payload.ToArray());
        }
    }

    [Fact]
    public void SlotMappingOutsideTheFileIsRejected()
    {
        var flow = Guid.NewGuid();
        var mapping = new SlotMapping(3, 0x7000_0000, 3 * 4096, 2 * 4096 + 100, 8192, false);
        var error = Assert.Throws<GrainImportException>(() => mapping.ToGrainMemory(flow, 4096));
        Assert.Contains($"flow {flow} slot 3", error.Message);
        Assert.Contains("outside the grain file", error.Message);
        var grain = mapping.ToGrainMemory(flow, 100);
        Assert.Equal(8192, grain.PayloadOffset);
        Assert.False(grain.Writable);
    }

    private Process StartWriterProcess(Guid flowId, ulong first, uint count, uint seed)
    {
        var process = ChildProcess.Start("writer", _domainPath, flowId.ToString(), Width.ToString(), Height.ToString(),
            first.ToString(), count.ToString(), seed.ToString());
        ChildProcess.WaitForReady(process);
        return process;
    }

    public void Dispose()
    {
        try { Directory.Delete(_domainPath, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
