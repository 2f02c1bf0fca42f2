namespace GpuMesh.Interop.Gpu;

/// <summary>A grain slot made visible to one accelerator. Valid until released by its importer.</summary>
public interface IImportedGrain : IDisposable
{
    /// <summary>The slot this import covers.</summary>
    GrainMemory Grain { get; }

    ImportMode Mode { get; }

    /// <summary>Staged: copy the host payload into accelerator memory. Zero copy: nothing to do.</summary>
    void Upload();

    /// <summary>Staged: copy accelerator memory back into the (writable) host payload. Zero copy: wait for the device.</summary>
    void Download();
}

/// <summary>
/// The importer contract: given a grain slot (mapping, payload offset/size, read-only or writable) give the
/// accelerator a view of it. Imports are cached per (flow, ring slot) for the life of the flow: the slot is
/// registered once per importer, re-imported only when its mapping changes, and released by
/// <see cref="ReleaseFlow"/> (flow closed or FlowInvalid) or <see cref="IDisposable.Dispose"/>.
/// </summary>
public interface IGrainImporter<out TImported> : IDisposable where TImported : IImportedGrain
{
    /// <summary>Short name for reports, e.g. "ilgpu-cpu/zero-copy" or "vulkan/staged".</summary>
    string Name { get; }

    ImportMode Mode { get; }

    /// <summary>Number of slots currently imported.</summary>
    int CachedSlotCount { get; }

    /// <summary>Returns the import of <paramref name="grain"/>'s slot, importing it on first use.</summary>
    TImported Import(in GrainMemory grain);

    /// <summary>Releases every imported slot of <paramref name="flowId"/>; returns how many were released.</summary>
    int ReleaseFlow(Guid flowId);
}
