using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuMesh.Interop.Gpu.Cuda;
using GpuMesh.Interop.Gpu.Ilgpu;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public class CudaInteropTests
{
    [Fact]
    public void ExternalMemoryHandleDescMatchesTheCLayout()
    {
        Assert.Equal(104, Unsafe.SizeOf<CudaExternalMemoryHandleDesc>());
        Assert.Equal(104, Marshal.SizeOf<CudaExternalMemoryHandleDesc>());
        Assert.Equal(0, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Type)).ToInt32());
        Assert.Equal(8, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Fd)).ToInt32());
        Assert.Equal(8, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Win32Handle)).ToInt32());
        Assert.Equal(16, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Win32Name)).ToInt32());
        Assert.Equal(24, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Size)).ToInt32());
        Assert.Equal(32, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Flags)).ToInt32());
        Assert.Equal(36, Marshal.OffsetOf<CudaExternalMemoryHandleDesc>(nameof(CudaExternalMemoryHandleDesc.Reserved)).ToInt32());
    }

    [Fact]
    public void ExternalMemoryBufferDescMatchesTheCLayout()
    {
        Assert.Equal(88, Unsafe.SizeOf<CudaExternalMemoryBufferDesc>());
        Assert.Equal(88, Marshal.SizeOf<CudaExternalMemoryBufferDesc>());
        Assert.Equal(0, Marshal.OffsetOf<CudaExternalMemoryBufferDesc>(nameof(CudaExternalMemoryBufferDesc.Offset)).ToInt32());
        Assert.Equal(8, Marshal.OffsetOf<CudaExternalMemoryBufferDesc>(nameof(CudaExternalMemoryBufferDesc.Size)).ToInt32());
        Assert.Equal(16, Marshal.OffsetOf<CudaExternalMemoryBufferDesc>(nameof(CudaExternalMemoryBufferDesc.Flags)).ToInt32());
        Assert.Equal(20, Marshal.OffsetOf<CudaExternalMemoryBufferDesc>(nameof(CudaExternalMemoryBufferDesc.Reserved)).ToInt32());
    }

    [Fact]
    public void FlagsAndEnumsHaveTheDriverValues()
    {
        Assert.Equal(0x02u, (uint)CudaHostRegisterFlags.DeviceMap);
        Assert.Equal(0x08u, (uint)CudaHostRegisterFlags.ReadOnly);
        Assert.Equal(1, (int)CudaExternalMemoryHandleType.OpaqueFd);
        Assert.Equal(712, (int)CudaResult.HostMemoryAlreadyRegistered);
        Assert.Equal(1u, CudaDriver.ExternalMemoryDedicated);
    }

    [Fact]
    public void UnavailableCudaIsReportedAsNoCudaDevice()
    {
        if (CudaDriver.IsAvailable(out var reason))
            Assert.Contains("CUDA device", reason);
        else
            Assert.StartsWith("no CUDA device", reason);
    }

    [SkippableFact]
    public void ReaderMappingIsRegisteredReadOnlyOnceAndProcessedByAnIlgpuKernel()
    {
        Gate.RequireCuda();
        using var context = Context.Create(builder => builder.Cuda());
        using var accelerator = context.CreateCudaAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, ArrayView<uint>, uint>(
            (index, source, destination, mask) => destination[index] = source[index] ^ mask);
        const int offset = 8192, size = 1 << 20;
        using var input = new HostBuffer(offset + size);
        using var output = new HostBuffer(offset + size);
        Patterns.Fill(input.Span.Slice(offset, size), 9);
        var flow = Guid.NewGuid();
        using (var importer = new IlgpuGrainImporter(accelerator, ImportMode.ZeroCopy))
        using (var second = new IlgpuGrainImporter(accelerator, ImportMode.ZeroCopy))
        {
            var source = importer.Import(input.AsGrain(flow, 0, offset, size, writable: false));
            second.Import(input.AsGrain(flow, 0, offset, size, writable: false)); // shared registration, no double register
            var destination = importer.Import(output.AsGrain(flow, 1, offset, size));
            Assert.Equal(2, CudaHostRegistry.Count);
            kernel(size / 4, source.Words, destination.Words, 0x3FFF_FFFF);
            accelerator.Synchronize();
            Assert.Equal(Patterns.XorWords(input.Span.Slice(offset, size), 0x3FFF_FFFF), output.Span.Slice(offset, size).ToArray());
        }
        Assert.Equal(0, CudaHostRegistry.Count);
    }
}
