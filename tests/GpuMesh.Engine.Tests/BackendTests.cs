using GpuMesh.Engine.Processing;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class BackendTests
{
    [Fact]
    public void Auto_PicksCudaOnlyWhereIlgpuFindsAGpu()
    {
        string auto = Backends.Resolve("auto");
        Assert.Equal(Backends.CudaAvailable ? "cuda" : "simd", auto);
        Assert.Equal(Backends.CudaAvailable ? "cuda" : "ilgpu-cpu", Backends.ResolveAuthor(auto, "auto"));
        Assert.Equal("simd", Backends.ResolveAuthor("simd", "same"));
    }

    [SkippableFact]
    public void ForcedCuda_WithoutAGpu_IsAClearError()
    {
        Skip.If(Backends.CudaAvailable, "this machine has a CUDA device");
        var e = Assert.Throws<InvalidOperationException>(() => Backends.Resolve("cuda"));
        Assert.Contains("no CUDA device", e.Message);
    }

    [Fact]
    public void UnknownBackend_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Backends.Resolve("quantum"));
        Assert.Contains("simd", e.Message);
        Assert.Equal("reference", Backends.Resolve("Reference"));
    }
}
