using GpuMesh.Interop.Gpu.Native;

namespace GpuMesh.Interop.Gpu;

/// <summary>
/// Page-aligned anonymous host memory (mmap). Used for tests, benchmarks and as a stand-in for a grain mapping
/// when no flow is involved. Can be made read-only to behave like a reader's PROT_READ mapping.
/// </summary>
public sealed unsafe class HostBuffer : IDisposable
{
    private nint _address;

    public HostBuffer(long length)
    {
        if (length <= 0)
            throw new ArgumentOutOfRangeException(nameof(length), length, "Host buffer length must be positive.");
        Length = RoundUpToPage(length);
        var address = Libc.mmap(0, (nuint)Length, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous, -1, 0);
        if (address == Libc.MapFailed)
            throw new OutOfMemoryException($"mmap of {Length} bytes failed: {Libc.LastError()}");
        _address = address;
    }

    public static long PageSize { get; } = Environment.SystemPageSize;

    public static long RoundUpToPage(long length) => (length + PageSize - 1) / PageSize * PageSize;

    /// <summary>Start of the memory (page aligned).</summary>
    public nint Address => _address != 0 ? _address : throw new ObjectDisposedException(nameof(HostBuffer));

    /// <summary>Length in bytes, a whole number of pages.</summary>
    public long Length { get; }

    public Span<byte> Span => new((void*)Address, checked((int)Length));

    /// <summary>Makes the memory read-only (PROT_READ), like a reader's mapping, or writable again.</summary>
    public void SetReadOnly(bool readOnly)
    {
        if (Libc.mprotect(Address, (nuint)Length, readOnly ? Libc.ProtRead : Libc.ProtRead | Libc.ProtWrite) != 0)
            throw new InvalidOperationException($"mprotect failed: {Libc.LastError()}");
    }

    /// <summary>Describes this buffer as slot <paramref name="slot"/> of a flow with the payload at <paramref name="payloadOffset"/>.</summary>
    public GrainMemory AsGrain(Guid flowId, int slot, long payloadOffset, int payloadSize, bool writable = true) =>
        new(flowId, slot, Address, Length, payloadOffset, payloadSize, writable);

    public void Dispose()
    {
        var address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
            Libc.munmap(address, (nuint)Length);
    }
}
