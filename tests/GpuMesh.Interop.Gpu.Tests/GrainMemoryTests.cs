using Xunit;

namespace GpuMesh.Interop.Gpu.Tests;

public class GrainMemoryTests
{
    private static readonly Guid Flow = Guid.Parse("5fbec3b1-1b0f-417d-9059-8b94a47197ed");

    [Fact]
    public void ValidGrainPassesAndPayloadAddressIsOffset()
    {
        var grain = new GrainMemory(Flow, 3, 0x10000, 3 * 4096, 8192, 4000, false);
        grain.Validate(4096);
        Assert.Equal((nint)(0x10000 + 8192), grain.PayloadAddress);
    }

    [Theory]
    [InlineData(0x10010, 12288, 8192, 4096, "mapping address 0x10010 is not aligned to 4096")]
    [InlineData(0x10000, 12000, 8192, 3000, "mapping length 12000 is not a multiple of 4096")]
    [InlineData(0x10000, 12288, 8192, 4097, "lies outside the mapping of 12288 bytes")]
    [InlineData(0x10000, 12288, -1, 100, "lies outside the mapping")]
    [InlineData(0x10000, 12288, 0, 0, "payload size 0 must be positive")]
    [InlineData(0, 12288, 0, 16, "mapping address is null")]
    public void InvalidGrainIsRejectedNamingFlowAndSlot(long address, long length, long offset, int size, string expected)
    {
        var grain = new GrainMemory(Flow, 7, (nint)address, length, offset, size, true);
        var error = Assert.Throws<GrainImportException>(() => grain.Validate(4096));
        Assert.Contains($"flow {Flow} slot 7", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void HostBufferIsPageAlignedAndRoundedUp()
    {
        using var buffer = new HostBuffer(5000);
        Assert.Equal(0, buffer.Address % HostBuffer.PageSize);
        Assert.Equal(2 * HostBuffer.PageSize, buffer.Length);
        buffer.Span[4999] = 42;
        Assert.Equal(42, buffer.Span[4999]);
    }
}
