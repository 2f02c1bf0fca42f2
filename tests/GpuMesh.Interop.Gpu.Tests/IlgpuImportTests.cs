using GpuMesh.Interop.Gpu.Ilgpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public sealed class IlgpuImportTests : IDisposable
{
    private const int PayloadOffset = 8192;
    private const int PayloadSize = 3 * 4096 + 512;
    private static readonly Guid Flow = Guid.NewGuid();

    private readonly Context _context = Context.Create(builder => builder.CPU());
    private readonly CPUAccelerator _accelerator;
    private readonly Action<Index1D, ArrayView<uint>, ArrayView<uint>, uint> _xor;

    public IlgpuImportTests()
    {
        _accelerator = _context.CreateCPUAccelerator(0);
        _xor = _accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, uint>(XorKernel);
    }

    private static void XorKernel(Index1D index, ArrayView<uint> source, ArrayView<uint> destination, uint mask) =>
        destination[index] = source[index] ^ mask;

    private void RunXor(IlgpuImportedGrain source, IlgpuImportedGrain destination, uint mask)
    {
        _xor((int)source.Words.Length, source.Words, destination.Words, mask);
        _accelerator.Synchronize();
    }

    [Fact]
    public void ZeroCopyViewIsTheMappingItself()
    {
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 1);
        using var importer = new IlgpuGrainImporter(_accelerator, ImportMode.ZeroCopy);

        var source = importer.Import(input.AsGrain(Flow, 0, PayloadOffset, PayloadSize, writable: false));
        var destination = importer.Import(output.AsGrain(Flow, 1, PayloadOffset, PayloadSize));
        Assert.Equal(PayloadSize, source.View.Length);
        RunXor(source, destination, 0x3FFF_FFFF);

        Assert.Equal(Patterns.XorWords(input.Span.Slice(PayloadOffset, PayloadSize), 0x3FFF_FFFF), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        Assert.True(output.Span[..PayloadOffset].IndexOfAnyExcept((byte)0) < 0, "the grain header must stay untouched");

        // CPU writes after import are seen by the next launch: no copy was taken.
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 2);
        RunXor(importer.Import(input.AsGrain(Flow, 0, PayloadOffset, PayloadSize, writable: false)), destination, 0);
        Assert.Equal(input.Span.Slice(PayloadOffset, PayloadSize).ToArray(), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        Assert.Equal(2, importer.ImportCount);
    }

    [Fact]
    public void StagedModeCopiesOnlyOnUploadAndDownload()
    {
        using var input = new HostBuffer(PayloadOffset + PayloadSize);
        using var output = new HostBuffer(PayloadOffset + PayloadSize);
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 3);
        using var importer = new IlgpuGrainImporter(_accelerator, ImportMode.Staged);
        var source = importer.Import(input.AsGrain(Flow, 0, PayloadOffset, PayloadSize, writable: false));
        var destination = importer.Import(output.AsGrain(Flow, 1, PayloadOffset, PayloadSize));

        source.Upload();
        Patterns.Fill(input.Span.Slice(PayloadOffset, PayloadSize), 4); // after upload: not seen
        RunXor(source, destination, 0xFFFF_FFFF);
        Assert.True(output.Span.IndexOfAnyExcept((byte)0) < 0, "nothing reaches the host before Download");
        destination.Download();

        var uploaded = new byte[PayloadSize];
        Patterns.Fill(uploaded, 3);
        Assert.Equal(Patterns.XorWords(uploaded, 0xFFFF_FFFF), output.Span.Slice(PayloadOffset, PayloadSize).ToArray());
        var error = Assert.Throws<GrainImportException>(source.Download);
        Assert.Contains("read-only", error.Message);
    }

    [Fact]
    public void SlotsAreCachedUntilTheMappingChangesOrTheFlowIsReleased()
    {
        using var first = new HostBuffer(PayloadOffset + PayloadSize);
        using var second = new HostBuffer(PayloadOffset + PayloadSize);
        using var importer = new IlgpuGrainImporter(_accelerator, ImportMode.ZeroCopy);
        var otherFlow = Guid.NewGuid();

        var a = importer.Import(first.AsGrain(Flow, 0, PayloadOffset, PayloadSize));
        Assert.Same(a, importer.Import(first.AsGrain(Flow, 0, PayloadOffset, PayloadSize)));
        importer.Import(first.AsGrain(otherFlow, 0, PayloadOffset, PayloadSize));
        Assert.Equal(2, importer.CachedSlotCount);

        var b = importer.Import(second.AsGrain(Flow, 0, PayloadOffset, PayloadSize)); // re-mapped slot
        Assert.NotSame(a, b);
        Assert.Throws<ObjectDisposedException>(a.Upload);
        Assert.Equal(3, importer.ImportCount);

        Assert.Equal(1, importer.ReleaseFlow(Flow));
        Assert.Throws<ObjectDisposedException>(b.Upload);
        Assert.Equal(1, importer.CachedSlotCount);
        Assert.Equal(0, importer.ReleaseFlow(Flow));
    }

    [Fact]
    public void MisalignedMappingIsRejected()
    {
        using var buffer = new HostBuffer(4 * 4096);
        using var importer = new IlgpuGrainImporter(_accelerator, ImportMode.ZeroCopy);
        var grain = new GrainMemory(Flow, 2, buffer.Address + 64, 3 * 4096, 0, 4096, true);
        var error = Assert.Throws<GrainImportException>(() => importer.Import(grain));
        Assert.Contains($"flow {Flow} slot 2", error.Message);
        Assert.Contains("not aligned", error.Message);
    }

    public void Dispose()
    {
        _accelerator.Dispose();
        _context.Dispose();
    }
}
