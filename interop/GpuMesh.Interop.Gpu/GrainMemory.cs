namespace GpuMesh.Interop.Gpu;

/// <summary>
/// One ring slot of a flow as it lies in this process: the slot's page-aligned mapping and where the
/// payload sits inside it. This is what every importer takes; the MXL adapter builds it from a slot mapping.
/// </summary>
/// <param name="FlowId">Flow the slot belongs to (cache key and error messages).</param>
/// <param name="Slot">Ring slot (index % grainCount).</param>
/// <param name="MappingAddress">Start of the mapping, page aligned.</param>
/// <param name="MappingLength">Length of the mapping in bytes (whole pages).</param>
/// <param name="PayloadOffset">Offset of the payload inside the mapping.</param>
/// <param name="PayloadSize">Payload bytes.</param>
/// <param name="Writable">True when the mapping is PROT_WRITE (writer side), false for reader mappings.</param>
public readonly record struct GrainMemory(
    Guid FlowId, int Slot, nint MappingAddress, long MappingLength, long PayloadOffset, int PayloadSize, bool Writable)
{
    /// <summary>Address of the first payload byte.</summary>
    public nint PayloadAddress => MappingAddress + (nint)PayloadOffset;

    /// <summary>"flow {id} slot {n}", for messages.</summary>
    public string Describe() => $"flow {FlowId} slot {Slot}";

    /// <summary>Checks that offsets and sizes are consistent, and that the mapping is aligned to <paramref name="alignment"/>.</summary>
    public void Validate(long alignment)
    {
        if (Slot < 0)
            throw new GrainImportException($"{Describe()}: slot must not be negative.");
        if (MappingAddress == 0)
            throw new GrainImportException($"{Describe()}: mapping address is null.");
        if (MappingLength <= 0)
            throw new GrainImportException($"{Describe()}: mapping length {MappingLength} must be positive.");
        if (PayloadSize <= 0)
            throw new GrainImportException($"{Describe()}: payload size {PayloadSize} must be positive.");
        if (PayloadOffset < 0 || PayloadOffset > MappingLength - PayloadSize)
            throw new GrainImportException(
                $"{Describe()}: payload [{PayloadOffset}, +{PayloadSize}) lies outside the mapping of {MappingLength} bytes.");
        if (alignment > 1)
        {
            if ((ulong)MappingAddress % (ulong)alignment != 0)
                throw new GrainImportException(
                    $"{Describe()}: mapping address 0x{MappingAddress:x} is not aligned to {alignment} bytes.");
            if (MappingLength % alignment != 0)
                throw new GrainImportException(
                    $"{Describe()}: mapping length {MappingLength} is not a multiple of {alignment} bytes.");
        }
    }
}
